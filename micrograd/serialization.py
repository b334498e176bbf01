"""Saving and loading a module's parameters (or any state dict) in the safetensors format.

safetensors (https://github.com/huggingface/safetensors) is a JSON header naming each array's
dtype, shape and byte range, followed by the raw bytes: reading one executes nothing, unlike a
pickle. Files are interchangeable with PyTorch's ``safetensors.torch`` wherever the parameter
names match (an ``nn.Sequential`` of ``Linear`` layers names them as PyTorch does).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np
import safetensors
import safetensors.numpy

from micrograd._files import write_atomically
from micrograd.nn.module import Module
from micrograd.tensors import Tensor

M = TypeVar("M", bound=Module)

_METADATA = {"format": "np", "library": "micrograd"}


def save(obj: Module | Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write a module's ``state_dict()``, or a state dict itself (``{name: Tensor or array}``,
    as ``torch.save(model.state_dict(), path)`` is written), to ``path`` as safetensors.

    The file is written to a temporary file in the same folder and renamed over ``path`` only
    once complete, so a failure (full disk, interruption) never leaves a half-written file and
    never damages an existing one (:mod:`micrograd._files`). Errors name ``path``.
    """
    if isinstance(obj, Module):
        state = obj.state_dict()  # fresh C-ordered copies, as safetensors needs
    elif isinstance(obj, Mapping):
        state = {}
        for name, value in obj.items():
            if not isinstance(name, str):
                raise TypeError(f"save: state dict keys must be strings, got {name!r}")
            array = value.data if isinstance(value, Tensor) else value
            array = np.array(array, order="C")  # a copy in C order; 0-d stays 0-d
            if array.dtype.kind not in "biuf":
                raise TypeError(f"save: {name!r} is not an array of numbers ({array.dtype})")
            state[name] = array
    else:
        raise TypeError(
            f"save expects a micrograd Module or a state dict, got {type(obj).__name__}"
        )
    payload = safetensors.numpy.save(state, metadata=_METADATA)
    write_atomically(path, payload)


def load(
    module: M | str | os.PathLike[str],
    path: str | os.PathLike[str] | None = None,
    strict: bool = True,
) -> M | dict[str, Tensor]:
    """``load(module, path)``: read the safetensors file at ``path`` into ``module``'s
    parameters and buffers; return ``module``. ``load(path)``: return the file's state dict
    as ``{name: Tensor}``, as ``torch.load`` does, for ``model.load_state_dict(load(path))``.

    A file that is not valid safetensors (garbage, truncated, a broken header) or that does
    not fit the module (missing or unexpected names, wrong shapes, non-numeric dtypes) raises
    ValueError naming the file and the problem, and leaves the module unchanged. ``strict``
    is passed to ``Module.load_state_dict``. Nothing in the file is ever executed.
    """
    if path is None and isinstance(module, (str, os.PathLike)):
        return {name: Tensor(array) for name, array in _read(module).items()}
    if not isinstance(module, Module):
        raise TypeError(f"load expects a micrograd Module, got {type(module).__name__}")
    if path is None:
        raise TypeError("load(module, path): the path is missing")
    path = os.fspath(path)
    state = _read(path)
    try:
        module.load_state_dict(state, strict=strict)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: {e}") from None
    return module


def _read(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    path = os.fspath(path)
    with open(path, "rb") as f:
        payload = f.read()
    try:
        return safetensors.numpy.load(payload)
    except safetensors.SafetensorError as e:
        raise ValueError(f"{path}: not a valid safetensors file ({e})") from None
    except KeyError as e:  # safetensors.numpy has no NumPy type for this dtype (e.g. BF16)
        raise ValueError(f"{path}: unsupported dtype {e} in the safetensors header") from None
