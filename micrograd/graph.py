"""The one graph walk, ``topological_order``, and what a node's ``_prev`` is (``Operands``).

A node is anything with a ``_prev`` tuple holding the nodes it was computed from (``Value``
and ``Tensor`` both are; theirs is an ``Operands``) that hashes by identity. The walk is
iterative, so graphs far deeper than Python's recursion limit (about 1,000 frames) are fine.

``Tensor.backward``, ``draw_dot``, ``explore`` (the stepper page) and ``gradcheck`` walk a
graph with it (tests/test_graph.py checks each). Two walks of their own say why where they
stand: ``Value.backward`` lists the same operations in the same order from a Value's operand
slots (``_a``, ``_b``) rather than ``_prev``, which a Value builds on demand; and an in-place
write (``tensors/inplace.py``) re-points the operations built from the tensor written, a walk
that needs no order and stops at the tensor's history.
"""

from __future__ import annotations

from typing import Any


class Operands(tuple):
    """A node's ``_prev``: its operands in order, repeats kept, as a tuple...

    ... that also compares, and combines with ``-  &  |  ^``, like the *set* the original
    micrograd kept there, so code written against it keeps working (set operations give sets):

    >>> from micrograd import Value
    >>> a, b = Value(1.0), Value(2.0)
    >>> (a * b)._prev == {a, b} and (a * b)._prev == (a, b) and a._prev == set()
    True
    >>> (a + a)._prev == (a, a) and (a + a)._prev == {a}
    True
    >>> (a * b)._prev - {a} == {b}
    True
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (set, frozenset)):
            return set(self) == other
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__

    def __sub__(self, other: Any) -> set[Any]:
        return set(self) - set(other)

    def __rsub__(self, other: Any) -> set[Any]:
        return set(other) - set(self)

    def __and__(self, other: Any) -> set[Any]:
        return set(self) & set(other)

    def __or__(self, other: Any) -> set[Any]:
        return set(self) | set(other)

    def __xor__(self, other: Any) -> set[Any]:
        return set(self) ^ set(other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__


NO_OPERANDS = Operands()  # a leaf's _prev

_EMIT = object()  # stack marker: "the node below me has had all its operands emitted"


def topological_order(root: Any) -> list[Any]:
    """Every node that ``root`` depends on (``root`` included), each listed after its operands.

    This is the lecture's recursive ``build_topo`` written with an explicit stack: a node is
    expanded once (its operands pushed above it, the first on top, so operations are listed in
    the recursive version's order and ``Value.backward`` fires them in the same order) and
    emitted when the stack comes back to it. A leaf (no operands) has nothing to wait for, so
    it is emitted as soon as it is found, without a trip through the stack.
    """
    order: list[Any] = []
    visited: set[Any] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is _EMIT:
            order.append(stack.pop())
        elif node not in visited:
            visited.add(node)
            stack.append(node)
            stack.append(_EMIT)
            waiting = []
            for operand in node._prev:
                if operand not in visited:
                    if operand._prev:
                        waiting.append(operand)
                    else:
                        visited.add(operand)
                        order.append(operand)
            stack.extend(reversed(waiting))  # the first operand on top: expanded first
    return order
