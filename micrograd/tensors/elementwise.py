"""Elementwise functions: each op's forward, then its rule.

exp, log, sqrt, tanh and sigmoid give floats for integer input, as in PyTorch; abs, relu and
clamp keep the input's dtype. Derivatives at the edges (0, NaN) follow PyTorch's choices, and
so do the values past them: ``exp(1000)`` is inf, ``log(0)`` -inf, ``sqrt(-1)`` nan, without
NumPy's warnings (``ops._quiet``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from micrograd.tensors.conversion import in_float32
from micrograd.tensors.core import (
    RULE_TEXT,
    VJPS,
    Scalar,
    Tensor,
    _constant,
    _result,
    method,
    ndarray,
)
from micrograd.tensors.dtypes import is_bfloat16
from micrograd.tensors.errors import broadcast_error
from micrograd.tensors.ops import Operand, _float, _promoted, _quiet, _refused, _wrap


@method
def exp(self) -> Tensor:
    """Elementwise e**x (inf past the dtype's largest number)."""
    with _quiet():
        data = np.exp(_float(self._data))
    return _result(data, "exp", (self,), None, self.requires_grad)


VJPS["exp"] = (lambda g, ans, ctx: g * ans,)
RULE_TEXT["exp"] = ("grad * out",)


@method
def log(self) -> Tensor:
    """Elementwise natural logarithm: -inf at 0 and nan below, as PyTorch's."""
    x = _float(self._data)
    with _quiet():
        data = np.log(x)
    return _result(data, "log", (self,), x, self.requires_grad)


def _log_grad(g: ndarray, ans: ndarray, a: ndarray) -> ndarray:
    with _quiet():  # inf at 0, as PyTorch's
        return g / a


VJPS["log"] = (_log_grad,)
RULE_TEXT["log"] = ("grad / a",)


@method
def log10(self) -> Tensor:
    """Elementwise base-10 logarithm (the lectures plot ``loss.log10()``)."""
    x = _float(self._data)
    with _quiet():
        data = np.log10(x)
    return _result(data, "log10", (self,), x, self.requires_grad)


def _log10_grad(g: ndarray, ans: ndarray, a: ndarray) -> ndarray:
    with _quiet():
        return g / (a * math.log(10))  # a Python float: keeps float32


VJPS["log10"] = (_log10_grad,)
RULE_TEXT["log10"] = ("grad / (a * math.log(10))",)


@method
def sqrt(self) -> Tensor:
    """Elementwise square root. A primitive rather than ``x ** 0.5``: NumPy's sqrt rounds
    as PyTorch's, and its rule reuses the output. nan below 0, as PyTorch's."""
    with _quiet():
        data = np.sqrt(_float(self._data))
    return _result(data, "sqrt", (self,), None, self.requires_grad)


def _sqrt_grad(g: ndarray, ans: ndarray, ctx: None) -> ndarray:
    with _quiet():  # inf at 0, as PyTorch's
        return g / (2 * ans)


VJPS["sqrt"] = (_sqrt_grad,)
RULE_TEXT["sqrt"] = ("grad / (2 * out)",)


@method("abs")
def abs_(self) -> Tensor:
    """Elementwise |x|; its derivative is sign(x), taken as 0 at 0 and at NaN (PyTorch's)."""
    return _result(np.abs(self._data), "abs", (self,), self._data, self.requires_grad)


def _abs_grad(g: ndarray, ans: ndarray, a: ndarray) -> ndarray:
    sign = np.sign(a)
    return g * np.where(np.isnan(sign), 0, sign)


VJPS["abs"] = (_abs_grad,)
RULE_TEXT["abs"] = ("grad * np.sign(a)",)
Tensor.__abs__ = Tensor.abs  # type: ignore[attr-defined]


@method
def tanh(self) -> Tensor:
    """Elementwise hyperbolic tangent."""
    return _result(np.tanh(_float(self._data)), "tanh", (self,), None, self.requires_grad)


def _tanh_grad(g: ndarray, ans: ndarray, ctx: None) -> ndarray:
    """g * (1 - ans^2), as PyTorch's tanh_backward rounds it, formed in one fresh array."""
    grad = np.multiply(ans, ans, out=np.empty_like(ans))  # an array, also for 0-d
    np.subtract(1, grad, out=grad)
    grad *= g
    return grad


VJPS["tanh"] = (_tanh_grad,)
RULE_TEXT["tanh"] = ("grad * (1 - out**2)",)


@method
def relu(self) -> Tensor:
    """Elementwise max(x, 0). Its derivative is 0 at 0 and 1 at NaN, as PyTorch's (which
    lets the gradient through wherever the output is not <= 0)."""
    return _result(np.maximum(self._data, 0), "relu", (self,), None, self.requires_grad)


def _relu_grad(g: ndarray, ans: ndarray, ctx: None) -> ndarray:
    # ans is never negative, so "not ans <= 0" is "ans != 0", true for NaN as in PyTorch. The
    # mask is made a float array first: faster than letting the product cast the booleans.
    grad = (ans != 0).astype(g.dtype)
    grad *= g
    return grad


VJPS["relu"] = (_relu_grad,)
RULE_TEXT["relu"] = ("grad * (out > 0)",)


@method
def sigmoid(self) -> Tensor:
    """Elementwise 1 / (1 + e**-x).

    A primitive rather than a composite: one node instead of four, and the forward pass
    below never exponentiates a positive number, so it cannot overflow.
    """
    x = _float(self._data)
    if is_bfloat16(x.dtype):  # computed in float32 and rounded once, as PyTorch's CPU does
        return in_float32(Tensor.sigmoid, x.dtype, self)
    e = np.exp(-np.abs(x))  # in (0, 1]
    r = 1 / (1 + e)
    return _result(np.where(x >= 0, r, e * r), "sigmoid", (self,), None, self.requires_grad)


VJPS["sigmoid"] = (lambda g, ans, ctx: g * (ans * (1 - ans)),)
RULE_TEXT["sigmoid"] = ("grad * (out * (1 - out))",)


@method
def clamp(self, min: Operand | None = None, max: Operand | None = None) -> Tensor:  # noqa: A002
    """Elementwise ``min(max(x, min), max)``, PyTorch's names: either bound may be None, a
    number or a tensor (broadcast). Gradient: to x where min <= x <= max (so 0 at NaN), to
    a tensor bound where it was the one taken."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_by_tensors(self, min, max)
    lo, hi = (None if b is None else _bound(b) for b in (min, max))
    data = np.clip(self._data, lo, hi)
    if is_bfloat16(self._data.dtype):  # np.clip gives float32 for bfloat16 and a number
        data = data.astype(self._data.dtype)
    return _result(data, "clamp", (self,), (self._data, lo, hi), self.requires_grad)


def _bound(b: Any) -> Scalar:
    b = _constant(b)
    if b is NotImplemented or isinstance(b, ndarray):
        raise TypeError(f"clamp: a bound must be a number, a Tensor or None, got {b!r}")
    return b


def _clamp_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, lo, hi = ctx  # ans = clip(a, lo, hi)
    inside = np.ones(a.shape, bool) if lo is None else a >= lo
    if hi is not None:
        inside &= a <= hi
    return g * inside


VJPS["clamp"] = (_clamp_grad,)
RULE_TEXT["clamp"] = (
    "grad * (a <= hi) if no_min"
    " else grad * (a >= lo) if no_max"
    " else grad * ((a >= lo) & (a <= hi))",
)
Tensor.clip = Tensor.clamp  # type: ignore[attr-defined]


def _clamp_by_tensors(self: Tensor, lo: Any, hi: Any) -> Tensor:
    """clamp with tensor bounds: the bounds are operands (they may require grad)."""
    lo_t, hi_t = (
        None if b is None else b if isinstance(b, Tensor) else _wrap(_bound(b)) for b in (lo, hi)
    )
    bounds = [b for b in (lo_t, hi_t) if b is not None]
    lo_a = None if lo_t is None else lo_t._data
    hi_a = None if hi_t is None else hi_t._data
    try:
        data = np.clip(self._data, lo_a, hi_a)
    except ValueError:
        shapes = [np.shape(x) for x in (self._data, lo_a, hi_a) if x is not None]
        raise broadcast_error("clamp", *shapes) from None
    requires_grad = self.requires_grad or any(b.requires_grad for b in bounds)
    prev = (self, *bounds)
    op = "clamp_lo_hi" if len(bounds) == 2 else "clamp_lo" if lo_t is not None else "clamp_hi"
    return _result(data, op, prev, (self._data, lo_a, hi_a), requires_grad)


def _clamp_lo_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, lo, hi = ctx  # lo is taken where a < lo (and lo < hi, else hi is)
    taken = a < lo if hi is None else (a < lo) & (lo < hi)
    return g * taken


def _clamp_hi_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, lo, hi = ctx  # hi is taken where a > hi, and everywhere if hi < lo
    taken = a > hi if lo is None else (a > hi) | (hi < lo)
    return g * taken


VJPS["clamp_lo_hi"] = (_clamp_grad, _clamp_lo_grad, _clamp_hi_grad)
VJPS["clamp_lo"] = (_clamp_grad, _clamp_lo_grad)
VJPS["clamp_hi"] = (_clamp_grad, _clamp_hi_grad)
RULE_TEXT["clamp_lo_hi"] = (
    "grad * ((a >= b) & (a <= c))",
    "grad * ((a < b) & (b < c))",
    "grad * ((a > c) | (c < b))",
)
RULE_TEXT["clamp_lo"] = ("grad * (a >= b)", "grad * (a < b)")
RULE_TEXT["clamp_hi"] = ("grad * (a <= b)", "grad * (a > b)")


@method
def maximum(self, other: Tensor) -> Tensor:
    """Elementwise larger of two tensors (broadcast); at ties each gets half the gradient."""
    return _extremum(self, other, np.maximum, "maximum")


@method
def minimum(self, other: Tensor) -> Tensor:
    """Elementwise smaller of two tensors (broadcast); at ties each gets half the gradient."""
    return _extremum(self, other, np.minimum, "minimum")


def _extremum(self: Tensor, other: Any, ufunc: np.ufunc, op: str) -> Tensor:
    if not isinstance(other, Tensor):
        raise TypeError(f"{op}(): other must be a Tensor, got {type(other).__name__}")
    a, b = self._data, other._data
    if a.dtype is not b.dtype:
        a, b = _promoted(a, b)
    requires_grad = self.requires_grad or other.requires_grad
    try:
        data = ufunc(a, b)
    except ValueError as error:
        data = _refused(ufunc, a, b, error, op)
    return _result(data, op, (self, other), (a, b), requires_grad)


def _share(g: ndarray, mine: ndarray, ties: ndarray) -> ndarray:
    """g where this operand was taken, g/2 where both were equal, else 0."""
    return np.where(ties, g * 0.5, g * mine)


VJPS["maximum"] = (
    lambda g, ans, ctx: _share(g, ctx[0] > ctx[1], ctx[0] == ctx[1]),
    lambda g, ans, ctx: _share(g, ctx[1] > ctx[0], ctx[0] == ctx[1]),
)
VJPS["minimum"] = (
    lambda g, ans, ctx: _share(g, ctx[0] < ctx[1], ctx[0] == ctx[1]),
    lambda g, ans, ctx: _share(g, ctx[1] < ctx[0], ctx[0] == ctx[1]),
)
RULE_TEXT["maximum"] = (
    "np.where(a == b, grad * 0.5, grad * (a > b))",
    "np.where(a == b, grad * 0.5, grad * (b > a))",
)
RULE_TEXT["minimum"] = (
    "np.where(a == b, grad * 0.5, grad * (a < b))",
    "np.where(a == b, grad * 0.5, grad * (b < a))",
)
