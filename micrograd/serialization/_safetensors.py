"""The safetensors file format, read and written without the ``safetensors`` package.

A file is 8 bytes giving the length ``n`` of a JSON header (little-endian), the header, then
the arrays' raw bytes. The header maps each array's name to ``{"dtype": "F32", "shape": [2, 3],
"data_offsets": [begin, end]}`` (byte offsets into the data) and may hold ``"__metadata__"``,
a map of strings. https://github.com/huggingface/safetensors describes it; its own readers
(PyTorch's, NumPy's) read what ``file_parts`` writes.

Written here rather than through the package so that ``read_file`` checks the header before it
reads an array (a multi-GB file, or ``/dev/zero``, is refused at once), refuses what is not a
regular file, names the problem with a file ``torch.save`` wrote, and takes any dtype
micrograd has, ``_DTYPES`` being the one table.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
import struct
from typing import Any, BinaryIO

import numpy as np

from micrograd.tensors import dtypes

__all__ = ["dtype_name", "file_parts", "read_file"]

# safetensors' dtype names. A dtype micrograd gains is one more line here; bfloat16 ("BF16") is
# in dtype_name and _dtype, as it is made only on first use (dtypes.bfloat16).
# The format is little-endian, as every machine NumPy ships wheels for but IBM's s390x.
_DTYPES = {
    "BOOL": dtypes.bool_,
    "U8": dtypes.uint8,
    "I8": dtypes.int8,
    "U16": dtypes.uint16,
    "I16": dtypes.int16,
    "U32": dtypes.uint32,
    "I32": dtypes.int32,
    "U64": dtypes.uint64,
    "I64": dtypes.int64,
    "F16": dtypes.float16,
    "F32": dtypes.float32,
    "F64": dtypes.float64,
}
DTYPE_NAMES = {dtype: name for name, dtype in _DTYPES.items()}


def dtype_name(dtype: np.dtype) -> str | None:
    """safetensors' name for ``dtype`` (``"F32"``), or None if it has none."""
    return "BF16" if dtypes.is_bfloat16(dtype) else DTYPE_NAMES.get(dtype)


def _dtype(name: str) -> np.dtype:
    return dtypes.bfloat16 if name == "BF16" else _DTYPES[name]


_HEADER_LIMIT = 100_000_000  # bytes; safetensors' own limit


def file_parts(arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> list[Any]:
    """The safetensors file as buffers to write one after another (no copy of the arrays).

    The widest dtypes come first and the header is padded with spaces to 8 bytes, so every
    array starts at a multiple of its item size, as safetensors itself lays files out.
    """
    order = sorted(arrays, key=lambda name: -arrays[name].dtype.alignment)  # stable
    header: dict[str, Any] = {"__metadata__": metadata}
    offset = 0
    for name in order:
        array = arrays[name]
        end = offset + array.nbytes
        header[name] = {
            "dtype": dtype_name(array.dtype),
            "shape": list(array.shape),
            "data_offsets": [offset, end],
        }
        offset = end
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return [struct.pack("<Q", len(raw)), raw] + [bytes_of(arrays[name]) for name in order]


def bytes_of(array: np.ndarray) -> np.ndarray:
    """A C-contiguous array's memory as bytes (a view; 0-d arrays too)."""
    return array.reshape(-1).view(np.uint8)


def read_file(path: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays (in file order) and the ``__metadata__`` of the safetensors file ``path``.

    Everything the header says is checked before an array is made, against the file's size,
    so no file makes us allocate more than it holds.
    """
    with _open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(8)
        if len(head) < 8:
            raise _invalid(path, f"{len(head)} bytes, shorter than the 8-byte header length")
        (header_size,) = struct.unpack("<Q", head)
        if header_size > min(size - 8, _HEADER_LIMIT):
            _refuse_torch_files(path, head)  # their first bytes read as a huge header length
            raise _invalid(
                path, f"its header length ({header_size}) is more than the file or 100 MB holds"
            )
        raw = f.read(header_size)
        if len(raw) != header_size:
            raise _invalid(path, "the file ended inside its header")
        metadata, entries = _check_header(path, raw, size - 8 - header_size)
        arrays = {}
        for name, dtype, shape, nbytes in entries:
            try:
                array = np.empty(shape, dtype)  # at most the bytes the file holds (checked)
            except ValueError as e:  # NumPy's own limits on a shape
                raise _invalid(path, f"{name!r} has the shape {shape} ({e})") from None
            if f.readinto(bytes_of(array)) != nbytes:
                raise _invalid(path, "the file ended inside its data")
            arrays[name] = array
    return arrays, metadata


def _open_regular(path: str) -> BinaryIO:
    """``path`` opened for reading if it is a regular file; a clear error if not. Opened
    without blocking, so that a named pipe cannot hang the check."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if not stat.S_ISREG(mode):
            kinds = {stat.S_ISCHR: "a device", stat.S_ISBLK: "a device", stat.S_ISFIFO: "a pipe"}
            kind = next((k for test, k in kinds.items() if test(mode)), "not a regular file")
            raise ValueError(f"{path}: {kind}, not a file; load reads files that save wrote")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _refuse_torch_files(path: str, head: bytes) -> None:
    """``torch.save`` writes a zip of pickles (a bare pickle before PyTorch 1.6)."""
    if head.startswith(b"PK\x03\x04") or (head[0] == 0x80 and 2 <= head[1] <= 5):
        raise ValueError(
            f"{path}: not a valid safetensors file but a pickle, as torch.save writes, which "
            "micrograd never unpickles (unpickling can run any code). To bring it over, save "
            "its state dict as safetensors in PyTorch: safetensors.torch.save_file("
            "torch.load(path)['model'], 'model.safetensors') for nanoGPT's checkpoint; then "
            "micrograd.load('model.safetensors')"
        )


def _check_header(
    path: str, raw: bytes, data_size: int
) -> tuple[dict[str, str], list[tuple[str, np.dtype, tuple[int, ...], int]]]:
    """The header's metadata and its arrays as ``(name, dtype, shape, nbytes)`` in file order.

    As safetensors checks it: a JSON object of ``name: {dtype, shape, data_offsets}``, every
    byte range the size its shape and dtype give, the ranges one after another from 0 to the
    end of the file without gap or overlap, and ``__metadata__`` strings only.
    """
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_refuse_repeated_keys)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise _invalid(path, f"its header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise _invalid(path, "its header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(type(v) is str for v in metadata.values()):
        raise _invalid(path, "its __metadata__ is not a map of strings")
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
            raise _invalid(path, f"{name!r} lacks a dtype, shape or data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if type(dtype) is not str or (dtype not in _DTYPES and dtype != "BF16"):
            raise ValueError(f"{path}: unsupported dtype {dtype!r} in the safetensors header")
        if not _naturals(shape) or len(shape) > 32:
            raise _invalid(path, f"{name!r} has the shape {shape!r}")
        if not (_naturals(offsets) and len(offsets) == 2 and offsets[0] <= offsets[1]):
            raise _invalid(path, f"{name!r} has the data_offsets {offsets!r}")
        nbytes = math.prod(shape) * _dtype(dtype).itemsize
        if offsets[1] - offsets[0] != nbytes:
            raise _invalid(path, f"{name!r} has {offsets[1] - offsets[0]} bytes for {nbytes}")
        entries.append((offsets[0], offsets[1], name, _dtype(dtype), tuple(shape), nbytes))
    entries.sort(key=lambda e: e[:2])
    end = 0
    for begin, stop, name, *_ in entries:
        if begin != end:
            raise _invalid(path, f"{name!r} does not start where the array before it ends")
        end = stop
    if end != data_size:
        raise _invalid(path, f"its arrays hold {end} bytes, the file {data_size} after the header")
    return metadata, [entry[2:] for entry in entries]


def _refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("a name appears twice")
    return out


def _naturals(values: Any) -> bool:
    return type(values) is list and all(type(v) is int and v >= 0 for v in values)


def _invalid(path: str, problem: str) -> ValueError:
    return ValueError(f"{path}: not a valid safetensors file ({problem})")
