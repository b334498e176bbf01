"""``torch.histogram``: how the values of a tensor spread, for plots (no gradient).

The makemore lectures draw each layer's activations and gradients with
``hy, hx = torch.histogram(t, density=True)``. Since a micrograd ``grad`` is a NumPy array,
an array is accepted as well as a tensor.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from micrograd.tensors.core import Tensor, _result
from micrograd.tensors.errors import DTypeError, ShapeError

__all__ = ["histogram"]

# What histogram returns, as PyTorch's torch.return_types.histogram: a named pair.
histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def _floats(x: Any, name: str) -> np.ndarray:
    data = x._data if isinstance(x, Tensor) else x
    if not isinstance(data, np.ndarray):
        raise TypeError(f"histogram(): {name} must be a Tensor, got {type(x).__name__}")
    if data.dtype.kind != "f":
        raise DTypeError(
            f"histogram(): {name} must be a floating-point tensor, got {data.dtype} "
            "(convert it first, e.g. with .float() or .double())"
        )
    return data


def histogram(
    input: Any,  # noqa: A002
    bins: int | Tensor = 100,
    *,
    range: tuple[float, float] | None = None,  # noqa: A002
    weight: Any = None,
    density: bool = False,
) -> histogram_result:
    """Counts of ``input``'s values in ``bins`` equal bins spanning ``range`` (the values'
    min and max if None), or in the bins whose edges a 1-D tensor ``bins`` lists; each value
    counts ``weight`` (same shape) instead of 1 if given. Returns ``(hist, bin_edges)``, both
    of ``input``'s dtype: ``bins`` counts and ``bins + 1`` edges. Every bin includes its left
    edge, the last also its right one; values outside the range are not counted. With
    ``density`` the counts are scaled so that the histogram integrates to 1.

    >>> hist, edges = histogram(Tensor([1.0, 2.0, 1.0]), bins=4, range=(0.0, 3.0))
    >>> hist.tolist(), edges.tolist()
    ([0.0, 2.0, 1.0, 0.0], [0.0, 0.75, 1.5, 2.25, 3.0])
    """
    x = _floats(input, "input")
    if isinstance(bins, Tensor):
        edges = _floats(bins, "bins")
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) < 0):
            raise ValueError(
                "histogram(): bins as a tensor must be 1-D, with at least two edges in "
                f"increasing order, got shape {edges.shape}"
            )
        bins_arg: Any = edges
    else:
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
            raise ValueError(f"histogram(): bins must be a positive int or a Tensor, got {bins!r}")
        bins_arg = int(bins)
    w = None if weight is None else _floats(weight, "weight")
    if w is not None and w.shape != x.shape:
        raise ShapeError(
            f"histogram(): weight must have the input's shape {x.shape}, got {w.shape}"
        )
    if range is not None and not range[0] <= range[1]:
        raise ValueError(f"histogram(): range must be (min, max) with min <= max, got {range}")
    if not isinstance(bins_arg, np.ndarray):
        if range is None:
            range = (float(x.min()), float(x.max())) if x.size else (0.0, 0.0)  # noqa: A001
        lo, hi = range
        if lo == hi:  # one value: PyTorch's (and NumPy's) unit-wide range around it
            lo, hi = lo - 0.5, hi + 0.5
        # The edges in the input's dtype, as PyTorch's. (Its vectorised linspace may round a
        # float32 edge the other way, by one unit in the last place: then a value lying that
        # close to an edge can fall into the neighbouring bin.)
        bins_arg = np.linspace(lo, hi, bins_arg + 1).astype(x.dtype)
    hist = np.histogram(x, bins=bins_arg, weights=w)[0].astype(x.dtype)
    if density:  # PyTorch's order of operations, in the input's dtype
        hist = hist / x.dtype.type(hist.sum()) / np.diff(bins_arg)
    return histogram_result(
        _result(hist, "", (), None, False), _result(bins_arg.astype(x.dtype), "", (), None, False)
    )
