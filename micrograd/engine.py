"""The scalar engine: a ``Value`` holds one number and remembers how it was computed.

Every operation below computes its output and, right beside it, the *local derivative* of
that output with respect to each operand: d(out)/d(operand). ``_backward`` then applies the
chain rule, ``operand.grad += local * out.grad``, and ``backward`` runs it over the graph in
reverse topological order.

What differs from the lecture, and why:

* No closure per node. The lecture's ``_backward`` closure holds its own output, so every
  graph is a reference cycle that only Python's cyclic garbage collector can free (most of
  the original's run time). Here a node stores its local derivatives (``_local_grads``) and
  ``_backward`` is an ordinary method, so a dropped graph is freed at once.
* ``_prev`` is a tuple, not a set: in ``a + a`` the operand appears twice, in order.
* The topological sort is iterative (``micrograd.graph``), so deep graphs don't hit
  Python's recursion limit.
* ``paused_gc()`` lets a training step run without Python's cyclic collector, which still
  costs about half of a step's time even though these graphs have no cycles (see there).
"""

from __future__ import annotations

import contextlib
import gc
import math
import numbers
from collections.abc import Iterable, Iterator

from micrograd.graph import topological_order

Number = int | float

# d(a + b)/da = d(a + b)/db = 1, the same for every "+" node: share one tuple.
_ADD_GRADS = (1.0, 1.0)


class Value:
    """A scalar that records the operations that produced it, for backpropagation.

    >>> a = Value(2.0); b = Value(-3.0)
    >>> c = a * b + a
    >>> c.backward()
    >>> c.data, a.grad, b.grad
    (-4.0, -2.0, 2.0)
    """

    # ``__slots__`` keeps a node small; ``__dict__`` is still there (empty until used) so code
    # written for the original can set other attributes, or its own ``_backward``.
    __slots__ = ("data", "grad", "label", "_prev", "_op", "_local_grads", "__dict__")

    def __init__(
        self,
        data: Number,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
        _local_grads: tuple[float, ...] = (),
    ) -> None:
        if type(data) is not float:  # the fast path: every operation below passes a float
            data = _as_float(data)
        self.data = data
        self.grad = 0.0
        self.label = label
        self._prev = tuple(_children)
        self._op = _op
        self._local_grads = _local_grads  # d(self)/d(child), one per child in _prev

    # ----------------------------------------------------------------- primitives
    # Each returns _result(output, operands, op, local derivatives): the chain rule's two
    # ingredients side by side.

    def __add__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return _result(self.data + other.data, (self, other), "+", _ADD_GRADS)

    def __mul__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return _result(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):  # a ** b with both differentiable
            out = _float_pow(self.data, other.data)
            d_base = _power_rule(self.data, other.data)
            d_exponent = out * _log_for_pow(self.data, other.data)  # d(a**b)/db = a**b * ln a
            return _result(out, (self, other), "**", (d_base, d_exponent))
        if not isinstance(other, numbers.Real):
            raise TypeError(
                f"Value ** exponent: exponent must be a number or a Value, "
                f"got {type(other).__name__}"
            )
        n = float(other)
        # "**2", "**-1": the original's op names
        return _result(
            _float_pow(self.data, n), (self,), f"**{other}", (_power_rule(self.data, n),)
        )

    def relu(self) -> Value:
        x = self.data
        out = 0.0 if x <= 0 else x  # written so that NaN stays NaN, as in PyTorch
        return _result(out, (self,), "ReLU", (1.0 if x > 0 else 0.0,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # stable everywhere; the lecture's exp formula overflows past 355
        return _result(t, (self,), "tanh", (1.0 - t * t,))

    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data}) is too large for a float") from None
        return _result(e, (self,), "exp", (e,))  # d(e^x)/dx = e^x

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log({self.data}): log is only defined for positive numbers")
        return _result(math.log(self.data), (self,), "log", (1.0 / self.data,))

    def sigmoid(self) -> Value:
        s = _sigmoid(self.data)
        return _result(s, (self,), "sigmoid", (s * (1.0 - s),))

    # ----------------------------------------------------------------- backpropagation

    def _backward(self) -> None:
        """Chain rule for one node: push this node's grad into its operands."""
        grad = self.grad
        if len(self._local_grads) == 2:  # most nodes: unpacking is a third faster than zip()
            (a, b), (da, db) = self._prev, self._local_grads
            a.grad += da * grad
            b.grad += db * grad
        else:
            for child, local in zip(self._prev, self._local_grads):
                child.grad += local * grad

    def backward(self) -> None:
        """Fill ``grad`` of every node this one depends on with d(self)/d(node).

        Leaves (nodes no operation produced, such as parameters) accumulate across calls, as
        in PyTorch; zero them between steps (``Module.zero_grad``). Intermediate nodes are
        reset first, so calling ``backward`` twice does not double-count through them.
        """
        topo = topological_order(self)
        for node in topo:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0  # d(self)/d(self); a leaf root accumulates like any leaf
        for node in reversed(topo):
            node._backward()

    # ----------------------------------------------------------------- composites
    # Written through the primitives above, so they need no derivative of their own.

    def __neg__(self) -> Value:  # -self
        return self * -1

    def __radd__(self, other: Number) -> Value:  # other + self
        return self + other

    def __sub__(self, other: Value | Number) -> Value:  # self - other
        return self + (-other)

    def __rsub__(self, other: Number) -> Value:  # other - self
        return other + (-self)

    def __rmul__(self, other: Number) -> Value:  # other * self
        return self * other

    def __truediv__(self, other: Value | Number) -> Value:  # self / other
        if not isinstance(other, Value):
            other = _as_float(other)  # a NumPy integer refuses ** -1
        if (other.data if isinstance(other, Value) else other) == 0:
            raise ZeroDivisionError(f"Value division: {self.data} / 0")
        return self * other**-1

    def __rtruediv__(self, other: Number) -> Value:  # other / self
        if self.data == 0:
            raise ZeroDivisionError(f"Value division: {other} / 0")
        return other * self**-1

    def __rpow__(self, other: Number) -> Value:  # other ** self
        return Value(other) ** self

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


# --------------------------------------------------------------------- helpers


def _result(data: float, children: tuple[Value, ...], op: str, local_grads: tuple) -> Value:
    """``Value(data, children, op)`` carrying its local derivatives, built without ``__init__``.

    Same object as the constructor makes; it skips the constructor's input checks (an
    operation's output is already a float) because node creation is the engine's hot path:
    calling a class with keyword arguments costs about twice as much in CPython 3.11.
    """
    out = _new_object(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._prev = children
    out._op = op
    out._local_grads = local_grads
    return out


_new_object = object.__new__


def _as_float(data: object) -> float:
    """``data`` as a float; a clear TypeError for anything that is not a real number."""
    if isinstance(data, numbers.Real):  # int, float, bool, NumPy integer and float scalars
        return float(data)
    raise TypeError(f"Value data must be a real number, got {type(data).__name__}: {data!r}")


def _float_pow(base: float, exponent: float) -> float:
    """``base ** exponent`` with Python's float rules, but never a complex result."""
    try:
        out = base**exponent
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"Value power: 0.0 cannot be raised to a negative power ({exponent})"
        ) from None
    except OverflowError:
        raise OverflowError(f"Value power: {base} ** {exponent} is too large for a float") from None
    if isinstance(out, complex):
        raise ValueError(
            f"Value power: negative base {base} with non-integer exponent {exponent} "
            "has no real result"
        )
    return out


def _power_rule(x: float, n: float) -> float:
    """d(x**n)/dx = n * x**(n-1), with PyTorch's values where that formula divides by zero."""
    if n == 0:
        return 0.0
    if x == 0 and n < 1:
        return math.inf  # slope of x**n at 0 for 0 < n < 1 (e.g. sqrt): vertical
    try:
        return n * x ** (n - 1)
    except OverflowError:  # tiny x, negative n: x**n is a float, its slope is beyond one
        odd_power_of_negative = x < 0 and (n - 1) % 2 == 1
        return math.copysign(math.inf, -n if odd_power_of_negative else n)


def _log_for_pow(base: float, exponent: float) -> float:
    """ln(base) as d(base**b)/db needs it: PyTorch's 0 where base == 0 and b >= 0, NaN below 0."""
    if base > 0:
        return math.log(base)
    if base == 0:
        return 0.0 if exponent >= 0 else math.nan
    return math.nan


def _sigmoid(x: float) -> float:
    """1 / (1 + e^-x) without overflow: only ever exponentiate a non-positive number."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one block (a training step, say).

    Why: CPython starts a collection every ~700 new container objects and, every so often,
    walks every live object. Building a graph creates tens of thousands of nodes that stay
    alive until ``backward`` is done, so the collector keeps re-walking them, although
    reference counting alone frees a micrograd graph (it has no cycles). In the original demo
    that is about half of the step's time. Nothing in the block needs the collector; cycles
    made elsewhere in the block are collected as usual once it ends. The collector's previous
    state is restored on exit, so nesting and an already-disabled collector are fine.

    >>> from micrograd.nn import MLP
    >>> model = MLP(2, [4, 1])
    >>> with paused_gc():
    ...     loss = model([1.0, -1.0]) ** 2
    ...     loss.backward()
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
