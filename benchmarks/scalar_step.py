"""One engine's side of bench_scalar.py: the original micrograd demo's training step.

Runs under whichever interpreter imports the ``micrograd`` to measure (ours, or micrograd
0.1.0 from PyPI in its own venv), using only the API both share, so both build the same graph:
MLP(2, [16, 16, 1]), max-margin loss ``(1 + -y*score).relu()`` averaged, plus 1e-4 * L2, SGD.
Prints one JSON object: per-step seconds, losses, node count, bytes per node.

With ``"paused_gc": true`` each step runs with the cyclic collector paused (ours through
``micrograd.engine.paused_gc()``, as ``micrograd demo`` runs it); otherwise the step is the
notebook's code, verbatim.
"""

import contextlib
import gc
import json
import sys
import time
import tracemalloc

from micrograd.engine import Value
from micrograd.nn import MLP


@contextlib.contextmanager
def collector_paused():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def count_nodes(root):
    seen, stack = {id(root)}, [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def loss(model, X, y):
    # The demo notebook's loss(), verbatim apart from names.
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def main():
    spec = json.load(sys.stdin)
    X, y, weights, steps = spec["X"], spec["y"], spec["weights"], spec["steps"]
    model = MLP(2, [16, 16, 1])
    for p, w in zip(model.parameters(), weights, strict=True):
        p.data = w

    if spec.get("paused_gc"):
        try:
            from micrograd.engine import paused_gc
        except ImportError:  # micrograd 0.1.0: the same pause, written here
            paused_gc = collector_paused
    else:
        paused_gc = contextlib.nullcontext

    times, losses = [], []
    for k in range(steps):
        t0 = time.perf_counter()
        with paused_gc():
            total_loss, acc = loss(model, X, y)
            model.zero_grad()
            total_loss.backward()
            learning_rate = 1.0 - 0.9 * k / 100
            for p in model.parameters():
                p.data -= learning_rate * p.grad
            losses.append(total_loss.data)
            del total_loss  # free the graph inside the block, as the demo loop does
        times.append(time.perf_counter() - t0)

    # Memory: bytes allocated while building one graph, and after backward fills its grads.
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    total_loss, _ = loss(model, X, y)
    built = tracemalloc.get_traced_memory()[0] - before
    total_loss.backward()
    with_grads = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    nodes = count_nodes(total_loss)

    json.dump(
        {
            "times": times,
            "losses": losses,
            "nodes": nodes,
            "bytes_per_node": built / nodes,
            "bytes_per_node_with_grads": with_grads / nodes,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
