"""Writing the command's files: complete or not at all.

Each file is written to a temporary name in its target folder and renamed into place once
complete (``os.replace`` is atomic within a folder), so an interrupted or failed run never
leaves a half-written file, and never damages a file from an earlier run.
"""

from __future__ import annotations

import os
import uuid

from micrograd.cli import UsageError


def write_atomically(path: str, payload: bytes) -> str:
    """Write ``payload`` to ``path`` through a temporary file renamed into place."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def prepare_folder(folder: str, option: str = "--out") -> str:
    """Create ``folder`` if need be; a UsageError if it cannot be a folder."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"{option} {folder}: exists and is not a folder")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{option} {folder}: cannot create the folder ({e.strerror})") from None
    return folder
