"""Arithmetic, elementwise functions, reductions and matmul: each op's forward, then its rule.

A number (or NumPy scalar, or ndarray) operand is a constant: it is not a parent.
"""

from __future__ import annotations

import numpy as np

from micrograd.tensors._shapes import axis as axis_of
from micrograd.tensors._shapes import kept_shape
from micrograd.tensors.core import VJPS, Scalar, Tensor, _constant, _result, method, ndarray

# --------------------------------------------------------------------- primitives


@method
def __add__(self, other: Tensor | Scalar | ndarray) -> Tensor:
    if isinstance(other, Tensor):
        return _result(
            self.data + other.data,
            "+",
            (self, other),
            None,
            self.requires_grad or other.requires_grad,
        )
    other = _constant(other)
    if other is NotImplemented:
        return NotImplemented
    return _result(self.data + other, "+", (self,), None, self.requires_grad)


VJPS["+"] = (lambda g, ans, ctx: g, lambda g, ans, ctx: g)  # ans = a + b


@method
def __mul__(self, other: Tensor | Scalar | ndarray) -> Tensor:
    if isinstance(other, Tensor):
        return _result(
            self.data * other.data,
            "*",
            (self, other),
            (self.data, other.data),
            self.requires_grad or other.requires_grad,
        )
    other = _constant(other)
    if other is NotImplemented:
        return NotImplemented
    return _result(self.data * other, "*", (self,), (self.data, other), self.requires_grad)


VJPS["*"] = (  # ans = a * b, ctx = (a, b)
    lambda g, ans, ctx: g * ctx[1],
    lambda g, ans, ctx: g * ctx[0],
)


@method
def __pow__(self, exponent: Scalar) -> Tensor:
    if isinstance(exponent, np.generic):
        exponent = exponent.item()
    if not isinstance(exponent, (int, float)):
        raise TypeError(
            f"Tensor ** exponent: the exponent must be a number, got {type(exponent).__name__}"
        )
    return _result(self.data**exponent, "**", (self,), (self.data, exponent), self.requires_grad)


def _pow_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, n = ctx  # ans = a ** n
    if n == 0:
        return np.zeros_like(g)
    return g * (n * a ** (n - 1))


VJPS["**"] = (_pow_grad,)


@method
def __matmul__(self, other: Tensor | ndarray) -> Tensor:
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


@method
def exp(self) -> Tensor:
    """Elementwise e**x."""
    return _result(np.exp(self.data), "exp", (self,), None, self.requires_grad)


VJPS["exp"] = (lambda g, ans, ctx: g * ans,)


@method
def log(self) -> Tensor:
    """Elementwise natural logarithm (NumPy's -inf at 0 and nan below, with a warning)."""
    return _result(np.log(self.data), "log", (self,), self.data, self.requires_grad)


VJPS["log"] = (lambda g, ans, a: g / a,)


@method
def tanh(self) -> Tensor:
    """Elementwise hyperbolic tangent."""
    return _result(np.tanh(self.data), "tanh", (self,), None, self.requires_grad)


VJPS["tanh"] = (lambda g, ans, ctx: g * (1 - ans * ans),)


@method
def relu(self) -> Tensor:
    """Elementwise max(x, 0); its derivative at 0 is taken as 0, as in PyTorch."""
    return _result(np.maximum(self.data, 0), "relu", (self,), None, self.requires_grad)


def _relu_grad(g: ndarray, ans: ndarray, ctx: None) -> ndarray:
    # g * (ans > 0), with the mask made a float array first: ~12% faster than letting the
    # multiplication cast the booleans as it goes
    grad = (ans > 0).astype(g.dtype)
    grad *= g
    return grad


VJPS["relu"] = (_relu_grad,)


@method
def sigmoid(self) -> Tensor:
    """Elementwise 1 / (1 + e**-x).

    A primitive rather than a composite: one node instead of four, and the forward pass
    below never exponentiates a positive number, so it cannot overflow.
    """
    x = self.data
    e = np.exp(-np.abs(x))  # in (0, 1]
    r = 1 / (1 + e)
    return _result(np.where(x >= 0, r, e * r), "sigmoid", (self,), None, self.requires_grad)


VJPS["sigmoid"] = (lambda g, ans, ctx: g * (ans * (1 - ans)),)


@method("sum")
def sum_(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (all axes if None); a full sum is 0-d unless ``keepdims``."""
    axis = axis_of(axis)
    return _result(
        self.data.sum(axis=axis, keepdims=keepdims),
        "sum",
        (self,),
        (self.data.shape, axis, keepdims),
        self.requires_grad,
    )


def _sum_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    shape, axis, keepdims = ctx  # ans = a.sum(axis): every summed entry gets g
    if not (keepdims or axis is None):
        g = g.reshape(kept_shape(shape, axis))
    out = np.empty(shape, g.dtype)
    out[...] = g  # a broadcasting copy: several times faster than np.broadcast_to here
    return out


VJPS["sum"] = (_sum_grad,)


@method("max")
def max_(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
    """Largest value over ``axis`` (values only, like NumPy's max / PyTorch's amax).

    Where several entries tie for the maximum, the gradient is shared equally among them.
    """
    axis = axis_of(axis)
    return _result(
        self.data.max(axis=axis, keepdims=keepdims),
        "max",
        (self,),
        (self.data, axis, keepdims),
        self.requires_grad,
    )


def _max_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, axis, keepdims = ctx  # ans = a.max(axis)
    if not (keepdims or axis is None):
        kept = kept_shape(a.shape, axis)
        g, ans = g.reshape(kept), ans.reshape(kept)
    winners = a == ans  # every entry that ties for the max shares g equally
    return winners * (g / winners.sum(axis, keepdims=True, dtype=g.dtype))


VJPS["max"] = (_max_grad,)


# --------------------------------------------------------------------- composites
# Written through the primitives above: no derivative rules of their own.

Tensor.__radd__ = Tensor.__add__
Tensor.__rmul__ = Tensor.__mul__


@method
def __neg__(self) -> Tensor:  # -self
    return self * -1


@method
def __sub__(self, other: Tensor | Scalar | ndarray) -> Tensor:  # self + (-other)
    if not isinstance(other, Tensor):
        other = _constant(other)
        if other is NotImplemented:
            return NotImplemented
    return self + (-other)


@method
def __rsub__(self, other: Tensor | Scalar | ndarray) -> Tensor:  # other + (-self)
    other = _constant(other)
    if other is NotImplemented:
        return NotImplemented
    return -self + other


@method
def __truediv__(self, other: Tensor | Scalar | ndarray) -> Tensor:  # self * other**-1
    if isinstance(other, Tensor):
        return self * other**-1
    other = _constant(other)
    if other is NotImplemented:
        return NotImplemented
    if isinstance(other, ndarray):
        return self * (1 / other)
    if other == 0:
        raise ZeroDivisionError("Tensor division by the number 0")
    return self * (1 / other)


@method
def __rtruediv__(self, other: Tensor | Scalar | ndarray) -> Tensor:  # other * self**-1
    other = _constant(other)
    if other is NotImplemented:
        return NotImplemented
    return self**-1 * other


@method
def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
    """Average over ``axis`` (all axes if None): the sum times 1/count."""
    total = self.sum(axis, keepdims)
    if total.data.size == 0:
        return total
    count = self.data.size // total.data.size
    if count == 0:
        raise ValueError(f"mean over an empty axis of a tensor of shape {self.shape}")
    return total * (1 / count)
