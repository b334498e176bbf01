"""A/B of two checkouts of this repository on the scalar demo step: did an engine change help?

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/ab_scalar.py /tmp/before . --repeats 5
    .venv/bin/python benchmarks/ab_scalar.py /tmp/before . --repeats 5 --collector on

Runs each checkout's ``benchmarks/scalar_step.py`` with that checkout's ``micrograd`` first on
``PYTHONPATH``, interleaved, on the same points and weights as bench_scalar.py, and prints
each one's median steady-state step (after ``--warmup`` steps; see bench_scalar.py). The
losses must agree, so both sides computed the same thing. Differences under about 5% are
within this machine's noise; repeat before believing them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

from sklearn.datasets import make_moons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs=2, type=Path, help="two repository roots: A and B")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per checkout")
    parser.add_argument("--steps", type=int, default=20, help="training steps per run")
    parser.add_argument("--warmup", type=int, default=8, help="steps left out of the medians")
    parser.add_argument("--collector", choices=("paused", "on"), default="paused")
    args = parser.parse_args()

    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    random.seed(1337)
    spec = {
        "X": X.tolist(),
        "y": (y * 2 - 1).tolist(),
        "weights": [random.uniform(-1, 1) for _ in range(337)],
        "steps": args.steps,
        "paused_gc": args.collector == "paused",
    }
    checkouts = [root.resolve() for root in args.checkouts]
    medians: dict[Path, list[float]] = {root: [] for root in checkouts}
    losses: dict[Path, list[float]] = {}
    for _ in range(args.repeats):
        for root in checkouts:
            proc = subprocess.run(
                [sys.executable, str(root / "benchmarks" / "scalar_step.py")],
                input=json.dumps(spec),
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(root)},
            )
            out = json.loads(proc.stdout)
            medians[root].append(statistics.median(out["times"][args.warmup :]))
            losses[root] = out["losses"]

    a, b = checkouts
    worst = max(abs(p - q) for p, q in zip(losses[a], losses[b]))
    assert worst < 1e-9, f"the two checkouts' losses differ by {worst}"
    print(f"demo step, collector {args.collector}, median of {args.repeats} runs")
    for root in (a, b):
        runs = ", ".join(f"{t * 1e3:.1f}" for t in medians[root])
        print(f"  {str(root):<40} {statistics.median(medians[root]) * 1e3:7.1f} ms  ({runs})")
    ratio = statistics.median(medians[a]) / statistics.median(medians[b])
    print(f"B is {ratio:.2f}x as fast as A")


if __name__ == "__main__":
    main()
