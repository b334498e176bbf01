"""A/B of two checkouts of this repository on a scalar training step: did an engine change help?

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/ab_scalar.py /tmp/before . --repeats 5
    .venv/bin/python benchmarks/ab_scalar.py /tmp/before . --collector on --workload microgpt

Runs this checkout's step script (``scalar_step.py``: the demo notebook's loop; or
``microgpt_step.py``) once with each checkout's ``micrograd`` on ``PYTHONPATH``, interleaved,
and prints each side's median CPU time per step (the demo: each run's median after
``--warmup`` steps; microgpt: each run's mean over the steps after ``--warmup``). The losses
must agree, so both sides computed the same thing. Differences under about 5% are within
this machine's noise; repeat before believing them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import bench_microgpt  # this script's folder is first on sys.path
from bench_scalar import demo_spec, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs=2, type=Path, help="two repository roots: A and B")
    parser.add_argument("--workload", choices=("demo", "microgpt"), default="demo")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per checkout")
    parser.add_argument("--steps", type=int, default=14, help="training steps per run")
    parser.add_argument("--warmup", type=int, default=4, help="steps left out of the medians")
    parser.add_argument("--collector", choices=("paused", "on"), default="paused")
    args = parser.parse_args()
    if args.steps < args.warmup + 5:
        parser.error("--steps must leave at least 5 steps after --warmup")

    checkouts = [root.resolve() for root in args.checkouts]
    per_step: list[list[float]] = [[], []]
    losses: list[list[float]] = [[], []]
    for _ in range(args.repeats):
        for side, root in enumerate(checkouts):
            if args.workload == "demo":
                spec = {**demo_spec(args.steps), "paused": args.collector == "paused"}
                out = run(sys.executable, spec, checkout=root)
                per_step[side].append(statistics.median(out["times"][args.warmup :]))
            else:
                collector = "off" if args.collector == "paused" else "on"
                out = bench_microgpt.run("ours", collector, args.steps, checkout=root)
                per_step[side].append(statistics.mean(out["times"][args.warmup :]))
            losses[side] = out["losses"]

    worst = max(abs(p - q) for p, q in zip(*losses))
    assert worst < 1e-9, f"the two checkouts' losses differ by {worst}"
    print(f"{args.workload} step, collector {args.collector}, median of {args.repeats} runs")
    for name, root, times in zip("AB", checkouts, per_step):
        runs = ", ".join(f"{t * 1e3:.1f}" for t in times)
        print(f"  {name} {str(root):<40} {statistics.median(times) * 1e3:7.1f} ms  ({runs})")
    ratio = statistics.median(per_step[0]) / statistics.median(per_step[1])
    print(f"B is {ratio:.2f}x as fast as A")


if __name__ == "__main__":
    main()
