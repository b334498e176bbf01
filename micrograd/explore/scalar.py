"""Backpropagation step by step: ``explore(root)`` writes one page that replays ``backward()``.

The lecture does backpropagation by hand, node by node ("o.grad is 1; tanh's local derivative
is 1 - o²; so n.grad is 0.5 ..."). ``explore`` computes those steps here, in Python, in the
order ``Value.backward()`` applies them (reverse topological order), and writes one
self-contained HTML page (inline CSS and JavaScript, nothing loaded from the network, opens
from ``file://``) that replays them: the graph laid out as ``draw_dot`` lays it out, a
**Step** / **Back** / **Reset** / **Run** button row (and the arrow keys), and for each step
the chain rule in words with its numbers, e.g. ``n.grad += o.grad × (1 − o²) = 1 × 0.5 =
0.5``. A value used twice receives two contributions, shown one after the other with their sum.

Step 1 is the start of ``backward()``: the root's grad becomes 1 (d root / d root). Before it,
every grad shows 0, as on a fresh graph, whatever the grads are now; then each further step
fires one node's chain rule. After the last step every grad equals what ``root.backward()``
gives on a fresh graph. The graph's own grads are left as they were.

The page's contract, kept stable for tests and scripts:

* one element per distinct Value (constants included) with ``data-node-id`` (its index in
  ``Trace.nodes``), ``data-label`` (the Value's label, empty if none), ``data-data`` and
  ``data-grad``: full-precision numbers (Python's ``repr``), ``data-grad`` updated at every
  step; the visible text rounds, and shows the label (``#id`` for an unlabelled value);
* buttons ``[data-action=step]``, ``[data-action=back]``, ``[data-action=reset]`` (all three
  update the page synchronously) and ``[data-action=run]`` (animates to the end, one step per
  ``[data-role=speed]``'s value in ms; pauses if pressed again); keys: right arrow = step,
  left arrow = back, Home = reset, End = all steps;
* ``[data-role=status]`` reads ``k / n`` (steps applied of n), ``[data-role=explain]`` holds
  the current step's text and ``[data-role=log]`` one ``li`` per applied step;
* the value whose rule was applied last has class ``active`` (exactly one from step 1 on, none
  before); its operands have class ``operand``, values whose grad is final class ``done``.

A forward mode (values appearing one by one) is left out: ``data`` is known before backward
starts, and showing it from the start keeps every step's numbers on screen.

Graphs past ``max_nodes`` values, or whose layout would take long (a value reused far apart in
the graph, such as ``x + x + ... + x`` or a weight shared by every step of a recurrence, makes
Graphviz's layout slow: the cost grows with the square of the distance its edges span), are
refused with :class:`GraphTooLarge`; the README's Benchmarks section has the measurements.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from micrograd.explore.page import Explorer, GraphTooLarge
from micrograd.explore.scalar_page import layout_cost, render
from micrograd.graph import topological_order

__all__ = ["Contribution", "Step", "Trace", "explore_values", "trace"]

# Past these, the layout takes seconds and the page is too big to follow; both were picked by
# measuring (benchmarks/bench_explore.py; the numbers are in the README's Benchmarks).
DEFAULT_MAX_NODES = 2000  # values: the original demo's network on one sample has 1,009
MAX_LAYOUT_COST = 10_000_000  # see scalar_page.layout_cost


@dataclass(frozen=True)
class Contribution:
    """One ``operand.grad += local * node.grad`` of a step: ``after == before + amount``."""

    operand: int  # index in Trace.nodes of the value receiving the grad
    local: float  # d node / d operand
    amount: float  # local * node.grad, what is added
    before: float
    after: float
    text: str  # the chain rule in words with its numbers


@dataclass(frozen=True)
class Step:
    node: int  # index in Trace.nodes of the value whose rule fires (the root's, for step 1)
    text: str  # what the node is, e.g. "o = tanh(n)"
    contributions: tuple[Contribution, ...]


@dataclass(frozen=True)
class Trace:
    """``backward()``, one step at a time. ``nodes``: every value root depends on, each after
    its operands (``micrograd.graph.topological_order``); ``steps[0]`` sets the root's grad
    to 1, each later step applies one node's chain rule, in ``backward()``'s order."""

    nodes: list[Any]
    steps: list[Step]

    def grads(self, k: int) -> list[float]:
        """Every node's grad after the first ``k`` steps, in the order of ``nodes``."""
        grads = [0.0] * len(self.nodes)
        for step in self.steps[:k]:
            for c in step.contributions:
                grads[c.operand] = c.after
        return grads


def local_grads(node: Any) -> list[tuple[Any, float]] | None:
    """``(operand, d node / d operand)`` for each operand, in order; None where the node has
    no rule of its own (built by hand with a ``_backward`` closure, as in the lecture).

    The one place that reads how a node stores its derivatives: ``_local_grads`` beside
    ``_prev``, as every ``Value`` (and microgpt's) shows them. The original package's Value
    has no ``_local_grads``: its nodes are measured like the lecture's hand-built ones.
    """
    grads = getattr(node, "_local_grads", None)  # a node built by hand may have none: ()
    return list(zip(node._prev, grads)) if grads else None


def trace(root: Any) -> Trace:
    """The steps ``root.backward()`` takes on a fresh graph (all grads 0), without taking them.

    A node with no local derivatives (built by hand, with its own ``_backward``) is measured:
    its ``_backward`` runs with the operands' grads zeroed, and everything is put back after.
    """
    _check_root(root, "trace")
    nodes = topological_order(root)
    index = {id(node): i for i, node in enumerate(nodes)}
    names = [_name(node, i) for i, node in enumerate(nodes)]
    grads = [0.0] * len(nodes)
    received = [0] * len(nodes)
    r = len(nodes) - 1
    grads[r] = 1.0
    text = f"{names[r]}.grad = 1, since d{names[r]}/d{names[r]} = 1: backward() starts here"
    steps = [Step(r, f"start at {names[r]}", (Contribution(r, 1.0, 1.0, 0.0, 1.0, text),))]
    saved = [node.grad for node in nodes]
    try:
        for i in range(len(nodes) - 1, -1, -1):
            node = nodes[i]
            if not node._prev:
                continue  # a leaf: nothing to push its grad into
            pairs = local_grads(node)
            measured = pairs is None
            g = grads[i]
            if measured:
                pairs, amounts = _run_backward(node, g)
            else:
                amounts = [local * g for _, local in pairs]
            contributions = []
            for position, ((operand, local), amount) in enumerate(zip(pairs, amounts)):
                j = index[id(operand)]
                before, grads[j] = grads[j], grads[j] + amount
                received[j] += 1
                symbol = _symbol(node, position, operand, index, names, measured)
                line = (
                    f"{names[j]}.grad += {names[i]}.grad × {symbol} = "
                    f"{_num(g)} × {_num(local)} = {_num(amount)}"
                )
                if received[j] > 1:
                    line += (
                        f"; {names[j]}.grad = {_num(before)} + {_num(amount)} = {_num(grads[j])}"
                    )
                contributions.append(Contribution(j, local, amount, before, grads[j], line))
            text = _describe(node, names[i], [names[index[id(o)]] for o in node._prev])
            steps.append(Step(i, text, tuple(contributions)))
    finally:
        for node, grad in zip(nodes, saved):
            node.grad = grad
    return Trace(nodes, steps)


def _run_backward(node: Any, g: float) -> tuple[list[tuple[Any, float]], list[float]]:
    """Run a hand-built node's ``_backward`` for its pairs ``(operand, local)`` and amounts.

    Twice, on the real nodes: with ``node.grad = g`` for the amounts (so they are the same
    floats ``backward()`` adds), with ``node.grad = 1`` for the local derivatives. An operand
    listed twice gets both its contributions in one amount. The caller restores every grad.
    """
    operands = list({id(o): o for o in node._prev}.values())
    results = []
    for grad in (1.0, g):
        for operand in operands:
            operand.grad = 0.0
        node.grad = grad
        node._backward()
        results.append([operand.grad for operand in operands])
    return list(zip(operands, results[0])), results[1]


# --------------------------------------------------------------------- the chain rule in words

_NOTES = {
    "+": "+ passes its grad to each operand unchanged",
    "*": "* multiplies its grad by the other operand",
    "tanh": "tanh's local derivative is 1 − tanh²",
    "exp": "exp's local derivative is exp itself",
}


def _describe(node: Any, out: str, operands: list[str]) -> str:
    """``"o = tanh(n)"``, ``"d = e + c"``: what the node computed, from what, and its rule."""
    op = str(getattr(node, "_op", ""))
    if op in ("+", "*", "**") and len(operands) == 2:
        expr = f"{operands[0]} {op} {operands[1]}"
    elif op.startswith("**") and len(operands) == 1:
        expr = f"{operands[0]}{op}"
    else:
        expr = f"{op or '?'}({', '.join(operands)})"
    note = _NOTES.get(op)
    return f"{out} = {expr}" + (f"   ({note})" if note else "")


def _symbol(
    node: Any, position: int, operand: Any, index: dict[int, int], names: list[str], measured: bool
) -> str:
    """d node / d operand (the operand at ``position``), written with names: "b", "(1 − o²)"."""
    out = names[index[id(node)]]
    operands = list(node._prev)

    def name(v: Any) -> str:
        if not v._prev and not _label(v):
            return _num(v.data)  # an unlabelled constant: its number says more than #id
        return names[index[id(v)]]

    a = name(operand)
    if measured:
        return f"∂{out}/∂{a} (run from its _backward)"
    op = str(node._op)
    if op == "+":
        return "1"
    if op == "*" and len(operands) == 2:
        return name(operands[1 - position])
    if op == "**" and len(operands) == 2:
        base, exponent = name(operands[0]), name(operands[1])
        return f"{exponent} · {base}**({exponent} − 1)" if position == 0 else f"{out} · ln {base}"
    if op.startswith("**"):
        n = op[2:]
        return f"{n} · {a}**({n} − 1)"
    rules = {"tanh": f"(1 − {out}²)", "exp": out, "log": f"1/{a}", "ReLU": f"[{a} > 0]"}
    rules["sigmoid"] = f"{out} · (1 − {out})"
    return rules.get(op, f"∂{out}/∂{a}")


def _label(node: Any) -> str:
    return " ".join(str(getattr(node, "label", "") or "").split())


def _name(node: Any, i: int) -> str:
    """How the step text names a value: its label (in parentheses unless it is one word, as
    the lecture's "x1*w1 + x2*w2" is not), or ``#i`` for an unlabelled one."""
    label = _label(node)
    if not label:
        return f"#{i}"
    return label if re.fullmatch(r"[\w.']+", label) else f"({label})"


def _num(x: float) -> str:
    """A number in the step text: short, and exact for round ones ("1", "0.5", "-6")."""
    return f"{x:.6g}"


def _check_root(root: Any, caller: str) -> None:
    if not (hasattr(root, "_prev") and hasattr(root, "grad") and hasattr(root, "data")):
        raise TypeError(f"{caller}: expected a Value or a Tensor, got {type(root).__name__}")
    if isinstance(root.data, bool) or not isinstance(root.data, (int, float)):
        raise TypeError(
            f"{caller}: steps through a graph of scalar Values; got a node holding "
            f"{type(root.data).__name__}"
        )


def explore_values(
    root: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> Explorer:
    """A page that steps through ``root.backward()`` node by node; written to ``path`` if given.

    Returns an :class:`Explorer`, which shows the page inline in Jupyter. Past ``max_nodes``
    values, or a layout cost past ``MAX_LAYOUT_COST``, raises :class:`GraphTooLarge`;
    ``max_nodes=None`` lifts both limits. See the module's docstring for the page's contract.

    >>> from micrograd import Value
    >>> x = Value(2.0, label="x"); y = x * x; y.label = "y"
    >>> page = explore_values(y)
    >>> for step in page.trace.steps:
    ...     for c in step.contributions:
    ...         print(c.text)
    y.grad = 1, since dy/dy = 1: backward() starts here
    x.grad += y.grad × x = 1 × 2 = 2
    x.grad += y.grad × x = 1 × 2 = 2; x.grad = 2 + 2 = 4
    """
    _check_root(root, "explore")
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
    ):
        raise ValueError(
            f"explore: max_nodes must be a positive integer or None, got {max_nodes!r}"
        )
    if max_nodes is not None:
        nodes = topological_order(root)
        if len(nodes) > max_nodes:
            raise GraphTooLarge(
                f"explore: the graph has {len(nodes):,} values, more than max_nodes={max_nodes:,}; "
                "explore a smaller part (one neuron, one sample), or raise max_nodes "
                "(None: no limit) and expect a slow layout and a page too big to read"
            )
        cost, worst = layout_cost(nodes)
        if cost > MAX_LAYOUT_COST:
            raise GraphTooLarge(
                f"explore: this graph would take Graphviz's layout very long: "
                f"{_name(nodes[worst], worst)} is used far apart in it "
                "(as x is in x + x + ... + x, or a weight shared by every step of a recurrence); "
                "explore a shorter piece, or pass max_nodes=None to lay it out anyway "
                "(it may take minutes)"
            )
    t = trace(root)
    explorer = Explorer(render(t, f"backward pass of {_name(root, len(t.nodes) - 1)}"), t)
    if path is not None:
        explorer.save(path)
    return explorer
