"""The tensor: storage, what it was computed from, and backpropagation.

A ``Tensor`` wraps an ndarray (``.data``) and, when it was computed from tensors that require
grad, remembers how: its operands (``_prev``, a tuple like ``Value._prev``), the name of the
primitive (``_op``) and what that primitive's derivative needs (``_ctx``). ``backward`` walks
the graph in reverse topological order (``micrograd.graph``, shared with ``Value``) and asks
``VJPS``, the one table of derivative rules, for each operand's gradient.

This module holds no operation. Each op lives in the module of its kind (``ops``: arithmetic,
elementwise functions, reductions, matmul; ``shape_ops``: views, indexing, joining;
``nn_ops``: fused network primitives), with its derivative rule right below its forward; the
op is attached to ``Tensor`` with ``@method`` and its rule entered in ``VJPS`` there. So this
module never imports an op module, and the arrows between the rooms point one way.

Why the ops look the way they do:

* Few primitives; ``- / mean softmax`` and most losses are written through them.
* A rule returns the gradient with the *output's* shape. If the operand was broadcast, the
  engine sums it back to the operand's shape in one place (``_shapes.unbroadcast``).
* Speed matters (the benchmarks compare training steps with the same step written by hand in
  NumPy, and with PyTorch), so an operation does the NumPy call and little else: no generic
  dispatch layer, no copies, and no graph at all when nothing requires grad or under
  ``no_grad()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from micrograd.graph import NO_OPERANDS, Operands, topological_order
from micrograd.tensors._shapes import unbroadcast
from micrograd.tensors.dtypes import array_from, as_device
from micrograd.tensors.grad_mode import _grad_mode

__all__ = ["Tensor", "VJPS", "method"]

ndarray = np.ndarray
Scalar = int | float | np.number
F = TypeVar("F", bound=Callable[..., Any])

# The one table of derivative rules, HIPS-autograd style, filled in by the op modules: for each
# primitive, one function per operand, in order, of (g, ans, ctx) giving d(loss)/d(operand),
# where g = d(loss)/d(ans), ans is the primitive's output and ctx what its forward recorded.
# Each rule returns a gradient of the output's (broadcast) shape; backward() reduces it to the
# operand's shape.
VJPS: dict[str, tuple[Callable[[Any, Any, Any], Any], ...]] = {}


def method(func_or_name: Any) -> Any:
    """Attach a function to ``Tensor``: how the op modules add operations.

    ``@method`` attaches it under its own name; ``@method("sum")`` under the name given, for
    functions that must not shadow a builtin in their module.
    """
    if isinstance(func_or_name, str):

        def attach(func: F) -> F:
            setattr(Tensor, func_or_name, func)
            return func

        return attach
    setattr(Tensor, func_or_name.__name__, func_or_name)
    return func_or_name


class Tensor:
    """An n-dimensional array that records the operations that produced it.

    ``data`` is copied into a new ndarray of ``dtype`` if given. Otherwise NumPy arrays keep
    their dtype, and Python data follows PyTorch: floats take the default dtype (float64
    unless ``set_default_dtype`` changed it), ints int64, bools bool. Integer and boolean
    tensors are data, indices or targets, never differentiable. ``device`` may only be
    ``'cpu'`` (micrograd's one device).

    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> loss = (x * x).sum()
    >>> loss.backward()
    >>> loss.item(), x.grad.tolist()
    (30.0, [[2.0, 4.0], [6.0, 8.0]])
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "_prev", "_op", "_ctx")
    # NumPy must not treat a Tensor as an array operand: ``ndarray + Tensor`` and
    # ``np.float64 * Tensor`` then fall through to Tensor.__radd__ / __rmul__.
    __array_ufunc__ = None

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None
    ) -> None:
        if isinstance(data, Tensor):
            data = data.data
        as_device(device)  # "cpu" or None; anything else raises, naming what exists
        self.data: ndarray = array_from(data, dtype)  # floats follow get_default_dtype()
        self.grad: ndarray | None = None
        self.requires_grad = False
        self.label = ""
        self._prev: tuple[Tensor, ...] = NO_OPERANDS
        self._op = ""
        self._ctx: Any = None
        if requires_grad:
            self.requires_grad_()

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (floating-point tensors only) and return self."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require grad, this one is {self.data.dtype}; "
                "create it with float data or dtype=np.float64"
            )
        self.requires_grad = bool(requires_grad)
        return self

    # ----------------------------------------------------------------- array facts

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        """Number of elements (NumPy's meaning)."""
        return self.data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def item(self) -> Scalar:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, this one has shape {self.shape}")
        return self.data.item()

    def numpy(self) -> ndarray:
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> ndarray:
        if copy:
            return np.array(self.data, dtype=dtype)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut from the graph (requires_grad False)."""
        return _result(self.data, "", (), None, False)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = "" if self.data.dtype == np.float64 else f", dtype={self.data.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    # ----------------------------------------------------------------- backpropagation

    def backward(self, gradient: Any = None) -> None:
        """Fill ``grad`` of every tensor this one depends on with d(self)/d(tensor) · gradient.

        Without ``gradient`` this tensor must have one element (a loss), and the gradient is 1.
        Leaves (tensors no operation produced, such as parameters) accumulate across calls, as
        in PyTorch; zero them between steps. Intermediate tensors get this call's gradient
        (as ``Value.backward`` does), replacing any earlier one; treat those as read-only, as
        a leaf's ``grad`` may be a view of one.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: nothing it depends on "
                "has requires_grad=True (or it was computed under no_grad())"
            )
        data = self.data
        if gradient is None:
            if data.size != 1:
                raise ValueError(
                    f"backward() without a gradient needs a one-element tensor (a loss); this "
                    f"one has shape {data.shape}: pass gradient= with that shape"
                )
            gradient = np.array(1, data.dtype).reshape(data.shape)  # np.ones, minus its overhead
        else:
            if isinstance(gradient, Tensor):
                gradient = gradient.data
            gradient = np.array(gradient, dtype=data.dtype)  # a copy: the caller's stays theirs
            if gradient.shape != data.shape:
                raise ValueError(
                    f"backward(): gradient has shape {gradient.shape}, "
                    f"but the tensor has shape {data.shape}"
                )

        order = topological_order(self)
        for node in order:  # this call's gradients replace the last call's, except on leaves
            if node._prev:
                node.grad = None
        self.grad = gradient if self.grad is None else self.grad + gradient
        vjps, asarray = VJPS, np.asarray
        for node in reversed(order):  # every node after all the nodes computed from it
            prev, g = node._prev, node.grad
            if not prev or g is None:  # a leaf, or a constant
                continue
            ans, ctx = node.data, node._ctx
            for rule, parent in zip(vjps[node._op], prev):
                if not parent.requires_grad:
                    continue
                pg = rule(g, ans, ctx)
                if type(pg) is not ndarray:  # NumPy returns 0-d results as scalars
                    pg = asarray(pg)
                data = parent.data
                if pg.shape != data.shape:
                    pg = unbroadcast(pg, data.shape)
                elif not parent._prev and (pg is g or not pg.flags.writeable):
                    pg = pg.copy()  # a leaf keeps its grad: never share it with a sibling
                if pg.dtype is not data.dtype:
                    pg = _cast(pg, data.dtype)
                old = parent.grad
                parent.grad = pg if old is None else old + pg  # out of place: pg may be shared


def _cast(grad: ndarray, dtype: np.dtype) -> ndarray:
    """``grad`` in ``dtype``, its operand's (e.g. a float32 parameter used with float64 data)."""
    return grad if grad.dtype == dtype else grad.astype(dtype)


# --------------------------------------------------------------------- helpers for the ops


def _result(data: Any, op: str, prev: tuple, ctx: Any, requires_grad: bool) -> Tensor:
    """A new tensor holding ``data``; it records its graph only if that can ever be used."""
    out = Tensor.__new__(Tensor)
    out.data = data if type(data) is ndarray else np.asarray(data)  # NumPy returns 0-d as scalars
    out.grad = None
    out.label = ""
    if requires_grad and _grad_mode.enabled:
        out.requires_grad = True
        out._prev = Operands(prev)
        out._op = op
        out._ctx = ctx
    else:  # keep no parents, so nothing is held alive and backward never walks here
        out.requires_grad = False
        out._prev = NO_OPERANDS
        out._op = ""
        out._ctx = None
    return out


def _constant(x: Any) -> Any:
    """A non-Tensor operand as NumPy will combine it: numbers stay Python numbers (so they
    never upcast a float32 tensor), NumPy scalars become Python numbers, arrays stay arrays.
    NotImplemented for anything else, so Python raises its usual TypeError."""
    if type(x) is float or type(x) is int:
        return x
    if isinstance(x, np.generic):  # before float: np.float64 is a float subclass
        return x.item() if x.dtype.kind in "biuf" else NotImplemented
    if isinstance(x, (int, float)):  # bool and other subclasses
        return x
    if isinstance(x, ndarray) and x.dtype.kind in "biuf":
        return x
    return NotImplemented
