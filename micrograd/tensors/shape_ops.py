"""Views, reshaping and indexing: each op's forward, then its rule."""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.tensors.core import VJPS, Tensor, _result, method, ndarray


@method
def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
    """The same data in a new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; -1 infers."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return _result(
        self.data.reshape(shape), "reshape", (self,), self.data.shape, self.requires_grad
    )


VJPS["reshape"] = (lambda g, ans, shape: g.reshape(shape),)  # ctx = a.shape


@method
def transpose(self, *axes: int | tuple[int, ...]) -> Tensor:
    """Permute the axes, as NumPy's ``transpose``: no argument reverses them all.

    ``axes`` is a full permutation (``t.transpose(0, 2, 1)``), NumPy's meaning; to swap two
    axes of a 3-D tensor write the permutation out.
    """
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if not axes:
        data, inverse = self.data.transpose(), None
    else:
        data = self.data.transpose(axes)  # NumPy checks that axes is a permutation
        inverse = tuple(np.argsort([a % self.data.ndim for a in axes]).tolist())
    return _result(data, "transpose", (self,), inverse, self.requires_grad)


def _reversed_axes(self: Tensor) -> Tensor:
    """All axes reversed (the matrix transpose for 2-D)."""
    # transpose() without its argument handling: Linear takes W.T every call
    return _result(self.data.T, "transpose", (self,), None, self.requires_grad)


Tensor.T = property(_reversed_axes)  # type: ignore[attr-defined]


def _transpose_grad(g: ndarray, ans: ndarray, inverse: tuple[int, ...] | None) -> ndarray:
    return g.transpose() if inverse is None else g.transpose(inverse)


VJPS["transpose"] = (_transpose_grad,)  # ctx = the inverse permutation


@method
def __getitem__(self, index: Any) -> Tensor:
    """NumPy indexing: ints, slices, None, ..., integer arrays (or Tensors), boolean masks.

    Where an integer array repeats an index, the gradients of the repeats add up.
    """
    if isinstance(index, Tensor):
        index = index.data
    elif type(index) is tuple:
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return _result(
        self.data[index],
        "index",
        (self,),
        (self.data.shape, index, _is_basic_index(index)),
        self.requires_grad,
    )


def _index_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    shape, index, basic = ctx
    out = np.zeros(shape, g.dtype)
    if basic:  # ints and slices pick each entry at most once
        out[index] = g
    else:  # integer arrays may repeat an entry: add every pick
        np.add.at(out, index, g)
    return out


VJPS["index"] = (_index_grad,)  # g scattered back, repeats added


def _is_basic_index(index: Any) -> bool:
    """True if ``index`` picks every entry at most once (ints, slices, None, Ellipsis)."""
    items = index if type(index) is tuple else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)
