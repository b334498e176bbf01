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
import statistics
import sys
from pathlib import Path

from bench_scalar import demo_spec, run  # this script's folder is first on sys.path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs=2, type=Path, help="two repository roots: A and B")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per checkout")
    parser.add_argument("--steps", type=int, default=20, help="training steps per run")
    parser.add_argument("--warmup", type=int, default=8, help="steps left out of the medians")
    parser.add_argument("--collector", choices=("paused", "on"), default="paused")
    args = parser.parse_args()
    if args.steps < args.warmup + 5:
        parser.error("--steps must leave at least 5 steps after --warmup to take a median of")

    spec = {**demo_spec(args.steps), "paused_gc": args.collector == "paused"}
    checkouts = [root.resolve() for root in args.checkouts]
    medians: list[list[float]] = [[], []]
    losses: list[list[float]] = [[], []]
    for _ in range(args.repeats):
        for side, root in enumerate(checkouts):
            out = run(sys.executable, spec, checkout=root)
            medians[side].append(statistics.median(out["times"][args.warmup :]))
            losses[side] = out["losses"]

    worst = max(abs(p - q) for p, q in zip(*losses))
    assert worst < 1e-9, f"the two checkouts' losses differ by {worst}"
    print(f"demo step, collector {args.collector}, median of {args.repeats} runs")
    for name, root, times in zip("AB", checkouts, medians):
        runs = ", ".join(f"{t * 1e3:.1f}" for t in times)
        print(f"  {name} {str(root):<40} {statistics.median(times) * 1e3:7.1f} ms  ({runs})")
    print(f"B is {statistics.median(medians[0]) / statistics.median(medians[1]):.2f}x as fast as A")


if __name__ == "__main__":
    main()
