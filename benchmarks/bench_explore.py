"""How long ``micrograd.explore`` takes on graphs of several shapes, and what its limits refuse.

The time is nearly all Graphviz's layout (graphviz-pure, or the system's ``dot``). It grows
gently with the number of values, but steeply where one value is used far apart in the graph
(``x + x + ... + x``; a weight shared by every step of a recurrence), which is what
``layout_cost`` estimates. Run: ``.venv/bin/python benchmarks/bench_explore.py [--quick]``.
"""

from __future__ import annotations

import argparse
import random
import time

from micrograd import Value
from micrograd.explore import DEFAULT_MAX_NODES, MAX_LAYOUT_COST, explore, layout_cost
from micrograd.graph import topological_order
from micrograd.nn import MLP


def chain(n: int) -> Value:
    y = Value(0.5)
    for _ in range(n - 1):
        y = y.tanh()
    return y


def mlp(width: int) -> Value:
    """One sample through MLP(2, [width, width, 1]): the original demo's network at width 16."""
    random.seed(0)
    return MLP(2, [width, width, 1])([0.5, -1.0])


def x_plus_x(n: int) -> Value:
    x = Value(0.5, label="x")
    y = x
    for _ in range(n - 1):
        y = y + x
    return y


def recurrence(n: int) -> Value:
    """h = tanh(w*h + u*x_t) for n steps: w and u are used at every step."""
    w, u, h = Value(0.5, label="w"), Value(0.3, label="u"), Value(0.0)
    for t in range(n):
        h = (w * h + u * Value(float(t))).tanh()
    return h


CASES = [
    ("chain", chain, [500, 1000, 2000]),
    ("MLP(2,[k,k,1])", mlp, [8, 16, 24]),
    ("x + x + ... + x", x_plus_x, [40, 50, 60, 70]),
    ("recurrence", recurrence, [20, 30, 40]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smallest size of each shape")
    args = parser.parse_args()
    print(f"limits: max_nodes={DEFAULT_MAX_NODES}, layout cost {MAX_LAYOUT_COST / 1e6:g}M")
    print(f"{'graph':>16} {'n':>5} {'values':>7} {'cost':>8} {'explore s':>10}  default limits")
    for name, make, sizes in CASES:
        for n in sizes[:1] if args.quick else sizes:
            root = make(n)
            nodes = topological_order(root)
            cost, _ = layout_cost(nodes)
            refused = len(nodes) > DEFAULT_MAX_NODES or cost > MAX_LAYOUT_COST
            start = time.perf_counter()
            explore(root, max_nodes=None)
            seconds = time.perf_counter() - start
            verdict = "refused" if refused else "ok"
            row = f"{name:>16} {n:>5} {len(nodes):>7} {cost / 1e6:>7.1f}M {seconds:>10.2f}"
            print(f"{row}  {verdict}")


if __name__ == "__main__":
    main()
