"""Powers: ``t ** n`` for a number n, ``t ** u`` for a tensor u, ``n ** t`` and ``pow``,
each op's forward, then its rule.

A number exponent of a float tensor is taken by multiplication where it can be
(``_scalar_power``), since NumPy's pow takes its general path for all but a few exponents.
Dtypes follow ``ops``: an integer tensor stays integer (with a float number, the default
dtype), and mixed dtypes give PyTorch's.
Powers that give inf or nan (``0 ** -1``, ``(-1) ** 0.5``) give them quietly, as PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
from micrograd.tensors.ops import Operand, _meeting, _promoted, _quiet, _refused


@method
def __pow__(self, exponent: Operand) -> Tensor:
    """``self ** exponent`` for a number or a tensor exponent (integers stay integers; a
    negative integer power of an integer tensor is an error, as in PyTorch)."""
    if isinstance(exponent, Tensor):
        a, b = self._data, exponent._data
        if a.dtype is not b.dtype:
            a, b = _promoted(a, b)
        requires_grad = self.requires_grad or exponent.requires_grad
        return _result(_power(a, b), "pow", (self, exponent), (a, b), requires_grad)
    if isinstance(exponent, np.generic):
        exponent = exponent.item()
    if not isinstance(exponent, (int, float)):
        raise TypeError(
            "Tensor ** exponent: the exponent must be a number or a Tensor, "
            f"got {type(exponent).__name__}"
        )
    a = _meeting(self._data, exponent)
    return _result(_scalar_power(a, exponent), "**", (self,), (a, exponent), self.requires_grad)


def _power(a: ndarray, b: Any) -> ndarray:
    """``a ** b``, inf and nan quietly; PyTorch's errors for what it refuses."""
    try:
        with _quiet():
            return a**b
    except OverflowError as error:  # a number past the range of an integer tensor's dtype
        if isinstance(a, ndarray):  # t ** n: PyTorch refuses such an n
            raise RuntimeError(
                f"value {b} cannot be converted to type {a.dtype} without overflow"
            ) from None
        return _refused(np.power, a, b, error, "**")  # n ** t: PyTorch wraps n
    except ValueError as error:
        if "negative integer powers" in str(error):  # PyTorch's words too
            raise RuntimeError(str(error)) from None
        return _refused(np.power, a, b, error, "**")  # shapes that do not broadcast


# Integer exponents of float arrays up to this size are taken by multiplication (within about
# 4 ulps of pow: each squaring doubles the relative error).
_MAX_PRODUCT_EXPONENT = 8


def _scalar_power(a: ndarray, n: int | float) -> ndarray:
    """``a ** n`` for a number ``n``. For float arrays and integer exponents (``x ** 3``,
    ``torch.pow(x, 3.0)`` in GELU's tanh form), by multiplication: NumPy's pow takes the
    general path for every exponent but 0, ±1, 2 and 0.5, some hundred times slower than a
    product (benchmarks/README.md). 3 and -2 are computed as PyTorch does, ``(x * x) * x``
    and ``1 / (x * x)``, so they round alike; other integers by repeated squaring, a few
    roundings, where PyTorch calls pow. -0.5 is 1 / sqrt(x), PyTorch's rsqrt."""
    if n in (0, 1, 2):  # NumPy's own fast cases, which cannot divide or take a root: no _quiet
        return a**n
    if a.dtype.kind != "f" or a.ndim == 0 or n in (-1, 0.5):
        return _power(a, n)
    if n == -0.5:
        with _quiet():  # 1 / sqrt(0) is inf, sqrt(-1) nan
            out = np.sqrt(a)
            return np.divide(1, out, out=out)
    if not (type(n) is int or (type(n) is float and n.is_integer())):
        return _power(a, n)
    k = int(n)
    if k == 3:
        out = a * a
        out *= a  # (a * a) * a, in one fresh array
        return out
    if abs(k) > _MAX_PRODUCT_EXPONENT:
        return _power(a, n)
    out = a * a if k == -2 else _product_power(a, abs(k))
    if k < 0:
        with _quiet():  # 1 / 0 is inf, as 0 ** -k
            np.divide(1, out, out=out)
    return out


def _product_power(a: ndarray, k: int) -> ndarray:
    """a ** k for an integer k >= 1 by squaring: a ** 5 = (a ** 2) ** 2 * a."""
    result = None
    square = a
    while True:
        if k & 1:
            result = square.copy() if result is None else np.multiply(result, square, out=result)
        k >>= 1
        if not k:
            return result
        square = square * square


def _pow_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, n = ctx  # ans = a ** n, n a number
    if n == 0:
        return np.zeros_like(g)
    grad = _scalar_power(a, n - 1)  # a fresh array: g * (n * a ** (n - 1)) formed in it
    grad *= n
    if n < 1:  # a ** (n - 1) is inf where a is 0, and inf times a zero g PyTorch's nan
        with _quiet():
            grad *= g
    else:
        grad *= g
    return grad


VJPS["**"] = (_pow_grad,)
RULE_TEXT["**"] = ("np.zeros_like(grad) if zero_exponent else grad * n * a ** (n - 1)",)


def _pow_grad_base(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, b = ctx  # ans = a ** b, both tensors; as PyTorch, 0 where b == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b == 0, 0.0, g * (b * a ** (b - 1)))


def _pow_grad_exponent(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, b = ctx  # d(a**b)/db = a**b log(a); PyTorch takes it as 0 where a == 0 and b >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((a == 0) & (b >= 0), 0.0, g * (ans * np.log(a)))


VJPS["pow"] = (_pow_grad_base, _pow_grad_exponent)
RULE_TEXT["pow"] = (
    "np.where(b == 0, 0.0, grad * (b * a ** (b - 1)))",
    "np.where((a == 0) & (b >= 0), 0.0, grad * (out * np.log(a)))",
)


@method
def __rpow__(self, base: Scalar) -> Tensor:
    """``base ** self`` for a number ``base`` (``2 ** t``)."""
    base = _constant(base)
    if base is NotImplemented or isinstance(base, ndarray):
        return NotImplemented
    exponent = _meeting(self._data, base)
    return _result(_power(base, exponent), "rpow", (self,), base, self.requires_grad)


def _rpow_grad(g: ndarray, ans: ndarray, base: Scalar) -> ndarray:
    if base == 0:  # d(0**x)/dx: 0 where x >= 0, as PyTorch takes it
        return np.zeros_like(g) if g.dtype.kind == "f" else np.zeros(g.shape)
    with _quiet():  # log of a negative base: nan, as PyTorch
        return g * (ans * np.log(base))


VJPS["rpow"] = (_rpow_grad,)
RULE_TEXT["rpow"] = ("np.zeros_like(grad) if zero_base else grad * (out * np.log(base))",)


@method
def pow(self, exponent: Operand) -> Tensor:
    """``self ** exponent`` (also ``micrograd.pow(base, exponent)`` with a number base)."""
    return self**exponent
