"""The scalar engine: a ``Value`` holds one number and remembers how it was computed.

Every operation computes its output and, right beside it, the *local derivative* of the
output with respect to each operand; the new node keeps its operands in ``_a`` and ``_b`` and
those derivatives in ``_da`` and ``_db``. ``backward`` lists the graph in topological order
and, from the output back, applies the chain rule at each node (``_backward``):
``operand.grad += local derivative * node.grad``.

What differs from the lecture, and why:

* No closure per node. The lecture's ``_backward`` closure holds its own output, so every
  graph is a reference cycle that only Python's cyclic garbage collector can free. Here the
  local derivatives are numbers in the node, and a dropped graph is freed at once.
* A node is one object with fixed slots and nothing else. A training step builds tens of
  thousands of nodes; every further allocation per node (microgpt keeps two tuples, and a
  ``__dict__`` is one more) costs time to make and free, and the cyclic collector walks every
  such object again and again while the graph is alive.
* The graph walk keeps its own stack, so deep graphs don't hit Python's recursion limit.

Nodes can also be built by hand, the lecture's way (``Value(data, children, op)`` and a
``_backward`` closure) or microgpt's (``Value(data, children, local_grads)``); those few are
``_HandBuilt`` Values, which have a ``__dict__`` for the closure and for operands past two.
"""

from __future__ import annotations

import contextlib
import gc
import math
import numbers
from collections.abc import Iterable, Iterator, Sequence

from micrograd.graph import NO_OPERANDS, Operands

Number = int | float


class Value:
    """A scalar that records the operations that produced it, for backpropagation.

    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = a * b + a
    >>> c.backward(); c.data, a.grad, b.grad
    (-4.0, -2.0, 2.0)
    >>> n = Value(10.0, (a, b), (5.0, 2.0))  # built by hand, microgpt's way
    >>> n.backward(); a.grad, b.grad
    (3.0, 4.0)
    """

    # data, grad, label, _op: as in the lecture. _a, _b: the operands (None where there are
    # fewer); _da, _db: d(self)/d(_a) and d(self)/d(_b), None where the node has no rule. No
    # __dict__: since CPython 3.11 it costs every node a second allocation (its inline values).
    __slots__ = ("data", "grad", "label", "_op", "_a", "_da", "_b", "_db")
    _more: tuple[Value, ...] = ()  # built by hand with 3+ operands: the operands past the first
    _dmore: tuple[float, ...] = ()  # and their local derivatives

    def __new__(cls, data: Number = 0.0, _children: Iterable[Value] = (), *_, **__) -> Value:
        # A node built by hand is a _HandBuilt, a Value with a __dict__: the lecture gives it
        # its own _backward, and operands past the second go there.
        return _new_object(_HandBuilt if _children and cls is Value else cls)

    def __init__(
        self,
        data: Number,
        _children: Iterable[Value] = (),
        _op: str | Sequence[Number] = "",
        label: str = "",
    ) -> None:
        self.data, self.grad = data if type(data) is float else _as_float(data), 0.0
        grads = None if isinstance(_op, str) else _op  # microgpt: Value(data, children, grads)
        self.label, self._op = label, "" if grads is not None else _op
        self._a = self._da = self._b = self._db = None
        if _children or grads:
            self._connect(tuple(_children), grads)

    # ----------------------------------------------------------------- primitives
    # Each computes its output and, beside it, the local derivative for each operand. + and *
    # make nearly every node of a network, so they build it written out; the others through
    # _node(output, op, operand, local derivative).

    def __add__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else _constant(other)
        out = _new_object(Value)
        out.data, out.grad = self.data + other.data, 0.0
        out.label, out._op = "", "+"
        out._a, out._da = self, 1.0  # d(a + b)/da = 1
        out._b, out._db = other, 1.0  # d(a + b)/db = 1
        return out

    def __mul__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else _constant(other)
        out = _new_object(Value)
        out.data, out.grad = self.data * other.data, 0.0
        out.label, out._op = "", "*"
        out._a, out._da = self, other.data  # d(a * b)/da = b
        out._b, out._db = other, self.data  # d(a * b)/db = a
        return out

    def __pow__(self, other: Value | Number) -> Value:
        x = self.data
        if isinstance(other, Value):  # a ** b, both differentiable: d/db = a**b * ln(a)
            y = other.data
            out, d_base = _power(x, y)
            ln_x = math.log(x) if x > 0 else 0.0 if x == 0 and y >= 0 else math.nan  # PyTorch's
            return _node(out, "**", self, d_base, other, out * ln_x)
        out, d = _power(x, _as_float(other, "Value exponent"))
        return _node(out, f"**{other}", self, d)  # "**2", as micrograd 0.1.0 names it

    def relu(self) -> Value:
        x = self.data
        out = 0.0 if x <= 0 else x  # written so that NaN stays NaN, as in PyTorch
        return _node(out, "ReLU", self, 1.0 if x > 0 else 0.0)

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # stable everywhere; the lecture's exp formula overflows past 355
        return _node(t, "tanh", self, 1.0 - t * t)

    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data}) is too large for a float") from None
        return _node(e, "exp", self, e)  # d(e^x)/dx = e^x

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log({self.data}): log is only defined for positive numbers")
        return _node(math.log(self.data), "log", self, 1.0 / self.data)

    def sigmoid(self) -> Value:
        x = self.data
        e = math.exp(-abs(x))  # 1 / (1 + e^-x), written so that exp never overflows
        s = 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
        return _node(s, "sigmoid", self, s * (1.0 - s))

    # ----------------------------------------------------------------- backpropagation

    def _backward(self) -> None:
        """The chain rule at this node: each operand's grad += local derivative * self.grad.
        Without a rule (a leaf; a node built the lecture's way brings its own) nothing."""
        if self._da is None or self._a is None:  # no rule, or cut off from its operands
            return
        g = self.grad
        self._a.grad += self._da * g
        if self._b is not None:
            self._b.grad += self._db * g
        elif self._more:
            for child, d in zip(self._more, self._dmore):
                child.grad += d * g

    def backward(self) -> None:
        """Fill ``grad`` of every node this one depends on with d(self)/d(node).

        Leaves (nodes no operation produced, such as parameters) accumulate across calls, as
        in PyTorch; zero them between steps (``Module.zero_grad``). The other nodes start
        from zero, so calling ``backward`` twice does not count twice through them.
        """
        order = self._interior_nodes_in_topological_order()
        for node in order:
            node.grad = 0.0
        self.grad += 1.0  # d(self)/d(self); a leaf root accumulates like any leaf
        for node in reversed(order):
            node._backward()

    def _interior_nodes_in_topological_order(self) -> list[Value]:
        """Every node ``self`` depends on that has operands (``self`` too), each after them.

        The lecture's recursive ``build_topo`` with a stack, in the same order: a node is
        expanded once (its operands pushed above a marker, the first on top) and listed when
        the stack is back down to the marker. Leaves are left out: they have no chain rule.
        """
        # Its own walk, not graph.topological_order (which lists the same operations in the
        # same order, tests/test_graph.py): it reads the operand slots where ``_prev`` would
        # build a tuple per node, and every training step walks every node (benchmarks/README.md).
        order: list[Value] = []
        if self._a is None:
            return order
        visited: set[Value] = set()
        stack: list[Value | None] = [self]
        while stack:
            node = stack.pop()
            if node is None:  # the marker: the node below it has had its operands listed
                order.append(stack.pop())
            elif node not in visited:
                visited.add(node)
                stack.append(node)
                stack.append(None)
                b = node._b
                if b is not None:
                    if b._a is not None and b not in visited:
                        stack.append(b)
                elif node._more:  # built by hand with more than two operands
                    stack.extend(c for c in reversed(node._more) if c._a is not None)
                a = node._a
                if a._a is not None and a not in visited:
                    stack.append(a)
        return order

    # ----------------------------------------------------------------- composites
    # Written through the primitives above, so they need no derivative of their own.

    def __neg__(self) -> Value:  # -self
        return self * -1

    __radd__ = __add__  # other + self: the same node as self + other

    def __sub__(self, other: Value | Number) -> Value:  # self - other
        return self + (-other)

    def __rsub__(self, other: Number) -> Value:  # other - self
        return other + (-self)

    __rmul__ = __mul__  # other * self: the same node as self * other

    def __truediv__(self, other: Value | Number) -> Value:  # self / other
        if not isinstance(other, Value):
            other = _as_float(other, "Value divisor")  # a NumPy integer refuses ** -1
        if (other.data if isinstance(other, Value) else other) == 0:
            raise ZeroDivisionError(f"Value division: {self.data} / 0")
        return self * other**-1

    def __rtruediv__(self, other: Number) -> Value:  # other / self
        if self.data == 0:
            raise ZeroDivisionError(f"Value division: {other} / 0")
        return other * self**-1

    def __rpow__(self, other: Number) -> Value:  # other ** self
        return _constant(other) ** self

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # ----------------------------------------------------------------- built by hand
    # The lecture builds nodes as Value(data, children, op) with a _backward closure, microgpt
    # as Value(data, children, local_grads) and reads _children and _local_grads; code for the
    # original reads (and may set) _prev.

    def _connect(self, children: tuple, local_grads: Iterable[Number] | None) -> None:
        """Make ``children`` the operands and ``local_grads`` (unless None) their derivatives."""
        for child in children:
            if not isinstance(child, Value):
                raise TypeError(f"Value operands must be Values, got {type(child).__name__}")
        if len(children) > 2 and not isinstance(self, _HandBuilt):
            raise TypeError("Value: only Value(data, children, ...) takes 3+ operands")
        if local_grads is not None:
            if not isinstance(local_grads, Iterable):
                kind = type(local_grads).__name__
                raise TypeError(f"Value: op must be a str, or local gradients numbers, not {kind}")
            grads = tuple(_as_float(g, "Value local gradient") for g in local_grads)
            if len(grads) != len(children):
                raise ValueError(f"Value: {len(children)} children, {len(grads)} local gradients")
            self._da = grads[0] if grads else None
            self._db = grads[1] if len(grads) == 2 else None
            if len(grads) > 2:
                self._dmore = grads[1:]
            elif self._dmore:
                del self._dmore
        self._a = children[0] if children else None
        self._b = children[1] if len(children) == 2 else None
        if len(children) > 2:
            self._more = children[1:]
        elif self._more:
            del self._more

    @property
    def _prev(self) -> Operands:
        """The operands in order, repeats kept; compares like the original's set too."""
        if self._a is None:
            return NO_OPERANDS
        return Operands((self._a, self._b) if self._b is not None else (self._a, *self._more))

    @_prev.setter
    def _prev(self, children: Iterable[Value]) -> None:
        # The original's _prev was a plain attribute. Setting it keeps the local derivatives:
        # gradcheck cuts a node off (``_prev = ()``) and then gives it back its operands.
        children, grads = tuple(children), self._local_grads
        if children and grads and len(children) != len(grads):
            raise ValueError(f"Value: {len(children)} children, {len(grads)} local gradients")
        self._connect(children, None)

    _children = _prev  # microgpt's name for the operands

    @property
    def _local_grads(self) -> tuple[float, ...]:
        """d(self)/d(operand) for each of ``_children`` (kept while cut off); () without a rule."""
        if self._da is None:
            return ()
        return (self._da, self._db) if self._db is not None else (self._da, *self._dmore)


class _HandBuilt(Value):
    """What ``Value(data, children, ...)`` makes: a Value with a ``__dict__``, for the lecture's
    own ``_backward`` closure and for operands past the second."""

    __slots__ = ("__dict__",)


# --------------------------------------------------------------------- helpers

_new_object = object.__new__  # a node made without __init__: an operation has nothing to check


def _node(data: float, op: str, a: Value, da: float, b: Value | None = None, db=None) -> Value:
    """The node ``op`` makes from ``a`` (and ``b``), with its local derivatives ``da`` (``db``)."""
    out = _new_object(Value)
    out.data, out.grad = data, 0.0
    out.label, out._op = "", op
    out._a, out._da = a, da
    out._b, out._db = b, db
    return out


def _constant(x: Number) -> Value:
    """A leaf for a number in an expression (the 2 in ``v * 2``), as the original makes one."""
    return _node(x if type(x) is float else _as_float(x, "Value operand"), "", None, None)


def _as_float(x: object, what: str = "Value data") -> float:
    """``x`` as a float; a clear error for anything that is not a real number a float holds."""
    # float and int first: numbers.Real (which NumPy scalars register with) is slow to check.
    if not isinstance(x, (float, int)) and not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__}: {x!r}")
    try:
        return float(x)
    except OverflowError:  # Python's own message ("int too large to convert") names no culprit
        size = f" of {x.bit_length()} bits" if isinstance(x, int) else ""
        raise OverflowError(f"{what}: {type(x).__name__}{size} is too large for a float") from None


def _power(x: float, n: float) -> tuple[float, float]:
    """``x ** n`` and its derivative ``n * x ** (n - 1)``; PyTorch's values where that formula
    divides by zero, and a clear error where there is no real float result."""
    try:
        out = x**n
    except ZeroDivisionError:
        raise ZeroDivisionError(f"Value power: 0.0 ** {n} (a negative power of 0)") from None
    except OverflowError:
        raise OverflowError(f"Value power: {x} ** {n} is too large for a float") from None
    if isinstance(out, complex):
        raise ValueError(f"Value power: {x} ** {n}: a negative base to a non-integer power")
    if n == 0:
        return out, 0.0
    if x == 0 and n < 1:
        return out, math.inf  # x ** n for 0 < n < 1 (a root) stands vertical at 0
    try:
        return out, n * x ** (n - 1)
    except OverflowError:  # tiny x, negative n: x ** n is a float, its slope is beyond one
        odd_power_of_negative = x < 0 and (n - 1) % 2 == 1
        return out, math.copysign(math.inf, -n if odd_power_of_negative else n)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one block (a training step, say).

    Why: CPython starts a collection every ~700 new container objects and, every so often,
    walks every live object. Building a graph creates tens of thousands of nodes that stay
    alive until ``backward`` is done, so the collector keeps re-walking them, although
    reference counting alone frees a micrograd graph (it has no cycles). Nothing in the
    block needs the collector; cycles made elsewhere in the block are collected as usual
    once it ends. The collector's previous state is restored on exit, so nesting and an
    already-disabled collector are fine.

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
