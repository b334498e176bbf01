"""Arithmetic and matmul: each op's forward, then its rule.

A number (or NumPy scalar, or ndarray) operand is a constant: it is not a parent. Dtypes
follow PyTorch: integer tensors stay integer under ``+ - * // %``, true division and the
float functions (``exp``, ``sqrt``, ...) give floats, and mixing dtypes gives the dtype
PyTorch would (``_promoted``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.tensors.core import INTO, VJPS, Scalar, Tensor, _constant, _result, method, ndarray

Operand = Tensor | Scalar | ndarray

# bool < integer < float: in a mixed operation the higher kind decides the result's dtype
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}
FLOAT = np.dtype(np.float64)  # what integer data becomes in true division and exp, log, ...


def _promoted(a: ndarray, b: ndarray) -> tuple[ndarray, ndarray]:
    """``a`` and ``b`` (two tensors' data of different dtypes) cast to the dtype PyTorch gives
    their result. NumPy differs in two ways: it widens float32 with an int64 array to float64
    (PyTorch: float32, the float operand's), and it lets a 0-d operand widen an array of the
    same kind (PyTorch: float32 array * float64 0-d tensor is float32)."""
    rank_a, rank_b = _KIND_RANK[a.dtype.kind], _KIND_RANK[b.dtype.kind]
    if rank_a != rank_b:
        dtype = a.dtype if rank_a > rank_b else b.dtype
    elif (a.ndim == 0) != (b.ndim == 0):
        dtype = b.dtype if a.ndim == 0 else a.dtype
    else:
        dtype = np.promote_types(a.dtype, b.dtype)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


def _float(x: ndarray) -> ndarray:
    """``x`` as floats: integer and bool data become FLOAT, as PyTorch's float functions do."""
    return x if x.dtype.kind == "f" else x.astype(FLOAT)


def _wrap(x: Any) -> Tensor | Any:
    """A constant operand as a Tensor that needs no grad (NotImplemented passes through)."""
    x = _constant(x)
    return x if x is NotImplemented else _result(x, "", (), None, False)


# --------------------------------------------------------------------- primitives


@method
def __add__(self, other: Operand) -> Tensor:
    if isinstance(other, Tensor):
        a, b = self.data, other.data
        if a.dtype is not b.dtype:
            a, b = _promoted(a, b)
        return _result(a + b, "+", (self, other), None, self.requires_grad or other.requires_grad)
    other = _constant(other)
    if other is NotImplemented:
        return NotImplemented
    return _result(self.data + other, "+", (self,), None, self.requires_grad)


VJPS["+"] = (lambda g, ans, ctx: g, lambda g, ans, ctx: g)  # ans = a + b


@method
def __mul__(self, other: Operand) -> Tensor:
    if isinstance(other, Tensor):
        a, b = self.data, other.data
        if a.dtype is not b.dtype:
            a, b = _promoted(a, b)
        return _result(a * b, "*", (self, other), (a, b), self.requires_grad or other.requires_grad)
    other = _constant(other)
    if other is NotImplemented:
        return NotImplemented
    return _result(self.data * other, "*", (self,), (self.data, other), self.requires_grad)


VJPS["*"] = (  # ans = a * b, ctx = (a, b)
    lambda g, ans, ctx: g * ctx[1],
    lambda g, ans, ctx: g * ctx[0],
)
INTO["*"] = (  # the same products, formed in g (see autograd)
    lambda g, ans, ctx: np.multiply(g, ctx[1], out=g),
    lambda g, ans, ctx: np.multiply(g, ctx[0], out=g),
)


@method
def __truediv__(self, other: Operand) -> Tensor:
    """True division: integer tensors divide into floats, as in PyTorch (``[1, 2] / 2`` is
    ``[0.5, 1.0]``). A primitive rather than ``a * b**-1``: one node instead of two, and
    the quotient rounds exactly as PyTorch's."""
    if isinstance(other, Tensor):
        a, b = self.data, other.data
        if a.dtype is not b.dtype:
            a, b = _promoted(a, b)
        a, b = _float(a), _float(b)
        return _result(a / b, "/", (self, other), (a, b), self.requires_grad or other.requires_grad)
    other = _constant(other)
    if other is NotImplemented:
        return NotImplemented
    if not isinstance(other, ndarray) and other == 0:
        raise ZeroDivisionError("Tensor division by the number 0")
    a = _float(self.data)
    return _result(a / other, "/", (self,), (a, other), self.requires_grad)


VJPS["/"] = (  # ans = a / b, ctx = (a, b)
    lambda g, ans, ctx: g / ctx[1],
    lambda g, ans, ctx: -g * ctx[0] / (ctx[1] * ctx[1]),
)
INTO["/"] = (lambda g, ans, ctx: np.divide(g, ctx[1], out=g), None)


@method
def __rtruediv__(self, other: Scalar | ndarray) -> Tensor:  # other / self
    other = _wrap(other)
    return NotImplemented if other is NotImplemented else other / self


@method
def __pow__(self, exponent: Operand) -> Tensor:
    """``self ** exponent`` for a number or a tensor exponent (integers stay integers; a
    negative integer power of an integer tensor is an error, as in PyTorch)."""
    if isinstance(exponent, Tensor):
        a, b = self.data, exponent.data
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
    return _result(
        _scalar_power(self.data, exponent),
        "**",
        (self,),
        (self.data, exponent),
        self.requires_grad,
    )


def _power(a: ndarray, b: Any) -> ndarray:
    try:
        return a**b
    except ValueError as error:  # NumPy: "Integers to negative integer powers are not allowed."
        raise RuntimeError(str(error)) from None


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
    if a.dtype.kind != "f" or a.ndim == 0 or n in (0, 1, -1, 2, 0.5):
        return _power(a, n)
    if n == -0.5:
        out = np.sqrt(a)
        with np.errstate(divide="ignore"):
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
        with np.errstate(divide="ignore"):  # 1 / 0 is inf, as 0 ** -k
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
    grad *= g
    return grad


VJPS["**"] = (_pow_grad,)


def _pow_grad_base(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, b = ctx  # ans = a ** b, both tensors; as PyTorch, 0 where b == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b == 0, 0.0, g * (b * a ** (b - 1)))


def _pow_grad_exponent(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, b = ctx  # d(a**b)/db = a**b log(a); PyTorch takes it as 0 where a == 0 and b >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((a == 0) & (b >= 0), 0.0, g * (ans * np.log(a)))


VJPS["pow"] = (_pow_grad_base, _pow_grad_exponent)


@method
def __rpow__(self, base: Scalar) -> Tensor:
    """``base ** self`` for a number ``base`` (``2 ** t``)."""
    base = _constant(base)
    if base is NotImplemented or isinstance(base, ndarray):
        return NotImplemented
    return _result(_power(base, self.data), "rpow", (self,), base, self.requires_grad)


def _rpow_grad(g: ndarray, ans: ndarray, base: Scalar) -> ndarray:
    if base == 0:  # d(0**x)/dx: 0 where x >= 0, as PyTorch takes it
        return np.zeros_like(g) if g.dtype.kind == "f" else np.zeros(g.shape)
    return g * (ans * np.log(base))


VJPS["rpow"] = (_rpow_grad,)


@method
def pow(self, exponent: Operand) -> Tensor:
    """``self ** exponent`` (also ``micrograd.pow(base, exponent)`` with a number base)."""
    return self**exponent


@method
def __floordiv__(self, other: Operand) -> Tensor:
    """Division rounded down (PyTorch's ``floor_divide``); like PyTorch, no gradient: a
    backward through it raises."""
    return _integer_division(self, other, np.floor_divide, "floordiv")


@method
def __mod__(self, other: Operand) -> Tensor:
    """The remainder with the divisor's sign (Python's ``%``, PyTorch's ``remainder``)."""
    return _integer_division(self, other, np.remainder, "mod")


def _integer_division(self: Tensor, other: Operand, ufunc: np.ufunc, op: str) -> Tensor:
    if isinstance(other, Tensor):
        a, b = self.data, other.data
        if a.dtype is not b.dtype:
            a, b = _promoted(a, b)
        prev, requires_grad = (self, other), self.requires_grad or other.requires_grad
    else:
        a, b = self.data, _constant(other)
        if b is NotImplemented:
            return NotImplemented
        prev, requires_grad = (self,), self.requires_grad
    if a.dtype.kind in "biu" and np.asarray(b).dtype.kind in "biu" and np.any(np.equal(b, 0)):
        raise ZeroDivisionError(f"integer {'//' if op == 'floordiv' else '%'} by zero")
    return _result(ufunc(a, b), op, prev, (a, b), requires_grad)


def _no_floordiv_grad(g: ndarray, ans: ndarray, ctx: Any) -> ndarray:
    raise RuntimeError(
        "the derivative of // (floor_divide) is not implemented, as in PyTorch: it is 0 "
        "almost everywhere; detach() the operands if no gradient should flow through it"
    )


VJPS["floordiv"] = (_no_floordiv_grad, _no_floordiv_grad)
VJPS["mod"] = (  # ans = a - b * floor(a / b), ctx = (a, b)
    lambda g, ans, ctx: g,
    lambda g, ans, ctx: -g * np.floor_divide(ctx[0], ctx[1]),
)


@method
def __rfloordiv__(self, other: Scalar | ndarray) -> Tensor:
    other = _wrap(other)
    return NotImplemented if other is NotImplemented else other // self


@method
def __rmod__(self, other: Scalar | ndarray) -> Tensor:
    other = _wrap(other)
    return NotImplemented if other is NotImplemented else other % self


@method
def __matmul__(self, other: Tensor | ndarray) -> Tensor:
    """Matrix product with NumPy's (and PyTorch's) rules: 1-D operands are vectors, and the
    leading dims of N-D operands are batch dims that broadcast: (B, T, C) @ (C, D) and
    (B, H, T, d) @ (B, H, d, T) both work."""
    if not isinstance(other, Tensor):
        if not isinstance(other, ndarray):
            return NotImplemented
        other = _result(other, "", (), None, False)
    a, b = self.data, other.data
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul needs operands of at least 1 dimension, got shapes {a.shape} and {b.shape}"
        )
    try:
        data = a @ b
    except ValueError:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of the first "
            f"({a.shape[-1]}) must equal the "
            f"{'only' if b.ndim == 1 else 'second-to-last'} axis of the second "
            f"({b.shape[0 if b.ndim == 1 else -2]}), and batch axes must broadcast"
        ) from None
    return _result(data, "@", (self, other), (a, b), self.requires_grad or other.requires_grad)


@method
def __rmatmul__(self, other: ndarray) -> Tensor:
    if not isinstance(other, ndarray):
        return NotImplemented
    return _result(other, "", (), None, False) @ self


def _matmul_grad_a(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    a, b = ctx  # ans = a @ b
    if b.ndim == 1:  # ans[..., i] = sum_k a[..., i, k] b[k]
        return g * b if a.ndim == 1 else g[..., None] * b
    if a.ndim == 1:  # ans[..., j] = sum_k a[k] b[..., k, j]
        return (g[..., None, :] @ b.swapaxes(-1, -2))[..., 0, :]
    if a.ndim == 2 and not a.flags.c_contiguous and b.ndim == 2:
        return (b @ g.T).T  # same product, laid out like a (e.g. a = W.T): no copy later
    return g @ b.swapaxes(-1, -2)


def _matmul_grad_b(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    a, b = ctx
    if a.ndim == 1:
        return g * a if b.ndim == 1 else a[:, None] * g[..., None, :]
    if b.ndim == 1:
        return (a.swapaxes(-1, -2) @ g[..., None])[..., 0]
    if b.ndim == 2 and not b.flags.c_contiguous and a.ndim == 2:
        return (g.T @ a).T  # laid out like b: for x @ W.T, W.grad comes out C-contiguous
    return a.swapaxes(-1, -2) @ g


VJPS["@"] = (_matmul_grad_a, _matmul_grad_b)  # g @ b.T, a.T @ g
Tensor.matmul = Tensor.__matmul__  # type: ignore[attr-defined]


# --------------------------------------------------------------------- composites
# Written through the primitives above: no derivative rules of their own.

Tensor.__radd__ = Tensor.__add__
Tensor.__rmul__ = Tensor.__mul__


@method
def __neg__(self) -> Tensor:  # -self
    if self.data.dtype.kind == "b":
        raise RuntimeError("negation, the `-` operator, on a bool tensor is not supported; use ~")
    return self * -1


Tensor.neg = Tensor.__neg__  # type: ignore[attr-defined]


@method
def __sub__(self, other: Operand) -> Tensor:  # self + (-other)
    if not isinstance(other, Tensor):
        other = _constant(other)
        if other is NotImplemented:
            return NotImplemented
    return self + (-other)


@method
def __rsub__(self, other: Operand) -> Tensor:  # other + (-self)
    other = _constant(other)
    if other is NotImplemented:
        return NotImplemented
    return -self + other
