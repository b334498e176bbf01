"""``softmax`` and ``log_softmax``, the two activations PyTorch offers as ``Tensor`` methods
that normalize along a dim; each one node, with its rule below it.

Every forward keeps the input's floating dtype; integer input is refused, as PyTorch does
(``dtype=`` casts it first). The rows' max and sum go through ``_rows``
when the dim is the last (attention's scores, a classifier's logits): short rows, where
NumPy's own row loop costs more than the arithmetic (benchmarks/README.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.tensors._rows import as_rows, row_dot, row_max, row_sum
from micrograd.tensors._shapes import alias, normalize_dim
from micrograd.tensors.conversion import in_float32
from micrograd.tensors.core import RULE_TEXT, VJPS, Tensor, _result, method, ndarray
from micrograd.tensors.dtypes import as_dtype, is_bfloat16, is_float
from micrograd.tensors.errors import DTypeError
from micrograd.tensors.ops import _quiet


def _softmax_dim(dim: Any, axis: Any, ndim: int) -> int:
    """``dim`` (PyTorch's name) or ``axis`` (NumPy's alias) as a non-negative int; -1 if
    neither is given."""
    dim = alias(dim, axis, "dim", "axis", None)
    return normalize_dim(-1 if dim is None else dim, ndim)


def _in_dtype(x: ndarray, dtype: Any, name: str) -> ndarray:
    """``x`` cast to ``dtype`` first, as PyTorch's ``dtype=`` argument of softmax does; a
    DTypeError for integer data, which PyTorch refuses too."""
    if dtype is None:
        if not is_float(x.dtype):
            raise DTypeError(
                f"{name}() is not implemented for {x.dtype} tensors (nor in PyTorch): convert "
                "the input first with .float() or .double(), or pass dtype=micrograd.float64"
            )
        return x
    dtype = as_dtype(dtype)
    if not is_float(dtype):
        raise DTypeError(f"{name} dtype must be a floating dtype, got {dtype}")
    return x.astype(dtype, copy=False)


# Reductions along the softmax's dim, keeping it (size 1): row-wise through _rows when the dim
# is the last (attention's scores, a classifier's logits), NumPy's own reduction otherwise.


def _max_along(x: ndarray, d: int) -> ndarray:
    if d == x.ndim - 1:
        return row_max(as_rows(x)).reshape(*x.shape[:-1], 1)
    return np.maximum.reduce(x, axis=d, keepdims=True)


def _sum_along(x: ndarray, d: int) -> ndarray:
    if d == x.ndim - 1:
        return row_sum(as_rows(x)).reshape(*x.shape[:-1], 1)
    return np.add.reduce(x, axis=d, keepdims=True)


def _dot_along(a: ndarray, b: ndarray, d: int) -> ndarray:
    if d == a.ndim - 1:
        return row_dot(as_rows(a), as_rows(b)).reshape(*a.shape[:-1], 1)
    return np.add.reduce(a * b, axis=d, keepdims=True)


@method
def softmax(self, dim: int | None = None, dtype: Any = None, *, axis: int | None = None) -> Tensor:
    """exp(x) / exp(x).sum(dim), along ``dim`` (any, negative counts from the end; -1 if
    not given, where PyTorch requires it; ``axis`` is an alias). ``dtype`` casts the input
    first. Rows whose entries are all -inf (or hold +inf) give nan, as in PyTorch.

    Fused: computed as exp(x - max) * (1 / sum), so stable for any finite logits (±1000
    included), in one node where the composite (exp of log_softmax) takes two and an extra
    pass; its rule is ans * (g - sum(g * ans)).

    >>> Tensor([[0.0, 0.0], [0.0, 1000.0]]).softmax(dim=1).tolist()
    [[0.5, 0.5], [0.0, 1.0]]
    """
    if is_bfloat16(self._data.dtype) and dtype is None:  # in float32, rounded once (PyTorch's)
        return in_float32(Tensor.softmax, self._data.dtype, self, dim, axis=axis)
    x = _in_dtype(self._data, dtype, "softmax")
    d = _softmax_dim(dim, axis, x.ndim)
    if x.size == 0:
        return _result(x.copy(), "softmax", (self,), d, self.requires_grad)
    with _quiet():  # inf - inf in a row holding inf: nan, quietly as PyTorch
        e = x - _max_along(x, d)
        np.exp(e, out=e)
        e *= 1 / _sum_along(e, d)
    return _result(e, "softmax", (self,), d, self.requires_grad)


def _softmax_grad(g: ndarray, ans: ndarray, d: int) -> ndarray:
    grad = g - _dot_along(g, ans, d)  # ans = softmax(x): d/dx = ans * (g - sum(g * ans))
    grad *= ans
    return grad


VJPS["softmax"] = (_softmax_grad,)
RULE_TEXT["softmax"] = ("out * (grad - (grad * out).sum(d, keepdims=True))",)


@method
def log_softmax(
    self, dim: int | None = None, dtype: Any = None, *, axis: int | None = None
) -> Tensor:
    """log(softmax(x)) along ``dim`` (as softmax's), as x - max - log(sum(exp(x - max))).

    Fused: stable for any finite logits (±1000 included), and one node where the composite
    would need six.
    """
    if is_bfloat16(self._data.dtype) and dtype is None:  # in float32, rounded once (PyTorch's)
        return in_float32(Tensor.log_softmax, self._data.dtype, self, dim, axis=axis)
    x = _in_dtype(self._data, dtype, "log_softmax")
    d = _softmax_dim(dim, axis, x.ndim)
    if x.size == 0:
        return _result(x.copy(), "log_softmax", (self,), d, self.requires_grad)
    with _quiet():  # inf - inf in a row holding inf: nan, quietly as PyTorch
        shifted = x - _max_along(x, d)
        shifted -= np.log(_sum_along(np.exp(shifted), d))
    return _result(shifted, "log_softmax", (self,), d, self.requires_grad)


def _log_softmax_grad(g: ndarray, ans: ndarray, d: int) -> ndarray:
    p = np.exp(ans)  # softmax: d/dx = g - softmax * sum(g)
    p *= _sum_along(g, d)
    return np.subtract(g, p, out=p)


VJPS["log_softmax"] = (_log_softmax_grad,)
RULE_TEXT["log_softmax"] = ("grad - np.exp(out) * grad.sum(d, keepdims=True)",)
