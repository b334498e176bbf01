"""Arithmetic and matmul: each op's forward, then its rule (powers, ``**``, are in ``power``).

A number (or NumPy scalar, or ndarray) operand is a constant: it is not a parent. Dtypes
follow PyTorch: integer tensors stay integer under ``+ - * // %``, true division, the float
functions (``exp``, ``sqrt``, ...) and a float number operand give the default dtype
(``tensor([1, 2]) / 2`` and ``tensor([1, 2]) * 0.5`` are float32, where NumPy would give
float64), and mixing dtypes gives the dtype PyTorch would (``_promoted``). An integer
tensor's arithmetic wraps around, as PyTorch's does, also with a number past its dtype's range
(uint8 ``0 - 1`` is 255: ``_refused``).

Division by zero gives inf or nan, as in PyTorch, without NumPy's warning (``_quiet``).
"""

from __future__ import annotations

import functools
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
from micrograd.tensors.dtypes import get_default_dtype, is_float
from micrograd.tensors.errors import ShapeError, broadcast_error
from micrograd.tensors.grad_mode import _autocast, lower_precision

Operand = Tensor | Scalar | ndarray

# bool < integer < float: in a mixed operation the higher kind decides the result's dtype
# ("V", NumPy's kind for extension dtypes, is bfloat16's: the only one micrograd takes)
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2}


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


def _quiet() -> np.errstate:
    """NumPy's floating-point warnings off, for one operation that can make inf or nan by
    its nature: PyTorch returns ``1 / 0``, ``log(0)``, ``sqrt(-1)`` and ``exp(1000)``
    quietly. Used only by the ops that can (division, ``exp``, ``log``, ``sqrt``, powers) and
    their rules: an errstate costs about 1 us, a tenth of a small training step if every op
    paid it, and ``np.seterr`` at import would change the user's whole process. (``+``,
    ``*`` and matmul still warn when they overflow past the dtype's largest number.)"""
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def _wrapped(n: int, dtype: np.dtype) -> np.generic:
    """The Python int ``n`` cast into the integer ``dtype`` as PyTorch casts a number for an
    integer tensor: modulo 2**bits (-1 as uint8 is 255, 300 as int8 is 44)."""
    if not -(2**63) <= n < 2**64:
        raise OverflowError(f"the number {n} is too big for a tensor's integer dtype (int64)")
    return np.uint64(n % 2**64).astype(dtype if dtype.kind in "iu" else np.int64)


@functools.lru_cache(maxsize=16)
def _int_range(dtype: np.dtype) -> tuple[int, int]:
    """The least and greatest value of an integer dtype."""
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def _refused(ufunc: np.ufunc, a: Any, b: Any, error: Exception, op: str) -> ndarray:
    """``ufunc(a, b)`` after NumPy refused it with ``error``, PyTorch's way: a Python int
    past the range of an integer tensor's dtype (``uint8 - 1``, ``int8 * 300``) is wrapped
    into it, as PyTorch does, and computed; operands that do not broadcast are a
    ShapeError naming both shapes. Anything else is raised as it was."""
    if isinstance(error, OverflowError) and isinstance(b, int):
        return ufunc(a, _wrapped(b, np.asarray(a).dtype))
    if isinstance(error, OverflowError) and isinstance(a, int):  # n ** t
        return ufunc(_wrapped(a, np.asarray(b).dtype), b)
    if isinstance(error, ValueError) and np.ndim(a) and np.ndim(b):
        try:
            np.broadcast_shapes(np.shape(a), np.shape(b))
        except ValueError:
            raise broadcast_error(op, np.shape(a), np.shape(b)) from None
    raise error


def _float(x: ndarray) -> ndarray:
    """``x`` as floats: integer and bool data become the default dtype, as PyTorch's float
    functions do."""
    return x if x.dtype.kind == "f" or is_float(x.dtype) else x.astype(get_default_dtype())


def _meeting(x: ndarray, number: Any) -> ndarray:
    """``x`` ready to be combined with ``number`` (a constant operand): integer and bool data
    meeting a Python float become the default dtype first, as PyTorch's result is."""
    return _float(x) if type(number) is float else x


def _wrap(x: Any) -> Tensor | Any:
    """A constant operand as a Tensor that needs no grad (NotImplemented passes through)."""
    x = _constant(x)
    return x if x is NotImplemented else _result(x, "", (), None, False)


# --------------------------------------------------------------------- primitives


@method
def __add__(self, other: Operand) -> Tensor:
    if isinstance(other, Tensor):
        a, b = self._data, other._data
        if a.dtype is not b.dtype:
            a, b = _promoted(a, b)
        try:
            data = a + b
        except ValueError as error:
            data = _refused(np.add, a, b, error, "+")
        return _result(data, "+", (self, other), None, self.requires_grad or other.requires_grad)
    other = _constant(other)
    if other is NotImplemented:
        return NotImplemented
    a = _meeting(self._data, other)
    try:
        data = a + other
    except (OverflowError, ValueError) as error:
        data = _refused(np.add, a, other, error, "+")
    return _result(data, "+", (self,), None, self.requires_grad)


VJPS["+"] = (lambda g, ans, ctx: g, lambda g, ans, ctx: g)  # ans = a + b
RULE_TEXT["+"] = ("grad", "grad")


@method
def __mul__(self, other: Operand) -> Tensor:
    if isinstance(other, Tensor):
        a, b = self._data, other._data
        if a.dtype is not b.dtype:
            a, b = _promoted(a, b)
        try:
            data = a * b
        except ValueError as error:
            data = _refused(np.multiply, a, b, error, "*")
        return _result(data, "*", (self, other), (a, b), self.requires_grad or other.requires_grad)
    other = _constant(other)
    if other is NotImplemented:
        return NotImplemented
    a = _meeting(self._data, other)
    try:
        data = a * other
    except (OverflowError, ValueError) as error:
        data = _refused(np.multiply, a, other, error, "*")
    return _result(data, "*", (self,), (a, other), self.requires_grad)


VJPS["*"] = (  # ans = a * b, ctx = (a, b)
    lambda g, ans, ctx: g * ctx[1],
    lambda g, ans, ctx: g * ctx[0],
)
RULE_TEXT["*"] = ("grad * b", "grad * a")  # b: the number in x * 2


@method
def __truediv__(self, other: Operand) -> Tensor:
    """True division: integer tensors divide into floats, as in PyTorch (``[1, 2] / 2`` is
    ``[0.5, 1.0]``), and dividing by zero gives inf, or nan for 0 / 0, quietly. A primitive
    rather than ``a * b**-1``: one node instead of two, and the quotient rounds exactly as
    PyTorch's."""
    if isinstance(other, Tensor):
        a, b = self._data, other._data
        if a.dtype is not b.dtype:
            a, b = _promoted(a, b)
        a, b = _float(a), _float(b)
        requires_grad = self.requires_grad or other.requires_grad
        return _result(_divide(a, b), "/", (self, other), (a, b), requires_grad)
    other = _constant(other)
    if other is NotImplemented:
        return NotImplemented
    a = _float(self._data)
    return _result(_divide(a, other), "/", (self,), (a, other), self.requires_grad)


def _divide(a: ndarray, b: Any) -> ndarray:
    """``a / b``, inf or nan where b is 0 without NumPy's warning. Dividing by a number
    ``1 <= |b| < inf`` can make neither (nor overflow), so that common case (``x / 2``,
    ``/ n``, ``/ math.sqrt(d)``) skips ``_quiet``'s cost."""
    if (type(b) is float or type(b) is int) and 1 <= abs(b) < math.inf:
        return a / b
    try:
        with _quiet():
            return a / b
    except ValueError as error:
        return _refused(np.true_divide, a, b, error, "/")


def _divide_grad_b(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    a, b = ctx  # d(a / b)/db = -a / b**2
    with _quiet():
        return -g * a / (b * b)


VJPS["/"] = (lambda g, ans, ctx: _divide(g, ctx[1]), _divide_grad_b)  # ans = a / b, ctx = (a, b)
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
        a, b = self._data, other._data
        if a.dtype is not b.dtype:
            a, b = _promoted(a, b)
        prev, requires_grad = (self, other), self.requires_grad or other.requires_grad
    else:
        b = _constant(other)
        if b is NotImplemented:
            return NotImplemented
        a, prev, requires_grad = _meeting(self._data, b), (self,), self.requires_grad
    if a.dtype.kind in "biu" and np.asarray(b).dtype.kind in "biu" and np.any(np.equal(b, 0)):
        raise ZeroDivisionError(f"integer {'//' if op == 'floordiv' else '%'} by zero")
    try:
        with _quiet():  # float x // 0 is ±inf, int8 -128 // -1 wraps to -128, as in PyTorch
            data = ufunc(a, b)
    except (OverflowError, ValueError) as error:
        data = _refused(ufunc, a, b, error, "//" if op == "floordiv" else "%")
    return _result(data, op, prev, (a, b), requires_grad)


def _no_floordiv_grad(g: ndarray, ans: ndarray, ctx: Any) -> ndarray:
    raise RuntimeError(
        "the derivative of // (floor_divide) is not implemented, as in PyTorch: it is 0 "
        "almost everywhere; detach() the operands if no gradient should flow through it"
    )


VJPS["floordiv"] = (_no_floordiv_grad, _no_floordiv_grad)
RULE_TEXT["floordiv"] = ("no_derivative('//')", "no_derivative('//')")


def _mod_grad_b(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    with _quiet():  # floor(a / 0) is inf or nan, as PyTorch's
        return -g * np.floor_divide(ctx[0], ctx[1])


VJPS["mod"] = (lambda g, ans, ctx: g, _mod_grad_b)  # ans = a - b * floor(a / b), ctx = (a, b)
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
    (B, H, T, d) @ (B, H, d, T) both work. Under autocast, and on bfloat16 operands, it runs
    in 16 bits as PyTorch's CPU does (``in_float32``)."""
    if not isinstance(other, Tensor):
        if not isinstance(other, ndarray):
            return NotImplemented
        other = _result(other, "", (), None, False)
    a, b = self._data, other._data
    # kind "V" is bfloat16's (dtypes.is_bfloat16, read inline: `@` is on every step's path)
    if _autocast.enabled or a.dtype.kind == "V" or b.dtype.kind == "V":
        low = lower_precision(a, b)
        if low is not None:
            return in_float32(_matmul, low, self, other)
    return _matmul(self, other)


def _matmul(self: Tensor, other: Tensor) -> Tensor:
    """``self @ other`` in the operands' own dtype (``__matmul__`` checked autocast first)."""
    a, b = self._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            f"matmul needs operands of at least 1 dimension, got shapes {a.shape} and {b.shape}"
        )
    try:
        data = a @ b
    except ValueError:
        raise ShapeError(
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
    if self._data.dtype.kind == "b":
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
