"""Saving and loading a module's parameters in the safetensors format.

safetensors (https://github.com/huggingface/safetensors) is a JSON header naming each array's
dtype, shape and byte range, followed by the raw bytes: reading one executes nothing, unlike a
pickle. Files are interchangeable with PyTorch's ``safetensors.torch`` wherever the parameter
names match (an ``nn.Sequential`` of ``Linear`` layers names them as PyTorch does).
"""

from __future__ import annotations

import os
from typing import TypeVar

import safetensors
import safetensors.numpy

from micrograd._files import write_atomically
from micrograd.nn.module import Module

M = TypeVar("M", bound=Module)

_METADATA = {"format": "np", "library": "micrograd"}


def save(module: Module, path: str | os.PathLike[str]) -> None:
    """Write ``module.state_dict()`` to ``path`` as a safetensors file.

    The file is written to a temporary file in the same folder and renamed over ``path`` only
    once complete, so a failure (full disk, interruption) never leaves a half-written file and
    never damages an existing one (:mod:`micrograd._files`). Errors name ``path``.
    """
    if not isinstance(module, Module):
        raise TypeError(f"save expects a micrograd Module, got {type(module).__name__}")
    # state_dict() gives fresh C-ordered copies, as safetensors needs (0-d arrays included).
    payload = safetensors.numpy.save(module.state_dict(), metadata=_METADATA)
    write_atomically(path, payload)


def load(module: M, path: str | os.PathLike[str], strict: bool = True) -> M:
    """Read the safetensors file at ``path`` into ``module``'s parameters; return ``module``.

    A file that is not valid safetensors (garbage, truncated, a broken header) or that does
    not fit the module (missing or unexpected names, wrong shapes, non-numeric dtypes) raises
    ValueError naming the file and the problem, and leaves the module unchanged. ``strict``
    is passed to ``Module.load_state_dict``.
    """
    if not isinstance(module, Module):
        raise TypeError(f"load expects a micrograd Module, got {type(module).__name__}")
    path = os.fspath(path)
    with open(path, "rb") as f:
        payload = f.read()
    try:
        state = safetensors.numpy.load(payload)
    except safetensors.SafetensorError as e:
        raise ValueError(f"{path}: not a valid safetensors file ({e})") from None
    except KeyError as e:  # safetensors.numpy has no NumPy type for this dtype (e.g. BF16)
        raise ValueError(f"{path}: unsupported dtype {e} in the safetensors header") from None
    try:
        module.load_state_dict(state, strict=strict)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: {e}") from None
    return module
