"""Views and reshaping: each op's forward, then its rule.

PyTorch's names and meanings: ``transpose(d0, d1)`` swaps two dims (``permute`` reorders
them all), ``view``/``reshape`` take ``-1`` for one inferred length, ``expand`` repeats
length-1 dims without copying. Where NumPy returns a view of the input (most of these), the
output shares the input's memory and version counter, as a PyTorch view does.

``view`` is PyTorch's contiguity rule simplified: any shape with the same number of
elements is accepted, copying when the memory layout needs it (as ``reshape`` does).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from micrograd.tensors._shapes import normalize_dim
from micrograd.tensors.core import RULE_TEXT, VJPS, Tensor, _result, _view, method, ndarray
from micrograd.tensors.errors import ShapeError


def _shape_arg(shape: tuple[Any, ...], name: str) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])`` (or a Size) as a tuple of ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"{name}(): the sizes must be ints, got {shape!r}") from None


# --------------------------------------------------------------------- same data, new shape


@method
def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
    """The same entries in a new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; one
    length may be -1, inferred from the others. A view when the layout allows, else a copy."""
    return _reshaped(self, _shape_arg(shape, "reshape"), "reshape")


@method
def view(self, *shape: int | tuple[int, ...]) -> Tensor:
    """As ``reshape`` (see the module's note on PyTorch's contiguity rule)."""
    return _reshaped(self, _shape_arg(shape, "view"), "view")


def _reshaped(self: Tensor, shape: tuple[int, ...], name: str) -> Tensor:
    try:
        data = self._data.reshape(shape)
    except ValueError:
        raise ShapeError(
            f"{name}(): shape {list(shape)} is invalid for input of size {self._data.size} "
            f"(a tensor of shape {tuple(self._data.shape)})"
        ) from None
    return _view(data, "reshape", self, self._data.shape)


VJPS["reshape"] = (lambda g, ans, shape: g.reshape(shape),)  # ctx = a.shape
RULE_TEXT["reshape"] = ("grad.reshape(a.shape)",)


@method
def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims ``start_dim`` to ``end_dim`` (inclusive) merged into one; a 0-d tensor becomes 1-D."""
    shape = self._data.shape
    if not shape:
        return self.reshape(1)
    start, end = normalize_dim(start_dim, len(shape)), normalize_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    merged = int(np.prod(shape[start : end + 1]))
    return self.reshape(shape[:start] + (merged,) + shape[end + 1 :])


@method
def unsqueeze(self, dim: int) -> Tensor:
    """A new dim of length 1 at ``dim`` (in ``[-ndim - 1, ndim]``)."""
    shape = self._data.shape
    d = normalize_dim(dim, len(shape) + 1)
    return self.reshape(shape[:d] + (1,) + shape[d:])


@method
def squeeze(self, dim: int | tuple[int, ...] | None = None) -> Tensor:
    """Dims of length 1 removed: all of them, or those of ``dim`` (a dim of another length
    named in ``dim`` is left as it is, as in PyTorch)."""
    shape = self._data.shape
    if dim is None:
        dims = set(range(len(shape)))
    else:
        dims = {normalize_dim(d, len(shape)) for d in (dim if isinstance(dim, tuple) else (dim,))}
    return self.reshape(tuple(n for i, n in enumerate(shape) if n != 1 or i not in dims))


@method
def contiguous(self) -> Tensor:
    """This tensor if its data is laid out row by row in memory (C order), else a copy that is."""
    if self._data.flags.c_contiguous:
        return self
    return _result(np.ascontiguousarray(self._data), "copy", (self,), None, self.requires_grad)


@method
def clone(self) -> Tensor:
    """A copy of the data in new memory, still in the graph (its gradient flows back)."""
    return _result(self._data.copy(), "copy", (self,), None, self.requires_grad)


VJPS["copy"] = (lambda g, ans, ctx: g,)
RULE_TEXT["copy"] = ("grad",)


# --------------------------------------------------------------------- reordering dims


@method
def transpose(self, dim0: int, dim1: int) -> Tensor:
    """Dims ``dim0`` and ``dim1`` swapped (negative dims count from the end):
    ``k.transpose(-2, -1)`` transposes a batch of matrices. A view."""
    ndim = self._data.ndim
    d0, d1 = normalize_dim(dim0, ndim), normalize_dim(dim1, ndim)
    if ndim == 0:
        return _view(self._data.view(), "permute", self, ())
    return _view(self._data.swapaxes(d0, d1), "transpose", self, (d0, d1))


VJPS["transpose"] = (lambda g, ans, dims: g.swapaxes(*dims),)  # the swap is its own inverse
RULE_TEXT["transpose"] = ("grad.swapaxes(d0, d1)",)
Tensor.swapaxes = Tensor.swapdims = Tensor.transpose  # type: ignore[attr-defined]


@method
def permute(self, *dims: int | tuple[int, ...]) -> Tensor:
    """The dims reordered: output dim i is input dim ``dims[i]`` (``t.permute(2, 0, 1)``)."""
    order = _shape_arg(dims, "permute")
    ndim = self._data.ndim
    if len(order) != ndim:
        raise RuntimeError(
            f"permute(): the number of dims given ({len(order)}) does not match the tensor's "
            f"({ndim}, shape {self._data.shape})"
        )
    order = tuple(normalize_dim(d, ndim) for d in order)
    if len(set(order)) != len(order):
        raise RuntimeError(f"permute(): duplicate dims are not allowed, got {dims}")
    inverse = tuple(np.argsort(order).tolist())
    return _view(self._data.transpose(order), "permute", self, inverse)


VJPS["permute"] = (lambda g, ans, inverse: g.transpose(inverse),)  # None: reverse all
RULE_TEXT["permute"] = ("grad.transpose(inverse)",)


def _reversed_dims(self: Tensor) -> Tensor:
    """``t.T``: every dim reversed, the matrix transpose for 2-D (as PyTorch's ``T``)."""
    return _view(self._data.T, "permute", self, None)


def _matrix_transpose(self: Tensor) -> Tensor:
    """``t.mT``: the last two dims swapped, a batch of matrices transposed."""
    ndim = self._data.ndim
    if ndim < 2:
        raise RuntimeError(
            f"tensor.mT is only supported on matrices or batches of matrices; got {ndim}-D"
        )
    return _view(self._data.swapaxes(-2, -1), "transpose", self, (ndim - 2, ndim - 1))


Tensor.T = property(_reversed_dims)  # type: ignore[attr-defined]
Tensor.mT = property(_matrix_transpose)  # type: ignore[attr-defined]


@method
def t(self) -> Tensor:
    """The transpose of a matrix; a 0-D or 1-D tensor is returned as it is."""
    if self._data.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D"
        )
    return _reversed_dims(self)


@method
def expand(self, *sizes: int | tuple[int, ...]) -> Tensor:
    """A view with length-1 dims repeated to ``sizes`` (-1: keep that dim), and new leading
    dims in front; no copy (read-only). The gradient sums over the repeats."""
    target = list(_shape_arg(sizes, "expand"))
    shape = self._data.shape
    lead = len(target) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand(): the number of sizes provided ({len(target)}) must be greater or equal "
            f"to the number of dimensions in the tensor ({len(shape)})"
        )
    for i, n in enumerate(target):
        if n == -1:
            if i < lead:
                raise RuntimeError(
                    f"expand(): the expanded size -1 isn't allowed in a leading, "
                    f"non-existing dimension {i}"
                )
            target[i] = shape[i - lead]
        elif i >= lead and shape[i - lead] not in (1, n):
            raise RuntimeError(
                f"expand(): the expanded size of the tensor ({n}) must match the existing size "
                f"({shape[i - lead]}) at non-singleton dimension {i}. Target sizes: {list(sizes)}. "
                f"Tensor sizes: {list(shape)}"
            )
    return _view(np.broadcast_to(self._data, tuple(target)), "expand", self, None)


VJPS["expand"] = (lambda g, ans, ctx: g,)  # backward sums g back to the input's shape
RULE_TEXT["expand"] = ("grad",)


@method
def expand_as(self, other: Tensor) -> Tensor:
    """``self.expand(other.size())``."""
    return self.expand(other._data.shape)


@method
def repeat(self, *sizes: int | tuple[int, ...]) -> Tensor:
    """The tensor tiled ``sizes[i]`` times along dim i (a copy), with new leading dims when
    ``sizes`` is longer than the shape, as PyTorch's (NumPy's ``tile``): a (3,) tensor
    ``.repeat(4, 2)`` is (4, 6). The gradient of each entry sums over its copies.

    >>> Tensor([1, 2]).repeat(2, 2).tolist()
    [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    reps = _shape_arg(sizes, "repeat")
    shape = self._data.shape
    if len(reps) < len(shape):
        raise ShapeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            f"of tensor: repeat{reps} on a tensor of shape {tuple(shape)}"
        )
    if any(n < 0 for n in reps):
        raise RuntimeError(f"repeat(): the repeats must be >= 0, got {list(reps)}")
    return _result(np.tile(self._data, reps), "repeat", (self,), (reps, shape), self.requires_grad)


def _repeat_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    reps, shape = ctx
    original = (1,) * (len(reps) - len(shape)) + shape
    # Split each dim of g into (copies, original length), then sum over the copies.
    split = [n for pair in zip(reps, original) for n in pair]
    return g.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(shape)


VJPS["repeat"] = (_repeat_grad,)
# each dim of grad split into (copies, length): the copies summed
RULE_TEXT["repeat"] = ("grad.reshape(tiles).sum(copies).reshape(a.shape)",)


@method
def roll(self, shifts: int | tuple[int, ...], dims: int | tuple[int, ...] | None = None) -> Tensor:
    """Entries shifted cyclically by ``shifts`` along ``dims`` (the flattened tensor if None)."""
    if dims is not None:
        many = isinstance(dims, (tuple, list))
        ndim = self._data.ndim
        dims = tuple(normalize_dim(d, ndim) for d in dims) if many else normalize_dim(dims, ndim)
    data = np.roll(self._data, shifts, axis=dims)
    return _result(data, "roll", (self,), (shifts, dims), self.requires_grad)


VJPS["roll"] = (lambda g, ans, ctx: np.roll(g, np.negative(ctx[0]), axis=ctx[1]),)
RULE_TEXT["roll"] = ("np.roll(grad, np.negative(shifts), axis=dims)",)


# --------------------------------------------------------------------- splitting


@method
def split(self, split_size_or_sections: int | list[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Consecutive pieces along ``dim``: of ``split_size`` entries each (the last may be
    shorter), or of the lengths listed. Each piece is a view with its own gradient path."""
    shape = self._data.shape
    d = normalize_dim(dim, len(shape))
    if not shape:
        raise RuntimeError("split(): a 0-d tensor cannot be split")
    n = shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [operator.index(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split(): the sizes must sum exactly to {n} (the tensor's size at dimension "
                f"{d}, shape {shape}), but got split sizes {sizes}"
            )
    else:
        size = operator.index(split_size_or_sections)
        if size <= 0 and not (size == 0 and n == 0):
            raise RuntimeError(f"split(): split_size must be a positive int, got {size}")
        sizes = [min(size, n - start) for start in range(0, n, size)] if n else [0]
    pieces, start = [], 0
    lead = (slice(None),) * d
    for size in sizes:
        pieces.append(self[lead + (slice(start, start + size),)])
        start += size
    return tuple(pieces)


@method
def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` pieces of ceil(length / chunks) entries along ``dim``."""
    chunks = operator.index(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk(): chunks must be greater than 0, got {chunks}")
    if not self._data.shape:
        raise RuntimeError("chunk(): a 0-d tensor cannot be chunked")
    n = self._data.shape[normalize_dim(dim, self._data.ndim)]
    return self.split(max(-(-n // chunks), 1) if n else 0, dim)


@method
def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, that dim removed: ``torch.cat(torch.unbind(emb, 1), 1)``
    lays an (N, T, C) batch out as (N, T*C). Each slice is a view with its own gradient path."""
    if not self._data.shape:
        raise IndexError("unbind(): a 0-d tensor has no dimension to unbind")
    d = normalize_dim(dim, self._data.ndim)
    lead = (slice(None),) * d
    return tuple(self[lead + (i,)] for i in range(self._data.shape[d]))
