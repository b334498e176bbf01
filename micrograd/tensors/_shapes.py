"""Shape helpers every part of the tensor engine shares: ``Size``, kept-dims shapes, ``dim``
arguments. (Undoing broadcasting, the one place a gradient is summed back to its operand's
shape, is ``core.unbroadcast``, beside the walk that calls it.)"""

from __future__ import annotations

from typing import Any

import numpy as np

ndarray = np.ndarray


class Size(tuple):
    """A shape, as ``Tensor.shape`` and ``Tensor.size()`` give it: a tuple of ints, like
    ``torch.Size``, with ``numel()``. Its repr is ``Size([2, 3])``; printed (``str``, an
    f-string) it reads as the tuple ``(2, 3)``, so that messages naming shapes read as
    they always have (PyTorch prints ``torch.Size([2, 3])`` both ways).

    >>> Size([2, 3]) == (2, 3), Size([2, 3]).numel(), f"{Size([2, 3])}"
    (True, 6, '(2, 3)')
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

    __str__ = tuple.__repr__


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
