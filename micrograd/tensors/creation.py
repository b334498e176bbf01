"""Making tensors, as PyTorch does: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``,
``linspace``, ``eye`` and their ``*_like`` forms.

Sizes are given as PyTorch takes them, one int each (``zeros(2, 3)``), one sequence
(``zeros((2, 3))``, ``zeros(t.shape)``) or the keyword ``size=`` (``zeros(size=(2, 3))``).
Every function takes ``dtype=`` (any of ``micrograd.float32``, ``micrograd.long``...),
``device=`` (only ``'cpu'`` exists) and ``requires_grad=``. Without ``dtype``, floats take
the default dtype (``get_default_dtype()``, float32 unless changed), Python ints int64 and
bools bool, as in PyTorch.

The new tensors are leaves: nothing here records a graph.
"""

from __future__ import annotations

import math
import numbers
import operator
import warnings
from typing import Any

import numpy as np

from micrograd.tensors.core import Tensor, _result, ndarray
from micrograd.tensors.dtypes import (
    array_from,
    as_device,
    as_dtype,
    cast_numbers,
    get_default_dtype,
)
from micrograd.tensors.errors import ShapeError

__all__ = [
    "arange",
    "as_tensor",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "ones",
    "ones_like",
    "tensor",
    "zeros",
    "zeros_like",
]


def _leaf(data: ndarray, requires_grad: bool) -> Tensor:
    """A new leaf holding ``data`` (requires_grad_ refuses non-float dtypes, clearly)."""
    out = _result(data, "", (), None, False)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _int(n: Any, what: str) -> int:
    """``n`` as a Python int: ints, NumPy ints and one-element integer tensors."""
    if isinstance(n, Tensor) and n._data.size == 1 and n._data.dtype.kind in "iu":
        return int(n._data.item())
    if isinstance(n, bool):
        raise TypeError(f"{what} must be an int, got bool: {n}")
    try:
        return operator.index(n)
    except TypeError:
        raise TypeError(f"{what} must be an int, got {type(n).__name__}: {n!r}") from None


def _size(size: tuple, name: str, keyword: Any = None) -> tuple[int, ...]:
    """A creation function's size, given as ints or one sequence of ints (``size``, the
    positional arguments) or as the keyword ``size=`` (``keyword``), checked."""
    if keyword is not None:
        if size:
            raise TypeError(f"{name}(): give the size as arguments or as size=, not both")
        size = (keyword,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    dims = tuple(_int(n, f"{name}(): each size") for n in size)
    if any(n < 0 for n in dims):
        raise ShapeError(f"{name}(): sizes must be non-negative, got {dims}")
    return dims


def _dtype_or_default(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else as_dtype(dtype)


# --------------------------------------------------------------------- from data


def tensor(
    data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (a number, nested lists, an ndarray or a
    tensor), as ``torch.tensor``: without ``dtype``, Python floats take the default dtype,
    ints int64, bools bool; arrays and tensors keep theirs.

    >>> tensor([1, 2]).dtype, tensor([1.0, 2]).dtype, tensor(True).dtype
    (dtype('int64'), dtype('float32'), dtype('bool'))
    """
    as_device(device)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
            ".requires_grad_(True), rather than micrograd.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        data = data._data
    return _leaf(array_from(data, dtype), requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory where it can: a tensor of the dtype asked for is
    returned as is, an ndarray is wrapped without a copy (writes show through both ways);
    anything else is copied as ``tensor`` does."""
    as_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, ndarray) and (dtype is None or as_dtype(dtype) == data.dtype):
        return from_numpy(data)
    return _leaf(array_from(data, dtype), False)


def from_numpy(ndarray_: ndarray) -> Tensor:
    """A tensor sharing ``ndarray_``'s memory and dtype: writes to one show in the other.

    >>> a = np.zeros(2); t = from_numpy(a); a[0] = 5; t.tolist()
    [5.0, 0.0]
    """
    if not isinstance(ndarray_, ndarray):
        raise TypeError(f"from_numpy() expects an np.ndarray, got {type(ndarray_).__name__}")
    as_dtype(ndarray_.dtype, "from_numpy(): the array's dtype")
    return _leaf(ndarray_, False)


# --------------------------------------------------------------------- filled


def zeros(
    *sizes: int | tuple[int, ...],
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ``size`` filled with 0 (default dtype unless ``dtype``).

    >>> zeros(2, 3).shape, zeros((2,), dtype=int).tolist(), zeros(size=(1, 2)).tolist()
    (Size([2, 3]), [0, 0], [[0.0, 0.0]])
    """
    as_device(device)
    return _leaf(np.zeros(_size(sizes, "zeros", size), _dtype_or_default(dtype)), requires_grad)


def ones(
    *sizes: int | tuple[int, ...],
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ``size`` filled with 1 (default dtype unless ``dtype``)."""
    as_device(device)
    return _leaf(np.ones(_size(sizes, "ones", size), _dtype_or_default(dtype)), requires_grad)


def empty(
    *sizes: int | tuple[int, ...],
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ``size`` whose values are whatever the memory held: fill it before use."""
    as_device(device)
    return _leaf(np.empty(_size(sizes, "empty", size), _dtype_or_default(dtype)), requires_grad)


def _fill_dtype(fill_value: Any) -> np.dtype:
    """PyTorch's dtype for ``full`` without one: bool, int64 for integers, else the default."""
    if isinstance(fill_value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(fill_value, (numbers.Integral, np.integer)):
        return np.dtype(np.int64)
    if isinstance(fill_value, (numbers.Real, np.floating)):
        return get_default_dtype()
    raise TypeError(f"full(): fill_value must be a number, got {type(fill_value).__name__}")


def _fill(fill_value: Any) -> Any:
    if isinstance(fill_value, Tensor):
        if fill_value._data.size != 1:
            raise ShapeError(
                f"fill_value must be a number or a one-element tensor, got shape {fill_value.shape}"
            )
        return fill_value._data.item()
    return fill_value


def full(
    size: int | tuple[int, ...],
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ``size`` (a sequence) filled with ``fill_value``. Without ``dtype``: bool
    for a bool, int64 for an int, the default dtype for a float, as PyTorch.

    >>> full((2,), 7).tolist(), full((1,), 0.5).dtype
    ([7, 7], dtype('float32'))
    """
    as_device(device)
    fill_value = _fill(fill_value)
    d = _fill_dtype(fill_value) if dtype is None else as_dtype(dtype)
    shape = _size(size if isinstance(size, (tuple, list)) else (size,), "full")
    return _leaf(np.full(shape, cast_numbers(fill_value, d, "full()"), d), requires_grad)


def _like(input: Any, dtype: Any, device: Any, name: str) -> tuple[tuple[int, ...], np.dtype]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() needs a tensor, got {type(input).__name__}")
    as_device(device)
    return input._data.shape, input._data.dtype if dtype is None else as_dtype(dtype)


def zeros_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Zeros of ``input``'s shape and dtype (or ``dtype``)."""
    shape, d = _like(input, dtype, device, "zeros_like")
    return _leaf(np.zeros(shape, d), requires_grad)


def ones_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Ones of ``input``'s shape and dtype (or ``dtype``)."""
    shape, d = _like(input, dtype, device, "ones_like")
    return _leaf(np.ones(shape, d), requires_grad)


def empty_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """An uninitialised tensor of ``input``'s shape and dtype (or ``dtype``)."""
    shape, d = _like(input, dtype, device, "empty_like")
    return _leaf(np.empty(shape, d), requires_grad)


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``fill_value`` in ``input``'s shape and dtype (or ``dtype``); a float into an integer
    dtype is truncated, as in PyTorch."""
    shape, d = _like(input, dtype, device, "full_like")
    return _leaf(
        np.full(shape, cast_numbers(_fill(fill_value), d, "full_like()"), d), requires_grad
    )


# --------------------------------------------------------------------- ranges


def _number(x: Any, what: str) -> int | float:
    if isinstance(x, Tensor):
        if x._data.size != 1:
            raise ValueError(f"{what} must be a number or a one-element tensor, got {x.shape}")
        return x._data.item()
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.number)):
        raise TypeError(f"{what} must be a number, got {type(x).__name__}: {x!r}")
    return x.item() if isinstance(x, np.generic) else x


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``start, start + step, ...`` up to but excluding ``end``; ``arange(n)`` counts 0..n-1.
    int64 if every argument is an int, else the default dtype (PyTorch's inference). The
    length is ceil((end - start) / step); each value is start + i * step in float64 (PyTorch
    adds in SIMD chunks, so a value may differ from its in the last bit).

    >>> arange(4).tolist(), arange(1, 2, 0.25).tolist()
    ([0, 1, 2, 3], [1.0, 1.25, 1.5, 1.75])
    """
    as_device(device)
    if end is None:
        start, end = 0, start
    start, end = _number(start, "arange(): start"), _number(end, "arange(): end")
    step = _number(step, "arange(): step")
    if step == 0:
        raise ValueError("arange(): step must be nonzero")
    if not all(math.isfinite(x) for x in (start, end)):
        raise ValueError(f"arange(): unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise ValueError(
            f"arange(): upper bound and lower bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    integral = all(isinstance(x, int) for x in (start, end, step))
    d = (np.dtype(np.int64) if integral else get_default_dtype()) if dtype is None else dtype
    d = as_dtype(d)
    if d.kind in "biu":  # PyTorch reads the bounds and step as int64 first
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError(f"arange(): step must be nonzero (step {step} as {d})")
        data = np.arange(start, end, step, dtype=np.int64)  # exact
    else:
        # Each value computed from start (not by repeated adding), as PyTorch, in float64.
        count = math.ceil((end - start) / step)
        data = start + np.arange(count, dtype=np.float64) * step
    return _leaf(data.astype(d, copy=False), requires_grad)


def linspace(
    start: Any,
    end: Any,
    steps: int,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (default dtype
    unless ``dtype``); one step is ``[start]`` and none ``[]``, as in PyTorch and NumPy.
    Computed in float64 with PyTorch's formula; PyTorch's vectorised loop may still round a
    value differently in its last bit.

    >>> linspace(0, 1, 5).tolist(), linspace(0, 1, 1).tolist()
    ([0.0, 0.25, 0.5, 0.75, 1.0], [0.0])
    """
    as_device(device)
    start, end = _number(start, "linspace(): start"), _number(end, "linspace(): end")
    steps = _int(steps, "linspace(): steps")
    if steps < 0:
        raise ValueError(f"linspace(): number of steps must be non-negative, got {steps}")
    d = _dtype_or_default(dtype)
    if d.kind in "biu":  # PyTorch reads the ends in the integer type first
        start, end = int(start), int(end)
    if steps == 1:  # start alone: the formula below would give end (its second half is all)
        data = np.full(1, start, np.float64)
    else:
        # PyTorch's formula, in float64: the first half counts up from start, the second
        # half down from end, so both ends are exact.
        i = np.arange(steps, dtype=np.float64)
        step = (end - start) / (steps - 1) if steps > 1 else 0.0
        data = np.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))
    return _leaf(data.astype(d), requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The ``n`` x ``m`` (default ``n`` x ``n``) identity matrix: ones on the diagonal."""
    as_device(device)
    n = _int(n, "eye(): n")
    m = n if m is None else _int(m, "eye(): m")
    if n < 0 or m < 0:
        raise ValueError(f"eye(): n and m must be non-negative, got n={n}, m={m}")
    return _leaf(np.eye(n, m, dtype=_dtype_or_default(dtype)), requires_grad)
