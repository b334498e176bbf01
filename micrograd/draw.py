"""Drawing a computation graph the way the lecture does, rendered without a system Graphviz.

``draw_dot(root)`` lists everything ``root`` was computed from with the shared walk,
``micrograd.graph.topological_order``, and returns a ``graphviz.Digraph``: one record
``{ label | data | grad }`` per value and a small node for the operation (``_op``) that
produced it, with edges operand -> op -> result. In a notebook the drawing shows inline;
``.render('out')`` writes ``out`` and ``out.svg``. How it is rendered (system ``dot`` or the
pip-installed ``graphviz-pure``) is :mod:`micrograd.render`'s business.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from micrograd import _validate
from micrograd.graph import topological_order
from micrograd.render import GraphDrawing, RendererNotFound, find_renderer

__all__ = ["GraphDrawing", "RendererNotFound", "draw_dot", "find_renderer"]

# Past this many values, drawing all of them makes a picture nobody can read and a layout
# that takes minutes; ``draw_dot`` then draws the values nearest the output and says so.
DEFAULT_MAX_NODES = 1000

RANKDIRS = ("LR", "RL", "TB", "BT")

# A use of a value more than this many ranks (columns) away from the value's record gets a
# copy of the record beside it (``_far_uses`` says why).
MAX_EDGE_RANKS = 6


def draw_dot(
    root: Any,
    format: str = "svg",
    rankdir: str = "LR",
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> GraphDrawing:
    """The graph that computed ``root``, as the lecture draws it: a ``graphviz.Digraph``.

    Every value is a record ``{ label | data | grad }`` (data and grad to 4 decimals); every
    value an operation produced gets a small node showing the operation, with edges operand ->
    op -> value, one edge per operand (``a + a`` draws two). Tensors show
    ``{ label | shape | data | grad }``, with the number itself where a tensor holds one and
    otherwise its dtype and range. Node names are ``v<id(value)>`` and ``v<id(value)>_op``.

    ``format`` is what ``.render()`` and ``.pipe()`` write by default ('svg', 'png', ...;
    with graphviz-pure not 'pdf'); ``rankdir`` lays the graph out left-to-right ('LR'), top-down
    ('TB'), 'RL' or 'BT'. Past ``max_nodes`` values (``None``: no limit) only the values
    nearest ``root`` are drawn, those cut off are gathered into one "more values" node, and a
    warning says so.

    >>> from micrograd import Value
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> e = a * b; e.label = "e"
    >>> e.backward()
    >>> dot = draw_dot(e)
    >>> print(dot.source)  # doctest: +ELLIPSIS
    digraph {
        graph [rankdir=LR]
        v... [label="{ e | data -6.0000 | grad 1.0000 }" shape=record]
        v..._op [label="*"]
        v..._op -> v...
        v... -> v..._op
        v... -> v..._op
        v... [label="{ a | data 2.0000 | grad -3.0000 }" shape=record]
        v... [label="{ b | data -3.0000 | grad 2.0000 }" shape=record]
    }
    <BLANKLINE>
    """
    _validate.choice("draw_dot: rankdir", rankdir, RANKDIRS)
    if max_nodes is not None and not (_validate.is_integer(max_nodes) and max_nodes >= 1):
        raise ValueError(
            f"draw_dot: max_nodes must be a positive integer or None, got {max_nodes!r}"
        )
    if not hasattr(root, "_prev") or not hasattr(root, "data"):
        raise TypeError(
            f"draw_dot: expected a Value or Tensor (something with data and _prev), "
            f"got {type(root).__name__}"
        )

    order = topological_order(root)
    nodes = _nearest_first(order)
    shown = nodes if max_nodes is None else nodes[:max_nodes]
    hidden = len(nodes) - len(shown)
    if hidden:
        warnings.warn(
            f"draw_dot: the graph has {len(nodes):,} values; drawing the {len(shown):,} "
            f"nearest the output (max_nodes={max_nodes}) and gathering the other {hidden:,} "
            "into one node. Pass max_nodes=None to draw them all (the layout may take minutes).",
            stacklevel=2,
        )

    # The body is written as DOT lines directly: graphviz's node()/edge() re-quote and
    # re-check every name and attribute, work these names (all of our making) do not need.
    drawn = {id(node) for node in shown}
    far = _far_uses([node for node in order if id(node) in drawn])
    body: list[str] = []
    frontier: list[str] = []  # op nodes with an operand that was cut off
    for node in shown:
        name = f"v{id(node)}"
        label = _record_label(node)
        body.append(f'\t{name} [label="{label}" shape=record]\n')
        if node._prev:
            op = f"{name}_op"
            body.append(f'\t{op} [label="{_quote(str(node._op))}"]\n')
            body.append(f"\t{op} -> {name}\n")
            cut_off = False
            copied: set[int] = set()
            for operand in node._prev:
                key = id(operand)
                if key not in drawn:
                    cut_off = True
                elif (key, id(node)) not in far:
                    body.append(f"\tv{key} -> {op}\n")
                else:  # a value drawn far from here: its copy beside this use
                    copy = f"v{key}_for_{id(node)}"
                    if key not in copied:
                        copied.add(key)
                        copy_label = _record_label(operand)
                        body.append(f'\t{copy} [label="{copy_label}" shape=record style=dashed]\n')
                    body.append(f"\t{copy} -> {op}\n")
            if cut_off:
                frontier.append(op)
    if hidden:
        body.append(f'\tmore [label="{hidden:,} more values" shape=box style="dashed,rounded"]\n')
        body.extend(f"\tmore -> {op}\n" for op in frontier)

    dot = GraphDrawing(format=format, graph_attr={"rankdir": rankdir})
    dot.body.extend(body)
    return dot


def _far_uses(shown: list[Any]) -> set[tuple[int, int]]:
    """The uses ``(id(value), id(user))`` to draw with a copy of the value beside the user;
    ``shown`` is the values drawn, in topological order (each after its operands).

    Graphviz puts every node on a rank (a column, left to right) and spends time on each rank
    an edge crosses; edges that cross most of the picture (``x + x + ... + x``: every ``+``
    takes ``x``) make layouts take minutes. So a use more than ``MAX_EDGE_RANKS`` ranks from
    where its value is drawn gets a dashed copy of the value's record beside it instead.

    Ranks are estimated as Graphviz assigns them: a leaf one rank before its first user,
    an op node one rank after its highest operand, its value one after the op.
    """
    drawn = set(shown)
    rank: dict[Any, int] = {}
    for node in shown:  # operands come first, so theirs are known
        # leaves provisionally at 0; their rank is settled below, by their users
        rank[node] = max((rank[o] + 2 for o in node._prev if o in drawn), default=0)
    leaves = {node for node in shown if not any(o in drawn for o in node._prev)}
    first_use: dict[Any, int] = {}
    for node in shown:
        for operand in node._prev:
            if operand in leaves:
                op_rank = rank[node] - 1
                first_use[operand] = min(first_use.get(operand, op_rank), op_rank)
    for leaf, op_rank in first_use.items():
        rank[leaf] = op_rank - 1
    return {
        (id(operand), id(node))
        for node in shown
        for operand in node._prev
        if operand in drawn and rank[node] - 1 - rank[operand] > MAX_EDGE_RANKS
    }


def _nearest_first(order: list[Any]) -> list[Any]:
    """``order`` (``topological_order(root)``: root last, each node after its operands)
    sorted by distance from ``root``, the fewest operations between a value and the output
    first; values as near keep ``order``'s order. ``draw_dot`` cuts this list at
    ``max_nodes``.
    """
    distance = {order[-1]: 0}
    for node in reversed(order):  # a node comes after all its users: its distance is final
        near = distance[node] + 1
        for operand in node._prev:
            if near < distance.get(operand, near + 1):
                distance[operand] = near
    return sorted(order, key=distance.__getitem__)


def _record_label(node: Any) -> str:
    """``{ label | data | grad }`` for a scalar, ``{ label | shape | data | grad }`` otherwise."""
    label = _escape_record(str(getattr(node, "label", None) or ""))
    data, grad = node.data, getattr(node, "grad", None)
    if isinstance(data, (int, float)):  # a scalar Value: the lecture's label
        return f"{{ {label} | data {data:.4f} | grad {_scalar(grad)} }}"
    data, grad = np.asarray(data), None if grad is None else np.asarray(grad)
    shape = tuple(getattr(data, "shape", ()))
    return (
        f"{{ {label} | shape {_escape_record(str(shape))} | data {_summary(data)} "
        f"| grad {_summary(grad)} }}"
    )


def _scalar(x: Any) -> str:
    return "None" if x is None else f"{x:.4f}"


def _summary(array: Any) -> str:
    """One number where the array holds one, otherwise its dtype and range."""
    if array is None:
        return "None"
    size = getattr(array, "size", None)
    if size == 1:
        return f"{float(array.reshape(-1)[0]):.4f}"
    if not size:
        return f"{array.dtype} (empty)"
    return f"{array.dtype} in [{float(array.min()):.4f}, {float(array.max()):.4f}]"


# Record labels give { } | < > a meaning and DOT strings end at ", so each of these (and the
# backslash that escapes them) gets a backslash; a newline becomes DOT's \n.
_RECORD_ESCAPES = str.maketrans({c: "\\" + c for c in '\\{}|<>"'} | {"\n": "\\n", "\r": ""})
_QUOTE_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": ""})


def _escape_record(text: str) -> str:
    return text.translate(_RECORD_ESCAPES)


def _quote(text: str) -> str:
    return text.translate(_QUOTE_ESCAPES)
