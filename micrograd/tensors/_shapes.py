"""Shape helpers every part of the tensor engine shares: undoing broadcasting (the one place a
gradient is summed back to its operand's shape), adding a slice's gradient where it lands,
kept-dims shapes, ``dim`` arguments."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

ndarray = np.ndarray


def unbroadcast(grad: ndarray, shape: tuple[int, ...]) -> ndarray:
    """Sum a gradient of a broadcast result back to an operand's ``shape``: the one place."""
    if grad.ndim == 2 and grad.shape[1:] == shape and grad.flags.c_contiguous:
        # A bias added to a batch of rows, the common case, tested first and in few steps:
        # ones @ grad is a BLAS matrix-vector product, where NumPy's sum(axis=0) pays a loop
        # per row; ndarray.dot skips matmul's ufunc machinery.
        return ones(len(grad), grad.dtype.char).dot(grad)
    lead = grad.ndim - len(shape)
    kept_ones = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if kept_ones:
        return grad.sum(axis=tuple(range(lead)) + kept_ones, keepdims=True).reshape(shape)
    return np.asarray(grad.sum(axis=tuple(range(lead))))  # a full sum is a NumPy scalar


class SliceGrad:
    """A gradient that is zero except on ``index`` (a basic index: ints, slices, None,
    Ellipsis), where it is ``values``: what the rule of ``t[index]`` returns. The engine adds
    it into the operand's gradient where it lands, instead of into a full array of zeros per
    piece: a tensor ``split`` in three (attention's q, k, v) costs one array of zeros and
    three slice additions, not three arrays of zeros and two full additions."""

    __slots__ = ("index", "values")

    def __init__(self, index: Any, values: ndarray) -> None:
        self.index = index
        self.values = values


def add_slice(parent: Any, grad: SliceGrad) -> None:
    """Add ``grad`` into ``parent.grad`` (a Tensor's), in place if the backward walk owns
    that array (``parent._owns_grad``, see ``autograd``)."""
    old = parent.grad
    if old is None:  # the first piece: written into zeros
        data = parent.data
        total = parent.grad = np.zeros(data.shape, data.dtype)
        parent._owns_grad = True
        total[grad.index] = grad.values
        return
    if not (parent._owns_grad and old.flags.writeable):
        old = parent.grad = old.astype(parent.data.dtype)  # a copy, to add into
        parent._owns_grad = True
    view = old[grad.index]
    if type(view) is ndarray:
        np.add(view, grad.values, out=view)
    else:  # every dim indexed by an int: a single entry
        old[grad.index] += grad.values


@functools.lru_cache(maxsize=16)
def ones(n: int, dtype: str) -> ndarray:
    """A read-only vector of n ones, kept for ``unbroadcast``: np.ones would cost as much as
    the product it feeds, and a batch size repeats every step."""
    vector = np.ones(n, dtype)
    vector.flags.writeable = False
    return vector


class Size(tuple):
    """A shape, as ``Tensor.size()`` returns it: a tuple of ints, like ``torch.Size``.

    >>> Size([2, 3]) == (2, 3), Size([2, 3]).numel()
    (True, 6)
    """

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements a tensor of this shape has."""
        count = 1
        for n in self:
            count *= n
        return count

    def __repr__(self) -> str:
        return f"Size({list(self)})"


def kept_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """The shape of a reduction over ``axis`` (None: all) with keepdims=True."""
    ndim = len(shape)
    if axis is None:
        return (1,) * ndim
    reduced = {a % ndim for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis)}
    return tuple(1 if i in reduced else n for i, n in enumerate(shape))


def _is_int(a: Any) -> bool:
    return isinstance(a, (int, np.integer)) and not isinstance(a, bool)


def normalize_dim(dim: Any, ndim: int, name: str = "dim") -> int:
    """One dimension index in ``[-ndim, ndim)`` as a non-negative int; IndexError otherwise,
    worded as PyTorch's (a 0-d tensor accepts 0 and -1)."""
    if not _is_int(dim):
        raise TypeError(f"{name} must be an int, got {type(dim).__name__}: {dim!r}")
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-bound}, {bound - 1}], "
            f"but got {dim})"
        )
    return int(dim) % bound


def alias(value: Any, alias_value: Any, name: str, alias_name: str, default: Any) -> Any:
    """``value``, or ``alias_value`` if the caller used NumPy's name (``axis`` for ``dim``,
    ``keepdims`` for ``keepdim``), as PyTorch accepts both; TypeError if given both ways."""
    if alias_value is None:
        return value
    if value is not default:
        raise TypeError(f"got both {name}= and its alias {alias_name}=; pass one")
    return alias_value


def reduce_dims(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """A reduction's ``dim`` (None, an int, or a tuple or list of ints) as the NumPy axes to
    reduce: None for all (also for an empty tuple, as PyTorch reads it), else a tuple of
    distinct non-negative ints. A 0-d tensor accepts 0 and -1 (and reduces nothing)."""
    if dim is None:
        return None
    if _is_int(dim):
        dims: tuple[int, ...] = (normalize_dim(dim, ndim),)
    elif isinstance(dim, (tuple, list)) and all(_is_int(d) for d in dim):
        if not dim:
            return None
        dims = tuple(normalize_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"dim {tuple(dim)} appears multiple times in the list of dims")
    else:
        raise TypeError(f"dim (axis) must be None, an int or a tuple of ints, got {dim!r}")
    return None if ndim == 0 else dims
