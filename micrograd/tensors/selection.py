"""Picking entries: ``where``, ``tril``/``triu``, ``topk``, ``sort``, ``argsort``; each op's
forward, then its derivative rule. Each is a function (``micrograd.where``) and, as in
PyTorch, a method (``x.where(cond, y)``, ``x.topk(3)``).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from micrograd.tensors._shapes import normalize_dim
from micrograd.tensors.core import RULE_TEXT, VJPS, Tensor, _result, method, ndarray
from micrograd.tensors.dtypes import result_type
from micrograd.tensors.errors import DTypeError, ShapeError

__all__ = ["argsort", "sort", "topk", "tril", "triu", "where"]

# What PyTorch's torch.return_types give: tuples whose fields are also named.
topk_result = namedtuple("topk", ["values", "indices"])
sort_result = namedtuple("sort", ["values", "indices"])


def _tensor_arg(x: Any, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}() needs a tensor, got {type(x).__name__}: {x!r}")
    return x


# --------------------------------------------------------------------- where


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """``input`` where ``condition`` is True, else ``other``; the three broadcast together.

    ``input`` and ``other`` may be tensors or numbers; the dtype is PyTorch's promotion of
    the two (a float32 tensor with 0.0 stays float32). With only ``condition``, the tuple of
    index tensors of its True entries (``condition.nonzero(as_tuple=True)``).

    >>> x = Tensor([1.0, -2.0, 3.0])
    >>> where(x > 0, x, 0.0).tolist()
    [1.0, 0.0, 3.0]
    """
    condition = _tensor_arg(condition, "where")
    if condition._data.dtype.kind != "b":
        raise DTypeError(
            f"where() expects condition to be a boolean tensor, got dtype {condition._data.dtype}"
        )
    if input is None and other is None:
        return tuple(_result(i, "", (), None, False) for i in np.nonzero(condition._data))
    if input is None or other is None:
        raise TypeError("where() takes condition alone, or condition, input and other")
    a = input._data if isinstance(input, Tensor) else _number(input)
    b = other._data if isinstance(other, Tensor) else _number(other)
    dtype = result_type(a, b)
    cond = condition._data
    try:
        data = np.where(cond, a, b).astype(dtype, copy=False)
    except ValueError:
        raise ShapeError(
            f"where(): shapes do not broadcast: condition {cond.shape}, input "
            f"{np.shape(a)}, other {np.shape(b)}"
        ) from None
    operands = tuple(x for x in (input, other) if isinstance(x, Tensor))
    rules = (  # the rule of each tensor operand, in order
        ("where_input",) * isinstance(input, Tensor) + ("where_other",) * isinstance(other, Tensor)
    )
    op = "where" if len(rules) == 2 else (rules[0] if rules else "")
    return _result(data, op, operands, cond, any(t.requires_grad for t in operands))


def _number(x: Any) -> Any:
    if isinstance(x, np.generic):
        x = x.item()
    if not isinstance(x, (bool, int, float)):
        raise TypeError(f"where(): input and other must be tensors or numbers, got {x!r}")
    return x


def _where_input(g: ndarray, ans: ndarray, cond: ndarray) -> ndarray:
    return np.where(cond, g, 0).astype(g.dtype, copy=False)


def _where_other(g: ndarray, ans: ndarray, cond: ndarray) -> ndarray:
    return np.where(cond, 0, g).astype(g.dtype, copy=False)


VJPS["where"] = (_where_input, _where_other)  # ctx = condition
VJPS["where_input"] = (_where_input,)  # other was a number
VJPS["where_other"] = (_where_other,)  # input was a number
RULE_TEXT["where"] = ("np.where(cond, grad, 0)", "np.where(cond, 0, grad)")
RULE_TEXT["where_input"] = ("np.where(cond, grad, 0)",)
RULE_TEXT["where_other"] = ("np.where(cond, 0, grad)",)


@method("where")
def where_method(self, condition: Tensor, other: Any) -> Tensor:
    """``where(condition, self, other)``."""
    return where(condition, self, other)


# --------------------------------------------------------------------- triangles


def _triangle(input: Tensor, diagonal: int, lower: bool) -> Tensor:
    name = "tril" if lower else "triu"
    input = _tensor_arg(input, name)
    if input._data.ndim < 2:
        raise ShapeError(
            f"{name}(): input must have at least 2 dimensions, got shape {input._data.shape}"
        )
    if isinstance(diagonal, bool) or not isinstance(diagonal, (int, np.integer)):
        raise TypeError(f"{name}(): diagonal must be an int, got {diagonal!r}")
    k = int(diagonal)
    data = np.tril(input._data, k) if lower else np.triu(input._data, k)
    return _result(data, name, (input,), k, input.requires_grad)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dimensions: entries (i, j) with j - i <= diagonal
    kept, the others 0. ``tril(ones(T, T))`` is the causal mask of attention.

    >>> tril(Tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[1.0, 0.0], [3.0, 4.0]]
    """
    return _triangle(input, diagonal, lower=True)


VJPS["tril"] = (lambda g, ans, k: np.tril(g, k),)  # the kept entries pass their gradient
RULE_TEXT["tril"] = ("np.tril(grad, k)",)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dimensions: entries with j - i >= diagonal."""
    return _triangle(input, diagonal, lower=False)


VJPS["triu"] = (lambda g, ans, k: np.triu(g, k),)
RULE_TEXT["triu"] = ("np.triu(grad, k)",)

method(tril)
method(triu)


# --------------------------------------------------------------------- sorting


def _order(x: ndarray, axis: int, descending: bool) -> ndarray:
    """Indices sorting ``x`` along ``axis``, stable (ties keep their order) and with NaN
    counted as the largest value, as PyTorch. Descending: the ascending sort of the reversed
    array, reversed, so ties still come in index order."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    flipped = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return n - 1 - np.flip(flipped, axis)


def _sorted(input: Tensor, dim: int, descending: bool, k: int | None, op: str) -> tuple:
    x = input._data
    d = normalize_dim(dim, x.ndim)
    if x.ndim == 0:  # a 0-d tensor sorts as one element
        x = x.reshape(1)
    order = _order(x, d, descending)
    if k is not None:
        order = order[(slice(None),) * d + (slice(0, k),)]
    values = np.take_along_axis(x, order, axis=d)
    if input._data.ndim == 0:
        order, values = order.reshape(()), values.reshape(())
    records = input.requires_grad and op != ""  # argsort asks for no values node
    out = _result(values, op, (input,), (input._data.shape, order, d), records)
    return out, _result(order.astype(np.int64, copy=False), "", (), None, False)


def _sorted_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    shape, order, d = ctx  # ans = x[order] along d: each picked entry gets its gradient back
    out = np.zeros(shape, g.dtype)
    if not shape:
        return g.copy()
    np.put_along_axis(out, order, g, axis=d)  # the picks are distinct: no repeats to add
    return out


def topk(
    input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
) -> tuple[Tensor, Tensor]:
    """The ``k`` largest (``largest=False``: smallest) entries along ``dim`` and their
    indices, as a named tuple ``(values, indices)``. Values are always sorted (PyTorch
    allows any order when ``sorted=False``); ties keep index order. Differentiable in
    ``values``: each picked entry gets its gradient, the others 0.

    >>> values, indices = topk(Tensor([1.0, 3.0, 2.0]), 2)
    >>> values.tolist(), indices.tolist()
    ([3.0, 2.0], [1, 2])
    """
    input = _tensor_arg(input, "topk")
    size = input._data.shape[normalize_dim(dim, input._data.ndim)] if input._data.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"topk(): k must be an int, got {k!r}")
    if not 0 <= k <= size:
        raise ValueError(f"topk(): k={k} is out of range for dimension {dim} of size {size}")
    return topk_result(*_sorted(input, dim, largest, int(k), "topk"))


VJPS["topk"] = (_sorted_grad,)
RULE_TEXT["topk"] = ("grad.copy() if scalar else scatter(np.zeros_like(a), d, order, grad)",)


def sort(
    input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False
) -> tuple[Tensor, Tensor]:
    """``input`` sorted along ``dim`` and the indices that sort it, as a named tuple
    ``(values, indices)``. Always stable (ties keep index order); NaN sorts as the largest.
    Differentiable in ``values``.

    >>> sort(Tensor([2.0, 1.0, 3.0]), descending=True).indices.tolist()
    [2, 0, 1]
    """
    input = _tensor_arg(input, "sort")
    return sort_result(*_sorted(input, dim, descending, None, "sort"))


VJPS["sort"] = (_sorted_grad,)
RULE_TEXT["sort"] = ("grad.copy() if scalar else scatter(np.zeros_like(a), d, order, grad)",)


def argsort(
    input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (int64, stable)."""
    input = _tensor_arg(input, "argsort")
    return _sorted(input, dim, descending, None, "")[1]


method(topk)
method(sort)
method(argsort)
