"""Joining tensors: ``cat`` and ``stack``, each forward with its derivative rule below it.

Both take any number of tensors, so their rules are per position: operand ``i`` gets its
own slice of the gradient. ``VJPS`` holds for them an ``EachOperand``, which the engine reads
like the usual tuple of rules (one per operand, in order).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from micrograd.tensors._shapes import alias, normalize_dim
from micrograd.tensors.core import RULE_TEXT, VJPS, Tensor, _result, ndarray
from micrograd.tensors.dtypes import result_type
from micrograd.tensors.errors import ShapeError

__all__ = ["cat", "concat", "concatenate", "stack"]


class EachOperand:
    """The rules of an op with any number of operands: operand ``i``'s rule is
    ``rule(i, g, ans, ctx)``. Indexing and iterating give them as (g, ans, ctx) functions, in
    operand order, as VJPS entries are read."""

    def __init__(self, rule: Callable[[int, ndarray, ndarray, Any], ndarray]) -> None:
        self.rule = rule

    def __getitem__(self, i: int) -> Callable[[ndarray, ndarray, Any], ndarray]:
        return functools.partial(self.rule, i)

    def __iter__(self) -> Iterator[Callable[[ndarray, ndarray, Any], ndarray]]:
        return (functools.partial(self.rule, i) for i in itertools.count())


def _tensors(tensors: Any, name: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(
            f"{name}(): tensors must be a tuple or list of tensors, got {type(tensors).__name__}"
        )
    if not tensors:
        raise ValueError(f"{name}(): expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected a tensor at position {i}, got {type(t).__name__}")
    return list(tensors)


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors joined along ``dim``: their shapes must match in every other dimension.
    Mixed dtypes promote as in PyTorch (float32 with int64 gives float32). A 1-D empty
    tensor (shape (0,)) is skipped, as PyTorch does, so ``cat([tensor([]), x])`` is ``x``.

    >>> a, b = Tensor([[1.0, 2.0]]), Tensor([[3.0, 4.0]])
    >>> cat([a, b]).shape, cat((a, b), dim=1).tolist()
    (Size([2, 2]), [[1.0, 2.0, 3.0, 4.0]])
    """
    given = _tensors(tensors, "cat")
    dim = alias(dim, axis, "dim", "axis", 0)
    for i, t in enumerate(given):
        if t._data.ndim == 0:
            raise ShapeError(f"cat(): zero-dimensional tensor (at position {i}) cannot be joined")
    skipped = [t._data.shape == (0,) for t in given]
    if all(skipped):
        skipped = [False] * len(given)
    parts = [t for t, skip in zip(given, skipped) if not skip]
    ndim = parts[0]._data.ndim
    d = normalize_dim(dim, ndim)
    first = parts[0]._data.shape
    for i, (t, skip) in enumerate(zip(given, skipped)):
        shape = t._data.shape
        if not skip and (
            len(shape) != ndim or shape[:d] + shape[d + 1 :] != first[:d] + first[d + 1 :]
        ):
            raise ShapeError(
                f"cat(): shapes must match except in dimension {d}, got {first} first and "
                f"{shape} at position {i}"
            )
    out = result_type(*(t._data for t in given))  # the skipped ones count here
    data = np.concatenate([t._data for t in parts], axis=d, dtype=out)
    spans, start = [], 0  # operand i is ans's slice spans[i] along d (None: a skipped one)
    for t, skip in zip(given, skipped):
        if skip:
            spans.append(None)
        else:
            spans.append((start, start + t._data.shape[d]))
            start += t._data.shape[d]
    return _result(data, "cat", tuple(given), (d, spans), any(t.requires_grad for t in given))


def _cat_grad(i: int, g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    d, spans = ctx
    if spans[i] is None:
        return np.zeros(0, g.dtype)
    return g[(slice(None),) * d + (slice(*spans[i]),)]


VJPS["cat"] = EachOperand(_cat_grad)
RULE_TEXT["cat"] = ("np.zeros(0) if skipped else grad[span]",)  # every operand: its span

concat = concatenate = cat  # PyTorch's aliases


def stack(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors, all of one shape, stacked along a new dimension ``dim`` (which may be
    ``-(ndim + 1)`` to ``ndim``).

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], dim=1).tolist()
    [[1.0, 3.0], [2.0, 4.0]]
    """
    given = _tensors(tensors, "stack")
    dim = alias(dim, axis, "dim", "axis", 0)
    shape = given[0]._data.shape
    for i, t in enumerate(given):
        if t._data.shape != shape:
            raise ShapeError(
                f"stack(): expects each tensor to be equal size, but got {shape} at entry 0 "
                f"and {t._data.shape} at entry {i}"
            )
    d = normalize_dim(dim, len(shape) + 1)
    data = np.stack([t._data for t in given], axis=d, dtype=result_type(*(t._data for t in given)))
    return _result(data, "stack", tuple(given), d, any(t.requires_grad for t in given))


VJPS["stack"] = EachOperand(lambda i, g, ans, d: g[(slice(None),) * d + (i,)])
RULE_TEXT["stack"] = ("grad[span]",)
