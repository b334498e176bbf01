"""Backpropagation through a graph of tensors, op by op: the steps ``backward()`` takes, and the
page that replays them (``explore(loss)`` for a Tensor ``loss``).

Makemore part 4 ("becoming a backprop ninja") derives by hand the gradient of every tensor of
a two-layer MLP with batch norm; ``explore(loss)`` is its answer key. ``trace_tensors`` runs
the engine's own walk (``core.backpropagate``): the nodes in ``topological_order``, each
node's ``VJPS`` rules, and ``accumulate`` adding each contribution (summed back to the
operand's shape, cast to its dtype), called on stand-ins, so that the graph's own ``grad``s
are never touched and every gradient the trace holds equals, to the bit, what
``root.backward()`` computes on a fresh graph (every intermediate tensor's too, which
``backward`` drops unless ``retain_grad()`` was called). Each contribution also carries its
rule as code, from ``RULE_TEXT``, with the graph's names and shapes in it (``show``).

The page (``tensor_page``), a contract kept stable for tests and scripts:

* one element per tensor of the graph with ``data-node-id`` (its index in
  ``TensorTrace.nodes``), ``data-label`` (its name, as the steps' text writes it),
  ``data-shape`` (``32,64``; empty for a 0-d tensor), ``data-dtype`` and ``data-grad``: the
  gradient after the steps applied so far, in full precision, as JSON nested lists (as
  ``ndarray.tolist()`` gives them; ``NaN``, ``Infinity`` and ``-Infinity`` as Python's
  ``json`` writes them), ``null`` while it has none, updated at every step;
* buttons ``[data-action=step]``, ``[data-action=back]``, ``[data-action=reset]`` (all three
  update the page synchronously) and ``[data-action=run]`` (animates to the end, one step per
  ``[data-role=speed]``'s value in ms; pauses if pressed again); keys: right arrow = step,
  left arrow = back, Home = reset, End = all steps;
* ``[data-role=status]`` reads ``k / n``, ``[data-role=explain]`` holds the current step's
  text (each contribution's rule with its shapes) and ``[data-role=log]`` one ``li`` per
  applied step;
* the tensor whose rule was applied last has class ``active`` (exactly one from step 1 on),
  its operands class ``operand``, tensors whose grad is final class ``done``;
* ``[data-role=panels]`` shows the active tensor and its operands: each one's data and grad
  as a heatmap (every entry up to ``tensor_page.FULL_ENTRIES``, else a histogram and
  statistics), with its colour scale's range written and each entry's value on hover; an
  operand's second and later contributions show the grad before, the contribution, and
  their sum.

Step 1 is the start of ``backward()``: the root's grad becomes 1. Before it no tensor has a
grad. The limits (``DEFAULT_MAX_NUMBERS`` numbers held, ``DEFAULT_MAX_OPS`` operations) keep
a page to a few MB that opens in about a second; the README's Benchmarks section has the
measurements (benchmarks/bench_explore_tensors.py).
"""

from __future__ import annotations

import math
import os
import re
import types
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from micrograd.explore import rules, show
from micrograd.explore.page import Explorer, GraphTooLarge
from micrograd.explore.tensor_page import render
from micrograd.graph import topological_order
from micrograd.tensors import VJPS, Tensor
from micrograd.tensors._versions import check_unmodified, write_count
from micrograd.tensors.core import accumulate

ndarray = np.ndarray

# A page holds every tensor's data and every gradient the steps make (and, for a tensor used
# more than once, each later contribution on its own): about 10 bytes each in the file.
# Makemore part 4's network at batch 32 holds 68,120 numbers in 31 operations (0.7 MB); the
# makemore Transformer's training step 21 million in 143 (some 200 MB). At the limits a page
# is about 9 MB and opens in well under a second, and Graphviz lays out 1,000 operations in
# about a second (benchmarks/bench_explore_tensors.py; the README has the table).
DEFAULT_MAX_NUMBERS = 1_000_000
DEFAULT_MAX_OPS = 1000


@dataclass(frozen=True)
class TensorContribution:
    """One ``operand.grad += rule`` of a step: ``after`` is ``before + amount`` (``amount``
    itself for the operand's first contribution, ``count`` 1)."""

    operand: int  # index in TensorTrace.nodes of the tensor receiving the gradient
    text: str  # the rule as code with names: "h.grad += logits.grad @ W2.T"
    shapes: str  # "(32×27) @ (27×64) → (32×64)"
    notes: tuple[str, ...]  # what the constants the text shows are ("xhat: ...")
    amount: ndarray  # what is added, in the operand's shape and dtype
    before: ndarray | None
    after: ndarray
    count: int  # this is the operand's count-th contribution


@dataclass(frozen=True)
class TensorStep:
    node: int  # index in TensorTrace.nodes of the tensor whose rule fires (the root's first)
    text: str  # what the node computed: "probs = counts * counts_sum_inv"
    contributions: tuple[TensorContribution, ...]


@dataclass(frozen=True)
class TensorTrace:
    """``backward()`` of a tensor graph, one op at a time. ``nodes``: every tensor the root
    depends on, each after its operands (``topological_order``); ``names``: how the page
    names each; ``steps[0]`` sets the root's grad to 1, each later step applies one node's
    rules, in ``backward()``'s order."""

    nodes: list[Tensor]
    names: list[str]
    steps: list[TensorStep]

    def grads(self, k: int | None = None) -> list[ndarray | None]:
        """Every node's grad after the first ``k`` steps (all of them by default), None where
        none has arrived yet, in the order of ``nodes``."""
        grads: list[ndarray | None] = [None] * len(self.nodes)
        for step in self.steps[:k]:
            for c in step.contributions:
                grads[c.operand] = c.after
        return grads

    def grad(self, tensor: Tensor | str, k: int | None = None) -> ndarray | None:
        """The grad of ``tensor`` (or of the tensor of that name) after the first ``k`` steps
        (all of them by default): after all, what ``backward()`` gives it."""
        if isinstance(tensor, str):
            if tensor not in self.names:
                raise KeyError(f"no tensor named {tensor!r} in this graph; names: {self.names}")
            i = self.names.index(tensor)
        else:
            found = [i for i, node in enumerate(self.nodes) if node is tensor]
            if not found:
                raise KeyError("this tensor is not in the graph explored")
            i = found[0]
        return self.grads(k)[i]


class _Slot:
    """A stand-in for a tensor that ``accumulate`` adds gradients into, so that the trace
    runs the engine's own accumulation without touching the graph's ``grad``s."""

    __slots__ = ("_data", "_grad", "_prev")

    def __init__(self, tensor: Tensor) -> None:
        self._data, self._grad, self._prev = tensor._data, None, tensor._prev


def trace_tensors(
    root: Tensor, names: list[str], name_of_array: Any = lambda constant, value: None
) -> TensorTrace:
    """The steps ``root.backward()`` takes on a fresh graph, without taking them.

    ``names`` names each tensor of ``topological_order(root)`` for the rules' text;
    ``name_of_array(constant, value)`` names an index or mask the rules show after the
    user's variable, or returns None.
    """
    nodes = topological_order(root)
    index = {id(node): i for i, node in enumerate(nodes)}
    slots = [_Slot(node) for node in nodes]
    shown = [_display(name) for name in names]
    received = [0] * len(nodes)
    r = len(nodes) - 1
    accumulate(slots[r], np.array(1, root._data.dtype).reshape(root._data.shape))
    received[r] = 1
    start = TensorContribution(
        r, f"{shown[r]}.grad = 1", "()", (), slots[r]._grad, None, slots[r]._grad, 1
    )
    steps = [TensorStep(r, f"backward() starts at {shown[r]}: its grad is 1", (start,))]
    for i in range(r, -1, -1):
        node, g = nodes[i], slots[i]._grad
        if not node._prev or g is None:  # a leaf, or nothing flowed back to this node
            continue
        operands = node._prev
        if node._built_at != write_count[0]:  # written in place since: as backpropagate
            operands = check_unmodified(node)
        contributions = []
        for position, (rule, operand) in enumerate(zip(VJPS[node._op], operands)):
            if not operand.requires_grad:
                continue
            j = index[id(operand)]  # (an operand as of a write is its history: in the graph)
            raw = rule(g, node._data, node._ctx)
            before = slots[j]._grad
            accumulate(slots[j], raw, g)  # the chain rule, as backpropagate applies it
            amount = slots[j]._grad
            if before is not None:  # what was added, on its own: the same call on a fresh slot
                fresh = _Slot(operand)
                accumulate(fresh, raw, g)
                amount = fresh._grad
            received[j] += 1
            letters = {"out": shown[i]}
            letters.update(zip(rules.LETTERS, (shown[index[id(o)]] for o in operands)))
            text = show.show(node, position, g, raw, letters, name_of_array)
            contributions.append(
                TensorContribution(
                    j,
                    text.text,
                    text.shapes,
                    tuple(text.notes),
                    amount,
                    before,
                    slots[j]._grad,
                    received[j],
                )
            )
        steps.append(
            TensorStep(i, _describe(node, shown, index, name_of_array), tuple(contributions))
        )
    return TensorTrace(nodes, list(names), steps)


# --------------------------------------------------------------------- what a step computed

_METHODS = {"exp", "log", "log10", "sqrt", "abs", "tanh", "relu", "sigmoid", "softmax"}
_INFIX = {"+": "+", "*": "*", "/": "/", "@": "@", "pow": "**", "mod": "%", "floordiv": "//"}


def _describe(node: Tensor, shown: list[str], index: dict[int, int], name_of_array: Any) -> str:
    """``probs = counts * counts_sum_inv``: what the node computed, from what."""
    out = shown[index[id(node)]]
    operands = [shown[index[id(o)]] for o in node._prev]
    op, ctx = node._op, node._ctx
    if op in _INFIX and len(operands) == 2:
        expr = f"{operands[0]} {_INFIX[op]} {operands[1]}"
    elif op in ("*", "/", "mod") and len(operands) == 1:
        other = ctx[1]
        number = isinstance(other, (int, float, np.generic))
        constant = show.literal_text(other) if number else f"array{show.shape_text(other.shape)}"
        expr = f"{operands[0]} {_INFIX[op]} {constant}"
    elif op == "+" and len(operands) == 1:
        expr = f"{operands[0]} + a number"
    elif op == "**":
        expr = f"{operands[0]} ** {show.literal_text(ctx[1])}"
    elif op == "index":
        expr = show.subscript_text(operands[0], ctx[1], name_of_array)
    elif op == "reshape":
        expr = f"{operands[0]}.view({', '.join(str(n) for n in node._data.shape)})"
    elif op == "sum":
        dims = ctx[1]
        args = "" if dims is None else show.literal_text(rules.lone(dims))
        expr = f"{operands[0]}.sum({args}{', keepdims=True' if ctx[2] else ''})"
    elif op == "select":  # max(dim) or min(dim): the values taken are the row's largest?
        flat_shape, _, d, picked = ctx
        a = node._prev[0]._data.reshape(flat_shape)
        largest = np.array_equal(np.take_along_axis(a, picked, d), a.max(d, keepdims=True))
        expr = f"{operands[0]}.{'max' if largest else 'min'}({d}).values"
    elif op in _METHODS:
        expr = f"{operands[0]}.{op}()"
    else:
        expr = f"{op}({', '.join(operands)})"
    return f"{out} = {expr}"


def _display(name: str) -> str:
    """How the rules' text writes a tensor's name: as it is if it reads as one word, else in
    parentheses (a label such as ``x @ W``)."""
    return name if re.fullmatch(r"[\w.']+|#\d+", name) else f"({name})"


# --------------------------------------------------------------------- names


def names_in_frame(frame: types.FrameType) -> dict[int, tuple[str, Any]]:
    """The tensors and arrays the variables of ``frame`` hold, by id: ``(name, object)``.
    Its locals first, then its globals (a notebook's cells), each in the frame's order (a
    dict's: the order of first assignment); a tensor held by several variables takes the
    first name. Names starting with ``_`` (IPython's ``_``, ``_3``, ...) are left out."""
    found: dict[int, tuple[str, Any]] = {}
    for scope in (frame.f_locals, frame.f_globals):
        for name, value in list(scope.items()):
            if not name.startswith("_") and isinstance(value, (Tensor, ndarray)):
                found.setdefault(id(value), (name, value))
    return found


def _name_lookup(given: dict[int, tuple[str, Any]], found: dict[int, tuple[str, Any]]) -> Any:
    """``name_of_array(constant, value)`` for ``show.show``: the name of the variable that
    holds ``value`` itself; for the user's index and mask data (``constant`` named), the name
    of an integer or bool tensor holding the same values (the graph keeps copies)."""
    known = list(given.values()) + list(found.values())

    def name_of_array(constant: str, value: Any) -> str | None:
        for name, obj in known:
            if obj is value or (isinstance(obj, Tensor) and obj._data is value):
                return name
        if not constant:
            return None
        array = np.asarray(value)
        for name, obj in known:
            data = obj._data if isinstance(obj, Tensor) else obj
            if (
                data.dtype.kind in "biu"
                and data.shape == array.shape
                and data.dtype.kind == array.dtype.kind
                and np.array_equal(data, array)
            ):
                return name
        return None

    return name_of_array


def _names(
    nodes: list[Tensor], given: dict[int, tuple[str, Any]], found: dict[int, tuple[str, Any]]
) -> list[str]:
    names = []
    for i, node in enumerate(nodes):
        label = " ".join(str(node.label or "").split())
        name = label or (given.get(id(node)) or found.get(id(node)) or (f"#{i}",))[0]
        names.append(name)
    return names


def _given_names(names: Mapping[str, Any] | None) -> dict[int, tuple[str, Any]]:
    if names is None:
        return {}
    if not isinstance(names, Mapping):
        raise TypeError(
            f"explore: names must map names to tensors, such as dict(h=h), got "
            f"{type(names).__name__}"
        )
    given: dict[int, tuple[str, Any]] = {}
    for name, value in names.items():
        if not isinstance(name, str):
            raise TypeError(f"explore: names must map names (str) to tensors, got key {name!r}")
        if isinstance(value, (Tensor, ndarray)):
            given.setdefault(id(value), (name, value))
    return given


# --------------------------------------------------------------------- limits and the page


def numbers_held(nodes: list[Tensor]) -> int:
    """How many numbers a page of this graph holds: every tensor's data, and each gradient the
    steps make (one per contribution, plus the contribution itself from the second on)."""
    total = sum(node._data.size for node in nodes)
    uses: dict[int, int] = {}
    for node in nodes:
        if node._prev and node.requires_grad:
            for operand in node._prev:
                if operand.requires_grad:
                    uses[id(operand)] = uses.get(id(operand), 0) + 1
    total += nodes[-1]._data.size
    for node in nodes:
        n = uses.get(id(node), 0)
        total += node._data.size * (n + max(n - 1, 0))
    return total


def _check(root: Any, max_numbers: int | None, max_ops: int | None) -> list[Tensor]:
    for value, name in ((max_numbers, "max_numbers"), (max_ops, "max_ops")):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"explore: {name} must be a positive integer or None, got {value!r}")
    if not root.requires_grad:
        raise RuntimeError(
            "explore: this tensor does not require grad: nothing it depends on has "
            "requires_grad=True (or it was computed under no_grad()), so backward() has no steps"
        )
    if root._data.size != 1:
        raise ValueError(
            f"explore: steps through backward() from a one-element tensor (a loss); this one "
            f"has shape {root._data.shape}: explore its .sum() or one entry"
        )
    nodes = topological_order(root)
    ops = sum(1 for node in nodes if node._prev)
    if max_ops is not None and ops > max_ops:
        raise GraphTooLarge(
            f"explore: the graph has {ops:,} operations, more than max_ops={max_ops:,}; explore "
            "a smaller model (fewer layers or blocks), or raise max_ops (None: no limit) and "
            "expect a slow layout and a page too long to follow"
        )
    held = 0 if max_numbers is None else numbers_held(nodes)
    if max_numbers is not None and held > max_numbers:
        shapes = Counter(node._data.shape for node in nodes)
        biggest = sorted(shapes, key=math.prod, reverse=True)[:3]
        named = ", ".join(f"{shapes[s]} of {show.shape_text(s)}" for s in biggest)
        raise GraphTooLarge(
            f"explore: the page would hold {held:,} numbers (every tensor's data and each "
            f"gradient the steps make), more than max_numbers={max_numbers:,}; shrink the "
            f"batch (fewer rows, a shorter context) or the model (narrower layers, fewer "
            f"heads or blocks); its largest tensors: {named}; or raise max_numbers "
            "(None: no limit) and expect a page of many MB"
        )
    return nodes


def explore_tensors(
    root: Tensor,
    path: str | os.PathLike[str] | None = None,
    names: Mapping[str, Any] | None = None,
    found: dict[int, tuple[str, Any]] | None = None,
    *,
    max_numbers: int | None = DEFAULT_MAX_NUMBERS,
    max_ops: int | None = DEFAULT_MAX_OPS,
) -> Explorer:
    """``micrograd.explore`` for a Tensor root; ``found``: the caller's variables
    (``names_in_frame``)."""
    nodes = _check(root, max_numbers, max_ops)
    given, found = _given_names(names), found or {}
    t = trace_tensors(root, _names(nodes, given, found), _name_lookup(given, found))
    title = f"backward pass of {_display(t.names[-1])}"
    explorer = Explorer(render(t, title), t, noun="tensors")
    if path is not None:
        explorer.save(path)
    return explorer
