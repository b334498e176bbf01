"""Writing the command's files: complete or not at all (:mod:`micrograd._files`).

Each file is written to a temporary name in its target folder and renamed into place once
complete, so an interrupted or failed run never leaves a half-written file, and never damages
a file from an earlier run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable

from micrograd._files import write_atomically
from micrograd.cli.usage import UsageError

__all__ = ["prepare_folder", "write_atomically"]


def prepare_folder(folder: str, option: str = "--out", files: Iterable[str] = ()) -> str:
    """Create ``folder`` if need be, and make sure a file can be written in it; a UsageError
    if it cannot be a folder, refuses new files (no permission, a read-only disk) or holds a
    folder where one of ``files`` is to go. Called before any long work, so that a run does
    not fail at its first save."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"{option} {folder}: exists and is not a folder")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{option} {folder}: cannot create the folder ({e.strerror})") from None
    try:
        # a nameless file where the system has them (removed when closed), else a named one
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise UsageError(f"{option} {folder}: cannot write there ({e.strerror})") from None
    for name in files:
        if os.path.isdir(os.path.join(folder, name)):
            raise UsageError(
                f"{option} {folder}: {name} there is a folder, where the file {name} is to go"
            )
    return folder
