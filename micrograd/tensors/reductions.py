"""Reductions: sum, mean, max/min, amax/amin, argmax/argmin, var, std, prod, logsumexp; and
the running sum, cumsum.

PyTorch's signatures: ``dim`` is None (every dim), an int or a tuple of ints (max, min and
prod take one int), negative dims count from the end, and ``keepdim`` keeps the reduced dims
with length 1. NumPy's names ``axis`` and ``keepdims`` are accepted too, as PyTorch does.
"""

from __future__ import annotations

import math
import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from micrograd.tensors._shapes import alias, kept_shape, normalize_dim, reduce_dims
from micrograd.tensors.conversion import in_float32
from micrograd.tensors.core import RULE_TEXT, VJPS, Tensor, _result, method, ndarray
from micrograd.tensors.dtypes import as_dtype, float16, float32, is_bfloat16, is_float
from micrograd.tensors.errors import DTypeError
from micrograd.tensors.grad_mode import _autocast
from micrograd.tensors.ops import _float, _quiet

Dim = int | tuple[int, ...] | list[int] | None

# What max(dim) and min(dim) return, as PyTorch's torch.return_types: a named pair.
max_values_indices = namedtuple("max", ["values", "indices"])
min_values_indices = namedtuple("min", ["values", "indices"])


def _args(dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> tuple[Any, bool]:
    dim = alias(dim, axis, "dim", "axis", None)
    return dim, bool(alias(keepdim, keepdims, "keepdim", "keepdims", False))


def _count(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> int:
    """How many entries each result of a reduction over ``dims`` combines."""
    return math.prod(shape) if dims is None else math.prod(shape[d] for d in dims)


def _float_only(self: Tensor, name: str) -> None:
    if not is_float(self._data.dtype):
        raise DTypeError(
            f"{name}(): needs a floating-point tensor, got {self._data.dtype} "
            "(convert it first, e.g. with .float() or .double())"
        )


# --------------------------------------------------------------------- sum and mean


@method("sum")
def sum_(
    self,
    dim: Dim = None,
    keepdim: bool = False,
    *,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Sum over ``dim`` (every dim if None); integer and bool tensors sum to int64."""
    dim, keepdim = _args(dim, keepdim, axis, keepdims)
    dims = reduce_dims(dim, self._data.ndim)
    x = self._data
    # kind "V" is bfloat16's (dtypes.is_bfloat16, read inline: sums are everywhere). NumPy
    # would add in bfloat16; PyTorch adds in float32 and rounds once.
    if x.dtype.kind == "V":
        return in_float32(Tensor.sum, x.dtype, self, dims, keepdim)
    dtype = np.int64 if x.dtype.kind in "biu" else None
    return _result(
        x.sum(axis=dims, keepdims=keepdim, dtype=dtype),
        "sum",
        (self,),
        (x.shape, dims, keepdim),
        self.requires_grad,
    )


def _sum_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    shape, dims, keepdim = ctx  # ans = a.sum(dims): every summed entry gets g
    if not (keepdim or dims is None):
        g = g.reshape(kept_shape(shape, dims))
    out = np.empty(shape, g.dtype)
    out[...] = g  # a broadcasting copy: several times faster than np.broadcast_to here
    return out


VJPS["sum"] = (_sum_grad,)
RULE_TEXT["sum"] = (
    "np.ones_like(a) * grad if kept else np.ones_like(a) * np.expand_dims(grad, dims)",
)


@method
def mean(
    self,
    dim: Dim = None,
    keepdim: bool = False,
    *,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Average over ``dim`` (every dim if None): the sum times 1/count (NaN if empty)."""
    dim, keepdim = _args(dim, keepdim, axis, keepdims)
    _float_only(self, "mean")
    dims = reduce_dims(dim, self._data.ndim)
    if is_bfloat16(self._data.dtype):  # in float32, rounded once, as PyTorch's CPU
        return in_float32(Tensor.mean, self._data.dtype, self, dims, keepdim)
    count = _count(self._data.shape, dims)
    return self.sum(dims, keepdim) * (1 / count if count else math.nan)


# --------------------------------------------------------------------- max, min and friends


@method("max")
def max_(
    self,
    dim: int | Tensor | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
) -> Any:
    """Largest value: ``t.max()`` is the 0-d maximum (the gradient shared equally among
    ties); ``t.max(dim)`` is a ``(values, indices)`` pair over that dim (the gradient goes
    to the entry ``indices`` names, the first maximum); ``t.max(other)`` is ``maximum``."""
    if isinstance(dim, Tensor):
        return self.maximum(dim)
    return _extreme(self, dim, keepdim, axis, keepdims, "max")


@method("min")
def min_(
    self,
    dim: int | Tensor | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
) -> Any:
    """Smallest value: as ``max``, for the minimum."""
    if isinstance(dim, Tensor):
        return self.minimum(dim)
    return _extreme(self, dim, keepdim, axis, keepdims, "min")


def _extreme(self: Tensor, dim: Any, keepdim: Any, axis: Any, keepdims: Any, name: str) -> Any:
    dim, keepdim = _args(dim, keepdim, axis, keepdims)
    x = self._data
    if dim is None:
        if keepdim:
            raise TypeError(f"{name}(): keepdim needs a dim")
        if x.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0; "
                "specify the reduction dim with the 'dim' argument"
            )
        values = x.max() if name == "max" else x.min()
        return _result(values, "amax", (self,), (x, None, False, True), self.requires_grad)
    d = normalize_dim(dim, x.ndim)
    flat = x.reshape(1) if x.ndim == 0 else x
    if flat.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size")
    index = (np.argmax if name == "max" else np.argmin)(flat, axis=d, keepdims=True)
    ctx = (flat.shape, x.shape, d, index)
    values = np.take_along_axis(flat, index, axis=d)
    if x.ndim == 0:
        values, index = values.reshape(()), index.reshape(())
    elif not keepdim:
        values, index = values.squeeze(d), index.squeeze(d)
    out = _result(values, "select", (self,), ctx, self.requires_grad)
    pair = max_values_indices if name == "max" else min_values_indices
    return pair(out, _result(index, "", (), None, False))


def _select_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    flat_shape, shape, d, index = ctx  # ans = a's entries at index (kept dim) along dim d
    out = np.zeros(flat_shape, g.dtype)
    np.put_along_axis(out, index, g.reshape(index.shape), axis=d)
    return out.reshape(shape)


VJPS["select"] = (_select_grad,)
RULE_TEXT["select"] = (
    "one_hot(picked, n, d) * grad if kept"
    " else one_hot(picked, n, d) * np.expand_dims(grad, d) if not scalar"
    " else (one_hot(picked, n, d) * np.expand_dims(grad, d)).reshape(a.shape)",
)


@method
def amax(
    self,
    dim: Dim = (),
    keepdim: bool = False,
    *,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Largest values over ``dim`` (every dim by default, or for ``()``); values only, the
    gradient shared equally among the entries that tie for the maximum."""
    return _amax(self, dim, keepdim, axis, keepdims, "amax")


@method
def amin(
    self,
    dim: Dim = (),
    keepdim: bool = False,
    *,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Smallest values over ``dim``, as ``amax``."""
    return _amax(self, dim, keepdim, axis, keepdims, "amin")


def _amax(self: Tensor, dim: Any, keepdim: Any, axis: Any, keepdims: Any, name: str) -> Tensor:
    dim, keepdim = _args(dim if dim != () else None, keepdim, axis, keepdims)
    x = self._data
    dims = reduce_dims(dim, x.ndim)
    empty = [d for d in (range(x.ndim) if dims is None else dims) if x.shape[d] == 0]
    if empty:
        raise IndexError(f"{name}(): Expected reduction dim {empty[0]} to have non-zero size")
    reduce = np.max if name == "amax" else np.min
    values = reduce(x, axis=dims, keepdims=keepdim)
    return _result(values, "amax", (self,), (x, dims, keepdim, False), self.requires_grad)


def _amax_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, dims, keepdim, nan_ties = ctx  # ans = a's max (or min) over dims
    if not (keepdim or dims is None):
        kept = kept_shape(a.shape, dims)
        g, ans = g.reshape(kept), ans.reshape(kept)
    winners = a == ans  # every entry that ties for the max shares g equally
    if nan_ties and np.isnan(ans).any():  # t.max() of data with NaN: the NaNs share it
        winners = np.isnan(a)
    with np.errstate(divide="ignore", invalid="ignore"):  # amax of NaN: NaN, as PyTorch
        return winners * (g / winners.sum(dims, keepdims=True, dtype=g.dtype))


VJPS["amax"] = (_amax_grad,)
RULE_TEXT["amax"] = (  # the entries that tie for the max share grad
    "(a == out) * grad / (a == out).sum(dims, keepdims=True) if kept"
    " else (a == np.expand_dims(out, dims)) * np.expand_dims(grad, dims)"
    " / (a == np.expand_dims(out, dims)).sum(dims, keepdims=True)",
)


@method
def argmax(
    self,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Index (int64) of the largest entry along ``dim``, the first if several tie; with
    ``dim`` None, the index into the flattened tensor."""
    return _arg_extreme(self, dim, keepdim, axis, keepdims, np.argmax, "argmax")


@method
def argmin(
    self,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Index (int64) of the smallest entry along ``dim``, as ``argmax``."""
    return _arg_extreme(self, dim, keepdim, axis, keepdims, np.argmin, "argmin")


def _arg_extreme(
    self: Tensor, dim: Any, keepdim: Any, axis: Any, keepdims: Any, find: Any, name: str
) -> Tensor:
    dim, keepdim = _args(dim, keepdim, axis, keepdims)
    x = self._data
    if dim is None:
        if x.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for an empty input"
            )
        index = np.asarray(find(x))
        return _result(index.reshape((1,) * x.ndim if keepdim else ()), "", (), None, False)
    d = normalize_dim(dim, x.ndim)
    flat = x.reshape(1) if x.ndim == 0 else x
    if flat.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size")
    index = find(flat, axis=d, keepdims=keepdim and x.ndim > 0)
    return _result(index.reshape(()) if x.ndim == 0 else index, "", (), None, False)


# --------------------------------------------------------------------- var, std, prod


@method
def var(
    self,
    dim: Dim | bool = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Variance over ``dim``: sum((x - mean)**2) / (N - correction), ``correction`` 1 by
    default (Bessel's), 0 for ``unbiased=False``; PyTorch's signatures, ``var(unbiased)``
    and ``var(dim, unbiased, keepdim)`` included. With N - correction <= 0: inf or NaN and
    a warning, as in PyTorch."""
    if isinstance(dim, bool):  # var(True): PyTorch's var(unbiased) overload
        dim, unbiased = None, dim
    dim, keepdim = _args(dim, keepdim, axis, keepdims)
    _float_only(self, "var")
    if unbiased is not None and correction is not None:
        raise TypeError("var(): pass either unbiased= or correction=, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = reduce_dims(dim, self._data.ndim)
    if is_bfloat16(self._data.dtype):  # in float32, rounded once, as PyTorch's CPU
        dtype = self._data.dtype
        return in_float32(Tensor.var, dtype, self, dims, keepdim=keepdim, correction=correction)
    dof = _count(self._data.shape, dims) - correction
    diff = self - self.mean(dims, keepdim=True)
    if dof > 0:
        return (diff * diff).sum(dims, keepdim) * (1 / dof)
    warnings.warn(
        "var(): degrees of freedom is <= 0: correction should be strictly less than the "
        "number of entries reduced",
        UserWarning,
        stacklevel=2,
    )
    with np.errstate(invalid="ignore"):
        return (diff * diff).sum(dims, keepdim) * math.inf  # 0 * inf: NaN, as in PyTorch


@method
def std(
    self,
    dim: Dim | bool = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Standard deviation: the square root of ``var`` (same arguments). Where it is 0 the
    gradient is taken as 0, as PyTorch does, rather than sqrt's infinite slope."""
    if is_bfloat16(self._data.dtype):  # in float32, rounded once, as PyTorch's CPU
        return in_float32(
            Tensor.std,
            self._data.dtype,
            self,
            dim,
            unbiased,
            keepdim,
            correction=correction,
            axis=axis,
            keepdims=keepdims,
        )
    variance = self.var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)
    data = np.sqrt(variance._data)
    return _result(data, "std", (variance,), None, variance.requires_grad)


def _std_grad(g: ndarray, ans: ndarray, ctx: None) -> ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ans == 0, 0.0, g / (2 * ans))


VJPS["std"] = (_std_grad,)
RULE_TEXT["std"] = ("np.where(out == 0, 0.0, grad / (2 * out))",)


@method
def prod(
    self,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Product over one ``dim`` (or every entry if None); integer tensors give int64. The
    gradient is exact where entries are 0 (no division by them). On PyTorch's CPU autocast
    list of float32 ops: under autocast a 16-bit tensor's product is float32."""
    dim, keepdim = _args(dim, keepdim, axis, keepdims)
    x = self._data
    if _autocast.enabled and (x.dtype == float16 or is_bfloat16(x.dtype)):
        return self.to(float32).prod(dim, keepdim)
    if is_bfloat16(x.dtype):  # in float32, rounded once, as PyTorch's CPU
        return in_float32(Tensor.prod, x.dtype, self, dim, keepdim)
    if dim is None:
        d = None
        if keepdim:
            raise TypeError("prod(): keepdim needs a dim")
    else:
        d = normalize_dim(dim, x.ndim) if x.ndim else None
    dtype = np.int64 if x.dtype.kind in "biu" else None
    data = x.prod(axis=d, keepdims=keepdim and d is not None, dtype=dtype)
    return _result(data, "prod", (self,), (x, d, keepdim), self.requires_grad)


def _prod_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    """d prod / d a_i is the product of the other entries: the product of those before i
    times the product of those after, two cumulative products (exact even with zeros)."""
    a, d, keepdim = ctx
    if d is None:
        x, g = a.reshape(-1, 1), g.reshape(1, 1)
    else:
        x = np.moveaxis(a, d, 0)
        g = np.moveaxis(g, d, 0) if keepdim else g[None]
    before = np.ones_like(x)
    before[1:] = np.cumprod(x[:-1], axis=0)
    after = np.ones_like(x)
    after[:-1] = np.cumprod(x[:0:-1], axis=0)[::-1]
    grad = g * before * after
    return grad.reshape(a.shape) if d is None else np.moveaxis(grad, 0, d)


VJPS["prod"] = (_prod_grad,)
RULE_TEXT["prod"] = (
    "grad * prod_of_others(a, d) if kept else np.expand_dims(grad, d) * prod_of_others(a, d)",
)


# --------------------------------------------------------------------- cumsum, logsumexp


@method
def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sums along ``dim``: entry i is the sum of entries 0..i. Integer and bool
    tensors sum to int64, as PyTorch; ``dtype`` casts the input first.

    >>> Tensor([[1.0, 2.0, 3.0]]).cumsum(1).tolist()
    [[1.0, 3.0, 6.0]]
    """
    x = self._data if dtype is None else self._data.astype(as_dtype(dtype))
    d = normalize_dim(dim, x.ndim)
    total = np.int64 if x.dtype.kind in "biu" else None
    data = np.cumsum(x, axis=d if x.ndim else None, dtype=total)  # a 0-d x comes back 1-D
    return _result(data.reshape(x.shape), "cumsum", (self,), d, self.requires_grad)


def _cumsum_grad(g: ndarray, ans: ndarray, d: int) -> ndarray:
    # entry i of the input is in every running sum from i on: its gradient is the sum of g
    # over those, a running sum of g taken from the end
    if g.ndim == 0:
        return g
    return np.flip(np.cumsum(np.flip(g, d), axis=d), d)


VJPS["cumsum"] = (_cumsum_grad,)
RULE_TEXT["cumsum"] = ("np.flip(np.cumsum(np.flip(grad, d), axis=d), d)",)


@method
def logsumexp(self, dim: Dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``dim`` (an int or a tuple), without forming exp of a large
    number: computed as m + log(sum(exp(x - m))), m the largest entry. -inf for all -inf
    entries (or none); integer tensors give floats, as in PyTorch.

    Fused: one node whose rule is g * exp(x - ans), softmax times g.

    >>> round(Tensor([1000.0, 1000.0]).logsumexp(0).item(), 4)
    1000.6932
    """
    x = _float(self._data)
    dims = reduce_dims(dim, x.ndim)
    m = np.max(x, axis=dims, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)  # an all -inf (or an inf) row: no shift, no inf - inf
    with _quiet():  # log(0) of an all -inf row is -inf, as PyTorch's
        out = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True))
    out += m
    if not keepdim:
        out = out.reshape([n for i, n in enumerate(x.shape) if dims is not None and i not in dims])
    return _result(out, "logsumexp", (self,), (x, dims, keepdim), self.requires_grad)


def _logsumexp_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    x, dims, keepdim = ctx  # d/dx = exp(x - ans), the softmax over dims
    if not (keepdim or dims is None):
        kept = kept_shape(x.shape, dims)
        g, ans = g.reshape(kept), ans.reshape(kept)
    with _quiet():  # an all -inf row: -inf - -inf, nan as PyTorch's
        grad = np.exp(x - ans)
        grad *= g
    return grad


VJPS["logsumexp"] = (_logsumexp_grad,)
RULE_TEXT["logsumexp"] = (
    "np.exp(a - out) * grad if kept"
    " else np.exp(a - np.expand_dims(out, dims)) * np.expand_dims(grad, dims)",
)
