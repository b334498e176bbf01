"""A/B of two checkouts of this repository on bench_tensor.py's training steps (ours only).

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/ab_tensor.py /tmp/before . --rounds 60

Starts one worker process per checkout (that checkout's ``micrograd`` and ``benchmarks`` first
on ``sys.path``), each holding bench_tensor.py's demo and MNIST-shaped steps, and asks them in
turn, round after round, to time a block of steps. Time is the worker's CPU time, not the
wall clock: on a shared machine it is much less sensitive to what else runs (an A/A run of a
checkout against a copy of itself gives ratios within about 2% of 1). The ratio reported is
the median over rounds of B's time per step over A's in the same round. Both sides must
report the same losses, so they computed the same thing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

WORKER = r"""
import sys, time
root = sys.argv[1]
sys.path[:0] = [root, root + "/benchmarks"]
import bench_tensor as b  # first: it pins BLAS to one thread before NumPy is loaded
import micrograd
assert micrograd.__file__.startswith(root), micrograd.__file__
X, y = b.demo_data()
demo = b.demo_ours(b.init_weights(b.DEMO_SIZES, b.np.float64, seed=0), X, y)[0]
Xm, t = b.mnist_data()
mnist = b.mnist_ours(b.init_weights(b.MNIST_SIZES, b.np.float32, seed=1), Xm, t)[0]
steps = {"demo": demo, "mnist": mnist}
for line in sys.stdin:
    name, n = line.split()
    step = steps[name]
    start = time.process_time()
    for _ in range(int(n)):
        loss = step()
    print((time.process_time() - start) / int(n), loss.item(), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs=2, type=Path, help="two repository roots: A and B")
    parser.add_argument("--rounds", type=int, default=60, help="interleaved timing rounds")
    args = parser.parse_args()
    roots = [str(root.resolve()) for root in args.checkouts]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, root],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for root in roots
    ]
    try:
        for name, block in (("demo", 200), ("mnist", 10)):
            times: list[list[float]] = [[], []]
            losses: list[float] = [0.0, 0.0]
            for r in range(args.rounds):
                for side in (0, 1) if r % 2 == 0 else (1, 0):  # who goes first alternates
                    worker = workers[side]
                    assert worker.stdin is not None and worker.stdout is not None
                    worker.stdin.write(f"{name} {block}\n")
                    worker.stdin.flush()
                    seconds, loss = worker.stdout.readline().split()
                    times[side].append(float(seconds))
                    losses[side] = float(loss)
            # Both have run the same number of steps from the same start: same losses.
            assert abs(losses[0] - losses[1]) <= 1e-6 * max(1.0, abs(losses[0])), losses
            ratio = statistics.median(b / a for a, b in zip(*times))
            print(
                f"{name:<6} A {statistics.median(times[0]) * 1e6:8.1f} us/step   "
                f"B {statistics.median(times[1]) * 1e6:8.1f} us/step   "
                f"B/A {ratio:.3f} (median of {args.rounds} rounds of {block} steps)"
            )
    finally:
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.close()
            worker.wait()


if __name__ == "__main__":
    main()
