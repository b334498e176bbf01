"""Writing a file completely or not at all, for ``micrograd.save`` and the command's outputs;
reading a user's file only if it is a regular file of bounded size (:func:`read_regular`).

The bytes go to a temporary file in the target's folder, are flushed to disk, and the
temporary file is renamed over the target (``os.replace`` is atomic within a folder), so an
interrupted or failed write never leaves a half-written file and never damages the old one.

A process killed outright (SIGKILL, a power cut) cannot remove its temporary file. Each is
named after the target and the writing process, ``.<name>.micrograd-<pid>-<random>.tmp``, and
the next write to the same target removes those whose process is gone (or, where that cannot
be asked, that are more than a day old), so they do not pile up.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
import uuid
from collections.abc import Iterable
from typing import Any

__all__ = ["read_regular", "write_atomically"]

_STALE_SECONDS = 24 * 3600  # past this age a temporary file is stale whoever wrote it
_NAME_CHARS = 100  # of the target's name kept in the temporary's, well under NAME_MAX (255)


def write_atomically(path: str | os.PathLike[str], payload: bytes | Iterable[Any]) -> str:
    """Write ``payload`` to ``path`` through a temporary file renamed into place.

    ``payload`` is bytes, or buffers (bytes, arrays...) written one after another, so that
    a large file need not first be joined into one bytes object in memory.

    Errors are the usual ``OSError`` subclasses and name ``path`` (never the temporary file):
    ``FileNotFoundError`` for a missing folder, ``PermissionError``, ``IsADirectoryError``
    for a ``path`` that is a folder (or ends with a separator)...
    Returns ``path`` as a string.
    """
    path = os.fspath(path)
    if os.path.isdir(path) or path.endswith(("/", os.sep)):
        # Said now: the temporary file would go into the folder's parent, and the rename's
        # error would name it.
        raise IsADirectoryError(errno.EISDIR, "Is a folder, not a file", path)
    folder, name = os.path.split(os.path.abspath(path))
    prefix = f".{name[:_NAME_CHARS]}.micrograd-"
    _remove_stale(folder, prefix)
    tmp = os.path.join(folder, f"{prefix}{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp")
    try:
        # A fresh name, created with the usual permissions (0o666 less the umask;
        # tempfile.mkstemp would make it private, 0o600).
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                for part in [payload] if isinstance(payload, bytes) else payload:
                    f.write(part)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as e:
        if e.errno is not None and (e.filename in (tmp, None) or e.filename2 == tmp):
            # The same error (OSError picks the subclass from errno), about the user's file.
            raise OSError(e.errno, e.strerror, path) from None
        raise
    return path


def _remove_stale(folder: str, prefix: str) -> None:
    """Remove our temporary files for this target whose process is gone (best effort)."""
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix)]
    except OSError:
        return  # a missing or unreadable folder: the write itself will say so
    for entry in entries:
        if not entry.name.endswith(".tmp"):
            continue
        pid = entry.name[len(prefix) :].split("-", 1)[0]
        try:
            old = time.time() - entry.stat(follow_symlinks=False).st_mtime > _STALE_SECONDS
            if old or (pid.isdigit() and not _alive(int(pid))):
                os.unlink(entry.path)
        except OSError:
            continue


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists; True where that cannot be asked (Windows)."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) would send a Ctrl-C event there; age alone decides
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def read_regular(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, if it holds at most ``max_bytes``.

    Anything else is refused before it is read: a device such as ``/dev/zero`` never ends, a
    pipe may block forever, and a huge file would fill the memory. Errors: the usual
    ``OSError`` subclasses (``FileNotFoundError``, ``PermissionError``, ``IsADirectoryError``
    for a folder), and ValueError, naming ``path``, for what is not a regular file or is
    larger than ``max_bytes``.
    """
    shown = os.fspath(path)
    info = os.stat(path)  # before opening: opening a pipe waits for a writer
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), shown)
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{shown} is not a regular file (a device, a pipe or a socket)")
    with open(path, "rb") as f:
        payload = f.read(max_bytes + 1)  # one byte more tells a file that grew since
    if len(payload) > max_bytes:
        limit = f"{max_bytes // 2**20} MiB" if max_bytes % 2**20 == 0 else f"{max_bytes:,} bytes"
        raise ValueError(f"{shown} is larger than {limit}, the limit")
    return payload
