"""The original micrograd demo notebook's training loop: ours against micrograd 0.1.0, in one run.

    make bench-scalar      # creates .venv-ref/ with micrograd==0.1.0 from PyPI, then runs this

Each run is a fresh interpreter running ``scalar_step.py`` (both packages are called
``micrograd``) on the same 100 moons points and the same initial weights, so both build the
same graph; the node counts and the losses they report are checked to agree. Rows: the
notebook's loop verbatim (collector on, the previous step's graph alive while the next is
built), and the same loop with each step inside ``paused_gc()`` as this repository's demo
notebook runs it. Runs are interleaved and repeated; times are CPU seconds of the process
(the machine is shared), and the table reports medians and ratios.

Warm-up: the first steps of a fresh process run at another speed while the memory allocator
and the collector's generations settle. The "step" column is each run's median step after
``--warmup`` steps; the "all steps" column is the ratio of whole runs, warm-up included.
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

HERE = Path(__file__).resolve().parent


def run(python: str, spec: dict, checkout: Path | None = None) -> dict:
    """One run of scalar_step.py under ``python``; its JSON report.

    With ``checkout`` (a repository root) that checkout's ``micrograd`` is the one imported;
    without, the one installed in ``python``'s environment (micrograd 0.1.0).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    proc = subprocess.run(
        [python, str(HERE / "scalar_step.py")],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(proc.stdout)


def demo_spec(steps: int) -> dict:
    """The demo's 100 moons points and one fixed set of initial weights, for ``steps`` steps."""
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    rng = random.Random(1337)
    n_params = 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    return {
        "X": X.tolist(),
        "y": (y * 2 - 1).tolist(),
        "weights": [rng.uniform(-1, 1) for _ in range(n_params)],
        "steps": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-python", required=True, help="python with micrograd 0.1.0")
    parser.add_argument("--steps", type=int, default=16, help="training steps per run")
    parser.add_argument("--warmup", type=int, default=6, help="steps left out of the medians")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per engine")
    args = parser.parse_args()

    spec = demo_spec(args.steps)
    ours = HERE.parent
    engines = {
        "micrograd 0.1.0, verbatim": (args.reference_python, None, {}),
        "0.1.0, collector paused": (args.reference_python, None, {"paused": True}),
        "ours, notebook verbatim": (sys.executable, ours, {}),
        "ours, step in paused_gc()": (sys.executable, ours, {"paused": True}),
    }
    results: dict[str, list[dict]] = {name: [] for name in engines}
    for _ in range(args.repeats):
        for name, (python, checkout, extra) in engines.items():
            results[name].append(run(python, {**spec, **extra}, checkout))

    # The same graph in every engine: the losses agree step by step.
    reference = results["micrograd 0.1.0, verbatim"][0]
    for name, runs in results.items():
        assert runs[0]["nodes"] == reference["nodes"], f"{name}: another graph size"
        worst = max(abs(a - b) for a, b in zip(runs[0]["losses"], reference["losses"]))
        assert worst < 1e-9, f"{name}: losses differ from micrograd 0.1.0 by {worst}"

    def step_time(runs: list[dict]) -> float:  # steady state: after each run's warm-up
        return statistics.median(t for r in runs for t in r["times"][args.warmup :])

    def all_steps(runs: list[dict]) -> float:  # everything, warm-up included
        return statistics.median(sum(r["times"]) for r in runs)

    base = step_time(results["micrograd 0.1.0, verbatim"])
    base_all = all_steps(results["micrograd 0.1.0, verbatim"])
    nodes = results["micrograd 0.1.0, verbatim"][0]["nodes"]
    print(f"Original demo step: MLP(2, [16, 16, 1]), 100 points, {nodes:,} nodes per graph")
    print(
        f"{'engine':<28} {'step (ms)':>10} {'speed-up':>9} {'bytes/node':>11} {'with grads':>11}"
        f" {f'all {args.steps} steps':>13}"
    )
    for name, runs in results.items():
        t = step_time(runs)
        r = runs[0]
        print(
            f"{name:<28} {t * 1e3:>10.1f} {base / t:>8.1f}x"
            f" {r['bytes_per_node']:>11.0f} {r['bytes_per_node_with_grads']:>11.0f}"
            f" {base_all / all_steps(runs):>12.1f}x"
        )


if __name__ == "__main__":
    main()
