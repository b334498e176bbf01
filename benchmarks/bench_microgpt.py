"""A microgpt-shaped training step: our ``Value`` against a four-slot one written microgpt's way.

    make bench-microgpt    # .venv/bin/python benchmarks/bench_microgpt.py

Both engines run microgpt_step.py (the same GPT code, the same names, the same initial
weights) in a fresh interpreter each, with Python's cyclic collector on (as microgpt runs) and
off (``gc.disable()`` for the whole run). The losses must be equal at every step, to the last
bit, so both computed the same thing. Runs are interleaved and repeated; each run's time is
the CPU time of its steps after ``--warmup`` (every run trains on the same names in the same
order, so the sums compare like for like), and the table shows medians over the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENGINES = {"four-slot Value (microgpt's)": "four-slot", "micrograd Value": "ours"}


def run(engine: str, collector: str, steps: int, checkout: Path = HERE.parent) -> dict:
    """One fresh interpreter running ``steps`` steps, ``checkout``'s micrograd; its JSON report."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    proc = subprocess.run(
        [sys.executable, str(HERE / "microgpt_step.py"), engine, collector, str(steps)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=16, help="training steps per run")
    parser.add_argument("--warmup", type=int, default=2, help="steps left out of each run's sum")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per row")
    args = parser.parse_args()
    if args.steps <= args.warmup:
        parser.error("--steps must be larger than --warmup")

    rows = [(name, engine, c) for c in ("on", "off") for name, engine in ENGINES.items()]
    results: dict[tuple[str, str], list[dict]] = {(e, c): [] for _, e, c in rows}
    for _ in range(args.repeats):
        for _, engine, collector in rows:
            results[engine, collector].append(run(engine, collector, args.steps))

    reference = results["four-slot", "on"][0]
    for key, runs in results.items():
        for r in runs:
            assert r["losses"] == reference["losses"], f"{key}: losses differ from the reference"

    def seconds(engine: str, collector: str) -> float:
        return statistics.median(sum(r["times"][args.warmup :]) for r in results[engine, collector])

    measured = args.steps - args.warmup
    print(
        f"microgpt-shaped step: 1 layer, 4 heads, n_embd 16, {reference['nodes']:,} nodes in the"
        f" first step's graph; losses equal to the last bit over {args.steps} steps"
    )
    print(f"{'engine':<28} {'collector':>9} {'ms/step':>8} {'speed-up':>9} {'bytes/node':>11}")
    for name, engine, collector in rows:
        t = seconds(engine, collector)
        ratio = seconds("four-slot", collector) / t
        nbytes = results[engine, collector][0]["bytes_per_node"]
        print(
            f"{name:<28} {collector:>9} {t / measured * 1e3:>8.1f} {ratio:>8.2f}x {nbytes:>11.0f}"
        )


if __name__ == "__main__":
    main()
