"""Backpropagation step by step: ``explore(root)`` writes one page that replays ``backward()``.

The lecture does backpropagation by hand, node by node; ``explore`` computes the steps
``root.backward()`` takes, in its order, and writes one self-contained HTML page (inline CSS
and JavaScript, nothing loaded from the network, opens from ``file://``) that replays them
with **Step** / **Back** / **Reset** / **Run** and the arrow keys. In Jupyter the page shows
inline. Two graphs, two pages:

* a graph of scalar ``Value``s (``scalar``, ``scalar_page``): one box per value with its data
  and grad, each step's chain rule in words with its numbers
  (``n.grad += o.grad × (1 − o²) = 1 × 0.5 = 0.5``);
* a graph of ``Tensor``s (``tensor``, ``tensor_page``): one box per tensor with its name,
  op, shape and dtype, heatmaps of the data and grads a step reads and writes, and each
  step's rule as code with its shapes (``W2.grad += h.T @ logits.grad   (64×32) @ (32×27) →
  (64×27)``), from the rules' own text (``micrograd.tensors.RULE_TEXT``; ``rules`` says what
  a text may read, ``show`` writes one with the graph's names and shapes).

Each module's docstring states its page's contract for scripts and tests.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from micrograd.explore.page import Explorer, GraphTooLarge
from micrograd.explore.scalar import (
    DEFAULT_MAX_NODES,
    MAX_LAYOUT_COST,
    Contribution,
    Step,
    Trace,
    explore_values,
    local_grads,
    trace,
)
from micrograd.explore.scalar_page import layout_cost
from micrograd.explore.tensor import (
    DEFAULT_MAX_NUMBERS,
    DEFAULT_MAX_OPS,
    TensorTrace,
    explore_tensors,
    names_in_frame,
    trace_tensors,
)
from micrograd.tensors import Tensor

__all__ = [
    "DEFAULT_MAX_NODES",
    "DEFAULT_MAX_NUMBERS",
    "DEFAULT_MAX_OPS",
    "MAX_LAYOUT_COST",
    "Contribution",
    "Explorer",
    "GraphTooLarge",
    "Step",
    "TensorTrace",
    "Trace",
    "explore",
    "layout_cost",
    "local_grads",
    "trace",
    "trace_tensors",
]


def explore(
    root: Any,
    path: str | os.PathLike[str] | None = None,
    names: Mapping[str, Any] | None = None,
    *,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    max_numbers: int | None = DEFAULT_MAX_NUMBERS,
    max_ops: int | None = DEFAULT_MAX_OPS,
) -> Explorer:
    """A page that steps through ``root.backward()``; written to ``path`` if given.

    ``root`` is a ``Value`` (the lecture's scalars) or a one-element ``Tensor`` (a loss).
    Returns an :class:`Explorer`, which shows the page inline in Jupyter; its ``trace`` holds
    the steps. Too big a graph raises :class:`GraphTooLarge`, saying what to shrink:
    Values past ``max_nodes`` (or tangled, see ``MAX_LAYOUT_COST``); tensors past
    ``max_numbers`` numbers held (the entries of their data and of every gradient the page
    steps through) or ``max_ops`` operations. None lifts a limit.

    A tensor is named by its ``label`` if it has one, else by ``names`` (a mapping from name
    to tensor, such as ``dict(h=h, logits=logits)``), else by the variable that holds it
    where ``explore`` was called (its locals, then its globals: a notebook's cells), else
    ``#i``, its place in the graph. ``names`` is for tensors; a Value has its ``label``.

    >>> from micrograd import Tensor
    >>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x = Tensor([[1.0, -1.0]])
    >>> loss = (x @ W).tanh().sum()
    >>> page = explore(loss)
    >>> print(page.trace.steps[-1].contributions[0].text)
    W.grad += x.T @ #2.grad
    """
    if isinstance(root, Tensor):
        frame = sys._getframe(1)
        try:
            found = names_in_frame(frame)
        finally:
            del frame  # a frame kept alive would keep every variable in it alive
        return explore_tensors(root, path, names, found, max_numbers=max_numbers, max_ops=max_ops)
    if names is not None:
        raise TypeError(
            "explore: names= names the tensors of a Tensor graph; a Value is named by its label"
        )
    return explore_values(root, path, max_nodes=max_nodes)
