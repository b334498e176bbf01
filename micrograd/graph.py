"""The graph walk shared by every engine and by the drawing code.

A node is anything with a ``_prev`` tuple holding the nodes it was computed from
(``Value`` and ``Tensor`` both are) that hashes by identity. The walk is iterative, so graphs far deeper than
Python's recursion limit (about 1,000 frames) are fine.
"""

from __future__ import annotations

from typing import Any


def topological_order(root: Any) -> list[Any]:
    """Every node that ``root`` depends on (``root`` included), each listed after its operands.

    This is the lecture's recursive ``build_topo`` written with an explicit stack: a node is
    pushed once to expand its operands and once more to be emitted after them.
    """
    order: list[Any] = []
    visited: set[Any] = set()
    stack = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        if operands_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            for operand in node._prev:
                if operand not in visited:
                    stack.append((operand, False))
    return order
