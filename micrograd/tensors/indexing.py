"""Indexing and writing: ``t[i]``, ``gather``, ``t[i] = v``, ``masked_fill``,
``masked_fill_``, ``fill_``.

Indices are NumPy's (and PyTorch's): ints, slices, None, ``...``, integer tensors, arrays or
lists (``v[:, [-1]]``) and bool masks. An in-place write (``t[i] = v``, ``fill_``,
``masked_fill_``, and ``add_``... in ``inplace``) changes the tensor's data and bumps its
version counter, so that a backward through an operation that kept the old values raises
instead of giving a wrong gradient (see ``core``). As in PyTorch, a leaf that requires grad
(a parameter) can be written in place only under ``no_grad()``; a write into a tensor
computed in a graph, or of a value that requires grad, is recorded in the graph
(``inplace._record``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.tensors._shapes import normalize_dim
from micrograd.tensors.core import (
    RULE_TEXT,
    VJPS,
    Scalar,
    Tensor,
    _constant,
    _result,
    _view,
    method,
    ndarray,
)
from micrograd.tensors.dtypes import cast_numbers
from micrograd.tensors.errors import DTypeError, ShapeError
from micrograd.tensors.inplace import _inplace_target, _record, _recorded, _source, _write

Index = Any  # int, slice, None, Ellipsis, Tensor, ndarray, list, or a tuple of them


def _index_array(array: ndarray, keep: bool) -> ndarray:
    """An index array, checked (integers or bools) and, if ``keep``, copied: a rule that
    reads it at backward time must see it as it was."""
    if array.dtype.kind not in "biu":
        if array.size == 0:  # [] is float to NumPy; an empty index to PyTorch
            return array.astype(np.intp)
        raise IndexError(
            f"tensors used as indices must be integer or bool tensors, got dtype {array.dtype}"
        )
    return array.copy() if keep else array


def _index_item(item: Any, keep: bool) -> Any:
    if isinstance(item, Tensor):
        return _index_array(item._data, keep)
    if isinstance(item, (list, ndarray)):
        return _index_array(np.asarray(item), keep)
    if isinstance(item, (float, np.floating)):
        raise IndexError(
            f"only integers, slices (`:`), ellipsis (`...`), None and integer or bool "
            f"tensors are valid indices, got float {item!r}"
        )
    return item


def _converted(index: Index, keep: bool) -> Index:
    if type(index) is tuple:
        return tuple(_index_item(i, keep) for i in index)
    return _index_item(index, keep)


def _is_basic_index(index: Index) -> bool:
    """True if ``index`` picks every entry at most once (ints, slices, None, Ellipsis)."""
    items = index if type(index) is tuple else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


# --------------------------------------------------------------------- reading


@method
def __getitem__(self, index: Index) -> Tensor:
    """``t[index]``. Ints and slices give a view (sharing memory); integer tensors, lists
    and bool masks a copy. Where an integer index repeats an entry, its gradients add up."""
    index = _converted(index, keep=self.requires_grad)
    data = self._data[index]
    if _is_basic_index(index):
        if type(data) is not ndarray:  # every dim indexed by an int: a 0-d view, not a copy
            data = self._data[(*index, ...) if type(index) is tuple else (index, ...)]
        return _view(data, "index", self, (self._data.shape, index, True))
    return _result(data, "index", (self,), (self._data.shape, index, False), self.requires_grad)


def _index_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    shape, index, basic = ctx  # zeros, with g where the picked entries came from
    out = np.zeros(shape, g.dtype)
    if basic:  # ints and slices pick each entry at most once
        out[index] = g
    else:  # integer arrays may pick an entry twice: each pick adds its gradient
        np.add.at(out, index, g)
    return out


VJPS["index"] = (_index_grad,)  # g scattered back, repeats added
RULE_TEXT["index"] = ("add_at(np.zeros_like(a), index, grad)",)


@method
def gather(self, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Entries picked along ``dim`` by ``index``, as ``torch.gather``: for dim=1,
    ``out[i][j] = self[i][index[i][j]]``. ``index`` holds int64 (or int32) positions in
    [0, self.size(dim)), has as many dims as ``self`` and is no larger in the others; ``out``
    has its shape. (build-nanogpt's sampling: ``torch.gather(topk_indices, -1, ix)``.)

    Written as indexing: ``index`` on ``dim`` and each other dim's own positions, so the
    gradient is indexing's (scattered back, repeated picks added). ``sparse_grad`` is
    accepted; the gradient is dense either way.

    >>> Tensor([[1, 2], [3, 4]]).gather(1, Tensor([[0, 0], [1, 0]])).tolist()
    [[1, 1], [4, 3]]
    """
    if not isinstance(index, Tensor):
        raise TypeError(f"gather(): argument 'index' must be a Tensor, not {type(index).__name__}")
    if not isinstance(sparse_grad, (bool, np.bool_)):
        raise TypeError(f"gather(): sparse_grad must be True or False, got {sparse_grad!r}")
    positions = index._data
    if positions.dtype not in (np.int64, np.int32):
        raise DTypeError(f"gather(): Expected dtype int32/int64 for index, got {positions.dtype}")
    shape = self._data.shape
    if positions.ndim != len(shape):
        raise ShapeError(
            f"gather(): Index tensor must have the same number of dimensions as input tensor "
            f"(index {tuple(positions.shape)}, input {tuple(shape)})"
        )
    d = normalize_dim(dim, len(shape))
    if not shape:  # a 0-d input: the only position is 0
        shape, positions = (1,), positions.reshape(1)
    for i, (n, m) in enumerate(zip(positions.shape, shape, strict=True)):
        if i != d and n > m:
            raise ShapeError(
                f"gather(): Size does not match at dimension {i} expected index "
                f"{list(positions.shape)} to be no larger than self {list(shape)} apart from "
                f"dimension {d}"
            )
    bad = positions[(positions < 0) | (positions >= shape[d])]
    if bad.size:
        raise RuntimeError(
            f"index {bad[0]} is out of bounds for dimension {d} with size {shape[d]}"
        )
    where = list(np.ogrid[tuple(slice(n) for n in positions.shape)])
    where[d] = positions
    source = self if self._data.ndim else self.reshape(1)
    return source[tuple(where)].reshape(index._data.shape)


@method
def __setitem__(self, index: Index, value: Any) -> None:
    """``t[index] = value``: writes in place (NumPy's broadcasting; floats written into an
    integer tensor are truncated, as in PyTorch) and bumps the version counter. Recorded in
    the graph if ``t`` or ``value`` requires grad: then ``value`` gets the gradient of the
    entries written, and ``t``'s earlier history that of the others."""
    op = "t[index] = value"
    if _recorded(self, value, op):
        index = _converted(index, keep=True)
        grad_value = isinstance(value, Tensor) and value.requires_grad
        source = value._data if grad_value else _source(value, op)
        _record(self, op, lambda old: _assigned(old._data, index, source), index, grad_value, value)
        return
    data = _inplace_target(self, op)
    _assign(data, _converted(index, keep=False), _source(value, op))
    self._bump_version()


def _assigned(data: ndarray, index: Index, source: Any) -> ndarray:
    """A copy of ``data`` with ``source`` written at ``index``."""
    data = data.copy()
    _assign(data, index, source)
    return data


def _assign(data: ndarray, index: Index, source: Any) -> None:
    """``data[index] = source``, with PyTorch's errors."""
    shape = np.shape(source)

    def write() -> None:
        try:
            data[index] = source
        except ValueError:
            target = np.shape(data[index])
            try:
                np.broadcast_shapes(shape, target)
            except ValueError:
                raise ValueError(
                    f"shape mismatch: a value of shape {shape} cannot be broadcast to the "
                    f"indexed shape {target}"
                ) from None
            raise

    _write(data, "t[index] = value", write)


def _mask(mask: Any, op: str) -> ndarray:
    m = mask._data if isinstance(mask, Tensor) else mask
    if not isinstance(m, ndarray):
        raise TypeError(f"{op}: mask must be a bool Tensor, got {type(mask).__name__}")
    if m.dtype.kind != "b":
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {m.dtype}")
    return m


def _fill_value(value: Any, dtype: np.dtype, op: str) -> tuple[ndarray, Tensor | None]:
    """The fill value as a 0-d array of ``dtype``, and the value tensor if it is one."""
    tensor = value if isinstance(value, Tensor) else None
    if tensor is not None:
        if tensor._data.ndim != 0:
            raise RuntimeError(
                f"{op} only supports a 0-dimensional value tensor, but got one of shape "
                f"{tensor._data.shape}"
            )
        value = tensor._data
    else:
        value = _constant(value)
        if value is NotImplemented or isinstance(value, ndarray):
            raise TypeError(f"{op}: value must be a number or a 0-d Tensor, got {value!r}")
    return cast_numbers(value, dtype, op), tensor


@method
def masked_fill(self, mask: Tensor, value: Scalar | Tensor) -> Tensor:
    """``value`` where the bool ``mask`` (broadcast with self) is True, self elsewhere. The
    value may be ±inf (the causal mask of attention) or a 0-d tensor; the gradient is 0
    where the value was filled in."""
    m = _mask(mask, "masked_fill")
    x = self._data
    fill, tensor = _fill_value(value, x.dtype, "masked_fill")
    try:
        data = np.where(m, fill, x)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: the mask's shape {m.shape} does not broadcast with the tensor's "
            f"shape {x.shape}"
        ) from None
    prev = (self,) if tensor is None else (self, tensor)
    requires_grad = self.requires_grad or (tensor is not None and tensor.requires_grad)
    if requires_grad and isinstance(mask, Tensor):
        m = m.copy()  # the rule's own copy: a later write into the mask cannot change it
    return _result(data, "masked_fill", prev, m, requires_grad)


VJPS["masked_fill"] = (  # ctx = the mask
    lambda g, ans, m: np.where(m, 0, g),
    lambda g, ans, m: np.where(m, g, 0).sum(),
)
RULE_TEXT["masked_fill"] = ("np.where(mask, 0, grad)", "np.where(mask, grad, 0).sum()")


@method
def masked_fill_(self, mask: Tensor, value: Scalar | Tensor) -> Tensor:
    """In-place ``masked_fill`` (the mask broadcasts to self's shape); returns self."""
    if _recorded(self, value, "masked_fill_"):
        _record(self, "masked_fill_", lambda old: old.masked_fill(mask, value), None)
        return self
    data = _inplace_target(self, "masked_fill_")
    m = _mask(mask, "masked_fill_")
    fill, tensor = _fill_value(value, data.dtype, "masked_fill_")
    if tensor is not None:
        _source(tensor, "masked_fill_")
    _write(data, "masked_fill_", lambda: np.copyto(data, fill, where=m))
    self._bump_version()
    return self


@method
def fill_(self, value: Scalar | Tensor) -> Tensor:
    """In place: every entry set to ``value``. Returns self."""
    data = _inplace_target(self, "fill_")
    fill, _ = _fill_value(value, data.dtype, "fill_")
    data[...] = fill
    self._bump_version()
    return self


@method
def zero_(self) -> Tensor:
    """In place: every entry set to 0. Returns self."""
    return self.fill_(0)
