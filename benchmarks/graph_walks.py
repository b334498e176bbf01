"""What the walks over a graph cost, on the scalar demo's and microgpt's graphs and on
makemore's Transformer (tensors).

    .venv/bin/python benchmarks/graph_walks.py [--repeats 15]

Three ways to list a graph's nodes, each after its operands, timed on the same graph,
interleaved, collector off (CPU ms, best and median of ``--repeats``):

* ``Value.backward``'s own walk (``Value._interior_nodes_in_topological_order``), which reads
  a Value's operand slots and lists the operations only (scalar graphs);
* ``micrograd.graph.topological_order``, the walk drawing, the stepper page, gradcheck and
  ``Tensor.backward`` use, then its operations picked out (what ``Value.backward`` would need);
* the same walk without its shortcut for leaves (every leaf taken through the stack like any
  node), written out below.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from typing import Any

import microgpt_step  # this script's folder is first on sys.path
import numpy as np
from makemore_code import Config, makemore_models
from profile_scalar import demo

import micrograd
from micrograd.engine import Value
from micrograd.graph import _EMIT, topological_order


def topological_order_without_leaf_shortcut(root: Any) -> list[Any]:
    """``topological_order`` with every node, leaves too, expanded through the stack."""
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
            stack.extend(reversed([o for o in node._prev if o not in visited]))
    return order


def walks(root: Any) -> dict[str, Any]:
    found = {
        "topological_order": lambda: topological_order(root),
        "topological_order, no leaf shortcut": lambda: topological_order_without_leaf_shortcut(
            root
        ),
    }
    if isinstance(root, Value):
        found["Value.backward's own walk"] = root._interior_nodes_in_topological_order
        found["topological_order, operations picked out"] = lambda: [
            n for n in topological_order(root) if n._prev
        ]
    return found


def transformer_loss() -> Any:
    """makemore's Transformer as written, float32, on a batch of 32 random rows: its loss."""
    micrograd.manual_seed(3407)
    model = makemore_models(micrograd).Transformer(Config())
    rows = np.random.default_rng(3407).integers(0, 27, size=(32, 16))
    _, loss = model(micrograd.tensor(rows), micrograd.tensor(rows))
    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    docs, vocab_size = microgpt_step.tokenize()
    _, gpt_loss = microgpt_step.gpt_model(Value, vocab_size)
    graphs = {
        "demo": demo(Value)[0](),
        "microgpt": gpt_loss(max(docs, key=len)),
        "makemore's Transformer": transformer_loss(),
    }
    gc.disable()
    for name, root in graphs.items():
        candidates = walks(root)
        everything = topological_order(root)
        if isinstance(root, Value):
            assert candidates["Value.backward's own walk"]() == [n for n in everything if n._prev]
        unshortcut = topological_order_without_leaf_shortcut(root)
        assert [n for n in unshortcut if n._prev] == [n for n in everything if n._prev]
        leaves = sum(not n._prev for n in everything)
        print(f"{name}: {len(everything):,} nodes, {leaves:,} of them leaves")
        times: dict[str, list[float]] = {walk: [] for walk in candidates}
        for repeat in range(args.repeats):
            order = list(candidates.items())
            for walk, run in order if repeat % 2 == 0 else order[::-1]:
                began = time.process_time()
                run()
                times[walk].append(1000 * (time.process_time() - began))
        for walk, ms in times.items():
            print(f"  {walk:<42} best {min(ms):7.2f} ms  median {statistics.median(ms):7.2f} ms")


if __name__ == "__main__":
    main()
