"""The tensor engine: the scalar engine's autograd over NumPy arrays.

A ``Tensor`` wraps an ndarray (``.data``) and, when it was computed from tensors that require
grad, remembers how: its operands (``_prev``, a tuple like ``Value._prev``), the name of the
primitive (``_op``) and what that primitive's derivative needs (``_ctx``). ``backward`` walks
the graph in reverse topological order (``micrograd.graph``, shared with ``Value``) and asks
``VJPS``, the one table of derivative rules below, for each operand's gradient.

Why it looks the way it does:

* Few primitives (``+ * ** @``, exp, log, tanh, relu, sigmoid, sum, max, reshape, transpose,
  indexing; fused for speed or stability: linear, log_softmax, cross-entropy, hinge);
  ``- / mean softmax`` and the other losses are written through them.
* A rule returns the gradient with the *output's* shape. If the operand was broadcast, the
  engine sums it back to the operand's shape in one place (``_unbroadcast``); no rule does.
* Speed matters (the benchmark compares a training step with the same step written by hand in
  NumPy), so an operation does the NumPy call and little else: no generic dispatch layer,
  no copies, and no graph at all when nothing requires grad or under ``no_grad()``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from micrograd.graph import NO_OPERANDS, Operands, topological_order

__all__ = ["Tensor", "no_grad", "is_grad_enabled", "VJPS"]

ndarray = np.ndarray
Scalar = int | float | np.number
F = TypeVar("F", bound=Callable[..., Any])


# --------------------------------------------------------------------- gradient mode


class _GradMode(threading.local):
    """Whether operations record a graph; per thread, as in PyTorch."""

    enabled = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()`` (in this thread)."""
    return _grad_mode.enabled


class no_grad:
    """Context manager and decorator: operations inside record no graph.

    Use it for evaluation and for parameter updates done through tensor operations.

    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    >>> @no_grad()
    ... def predict(x):
    ...     return x * w
    >>> predict(3.0).requires_grad
    False
    """

    def __init__(self) -> None:
        self._saved: list[bool] = []  # a stack, so one instance can be entered re-entrantly

    def __enter__(self) -> None:
        self._saved.append(_grad_mode.enabled)
        _grad_mode.enabled = False

    def __exit__(self, *exc_info: object) -> None:
        _grad_mode.enabled = self._saved.pop()

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def without_grad(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return func(*args, **kwargs)

        return without_grad  # type: ignore[return-value]


# --------------------------------------------------------------------- the tensor


class Tensor:
    """An n-dimensional array that records the operations that produced it.

    ``data`` is copied into a new ndarray: float64 unless ``dtype`` says otherwise, except
    that float32 (and other float) arrays keep their dtype and integer or boolean data stays
    integer (usable as data, indices or targets, but never differentiable).

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

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        if isinstance(data, (str, bytes)):
            raise TypeError(f"Tensor data must be numeric, got {type(data).__name__}: {data!r}")
        try:
            array = np.array(data, dtype=dtype)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"Tensor data must be a number or a (nested) sequence or array of numbers, "
                f"got {type(data).__name__}: {error}"
            ) from None
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"Tensor data must be numeric, got {type(data).__name__} of dtype {array.dtype}"
            )
        self.data: ndarray = array
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

    # ----------------------------------------------------------------- primitives
    # Each computes its output with one NumPy call and records what its rule in VJPS needs.
    # A number (or NumPy scalar, or ndarray) operand is a constant: it is not a parent.

    def __add__(self, other: Tensor | Scalar | ndarray) -> Tensor:
        if isinstance(other, Tensor):
            return _result(
                self.data + other.data,
                "+",
                (self, other),
                None,
                self.requires_grad or other.requires_grad,
            )
        other = _constant(other)
        if other is NotImplemented:
            return NotImplemented
        return _result(self.data + other, "+", (self,), None, self.requires_grad)

    def __mul__(self, other: Tensor | Scalar | ndarray) -> Tensor:
        if isinstance(other, Tensor):
            return _result(
                self.data * other.data,
                "*",
                (self, other),
                (self.data, other.data),
                self.requires_grad or other.requires_grad,
            )
        other = _constant(other)
        if other is NotImplemented:
            return NotImplemented
        return _result(self.data * other, "*", (self,), (self.data, other), self.requires_grad)

    def __pow__(self, exponent: Scalar) -> Tensor:
        if isinstance(exponent, np.generic):
            exponent = exponent.item()
        if not isinstance(exponent, (int, float)):
            raise TypeError(
                f"Tensor ** exponent: the exponent must be a number, got {type(exponent).__name__}"
            )
        return _result(
            self.data**exponent, "**", (self,), (self.data, exponent), self.requires_grad
        )

    def __matmul__(self, other: Tensor | ndarray) -> Tensor:
        if not isinstance(other, Tensor):
            if not isinstance(other, ndarray):
                return NotImplemented
            other = _result(other, "", (), None, False)
        a, b = self.data, other.data
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul needs operands of at least 1 dimension, got shapes {a.shape} and {b.shape}"
            )
        try:
            data = a @ b
        except ValueError:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of the first "
                f"({a.shape[-1]}) must equal the "
                f"{'only' if b.ndim == 1 else 'second-to-last'} axis of the second "
                f"({b.shape[0 if b.ndim == 1 else -2]}), and batch axes must broadcast"
            ) from None
        return _result(data, "@", (self, other), (a, b), self.requires_grad or other.requires_grad)

    def __rmatmul__(self, other: ndarray) -> Tensor:
        if not isinstance(other, ndarray):
            return NotImplemented
        return _result(other, "", (), None, False) @ self

    def _linear(self, weight: Tensor, bias: Tensor | None) -> Tensor:
        """``self @ weight.T + bias`` for self (..., in), weight (out, in), bias (out,) or None
        (``nn.functional.linear`` checks the shapes, then calls this).

        Fused: the composite (transpose, matmul, add) takes three nodes per layer; as one node
        the benchmark's demo step takes 123 instead of 139 us (1.72x -> 1.51x the NumPy floor).
        Its rule needs no unbroadcast: the bias gradient is ones @ g, a BLAS matrix-vector
        product over the batch rows, and the weight's is one (out, N) @ (N, in) product.
        """
        x, w = self.data, weight.data
        # BLAS reads the transposed view as it is: no copy. ndarray.dot rather than @ up to
        # 2-D: the same product without matmul's ufunc machinery (0.6-1.5 us less a call on
        # the demo's shapes, 10-40%); past 2-D, dot would leave BLAS, matmul batches.
        data = x.dot(w.T) if x.ndim <= 2 else x @ w.T
        if bias is None:
            return _result(
                data, "linear", (self, weight), (x, w), self.requires_grad or weight.requires_grad
            )
        b = bias.data
        if data.dtype is b.dtype:
            data += b  # in place: the product is a fresh array
        else:
            data = data + b  # mixed dtypes promote, as the composite's + would
        return _result(
            data,
            "linear",
            (self, weight, bias),
            (x, w),
            self.requires_grad or weight.requires_grad or bias.requires_grad,
        )

    def exp(self) -> Tensor:
        """Elementwise e**x."""
        return _result(np.exp(self.data), "exp", (self,), None, self.requires_grad)

    def log(self) -> Tensor:
        """Elementwise natural logarithm (NumPy's -inf at 0 and nan below, with a warning)."""
        return _result(np.log(self.data), "log", (self,), self.data, self.requires_grad)

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent."""
        return _result(np.tanh(self.data), "tanh", (self,), None, self.requires_grad)

    def relu(self) -> Tensor:
        """Elementwise max(x, 0); its derivative at 0 is taken as 0, as in PyTorch."""
        return _result(np.maximum(self.data, 0), "relu", (self,), None, self.requires_grad)

    def sigmoid(self) -> Tensor:
        """Elementwise 1 / (1 + e**-x).

        A primitive rather than a composite: one node instead of four, and the forward pass
        below never exponentiates a positive number, so it cannot overflow.
        """
        x = self.data
        e = np.exp(-np.abs(x))  # in (0, 1]
        r = 1 / (1 + e)
        return _result(np.where(x >= 0, r, e * r), "sigmoid", (self,), None, self.requires_grad)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes if None); a full sum is 0-d unless ``keepdims``."""
        axis = _axis(axis)
        return _result(
            self.data.sum(axis=axis, keepdims=keepdims),
            "sum",
            (self,),
            (self.data.shape, axis, keepdims),
            self.requires_grad,
        )

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Largest value over ``axis`` (values only, like NumPy's max / PyTorch's amax).

        Where several entries tie for the maximum, the gradient is shared equally among them.
        """
        axis = _axis(axis)
        return _result(
            self.data.max(axis=axis, keepdims=keepdims),
            "max",
            (self,),
            (self.data, axis, keepdims),
            self.requires_grad,
        )

    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        """The same data in a new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; -1 infers."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _result(
            self.data.reshape(shape), "reshape", (self,), self.data.shape, self.requires_grad
        )

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

    @property
    def T(self) -> Tensor:
        """All axes reversed (the matrix transpose for 2-D)."""
        # transpose() without its argument handling: Linear takes W.T every call
        return _result(self.data.T, "transpose", (self,), None, self.requires_grad)

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

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log(softmax(x)) along ``axis``, computed as x - max - log(sum(exp(x - max))).

        A fused primitive: stable for any finite logits (±1000 included), and one node where
        the composite would need six.
        """
        x = self.data
        shifted = x - x.max(axis=axis, keepdims=True)
        return _result(
            shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True)),
            "log_softmax",
            (self,),
            axis,
            self.requires_grad,
        )

    def _cross_entropy(self, targets: ndarray) -> Tensor:
        """Mean over rows of -log_softmax(self)[i, targets[i]], for (N, C) logits and N valid
        class indices (``nn.functional.cross_entropy`` checks them, then calls this).

        Fused: the composite (log_softmax, index, mean, negate) takes four nodes and
        twice the time in the MNIST-shaped benchmark; this rule is softmax - onehot.
        """
        x = self.data
        # np.maximum.reduce and np.add.reduce: .max() and .sum() without their Python wrappers
        shifted = x - np.maximum.reduce(x, axis=1, keepdims=True)
        log_probs = shifted - np.log(np.add.reduce(np.exp(shifted), axis=1, keepdims=True))
        rows = np.arange(len(targets))
        loss = log_probs[rows, targets].sum() / -len(rows)  # -mean, minus np.mean's overhead
        return _result(
            loss, "cross_entropy", (self,), (log_probs, rows, targets), self.requires_grad
        )

    def _hinge(self, labels: Tensor | ndarray) -> Tensor:
        """mean(relu(1 - labels * self)) for ±1 ``labels`` of self's shape, self non-empty
        (``nn.functional.hinge_loss`` checks them, then calls this).

        Fused: the composite (multiply, negate, add, relu, sum, scale) takes six nodes and about
        a sixth of the original demo's step; this rule is -labels * [margin > 0] / n.
        """
        if not isinstance(labels, Tensor):
            labels = _result(labels, "", (), None, False)
        y, s = labels.data, self.data
        margin = 1 - y * s
        loss = np.maximum(margin, 0).sum() / margin.size  # .mean()'s arithmetic, not its overhead
        return _result(
            loss,
            "hinge",
            (self, labels),
            (margin, y, s),
            self.requires_grad or labels.requires_grad,
        )

    # ----------------------------------------------------------------- composites
    # Written through the primitives above: no derivative rules of their own.

    __radd__ = __add__
    __rmul__ = __mul__

    def __neg__(self) -> Tensor:  # -self
        return self * -1

    def __sub__(self, other: Tensor | Scalar | ndarray) -> Tensor:  # self + (-other)
        if not isinstance(other, Tensor):
            other = _constant(other)
            if other is NotImplemented:
                return NotImplemented
        return self + (-other)

    def __rsub__(self, other: Tensor | Scalar | ndarray) -> Tensor:  # other + (-self)
        other = _constant(other)
        if other is NotImplemented:
            return NotImplemented
        return -self + other

    def __truediv__(self, other: Tensor | Scalar | ndarray) -> Tensor:  # self * other**-1
        if isinstance(other, Tensor):
            return self * other**-1
        other = _constant(other)
        if other is NotImplemented:
            return NotImplemented
        if isinstance(other, ndarray):
            return self * (1 / other)
        if other == 0:
            raise ZeroDivisionError("Tensor division by the number 0")
        return self * (1 / other)

    def __rtruediv__(self, other: Tensor | Scalar | ndarray) -> Tensor:  # other * self**-1
        other = _constant(other)
        if other is NotImplemented:
            return NotImplemented
        return self**-1 * other

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Average over ``axis`` (all axes if None): the sum times 1/count."""
        total = self.sum(axis, keepdims)
        if total.data.size == 0:
            return total
        count = self.data.size // total.data.size
        if count == 0:
            raise ValueError(f"mean over an empty axis of a tensor of shape {self.shape}")
        return total * (1 / count)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(log_softmax(x)): positive, sums to 1 along ``axis``, stable for any logits."""
        return self.log_softmax(axis).exp()

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
                    pg = _unbroadcast(pg, data.shape)
                elif not parent._prev and (pg is g or not pg.flags.writeable):
                    pg = pg.copy()  # a leaf keeps its grad: never share it with a sibling
                if pg.dtype is not data.dtype:
                    pg = _cast(pg, data.dtype)
                old = parent.grad
                parent.grad = pg if old is None else old + pg  # out of place: pg may be shared


def _cast(grad: ndarray, dtype: np.dtype) -> ndarray:
    """``grad`` in ``dtype``, its operand's (e.g. a float32 parameter used with float64 data)."""
    return grad if grad.dtype == dtype else grad.astype(dtype)


# --------------------------------------------------------------------- derivative rules
# One entry per primitive, HIPS-autograd style: for each operand, in order, a function of
# (g, ans, ctx) giving d(loss)/d(operand), where g = d(loss)/d(ans), ans is the primitive's
# output and ctx what the forward recorded. Each rule returns a gradient of the output's
# (broadcast) shape; backward() reduces it to the operand's shape.


def _matmul_grad_a(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    a, b = ctx  # ans = a @ b
    if b.ndim == 1:  # ans[..., i] = sum_k a[..., i, k] b[k]
        return g * b if a.ndim == 1 else g[..., None] * b
    if a.ndim == 1:  # ans[..., j] = sum_k a[k] b[..., k, j]
        return (g[..., None, :] @ b.swapaxes(-1, -2))[..., 0, :]
    if a.ndim == 2 and not a.flags.c_contiguous and b.ndim == 2:
        return (b @ g.T).T  # same product, laid out like a (e.g. a = W.T): no copy later
    return g @ b.swapaxes(-1, -2)


def _matmul_grad_b(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    a, b = ctx
    if a.ndim == 1:
        return g * a if b.ndim == 1 else a[:, None] * g[..., None, :]
    if b.ndim == 1:
        return (a.swapaxes(-1, -2) @ g[..., None])[..., 0]
    if b.ndim == 2 and not b.flags.c_contiguous and a.ndim == 2:
        return (g.T @ a).T  # laid out like b: for x @ W.T, W.grad comes out C-contiguous
    return a.swapaxes(-1, -2) @ g


# The linear rules use ndarray.dot, not @, on 2-D arrays: see Tensor._linear.


def _linear_grad_x(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    w = ctx[1]  # ans = x @ w.T + b: (..., out) @ (out, in)
    return g.dot(w) if g.ndim <= 2 else g @ w


def _linear_grad_w(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    x = ctx[0]  # every leading axis of x and g is a batch axis: one (out, N) @ (N, in) product
    if g.ndim != 2:
        g, x = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
    return g.T.dot(x)


def _linear_grad_b(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    if g.ndim != 2:
        g = g.reshape(-1, g.shape[-1])
    return _ones(len(g), g.dtype.char).dot(g)  # g summed over the batch rows, as in _unbroadcast


def _kept_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """The shape of a reduction over ``axis`` with keepdims=True."""
    ndim = len(shape)
    reduced = {a % ndim for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis)}
    return tuple(1 if i in reduced else n for i, n in enumerate(shape))


def _sum_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    shape, axis, keepdims = ctx  # ans = a.sum(axis): every summed entry gets g
    if not (keepdims or axis is None):
        g = g.reshape(_kept_shape(shape, axis))
    out = np.empty(shape, g.dtype)
    out[...] = g  # a broadcasting copy: several times faster than np.broadcast_to here
    return out


def _max_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, axis, keepdims = ctx  # ans = a.max(axis)
    if not (keepdims or axis is None):
        kept = _kept_shape(a.shape, axis)
        g, ans = g.reshape(kept), ans.reshape(kept)
    winners = a == ans  # every entry that ties for the max shares g equally
    return winners * (g / winners.sum(axis, keepdims=True, dtype=g.dtype))


def _index_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    shape, index, basic = ctx
    out = np.zeros(shape, g.dtype)
    if basic:  # ints and slices pick each entry at most once
        out[index] = g
    else:  # integer arrays may repeat an entry: add every pick
        np.add.at(out, index, g)
    return out


def _log_softmax_grad(g: ndarray, ans: ndarray, axis: int) -> ndarray:
    return g - np.exp(ans) * g.sum(axis=axis, keepdims=True)  # exp(ans) = softmax


def _cross_entropy_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    log_probs, rows, targets = ctx  # ans = -mean(log_probs[rows, targets])
    grad = np.exp(log_probs)  # softmax
    grad[rows, targets] -= 1
    grad *= g / len(rows)
    return grad


def _hinge_grad(g: ndarray, margin: ndarray, factor: ndarray) -> ndarray:
    # ans = mean(max(margin, 0)) with margin = 1 - y * s: d/ds = -y [margin > 0] / n, and
    # d/dy the same with s for y. Built in place on a float mask, as relu's rule, with the
    # 0-d g folded into one number: 2.7 instead of 3.8 us on the demo's (100, 1) scores.
    grad = (margin > 0).astype(margin.dtype)
    grad *= factor
    grad *= float(g) * (-1 / margin.size)
    return grad


def _relu_grad(g: ndarray, ans: ndarray, ctx: None) -> ndarray:
    # g * (ans > 0), with the mask made a float array first: ~12% faster than letting the
    # multiplication cast the booleans as it goes
    grad = (ans > 0).astype(g.dtype)
    grad *= g
    return grad


def _pow_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    a, n = ctx  # ans = a ** n
    if n == 0:
        return np.zeros_like(g)
    return g * (n * a ** (n - 1))


def _transpose_grad(g: ndarray, ans: ndarray, inverse: tuple[int, ...] | None) -> ndarray:
    return g.transpose() if inverse is None else g.transpose(inverse)


VJPS: dict[str, tuple[Callable[[Any, Any, Any], Any], ...]] = {
    # op             forward (above)                 gradient w.r.t. each operand
    "+": (  #        ans = a + b
        lambda g, ans, ctx: g,
        lambda g, ans, ctx: g,
    ),
    "*": (  #        ans = a * b, ctx = (a, b)
        lambda g, ans, ctx: g * ctx[1],
        lambda g, ans, ctx: g * ctx[0],
    ),
    "**": (_pow_grad,),  # ans = a ** n, ctx = (a, n): n * a**(n-1)
    "@": (_matmul_grad_a, _matmul_grad_b),  # ans = a @ b: g @ b.T, a.T @ g
    "linear": (_linear_grad_x, _linear_grad_w, _linear_grad_b),  # ans = x @ w.T + b
    "exp": (lambda g, ans, ctx: g * ans,),  # ans = exp(a)
    "log": (lambda g, ans, a: g / a,),  # ans = log(a)
    "tanh": (lambda g, ans, ctx: g * (1 - ans * ans),),  # ans = tanh(a)
    "relu": (_relu_grad,),  # ans = max(a, 0): g where ans > 0
    "sigmoid": (lambda g, ans, ctx: g * (ans * (1 - ans)),),  # ans = 1 / (1 + exp(-a))
    "sum": (_sum_grad,),  # ans = a.sum(axis): g spread back over the summed axes
    "max": (_max_grad,),  # ans = a.max(axis): g to the entries equal to the max
    "reshape": (lambda g, ans, shape: g.reshape(shape),),  # ctx = a.shape
    "transpose": (_transpose_grad,),  # ctx = the inverse permutation
    "index": (_index_grad,),  # ans = a[index]: g scattered back, repeats added
    "log_softmax": (_log_softmax_grad,),  # ans = a - logsumexp(a, axis)
    "cross_entropy": (_cross_entropy_grad,),  # ans = -mean(log_softmax(a)[i, t_i])
    "hinge": (  #    ans = mean(relu(1 - y * s)), operands (s, y), ctx = (1 - y * s, y, s)
        lambda g, ans, ctx: _hinge_grad(g, ctx[0], ctx[1]),
        lambda g, ans, ctx: _hinge_grad(g, ctx[0], ctx[2]),
    ),
}


# --------------------------------------------------------------------- helpers


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


def _unbroadcast(grad: ndarray, shape: tuple[int, ...]) -> ndarray:
    """Sum a gradient of a broadcast result back to an operand's ``shape``: the one place."""
    if grad.ndim == 2 and grad.shape[1:] == shape and grad.flags.c_contiguous:
        # A bias added to a batch of rows, the common case, tested first and in few steps:
        # ones @ grad, a BLAS matrix-vector product, is 2-3x faster than grad.sum(axis=0) on
        # batch-sized arrays, where NumPy's reduction pays a loop per row; written as
        # ndarray.dot, which skips matmul's ufunc machinery (0.6 instead of 1.3 us here).
        return _ones(len(grad), grad.dtype.char).dot(grad)
    lead = grad.ndim - len(shape)
    kept_ones = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if kept_ones:
        return grad.sum(axis=tuple(range(lead)) + kept_ones, keepdims=True).reshape(shape)
    return np.asarray(grad.sum(axis=tuple(range(lead))))  # a full sum is a NumPy scalar


@functools.lru_cache(maxsize=16)
def _ones(n: int, dtype: str) -> ndarray:
    """A read-only vector of n ones, kept for ``_unbroadcast``: np.ones costs as much as the
    product it feeds, and a batch size repeats every step."""
    ones = np.ones(n, dtype)
    ones.flags.writeable = False
    return ones


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


def _axis(axis: Any) -> int | tuple[int, ...] | None:
    """``axis`` as NumPy takes it; a clear TypeError for anything that is not int(s) or None."""
    if axis is None or isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return axis
    if isinstance(axis, (tuple, list)) and all(
        isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis
    ):
        return tuple(axis)
    raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}")


def _is_basic_index(index: Any) -> bool:
    """True if ``index`` picks every entry at most once (ints, slices, None, Ellipsis)."""
    items = index if type(index) is tuple else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)
