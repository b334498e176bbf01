"""Fused network primitives: one node (and one rule) where the composite would take several.

Each is here because it is measurably faster or more stable than the same function written
through the primitives in ``ops`` (the reason is in each docstring; the measurements are in
benchmarks/README.md). ``nn.functional`` checks arguments and calls these, so they take
checked NumPy arguments and never validate again. Activations, normalization layers,
attention and losses live in ``activations``, ``normalization``, ``attention`` and
``losses``.

Every forward keeps the input's floating dtype: constants are Python floats (which never
promote a float32 array) and NumPy float64 scalars are kept out of float32 arithmetic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.tensors._rows import as_rows, row_dot, row_max, row_sum
from micrograd.tensors._shapes import normalize_dim, ones
from micrograd.tensors.core import INTO, VJPS, Tensor, _result, method, ndarray
from micrograd.tensors.dtypes import as_dtype

# --------------------------------------------------------------------- linear


@method
def _linear(self, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``self @ weight.T + bias`` for self (..., in), weight (out, in), bias (out,) or None
    (``nn.functional.linear`` checks the shapes, then calls this).

    Fused: the composite (transpose, matmul, add) takes three nodes per layer. Its rule needs
    no unbroadcast: the bias gradient is ones @ g, a BLAS matrix-vector product over the
    batch rows, and the weight's is one (out, N) @ (N, in) product.
    """
    x, w = self.data, weight.data
    # BLAS reads the transposed view as it is: no copy. ndarray.dot rather than @: the same
    # product without matmul's ufunc machinery. Past 2-D, the leading axes are folded into
    # one (a view of a contiguous x), so the product is one BLAS call where matmul would
    # make one per leading index.
    if x.ndim <= 2:
        data = x.dot(w.T)
    else:
        data = x.reshape(-1, x.shape[-1]).dot(w.T).reshape(*x.shape[:-1], w.shape[0])
    if bias is None:
        return _result(
            data, "linear", (self, weight), (x, w), self.requires_grad or weight.requires_grad
        )
    b = bias.data
    if data.dtype is b.dtype:
        data += b  # in place: the product is a fresh array
    else:
        data = data + b  # mixed dtypes promote, as the composite's + would
    return _result(
        data,
        "linear",
        (self, weight, bias),
        (x, w),
        self.requires_grad or weight.requires_grad or bias.requires_grad,
    )


# The linear rules, as its forward, make one 2-D BLAS product: see Tensor._linear.


def _linear_grad_x(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    w = ctx[1]  # ans = x @ w.T + b: (..., out) @ (out, in)
    if g.ndim <= 2:
        return g.dot(w)
    # The product is written into an array of the gradient's own shape rather than
    # reshaped after: a reshape is a view, and the backward walk only reuses arrays that
    # are nobody's view (autograd's docstring).
    out = np.empty((*g.shape[:-1], w.shape[1]), np.result_type(g, w))
    g.reshape(-1, g.shape[-1]).dot(w, out=out.reshape(-1, w.shape[1]))
    return out


def _linear_grad_w(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    x = ctx[0]  # every leading axis of x and g is a batch axis: one (out, N) @ (N, in) product
    if g.ndim != 2:
        g, x = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
    return g.T.dot(x)


def _linear_grad_b(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    if g.ndim != 2:
        g = g.reshape(-1, g.shape[-1])
    return ones(len(g), g.dtype.char).dot(g)  # g summed over the batch rows, as in unbroadcast


VJPS["linear"] = (_linear_grad_x, _linear_grad_w, _linear_grad_b)  # ans = x @ w.T + b


# --------------------------------------------------------------------- softmax


def _softmax_dim(dim: Any, axis: Any, ndim: int) -> int:
    """``dim`` (PyTorch's name) or ``axis`` (NumPy's, kept as an alias) as a non-negative int."""
    if axis is not None:
        if dim is not None and dim != axis:
            raise TypeError(f"softmax got both dim={dim!r} and axis={axis!r}; pass one")
        dim = axis
    return normalize_dim(-1 if dim is None else dim, ndim)


def _in_dtype(x: ndarray, dtype: Any) -> ndarray:
    """``x`` cast to ``dtype`` first, as PyTorch's ``dtype=`` argument of softmax does."""
    if dtype is None:
        return x
    dtype = as_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"softmax dtype must be a floating dtype, got {dtype}")
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
    first. Rows whose entries are all -inf give nan, as in PyTorch.

    Fused: computed as exp(x - max) * (1 / sum), so stable for any finite logits (±1000
    included), in one node where the composite (exp of log_softmax) takes two and an extra
    pass; its rule is ans * (g - sum(g * ans)).

    >>> Tensor([[0.0, 0.0], [0.0, 1000.0]]).softmax(dim=1).data
    array([[0.5, 0.5],
           [0. , 1. ]])
    """
    x = _in_dtype(self.data, dtype)
    d = _softmax_dim(dim, axis, x.ndim)
    if x.size == 0:
        return _result(x.copy(), "softmax", (self,), d, self.requires_grad)
    e = x - _max_along(x, d)
    np.exp(e, out=e)
    e *= 1 / _sum_along(e, d)
    return _result(e, "softmax", (self,), d, self.requires_grad)


def _softmax_grad(g: ndarray, ans: ndarray, d: int) -> ndarray:
    grad = g - _dot_along(g, ans, d)  # ans = softmax(x): d/dx = ans * (g - sum(g * ans))
    grad *= ans
    return grad


VJPS["softmax"] = (_softmax_grad,)


def _softmax_grad_into(g: ndarray, ans: ndarray, d: int) -> ndarray:
    g -= _dot_along(g, ans, d)  # _softmax_grad's arithmetic, formed in g (see autograd)
    g *= ans
    return g


INTO["softmax"] = (_softmax_grad_into,)


@method
def log_softmax(
    self, dim: int | None = None, dtype: Any = None, *, axis: int | None = None
) -> Tensor:
    """log(softmax(x)) along ``dim`` (as softmax's), as x - max - log(sum(exp(x - max))).

    Fused: stable for any finite logits (±1000 included), and one node where the composite
    would need six.
    """
    x = _in_dtype(self.data, dtype)
    d = _softmax_dim(dim, axis, x.ndim)
    if x.size == 0:
        return _result(x.copy(), "log_softmax", (self,), d, self.requires_grad)
    shifted = x - _max_along(x, d)
    shifted -= np.log(_sum_along(np.exp(shifted), d))
    return _result(shifted, "log_softmax", (self,), d, self.requires_grad)


def _log_softmax_grad(g: ndarray, ans: ndarray, d: int) -> ndarray:
    p = np.exp(ans)  # softmax: d/dx = g - softmax * sum(g)
    p *= _sum_along(g, d)
    return np.subtract(g, p, out=p)


VJPS["log_softmax"] = (_log_softmax_grad,)


# --------------------------------------------------------------------- dropout


@method
def _dropout(self, p: float, keep: ndarray) -> Tensor:
    """self * keep / (1 - p) for a boolean ``keep`` mask of self's shape.

    Fused: one node whose rule is g times the same scaled mask, kept in the input's dtype.
    """
    x = self.data
    mask = keep.astype(x.dtype)
    mask *= 1 / (1 - p)
    return _result(x * mask, "dropout", (self,), mask, self.requires_grad)


VJPS["dropout"] = (lambda g, ans, mask: g * mask,)
INTO["dropout"] = (lambda g, ans, mask: np.multiply(g, mask, out=g),)  # formed in g


# --------------------------------------------------------------------- embedding

# Up to this many (rows of the table) x (indices looked up), the embedding's gradient is one
# BLAS product onehot.T @ g; past it a sort and one segmented sum (np.add.reduceat), whose
# cost does not grow with the table. Both beat np.add.at (benchmarks/README.md).
_ONE_HOT_LIMIT = 1 << 17


@method
def _embedding(self, indices: ndarray, padding_idx: int | None, scale_by_freq: bool) -> Tensor:
    """Rows ``self[indices]`` of the table self (num_embeddings, dim): shape indices.shape +
    (dim,). Indices are checked, in [0, num_embeddings), by ``nn.functional.embedding``.

    Fused: a gather whose rule is one scatter-add of every looked-up row's gradient into a
    table of zeros, the row ``padding_idx`` left at zero.
    """
    w = self.data
    out = w.take(indices, axis=0)
    return _result(
        out,
        "embedding",
        (self,),
        (indices, w.shape, padding_idx, scale_by_freq),
        self.requires_grad,
    )


def _embedding_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    indices, shape, padding_idx, scale_by_freq = ctx
    flat, rows = indices.reshape(-1), g.reshape(-1, shape[1])
    num = shape[0]
    if scale_by_freq:  # each row's gradient divided by how often it was looked up
        counts = np.bincount(flat, minlength=num)
        rows = rows / counts[flat, None].astype(g.dtype)
    if num * len(flat) <= _ONE_HOT_LIMIT:
        one_hot = np.zeros((num, len(flat)), g.dtype)
        one_hot[flat, np.arange(len(flat))] = 1
        grad = one_hot.dot(rows)
    else:
        order = np.argsort(flat, kind="stable")
        sorted_flat = flat[order]
        starts = np.flatnonzero(np.r_[True, sorted_flat[1:] != sorted_flat[:-1]])
        grad = np.zeros(shape, g.dtype)
        grad[sorted_flat[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    if padding_idx is not None:
        grad[padding_idx] = 0
    return grad


VJPS["embedding"] = (_embedding_grad,)


# --------------------------------------------------------------------- padding

# F.pad's modes other than 'constant', as np.pad names the same index patterns
_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@method
def _pad(self, widths: tuple[tuple[int, int], ...], mode: str, value: float) -> Tensor:
    """self padded by ``widths`` ((before, after) per dim; negative crops, 'constant' only).

    'constant' copies self into a filled array and its rule slices the gradient back out;
    the other modes gather along each padded dim with an index map (np.pad of arange) and
    their rule scatter-adds along the same maps, last dim first.
    """
    x = self.data
    if mode == "constant":
        src = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, widths))
        dst = tuple(
            slice(max(b, 0), max(b, 0) + max(s.stop - s.start, 0)) for s, (b, _) in zip(src, widths)
        )
        out = np.full(tuple(n + b + a for n, (b, a) in zip(x.shape, widths)), value, x.dtype)
        out[dst] = x[src]
        return _result(out, "pad", (self,), (x.shape, src, dst), self.requires_grad)
    maps = []
    out = x
    for d, (b, a) in enumerate(widths):
        if b or a:
            index = np.pad(np.arange(x.shape[d]), (b, a), mode=_PAD_MODES[mode])
            out = out.take(index, axis=d)
            maps.append((d, index))
    return _result(out, "pad_gather", (self,), (x.shape, maps), self.requires_grad)


def _pad_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    shape, src, dst = ctx
    grad = np.zeros(shape, g.dtype)
    grad[src] = g[dst]
    return grad


def _pad_gather_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    shape, maps = ctx
    for d, index in reversed(maps):
        moved = np.moveaxis(g, d, 0)
        acc = np.zeros((shape[d], *moved.shape[1:]), g.dtype)
        np.add.at(acc, index, moved)
        g = np.moveaxis(acc, 0, d)
    return np.ascontiguousarray(g)


VJPS["pad"] = (_pad_grad,)
VJPS["pad_gather"] = (_pad_gather_grad,)
