"""One engine's side of bench_scalar.py: the original micrograd demo notebook's training loop.

Runs under whichever interpreter imports the ``micrograd`` to measure (ours, or micrograd
0.1.0 from PyPI in its own venv) and reads a JSON spec on stdin: the 100 moons points, the
initial weights, the number of steps, and ``"paused": true`` to run each step inside
``paused_gc()`` the way this repository's demo notebook does (micrograd 0.1.0 has no
``paused_gc``; the same pause is written out here for it).

Otherwise the loop is the notebook's, verbatim: ``loss()`` as the notebook defines it (on
NumPy arrays, as the notebook's ``make_moons`` returns them), ``total_loss, acc = loss()`` at
each step so the previous step's graph is still alive while the next is built, the collector
on as Python starts it, and the progress line printed (here into a buffer). Prints one JSON
object: each step's CPU seconds, the losses, the node count, and bytes per node.
"""

import contextlib
import gc
import io
import json
import sys
import time
import tracemalloc

import numpy as np

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


def main():
    spec = json.load(sys.stdin)
    X, y, steps = np.array(spec["X"]), np.array(spec["y"]), spec["steps"]
    model = MLP(2, [16, 16, 1])
    for p, w in zip(model.parameters(), spec["weights"], strict=True):
        p.data = w

    # The notebook's loss(), verbatim.
    def loss(batch_size=None):
        # inline DataLoader :)
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]

        # forward the model to get scores
        scores = list(map(model, inputs))

        # svm "max-margin" loss
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))  # noqa: UP034 (verbatim)
        total_loss = data_loss + reg_loss

        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    if spec.get("paused"):
        try:
            from micrograd.engine import paused_gc
        except ImportError:  # micrograd 0.1.0
            paused_gc = collector_paused
    else:
        paused_gc = contextlib.nullcontext

    times, losses, log = [], [], io.StringIO()
    with contextlib.redirect_stdout(log):
        # The notebook's optimization loop, verbatim (plus the timing, and the block that
        # the paused rows add, as this repository's notebook has it).
        for k in range(steps):
            t0 = time.process_time()
            with paused_gc():
                # forward
                total_loss, acc = loss()

                # backward
                model.zero_grad()
                total_loss.backward()

                # update (sgd)
                learning_rate = 1.0 - 0.9 * k / 100
                for p in model.parameters():
                    p.data -= learning_rate * p.grad

            if k % 1 == 0:
                print(f"step {k} loss {total_loss.data}, accuracy {acc * 100}%")
            times.append(time.process_time() - t0)
            losses.append(float(total_loss.data))
    del total_loss

    # Memory: bytes allocated while building one graph, and after backward fills its grads.
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    total_loss, _ = loss()
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
