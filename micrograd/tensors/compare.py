"""Elementwise comparisons and logic: bool tensors out, no gradients (as in PyTorch).

``t == 1`` and ``a < b`` compare entry by entry, with broadcasting, and give a bool tensor;
``& | ^ ~`` combine bool (or integer: bitwise) tensors. Since ``==`` no longer answers a
single True or False, a tensor hashes by identity (see ``Tensor.__hash__``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.tensors._shapes import normalize_dim
from micrograd.tensors.core import Tensor, _constant, _result, method
from micrograd.tensors.errors import DTypeError
from micrograd.tensors.ops import Operand, _int_range, _promoted, _refused, _wrapped


def _compare(self: Tensor, other: Any, ufunc: np.ufunc) -> Tensor:
    if isinstance(other, Tensor):
        a, b = self._data, other._data
        if a.dtype is not b.dtype:
            a, b = _promoted(a, b)
    else:
        a, b = self._data, _constant(other)
        if b is NotImplemented:
            return NotImplemented
        if type(b) is int and a.dtype.kind in "iu":
            low, high = _int_range(a.dtype)
            if not low <= b <= high:  # PyTorch casts it to the tensor's dtype first (wraps):
                b = _wrapped(b, a.dtype)  # uint8 t == 259 compares t with 3
    try:
        data = ufunc(a, b)
    except ValueError as error:
        data = _refused(ufunc, a, b, error, ufunc.__name__)
    return _result(data, "", (), None, False)


@method
def __eq__(self, other: Operand) -> Tensor:  # type: ignore[override]
    return _compare(self, other, np.equal)


@method
def __ne__(self, other: Operand) -> Tensor:  # type: ignore[override]
    return _compare(self, other, np.not_equal)


@method
def __lt__(self, other: Operand) -> Tensor:
    return _compare(self, other, np.less)


@method
def __le__(self, other: Operand) -> Tensor:
    return _compare(self, other, np.less_equal)


@method
def __gt__(self, other: Operand) -> Tensor:
    return _compare(self, other, np.greater)


@method
def __ge__(self, other: Operand) -> Tensor:
    return _compare(self, other, np.greater_equal)


# PyTorch's method names for the same comparisons
Tensor.eq, Tensor.ne = Tensor.__eq__, Tensor.__ne__  # type: ignore[attr-defined]
Tensor.lt, Tensor.le = Tensor.__lt__, Tensor.__le__  # type: ignore[attr-defined]
Tensor.gt, Tensor.ge = Tensor.__gt__, Tensor.__ge__  # type: ignore[attr-defined]


def _logical(self: Tensor, other: Any, ufunc: np.ufunc, symbol: str) -> Tensor:
    if isinstance(other, Tensor):
        b = other._data
    else:
        b = _constant(other)
        if b is NotImplemented:
            return NotImplemented
    a = self._data
    for x in (a, b):
        if np.asarray(x).dtype.kind not in "biu":
            raise DTypeError(
                f"{symbol} is only implemented on integer and bool tensors, got {np.result_type(x)}"
            )
    try:
        data = ufunc(a, b)
    except (OverflowError, ValueError) as error:
        data = _refused(ufunc, a, b, error, symbol)
    return _result(data, "", (), None, False)


@method
def __and__(self, other: Operand) -> Tensor:
    return _logical(self, other, np.bitwise_and, "&")


@method
def __or__(self, other: Operand) -> Tensor:
    return _logical(self, other, np.bitwise_or, "|")


@method
def __xor__(self, other: Operand) -> Tensor:
    return _logical(self, other, np.bitwise_xor, "^")


Tensor.__rand__ = Tensor.__and__  # type: ignore[attr-defined]
Tensor.__ror__ = Tensor.__or__  # type: ignore[attr-defined]
Tensor.__rxor__ = Tensor.__xor__  # type: ignore[attr-defined]


@method
def __invert__(self) -> Tensor:
    """``~mask``: logical not of a bool tensor (bitwise not of an integer one)."""
    if self._data.dtype.kind not in "biu":
        raise DTypeError(
            f"~ (operator.invert) is only implemented on integer and bool tensors, "
            f"got {self._data.dtype}"
        )
    return _result(np.invert(self._data), "", (), None, False)


@method
def logical_not(self) -> Tensor:
    """True where the entry is 0 (or False)."""
    return _result(np.logical_not(self._data), "", (), None, False)


@method("any")
def any_(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """True where any entry along ``dim`` (anywhere, if None) is nonzero."""
    return _truth(self, np.any, dim, keepdim)


@method("all")
def all_(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """True where every entry along ``dim`` (everywhere, if None) is nonzero."""
    return _truth(self, np.all, dim, keepdim)


def _truth(self: Tensor, reduce: Any, dim: Any, keepdim: bool) -> Tensor:
    x = self._data
    if dim is None:
        return _result(np.asarray(reduce(x)), "", (), None, False)
    axis = normalize_dim(dim, x.ndim) if x.ndim else None
    return _result(np.asarray(reduce(x, axis=axis, keepdims=keepdim)), "", (), None, False)


@method
def __contains__(self, element: Any) -> bool:
    """``element in t``: whether any entry equals it, as in PyTorch."""
    if isinstance(element, Tensor):
        element = element._data
    return bool(np.any(self._data == element))
