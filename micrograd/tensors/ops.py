"""Arithmetic and matmul: each op's forward, then its rule (powers, ``**``, are in ``power``).

A number (or NumPy scalar, or ndarray) operand is a constant: it is not a parent. Dtypes
follow PyTorch: integer tensors stay integer under ``+ - * // %``, true division and the
float functions (``exp``, ``sqrt``, ...) give floats, and mixing dtypes gives the dtype
PyTorch would (``_promoted``).
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
RULE_TEXT["+"] = ("grad", "grad")


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
RULE_TEXT["*"] = ("grad * b", "grad * a")  # b: the number in x * 2


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
RULE_TEXT["/"] = ("grad / b", "-grad * a / (b * b)")


@method
def __rtruediv__(self, other: Scalar | ndarray) -> Tensor:  # other / self
    other = _wrap(other)
    return NotImplemented if other is NotImplemented else other / self


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
RULE_TEXT["floordiv"] = ("no_derivative('//')", "no_derivative('//')")
VJPS["mod"] = (  # ans = a - b * floor(a / b), ctx = (a, b)
    lambda g, ans, ctx: g,
    lambda g, ans, ctx: -g * np.floor_divide(ctx[0], ctx[1]),
)
RULE_TEXT["mod"] = ("grad", "-grad * np.floor_divide(a, b)")


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
RULE_TEXT["@"] = (  # matrices; then a vector, as matmul reads one: a row (a), a column (b)
    "grad @ b.swapaxes(-1, -2) if not (a_vector or b_vector)"
    " else grad * b if a_vector and b_vector"
    " else grad[..., None] * b if b_vector"
    " else (grad[..., None, :] @ b.swapaxes(-1, -2))[..., 0, :]",
    "a.swapaxes(-1, -2) @ grad if not (a_vector or b_vector)"
    " else grad * a if a_vector and b_vector"
    " else a[:, None] * grad[..., None, :] if a_vector"
    " else (a.swapaxes(-1, -2) @ grad[..., None])[..., 0]",
)
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
