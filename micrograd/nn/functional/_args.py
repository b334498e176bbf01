"""Argument checks that ``nn.functional``'s layers and losses share, and the random draws
that dropout and attention's dropout share."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from micrograd.tensors import Tensor, dtypes
from micrograd.tensors.conversion import in_float32
from micrograd.tensors.dtypes import float16, float32, is_bfloat16, is_float
from micrograd.tensors.errors import DTypeError
from micrograd.tensors.generator import numpy_generator
from micrograd.tensors.grad_mode import _autocast


def tensor_arg(x: Any, name: str) -> Tensor:
    """``x`` itself if it is a Tensor; a TypeError naming the argument otherwise."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(x).__name__}")
    return x


def float_arg(x: Any, name: str) -> Tensor:
    """``x`` itself if it is a floating-point Tensor; a TypeError naming the argument if it
    is no Tensor, a DTypeError naming its dtype if it holds integers or bools (the network
    ops PyTorch implements for floats only: activations, normalizations, losses)."""
    tensor_arg(x, name)
    if x._data.dtype.kind != "f" and not is_float(x._data.dtype):  # is_float: bfloat16
        raise DTypeError(
            f"{name} must be a floating-point tensor, got {x._data.dtype} (PyTorch refuses it "
            "too): convert it first with .float() or .double()"
        )
    return x


def needs_float32(x: Tensor) -> bool:
    """Whether a loss must first take ``x`` up to float32: bfloat16 always (NumPy would sum it
    in bfloat16, keeping 8 bits), float16 under autocast (PyTorch's CPU autocast runs the
    losses in float32)."""
    dtype = x._data.dtype
    # kind "V" is bfloat16's (dtypes.is_bfloat16, read inline: cross_entropy's path stays short)
    return dtype.kind == "V" or (_autocast.enabled and dtype == float16)


def float32_loss(loss: Callable[..., Tensor], *args: Any, **kwargs: Any) -> Tensor:
    """``loss(*args, **kwargs)`` with its 16-bit float tensors taken up to float32. Under
    autocast the loss stays float32 (PyTorch's CPU autocast list of float32 ops); outside it
    the result is rounded back to bfloat16 (``in_float32``: PyTorch's CPU computes a bfloat16
    loss in float32 and rounds). Each cast is a node, so gradients flow back through it."""
    if _autocast.enabled:
        return loss(*(_up(x) for x in args), **kwargs)
    return in_float32(loss, dtypes.bfloat16, *args, **kwargs)


def _up(x: Any) -> Any:
    if isinstance(x, Tensor) and (x._data.dtype == float16 or is_bfloat16(x._data.dtype)):
        return x.to(float32)
    return x


def index_array(x: Any, name: str) -> np.ndarray:
    """Integer indices (a Tensor, array or nested list of ints) as an ndarray; a TypeError
    naming the dtype for anything else (floats, booleans, strings)."""
    array = x._data if isinstance(x, Tensor) else np.asarray(x)
    if array.dtype.kind not in "iu":
        raise DTypeError(f"{name} must hold integer indices, got dtype {array.dtype}")
    return array


def check_reduction(reduction: str, size_average: Any, reduce: Any) -> str:
    """PyTorch's reduction, from the legacy size_average/reduce pair if either is given."""
    if size_average is not None or reduce is not None:
        warnings.warn(
            "size_average and reduce args will be deprecated, please use reduction instead.",
            stacklevel=3,
        )
        if reduce is False:
            return "none"
        return "sum" if size_average is False else "mean"
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"{reduction!r} is not a valid value for reduction: use 'mean', 'sum' or 'none'"
        )
    return reduction


def _uniform(shape: tuple[int, ...]) -> np.ndarray:
    """Uniform draws in [0, 1) for dropout's masks, from micrograd's default generator (so
    ``manual_seed`` makes them repeat); float32, as only their comparison with p is used."""
    return numpy_generator(None).random(shape, dtype=np.float32)
