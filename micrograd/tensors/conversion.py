"""Changing a tensor's dtype (and its device, of which there is one): ``to``, ``float``,
``double``, ``half``, ``bfloat16``, ``long``, ``type``... with the cast's derivative rule
beside it.

A cast between floating-point dtypes is differentiable, as in PyTorch: the gradient is cast
back to the operand's dtype. A cast to or from an integer or boolean dtype gives a tensor
that does not require grad (there is no derivative through rounding).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from micrograd.tensors import dtypes
from micrograd.tensors.core import RULE_TEXT, VJPS, Tensor, _result, method
from micrograd.tensors.dtypes import (
    CPU,
    TYPE_NAMES,
    as_device,
    as_dtype,
    device,
    float32,
    is_float,
    type_name,
)


def _cast(self: Tensor, dtype: np.dtype, copy: bool = False) -> Tensor:
    """``self`` as ``dtype``: self itself if it already is (unless ``copy``)."""
    if dtype == self._data.dtype and not copy:
        return self
    data = self._data.astype(dtype)  # always a new array
    differentiable = is_float(dtype) and is_float(self._data.dtype)
    return _result(data, "to", (self,), self._data.dtype, self.requires_grad and differentiable)


VJPS["to"] = (lambda g, ans, dtype: g.astype(dtype),)  # ctx = the operand's dtype
RULE_TEXT["to"] = ("grad.astype(dtype)",)


def in_float32(op: Callable[..., Tensor], dtype: np.dtype, *operands: Any, **kwargs: Any) -> Tensor:
    """``op(*operands, **kwargs)`` in the 16-bit float ``dtype``, as PyTorch's CPU computes it:
    every floating-point tensor among the positional ``operands`` rounded to ``dtype`` and
    taken up to float32 (``kwargs`` are passed as they are), ``op`` computed in float32, its
    result rounded to ``dtype`` once. (NumPy would compute in bfloat16 itself: its sums would
    keep 8 bits, and it has no BLAS product for it.)

    How autocast runs its lower-precision ops, and how an op that reduces runs on bfloat16
    tensors. Each cast is a node, so the gradient flows back through the same roundings and
    reaches every operand in that operand's dtype.
    """

    def rounded_up(x: Any) -> Any:
        if not isinstance(x, Tensor) or not is_float(x._data.dtype):
            return x
        return _cast(_cast(x, dtype), float32)

    return _cast(op(*(rounded_up(x) for x in operands), **kwargs), dtype)


@method
def to(self, *args: Any, **kwargs: Any) -> Tensor:
    """PyTorch's ``to``: ``t.to(dtype)``, ``t.to(device)``, ``t.to(device, dtype)``,
    ``t.to(other)`` (other's dtype), with keywords ``dtype=``, ``device=``, ``copy=`` and
    ``non_blocking=`` (ignored). Returns ``self`` when nothing changes and ``copy`` is false.

    >>> t = Tensor([1.5, 2.5])
    >>> t.to("cpu") is t, t.to(int).tolist(), t.to(np.float32).dtype
    (True, [1, 2], dtype('float32'))
    """
    unknown = set(kwargs) - {"dtype", "device", "copy", "non_blocking", "memory_format"}
    if unknown:
        raise TypeError(f"to() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    dtype, place = kwargs.get("dtype"), kwargs.get("device")
    positional = list(args)
    if positional and isinstance(positional[0], Tensor):
        if len(positional) > 1 or dtype is not None:
            raise TypeError("to(other): give only the other tensor (and copy=)")
        dtype = positional.pop(0)._data.dtype
    if positional and (isinstance(positional[0], (str, device)) or positional[0] is None):
        place = positional.pop(0)  # a device comes first, as in to(device, dtype)
    if positional and not isinstance(positional[0], bool):
        if dtype is not None:
            raise TypeError("to(): dtype given twice")
        dtype = positional.pop(0)
    if len(positional) > 2 or not all(isinstance(a, bool) for a in positional):
        raise TypeError(
            f"to() takes a dtype, a device, both, or another tensor, got "
            f"{', '.join(repr(a) for a in args)}"
        )
    copy = bool(kwargs.get("copy", positional[1] if len(positional) == 2 else False))
    as_device(place)
    return _cast(self, self._data.dtype if dtype is None else as_dtype(dtype), copy)


@method("float")
def to_float(self) -> Tensor:
    """``self.to(float32)``, as PyTorch's ``Tensor.float()``."""
    return _cast(self, np.dtype(np.float32))


@method
def double(self) -> Tensor:
    """``self.to(float64)``."""
    return _cast(self, np.dtype(np.float64))


@method
def half(self) -> Tensor:
    """``self.to(float16)``."""
    return _cast(self, np.dtype(np.float16))


@method
def bfloat16(self) -> Tensor:
    """``self.to(bfloat16)``: float32's range with 8 bits of precision (ml_dtypes' bfloat16).
    NumPy computes on it slowly, element by element: convert back with ``float()`` to compute
    fast."""
    return _cast(self, dtypes.bfloat16)  # ml_dtypes is imported here, on first use


@method
def long(self) -> Tensor:
    """``self.to(int64)``: floats are truncated toward zero."""
    return _cast(self, np.dtype(np.int64))


@method("int")
def to_int(self) -> Tensor:
    """``self.to(int32)``, as PyTorch's ``Tensor.int()``."""
    return _cast(self, np.dtype(np.int32))


@method
def short(self) -> Tensor:
    """``self.to(int16)``."""
    return _cast(self, np.dtype(np.int16))


@method
def byte(self) -> Tensor:
    """``self.to(uint8)``."""
    return _cast(self, np.dtype(np.uint8))


@method("bool")
def to_bool(self) -> Tensor:
    """``self.to(bool)``: nonzero becomes True."""
    return _cast(self, np.dtype(np.bool_))


@method("type")
def to_type(self, dtype: Any = None) -> Tensor | str:
    """Without an argument, PyTorch's type name (``'torch.FloatTensor'`` for float32); with a
    dtype or such a name, ``self.to(dtype)``.

    >>> Tensor([1.0]).type(), Tensor([1.0]).type("torch.LongTensor").dtype
    ('torch.FloatTensor', dtype('int64'))
    """
    if dtype is None:
        return "torch." + type_name(self._data.dtype)
    if isinstance(dtype, str) and dtype.startswith("torch."):
        by_name = {f"torch.{name}": d for d, name in TYPE_NAMES.items()}
        if dtype == "torch.BFloat16Tensor":
            by_name[dtype] = dtypes.bfloat16
        if dtype not in by_name:
            raise TypeError(f"type(): unknown tensor type {dtype!r}")
        dtype = by_name[dtype]
    return _cast(self, as_dtype(dtype))


@method
def type_as(self, other: Tensor) -> Tensor:
    """``self.to(other.dtype)``."""
    if not isinstance(other, Tensor):
        raise TypeError(f"type_as() needs a tensor, got {type(other).__name__}")
    return _cast(self, other._data.dtype)


@method
def is_floating_point(self) -> bool:
    """True for float16, bfloat16, float32 and float64 tensors."""
    return is_float(self._data.dtype)


@method
def element_size(self) -> int:
    """Bytes per element (8 for float64)."""
    return self._data.dtype.itemsize


@method
def cpu(self) -> Tensor:
    """``self``: every micrograd tensor is on the CPU."""
    return self


@method
def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
    """Always raises: micrograd has no GPU. The error says what to use instead."""
    raise RuntimeError("micrograd runs on the CPU only: device='cuda' is not available; use 'cpu'")


@method
def pin_memory(self, device: Any = None) -> Tensor:
    """Always raises, as PyTorch without a GPU: pinned memory is for fast copies to a GPU.
    (nanoGPT calls it only when its device is 'cuda'.)"""
    raise RuntimeError(
        "Cannot access accelerator device when none is available: pin_memory() prepares "
        "copies to a GPU, and micrograd runs on the CPU only; use the tensor as it is"
    )


@method
def is_pinned(self, device: Any = None) -> bool:
    """False: no tensor is in pinned memory (there is no GPU to copy to)."""
    return False


def _device(self: Tensor) -> device:
    return CPU


Tensor.device = property(_device, doc="Always ``device(type='cpu')``.")  # type: ignore[attr-defined]
Tensor.is_cuda = False  # type: ignore[attr-defined]
Tensor.is_cpu = True  # type: ignore[attr-defined]
