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
"""

from __future__ import annotations

import math
import numbers
from typing import Iterable, Union

from micrograd.graph import topological_order

Number = Union[int, float]

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
    # Each returns its output with the local derivatives beside it.

    def __add__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), "+", _local_grads=_ADD_GRADS)

    def __mul__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(
            self.data * other.data, (self, other), "*", _local_grads=(other.data, self.data)
        )

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):  # a ** b with both differentiable
            out = _float_pow(self.data, other.data)
            d_base = _power_rule(self.data, other.data)
            d_exponent = out * _log_for_pow(self.data, other.data)  # d(a**b)/db = a**b * ln a
            return Value(out, (self, other), "**", _local_grads=(d_base, d_exponent))
        if not isinstance(other, numbers.Real) or isinstance(other, bool):
            raise TypeError(
                f"Value ** exponent: exponent must be a number or a Value, "
                f"got {type(other).__name__}"
            )
        n = float(other)
        return Value(
            _float_pow(self.data, n),
            (self,),
            f"**{other}",  # the original's label: "**2", "**-1"
            _local_grads=(_power_rule(self.data, n),),
        )

    def relu(self) -> Value:
        positive = self.data > 0
        return Value(
            self.data if positive else 0.0, (self,), "ReLU", _local_grads=(1.0 if positive else 0.0,)
        )

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # stable everywhere; the lecture's exp formula overflows past 355
        return Value(t, (self,), "tanh", _local_grads=(1.0 - t * t,))

    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data}) is too large for a float") from None
        return Value(e, (self,), "exp", _local_grads=(e,))  # d(e^x)/dx = e^x

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log({self.data}): log is only defined for positive numbers")
        return Value(math.log(self.data), (self,), "log", _local_grads=(1.0 / self.data,))

    def sigmoid(self) -> Value:
        s = _sigmoid(self.data)
        return Value(s, (self,), "sigmoid", _local_grads=(s * (1.0 - s),))

    # ----------------------------------------------------------------- backpropagation

    def _backward(self) -> None:
        """Chain rule for one node: push this node's grad into its operands."""
        grad = self.grad
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
        divisor = other.data if isinstance(other, Value) else other
        if divisor == 0:
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


# --------------------------------------------------------------------- numeric helpers


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
    return n * _float_pow(x, n - 1)


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
