"""Writing the command's files: complete or not at all (:mod:`micrograd._files`).

Each file is written to a temporary name in its target folder and renamed into place once
complete, so an interrupted or failed run never leaves a half-written file, and never damages
a file from an earlier run.
"""

from __future__ import annotations

import os

from micrograd._files import write_atomically
from micrograd.cli.usage import UsageError

__all__ = ["prepare_folder", "write_atomically"]


def prepare_folder(folder: str, option: str = "--out") -> str:
    """Create ``folder`` if need be; a UsageError if it cannot be a folder."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"{option} {folder}: exists and is not a folder")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{option} {folder}: cannot create the folder ({e.strerror})") from None
    return folder
