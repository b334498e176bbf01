"""What detecting writes made with NumPy or through ``.data`` would cost: the alternative the
version counter left out (see micrograd/tensors/core.py).

    .venv/bin/python benchmarks/checksum_cost.py

A write made with NumPy (``t.numpy()[0] = 1``) or through ``.data`` (``t.data[0] = 1``: a tensor
with a version counter of its own, as PyTorch's) goes around the version counter. Catching it would
take a checksum of every array a rule may read at backward time (the operand values its
``ctx`` keeps, and its output), computed when the node is built and again at backward. This
script builds one graph of each of bench_tensor.py's "ours" steps, lists those arrays, and
times one pass of two candidate checksums over them (a sum, which misses swapped entries, and
zlib.crc32), beside the step itself. CPU time, medians of interleaved rounds.
"""

from __future__ import annotations

import statistics
import time
import zlib
from collections.abc import Callable
from typing import Any

import bench_tensor as b  # first: it pins BLAS to one thread before NumPy is loaded
import numpy as np

from micrograd import Tensor
from micrograd.graph import topological_order
from micrograd.nn import functional as F


def kept_arrays(loss: Tensor) -> list[np.ndarray]:
    """Every array the graph's rules may read at backward time."""
    arrays = []
    for node in topological_order(loss):
        if not node._prev:
            continue
        ctx = node._ctx if type(node._ctx) is tuple else (node._ctx,)
        for operand in node._prev:
            arrays += [
                k for k in ctx if type(k) is np.ndarray and np.may_share_memory(k, operand._data)
            ]
        arrays.append(node._data)
    return arrays


def per_step(fn: Callable[[], Any], n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n


def main() -> None:
    X, y = b.demo_data()
    Xm, t = b.mnist_data()
    cases = {
        "demo": (b.init_weights(b.DEMO_SIZES, np.float64, seed=0), X, y, F.hinge_loss, 300),
        "mnist": (b.init_weights(b.MNIST_SIZES, np.float32, seed=1), Xm, t, F.cross_entropy, 30),
    }
    for name, (weights, inputs, targets, loss_fn, n) in cases.items():
        make = b.demo_ours if name == "demo" else b.mnist_ours
        step = make(weights, inputs, targets)[0]
        model = b.ours_mlp(weights)
        arrays = kept_arrays(loss_fn(model(Tensor(inputs)), targets))

        def sums(arrays: list[np.ndarray] = arrays) -> None:
            for a in arrays:
                np.add.reduce(a, axis=None)

        def crcs(arrays: list[np.ndarray] = arrays) -> None:
            for a in arrays:
                zlib.crc32(np.ascontiguousarray(a))

        times: dict[str, list[float]] = {"step": [], "sum": [], "crc32": []}
        for _ in range(15):
            for label, fn in (("step", step), ("sum", sums), ("crc32", crcs)):
                times[label].append(per_step(fn, n))
        s, c, st = (statistics.median(times[k]) for k in ("sum", "crc32", "step"))
        megabytes = sum(a.nbytes for a in arrays) / 1e6
        print(
            f"{name}: step {st * 1e6:.1f} us; {len(arrays)} kept arrays, {megabytes:.2f} MB; "
            f"one pass: sum {s * 1e6:.1f} us ({s / st:.0%} of a step), "
            f"crc32 {c * 1e6:.1f} us ({c / st:.0%}); a check needs two passes"
        )


if __name__ == "__main__":
    main()
