"""F.cross_entropy today beside the fast path it replaced (commit 7095c89), one process.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/ab_cross_entropy.py

The (N, C) mean cross-entropy was one fused node before the course's options (weight,
ignore_index, label smoothing, 3-D inputs) were added; this checks that the plain case did
not get slower. The old version is rebuilt below from 7095c89's source (its argument checks
and its primitive, registered under another name), both run forward and backward on the
same float32 logits, and the rounds interleave them. Shapes: bench_tensor's MNIST step
(128, 10) and makemore's (512, 27).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import micrograd.nn.functional as F  # noqa: E402
from micrograd import Tensor  # noqa: E402
from micrograd.tensors.core import VJPS, _result  # noqa: E402


def old_cross_entropy(logits: Tensor, targets: np.ndarray) -> Tensor:
    """7095c89's F.cross_entropy: its checks, then its fused primitive."""
    n, classes = logits.shape
    t = np.asarray(targets)
    if t.dtype.kind not in "iu" or t.shape != (n,) or n == 0:
        raise ValueError("bad targets")
    if np.minimum.reduce(t) < 0 or np.maximum.reduce(t) >= classes:
        raise ValueError("target out of range")
    x = logits._data
    shifted = x - np.maximum.reduce(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.add.reduce(np.exp(shifted), axis=1, keepdims=True))
    rows = np.arange(len(t))
    loss = log_probs[rows, t].sum() / -len(rows)
    return _result(loss, "old_cross_entropy", (logits,), (log_probs, rows, t), True)


def _old_rule(g: np.ndarray, ans: np.ndarray, ctx: tuple) -> np.ndarray:
    log_probs, rows, targets = ctx
    grad = np.exp(log_probs)
    grad[rows, targets] -= 1
    grad *= g / len(rows)
    return grad


VJPS["old_cross_entropy"] = (_old_rule,)


def main() -> None:
    for shape in [(128, 10), (512, 27)]:
        rng = np.random.default_rng(0)
        x = Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        t = rng.integers(0, shape[1], shape[0])

        def step(loss_fn):
            x.grad = None
            loss = loss_fn(x, t)
            loss.backward()
            return loss.item(), x.grad

        (old_loss, old_grad), (new_loss, new_grad) = step(old_cross_entropy), step(F.cross_entropy)
        assert abs(old_loss - new_loss) < 1e-5 and np.allclose(old_grad, new_grad, atol=1e-6)
        times: dict[str, list[float]] = {"old": [], "new": []}
        variants = [("old", old_cross_entropy), ("new", F.cross_entropy)]
        for r in range(60):
            for label, fn in variants if r % 2 else variants[::-1]:
                start = time.perf_counter()
                for _ in range(100):
                    step(fn)
                times[label].append((time.perf_counter() - start) / 100 * 1e6)
        ratio = statistics.median(a / b for a, b in zip(times["new"], times["old"]))
        print(
            f"{shape}: 7095c89 {statistics.median(times['old']):.1f} us, today "
            f"{statistics.median(times['new']):.1f} us (medians), today / 7095c89 {ratio:.2f}x"
        )


if __name__ == "__main__":
    main()
