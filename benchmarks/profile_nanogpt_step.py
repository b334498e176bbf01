"""Where nanoGPT's CPU-recipe step spends its time, on micrograd and on PyTorch, side by side.

    .venv/bin/python benchmarks/profile_nanogpt_step.py                  # 3 rounds of 60 steps
    .venv/bin/python benchmarks/profile_nanogpt_step.py --rounds 5 --steps 100

The model is bench_nanogpt.py's (nanogpt_code.py: model.py's GPT at the recipe's size, 4
layers of 128 wide, batch 12 x 64, no dropout), trained by AdamW on random token batches:
the same work per step as the recipe, without its data pipeline or evaluations. Each library
runs in a process of its own on one thread, the two alternating round by round so both meet
the same machine. Per step, the median over a round's steps of

* the phases: forward, backward, clipping, optimizer step (with ``zero_grad``);
* inside the forward, the ``nn.functional`` calls the model makes (linear, layer_norm,
  gelu, scaled_dot_product_attention, embedding, cross_entropy), each timed around the call
  (their backward is in "backward");
* the page faults of a step (``getrusage``), a measure of memory handed back to the kernel
  and taken again.

Reported: per row, each library's median over rounds and the micrograd / PyTorch difference
in ms, so the rows say where the gap in the step is. A timing wrapper costs about a
microsecond a call, the same for both.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy and torch load: their BLAS reads it at load time

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
OPS = ("linear", "layer_norm", "gelu", "scaled_dot_product_attention", "embedding", "cross_entropy")
PHASES = ("forward", "backward", "clip", "optimizer")


def worker(lib: str, steps: int) -> dict[str, float]:
    """One round in this process: ``steps`` timed steps after 10 of warm-up."""
    import numpy as np

    sys.path.insert(0, str(HERE))
    import nanogpt_code

    if lib == "torch":
        import torch

        torch.set_num_threads(1)
    else:
        import micrograd as torch
    F = torch.nn.functional
    spent: dict[str, float] = {}

    def timed(name: str):
        function = getattr(F, name)

        def call(*args, **kwargs):
            start = time.perf_counter()
            out = function(*args, **kwargs)
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
            return out

        return call

    for name in OPS:  # model.py calls them as F.<name>, looked up at each call
        setattr(F, name, timed(name))
    torch.manual_seed(0)
    config = nanogpt_code.GPTConfig(
        block_size=64, vocab_size=65, n_layer=4, n_head=4, n_embd=128, dropout=0.0, bias=False
    )
    model = nanogpt_code.gpt_model(torch).GPT(config)
    optimizer = model.configure_optimizers(0.1, 1e-3, (0.9, 0.99), "cpu")
    rng = np.random.default_rng(0)
    rows: dict[str, list[float]] = {}

    def step() -> None:
        X = torch.from_numpy(rng.integers(0, 65, (12, 64)))
        Y = torch.from_numpy(rng.integers(0, 65, (12, 64)))
        spent.clear()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0 = time.perf_counter()
        _, loss = model(X, Y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        t3 = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        t4 = time.perf_counter()
        times = dict(zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)))
        times["step"] = t4 - t0
        times.update({f"  {name}": spent.get(name, 0.0) for name in OPS})
        for key, seconds in times.items():
            rows.setdefault(key, []).append(1000 * seconds)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        rows.setdefault("page faults", []).append(faults)

    for _ in range(10):
        step()
    rows.clear()
    for _ in range(steps):
        step()
    return {key: statistics.median(values) for key, values in rows.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--worker", choices=["torch", "micrograd"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.steps)))
        return
    results: dict[str, list[dict[str, float]]] = {"torch": [], "micrograd": []}
    for turn in range(args.rounds):
        for lib in ("torch", "micrograd") if turn % 2 == 0 else ("micrograd", "torch"):
            command = [sys.executable, __file__, "--worker", lib, "--steps", str(args.steps)]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"{lib} failed:\n{done.stderr}")
            results[lib].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"nanoGPT recipe step, one thread, {args.rounds} rounds x {args.steps} steps")
    print(f"{'ms per step (median)':32s} {'PyTorch':>9s} {'micrograd':>10s} {'difference':>11s}")
    order = ("step", "forward", *(f"  {name}" for name in OPS), *PHASES[1:], "page faults")
    for key in order:
        theirs = statistics.median(r[key] for r in results["torch"])
        ours = statistics.median(r[key] for r in results["micrograd"])
        label = key if key != "forward" else "forward, of which:"
        print(f"{label:32s} {theirs:9.2f} {ours:10.2f} {ours - theirs:+11.2f}")
    ratios = [m["step"] / t["step"] for m, t in zip(results["micrograd"], results["torch"])]
    print(f"micrograd / PyTorch, step: {statistics.median(ratios):.2f}x (per round: "
          + ", ".join(f"{r:.2f}" for r in ratios) + ")")  # fmt: skip


if __name__ == "__main__":
    main()
