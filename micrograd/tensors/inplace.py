"""In-place writes: ``t += v`` (``add_``), the other in-place methods, and how a write into
a tensor of a graph is recorded in it.

As in PyTorch, ``t += v`` changes ``t`` itself (a parameter stays the same Parameter, every
name for the tensor sees the change). A leaf that requires grad (a parameter) can be written
only under ``no_grad()``. A write into a tensor computed in a graph, or of a value that
requires grad, while graphs are recorded, becomes part of the graph (``_record``): the
lectures' ``dlogits[range(n), Yb] -= 1`` and ``self.out += self.bias`` backpropagate as in
PyTorch. Where PyTorch would raise because a rule needs the overwritten values (the output
of ``exp`` or ``softmax``), micrograd kept them and gives the gradient.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from micrograd.tensors._versions import Written, as_of, write_count
from micrograd.tensors.core import (
    RULE_TEXT,
    VJPS,
    Operands,
    Scalar,
    Tensor,
    _constant,
    _result,
    method,
    ndarray,
)
from micrograd.tensors.dtypes import is_float
from micrograd.tensors.grad_mode import _grad_mode
from micrograd.tensors.ops import _quiet

Index = Any  # int, slice, None, Ellipsis, Tensor, ndarray, list, or a tuple of them


def _recorded(tensor: Tensor, value: Any, op: str) -> bool:
    """Whether an in-place write (``op``) of ``value`` into ``tensor`` must be recorded in the
    graph: while graphs are recorded, if the tensor or the value requires grad. A leaf that
    requires grad may not be written then, as in PyTorch."""
    if not _grad_mode.enabled:
        return False
    if tensor.requires_grad and not tensor._prev:
        raise RuntimeError(
            f"{op}: a leaf Tensor that requires grad is being used in an in-place "
            "operation; do it under no_grad() (as optimizers and nn.init do)"
        )
    if not (tensor.requires_grad or (isinstance(value, Tensor) and value.requires_grad)):
        return False
    if not is_float(tensor._data.dtype):
        raise RuntimeError(
            f"{op}: the value requires grad, and a {tensor._data.dtype} tensor cannot hold "
            "values that require grad (only floating-point tensors can)"
        )
    return True


def _inplace_target(tensor: Tensor, op: str) -> ndarray:
    """``tensor._data`` after checking that an in-place write (``op``) that is not recorded
    in the graph may go there (see ``_recorded``)."""
    if tensor.requires_grad and _grad_mode.enabled:
        _recorded(tensor, None, op)  # a leaf: raises
        raise RuntimeError(
            f"{op}: this in-place operation cannot be recorded in a graph; use its "
            "out-of-place form instead"
        )
    return _writeable(tensor, op)


def _writeable(tensor: Tensor, op: str) -> ndarray:
    """``tensor._data``, if it is not a read-only view."""
    data = tensor._data
    if not data.flags.writeable:
        raise RuntimeError(
            f"{op}: this tensor is a read-only view (more than one element may refer to the "
            "same memory, as after expand()); clone() it before writing into it"
        )
    return data


def _source(value: Any, op: str) -> Any:
    """What may be written into a tensor: a number, an array, or a tensor that needs no grad
    (its gradient could not flow through the write)."""
    if isinstance(value, Tensor):
        if value.requires_grad and _grad_mode.enabled:
            raise RuntimeError(
                f"{op}: the value requires grad, and a gradient cannot flow through an in-place "
                "write; build the result out of place (masked_fill, cat, where) instead"
            )
        return value._data
    source = _constant(value)
    if source is NotImplemented:
        if isinstance(value, (list, tuple)):
            return np.asarray(value)
        raise TypeError(f"{op}: cannot write a {type(value).__name__} into a Tensor")
    return source


def _write(data: ndarray, op: str, write: Any) -> None:
    """Run ``write()`` (a NumPy in-place write into ``data``) with PyTorch's errors."""
    try:
        write()
    except OverflowError:
        raise RuntimeError(f"{op}: value cannot be converted to type {data.dtype} without overflow")
    except TypeError as error:  # NumPy refuses the cast (float into int with /=, ...)
        raise RuntimeError(
            f"{op}: the result can't be cast to the tensor's dtype {data.dtype} ({error})"
        ) from None
    except ValueError as error:
        raise RuntimeError(f"{op}: {error}") from None


def _record(
    self: Tensor,
    op: str,
    write: Callable[[Tensor], Any],
    index: Index,
    grad_value: bool = False,
    value: Any = None,
) -> None:
    """Write into ``self`` and record the write in the graph, as PyTorch does.

    ``self``'s history (its node and its values' memory) moves to a new tensor, ``old``;
    ``write(old)`` gives the new values: a new array (``t[index] = value``: ``self`` becomes
    "``old`` with ``value`` at ``index``") or a tensor computed from ``old`` out of place (an
    in-place method: ``self`` becomes that). ``self`` takes new memory, so every array a rule
    kept stays as it was: operations that used ``self`` before the write get their gradients
    sent to ``old`` (``_versions.Written``). If the write fails, ``self`` is unchanged.
    """
    # Another tensor that views self's memory (a slice, view(), transpose(), detach() of it)
    # would have to see the write too, and its graph could not say so: refused. The version
    # counter is shared exactly by such tensors; self holds it alone when getrefcount sees
    # two references (self's and its own argument's).
    if sys.getrefcount(self._version_cell) > 2:
        raise RuntimeError(
            f"{op}: this tensor shares its memory with another tensor still in use (it is a "
            "view, slice, transpose or detach() of one, as t[0] in t[0] -= v, or one of those "
            "was made of it, as in t[0] = t[1] * 2), and micrograd cannot record such a write "
            "in the graph; build the new values out of place instead (t = t + v, "
            "torch.where, torch.cat, masked_fill, or index with a list: t[[1]] copies)"
        )
    data = _writeable(self, op)
    stamp = write_count[0]
    old = _result(data, "", (), None, False)
    old.requires_grad, old.label = self.requires_grad, self.label
    old._prev, old._op, old._ctx = self._prev, self._op, self._ctx
    old._built_at = self._built_at
    old._version_cell = list(self._version_cell)  # its memory's writes so far, and no more
    result = write(old)
    if isinstance(result, Tensor):  # an in-place method: the result, computed from old
        if result.shape != data.shape:
            raise RuntimeError(
                f"{op}: output with shape {list(data.shape)} doesn't match the broadcast "
                f"shape {list(result.shape)}"
            )
        if not np.can_cast(result.dtype, data.dtype, "same_kind"):
            raise RuntimeError(
                f"{op}: result type {result.dtype} can't be cast to the desired output type "
                f"{data.dtype}"
            )
        new, prev, name = result._data.astype(data.dtype), (result,), "inplace"
    else:  # t[index] = value: result is the new values
        value = old if value is self else value  # t[...] = t
        new, prev, name = result, (old, value) if grad_value else (old,), "setitem"
    self._data, self._grad, self.requires_grad = new, None, True
    self._prev, self._op = Operands(prev), name
    self._ctx = Written(old, stamp, index)
    self._bump_version()
    self._built_at = write_count[0]  # built by the write, after it
    _untie(self, old, prev)


def _untie(self: Tensor, old: Tensor, operands: tuple[Tensor, ...]) -> None:
    """Point the operations built before the write that its ``operands`` depend on at
    ``self``'s earlier history instead of ``self``: the graph walks ``_prev``, and
    ``x += f(x)`` or ``d[i] -= 1`` would otherwise make a cycle through ``self``. (``old``,
    ``self``'s history, was built before ``self`` was ever written: it cannot hold one.)"""
    # Its own walk, not graph.topological_order: it needs no order, and it stops at ``old``
    # and ``self``, where a loop of writes (``x += f(x)``) would walk every earlier write again.
    stack, seen = [t for t in operands if t._prev], {id(self), id(old)}
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if any(p is self for p in node._prev):
            built = node._built_at
            node._prev = Operands(as_of(self, built) if p is self else p for p in node._prev)
        stack.extend(p for p in node._prev if p._prev and id(p) not in seen)


def _written_rest(g: ndarray, ans: ndarray, ctx: Written) -> ndarray:
    rest = g.copy()
    rest[ctx.index] = 0  # the entries written no longer depend on what was there
    return rest


VJPS["setitem"] = (_written_rest, lambda g, ans, ctx: g[ctx.index])  # (old, value)
VJPS["inplace"] = (lambda g, ans, ctx: g,)  # (the result computed from old)
RULE_TEXT["setitem"] = ("index_put(grad, index, 0)", "grad[index]")
RULE_TEXT["inplace"] = ("grad",)


def _inplace(
    self: Tensor, other: Any, op: str, ufunc: np.ufunc, compute: Callable[[Tensor], Tensor]
) -> Tensor:
    """``self`` = ufunc(self, other) in place; ``compute(old)`` is the same out of place, for
    a write recorded in the graph."""
    if _recorded(self, other, op):
        _record(self, op, compute, None)
        return self
    data = _inplace_target(self, op)
    source = _source(other, op)
    _write(data, op, lambda: ufunc(data, source, out=data, casting="same_kind"))
    self._bump_version()
    return self


@method
def add_(self, other: Any, *, alpha: Scalar = 1) -> Tensor:
    """In place: self += alpha * other. Returns self."""
    other = other if alpha == 1 else other * alpha
    return _inplace(self, other, "add_", np.add, lambda old: old + other)


@method
def sub_(self, other: Any, *, alpha: Scalar = 1) -> Tensor:
    """In place: self -= alpha * other. Returns self."""
    other = other if alpha == 1 else other * alpha
    return _inplace(self, other, "sub_", np.subtract, lambda old: old - other)


@method
def mul_(self, other: Any) -> Tensor:
    """In place: self *= other. Returns self."""
    return _inplace(self, other, "mul_", np.multiply, lambda old: old * other)


@method
def div_(self, other: Any) -> Tensor:
    """In place: self /= other (a float tensor: true division; by 0, inf or nan quietly, as
    ``/``). Returns self."""
    with _quiet():
        return _inplace(self, other, "div_", np.true_divide, lambda old: old / other)


@method
def pow_(self, exponent: Any) -> Tensor:
    """In place: self **= exponent (inf or nan quietly, as ``**``). Returns self."""
    with _quiet():
        return _inplace(self, exponent, "pow_", np.power, lambda old: old**exponent)


# ``t += v`` is ``t.add_(v)`` as in PyTorch: the tensor itself changes (a parameter stays the
# same Parameter, every name for it sees the change), it does not become a new tensor.
Tensor.__iadd__ = Tensor.add_  # type: ignore[attr-defined]
Tensor.__isub__ = Tensor.sub_  # type: ignore[attr-defined]
Tensor.__imul__ = Tensor.mul_  # type: ignore[attr-defined]
Tensor.__itruediv__ = Tensor.div_  # type: ignore[attr-defined]
Tensor.__ipow__ = Tensor.pow_  # type: ignore[attr-defined]


@method
def copy_(self, src: Any) -> Tensor:
    """In place: the entries of ``src`` (broadcast to self's shape) copied in. Returns self."""
    data = _inplace_target(self, "copy_")
    source = _source(src, "copy_")
    _write(data, "copy_", lambda: np.copyto(data, source, casting="unsafe"))
    self._bump_version()
    return self


@method
def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """In place ``clamp`` (number or tensor bounds). Returns self."""
    if min is None and max is None:
        raise RuntimeError("clamp_: at least one of 'min' or 'max' must not be None")
    bound = min if isinstance(min, Tensor) else max
    if _recorded(self, bound, "clamp_"):
        _record(self, "clamp_", lambda old: old.clamp(min, max), None)
        return self
    data = _inplace_target(self, "clamp_")
    lo, hi = (None if b is None else _source(b, "clamp_") for b in (min, max))
    _write(data, "clamp_", lambda: np.clip(data, lo, hi, out=data, casting="same_kind"))
    self._bump_version()
    return self
