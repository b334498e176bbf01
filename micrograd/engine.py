"""The scalar engine: a ``Value`` holds one number and remembers how it was computed.

Every operation below computes its output and, right beside it, the *local derivative* of
that output with respect to each operand. A node made by an operation remembers its
operands ``_a`` and ``_b`` (``_b`` is None for one-operand operations such as ``tanh``) and
those derivatives, ``_da`` = d(node)/d(_a) and ``_db`` = d(node)/d(_b). ``_backward`` then
applies the chain rule, ``operand.grad += local * node.grad``, and ``backward`` runs it over
the graph in reverse topological order.

What differs from the lecture, and why:

* No closure per node. The lecture's ``_backward`` closure holds its own output, so every
  graph is a reference cycle that only Python's cyclic garbage collector can free (most of
  the original's run time). Here a node stores its local derivatives and ``_backward`` is an
  ordinary method, so a dropped graph is freed at once.
* Operands live in the node's own fields, not in a tuple or set: a training step builds
  tens of thousands of nodes, and the two tuples per node this engine used to keep cost a
  third of the step (allocating them, and the collector walking them). ``_prev`` still
  gives the operands as a tuple, in order, repeats kept: ``(a + a)._prev == (a, a)``; it
  also compares like the original's set, ``(a * b)._prev == {a, b}``.
* ``backward`` walks the graph with an explicit stack instead of recursion, so deep graphs
  don't hit Python's recursion limit.
* ``paused_gc()`` lets a training step run without Python's cyclic collector, which still
  costs time even though these graphs have no cycles (see there).
"""

from __future__ import annotations

import contextlib
import gc
import math
import numbers
from collections.abc import Iterable, Iterator

from micrograd.graph import NO_OPERANDS, Operands

Number = int | float


class Value:
    """A scalar that records the operations that produced it, for backpropagation.

    >>> a = Value(2.0); b = Value(-3.0)
    >>> c = a * b + a
    >>> c.backward()
    >>> c.data, a.grad, b.grad
    (-4.0, -2.0, 2.0)
    """

    # data, grad, label, _op: as in the lecture. _a, _b: the operands (None where there are
    # fewer); _da, _db: the local derivatives d(self)/d(_a) and d(self)/d(_b); _more: operands
    # past two, which only a node built by hand can have. ``__slots__`` keeps a node small;
    # ``__dict__`` is still there (empty until used) so code written for the original can set
    # other attributes, or its own ``_backward``.
    __slots__ = ("data", "grad", "label", "_op", "_a", "_da", "_b", "_db", "_more", "__dict__")

    def __init__(
        self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = ""
    ) -> None:
        if type(data) is not float:  # the fast path: every operation below passes a float
            data = _as_float(data)
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op = _op
        self._prev = _children  # operands of a node built by hand, as in the lecture
        # No derivative rule: a leaf has nothing to push into, and a node built by hand
        # brings its own _backward, as in the lecture (or sets _da and _db).
        self._da = self._db = None

    @property
    def _prev(self) -> Operands:
        """The operands, in order, as the lecture's code and ``draw_dot`` read them.

        A tuple that also compares like the original's set: ``(a * b)._prev == {a, b}``.
        """
        if self._a is None:  # a leaf
            return NO_OPERANDS
        operands = (self._a,) if self._b is None else (self._a, self._b)
        return Operands(operands + self._more if self._more else operands)

    @_prev.setter
    def _prev(self, children: Iterable[Value]) -> None:
        children = tuple(children)
        for child in children:
            if not isinstance(child, Value):
                raise TypeError(f"Value operands must be Values, got {type(child).__name__}")
        self._a = children[0] if children else None
        self._b = children[1] if len(children) > 1 else None
        self._more = children[2:] or None  # only nodes built by hand have more than two

    # ----------------------------------------------------------------- primitives
    # Each returns _result(output, op, operand, local derivative[, operand, local derivative]):
    # the chain rule's two ingredients side by side.

    def __add__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return _result(self.data + other.data, "+", self, 1.0, other, 1.0)

    def __mul__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return _result(self.data * other.data, "*", self, other.data, other, self.data)

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):  # a ** b with both differentiable
            out = _float_pow(self.data, other.data)
            d_base = _power_rule(self.data, other.data)
            d_exponent = out * _log_for_pow(self.data, other.data)  # d(a**b)/db = a**b * ln a
            return _result(out, "**", self, d_base, other, d_exponent)
        if not isinstance(other, numbers.Real):
            raise TypeError(
                f"Value ** exponent: exponent must be a number or a Value, "
                f"got {type(other).__name__}"
            )
        n = float(other)
        # "**2", "**-1": the original's op names
        return _result(_float_pow(self.data, n), f"**{other}", self, _power_rule(self.data, n))

    def relu(self) -> Value:
        x = self.data
        out = 0.0 if x <= 0 else x  # written so that NaN stays NaN, as in PyTorch
        return _result(out, "ReLU", self, 1.0 if x > 0 else 0.0)

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # stable everywhere; the lecture's exp formula overflows past 355
        return _result(t, "tanh", self, 1.0 - t * t)

    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data}) is too large for a float") from None
        return _result(e, "exp", self, e)  # d(e^x)/dx = e^x

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log({self.data}): log is only defined for positive numbers")
        return _result(math.log(self.data), "log", self, 1.0 / self.data)

    def sigmoid(self) -> Value:
        s = _sigmoid(self.data)
        return _result(s, "sigmoid", self, s * (1.0 - s))

    # ----------------------------------------------------------------- backpropagation

    def _backward(self) -> None:
        """Chain rule for one node: push this node's grad into its operands."""
        if self._da is None:  # a leaf, or a node built by hand without a rule
            return
        self._a.grad += self._da * self.grad
        if self._b is not None:
            self._b.grad += self._db * self.grad

    def backward(self) -> None:
        """Fill ``grad`` of every node this one depends on with d(self)/d(node).

        Leaves (nodes no operation produced, such as parameters) accumulate across calls, as
        in PyTorch; zero them between steps (``Module.zero_grad``). Intermediate nodes are
        reset first, so calling ``backward`` twice does not double-count through them.
        """
        topo = self._interior_nodes_in_topological_order()
        self.grad += 1.0  # d(self)/d(self); a leaf root accumulates like any leaf
        for node in reversed(topo):
            if node._da is None:  # built by hand, as in the lecture: it has its own _backward
                node._backward()
            else:  # node._backward(), written out: the call is 6% of a training step
                g = node.grad
                node._a.grad += node._da * g
                if node._b is not None:
                    node._b.grad += node._db * g

    def _interior_nodes_in_topological_order(self) -> list[Value]:
        """Every node ``self`` depends on that an operation made, each after its operands.

        The lecture's recursive ``build_topo`` with an explicit stack: a node is expanded once
        (its operands pushed above it, then a marker) and listed when the stack comes back
        down to the marker, so after its operands. Leaves are left out: their ``_backward``
        does nothing. Each listed node's grad is reset to 0 on the way, ready for the chain
        rule to add into. (``micrograd.graph.topological_order`` is the same walk for any
        node with a ``_prev``; this one reads the operand fields directly, since it runs
        once per training step over every node.)
        """
        topo: list[Value] = []
        if self._a is None:
            return topo
        visited: set[Value] = set()
        stack: list[Value | None] = [self]
        while stack:
            node = stack.pop()
            if node is None:  # the marker: the node below it has had its operands listed
                node = stack.pop()
                node.grad = 0.0
                topo.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append(node)
                stack.append(None)
                a, b = node._a, node._b
                if a._a is not None and a not in visited:
                    stack.append(a)
                if b is not None and b._a is not None and b not in visited:
                    stack.append(b)
                if node._more:
                    stack.extend(c for c in node._more if c._a is not None)
        return topo

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


def _result(
    data: float, op: str, a: Value, da: float, b: Value | None = None, db: float = 0.0
) -> Value:
    """The node ``op`` makes from operands ``a`` (and ``b``), with its local derivatives.

    Like ``Value(data, (a, b), op)`` plus ``_da`` and ``_db``, but built without ``__init__``:
    node creation is the engine's hot path, and calling a class costs about twice as much in
    CPython 3.11 (an operation's output is already a float, so there is nothing to check).
    """
    out = _new_object(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._a = a
    out._da = da
    out._b = b
    out._db = db
    out._more = None
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
    that is a third to a half of the step's time, nearly all of it full collections. Nothing
    in the block needs the collector; cycles made elsewhere in the block are collected as
    usual once it ends. The collector's previous state is restored on exit, so nesting and an
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
