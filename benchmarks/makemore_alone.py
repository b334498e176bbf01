"""makemore's training step with each engine alone in its process, as users run them.

    .venv/bin/python benchmarks/makemore_alone.py [--dtype float64] [--model Transformer]
        [--runs 5] [--rounds 8] [--steps 8]

bench_makemore.py runs both engines in one process, interleaved, which is what makes its
ratios steady on a shared machine; but there the two share one C library and its malloc
settings. Here each engine runs in a process of its own, as a user's script would: micrograd
as imported (glibc's defaults: importing micrograd changes nothing), micrograd after
``micrograd.tune_malloc()`` (as the ``micrograd`` command runs, to show what the set-up is
worth), and PyTorch (glibc's defaults). The runs alternate between the three, ``--runs``
times; the table gives the medians of the runs' CPU milliseconds per step and page faults per
step. One thread each, makemore's code as
written (makemore_code.py), makemore's sizes and AdamW, the same batches of the shipped
names for every engine.
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

VARIANTS = (  # name, engine, whether the child calls micrograd.tune_malloc()
    ("micrograd as imported", "micrograd", False),
    ("micrograd + tune_malloc()", "micrograd", True),
    ("PyTorch (glibc's defaults)", "torch", False),
)


def child(
    engine_name: str, model_name: str, dtype: str, rounds: int, steps: int, tune: bool
) -> dict:
    """Train ``rounds`` x ``steps`` steps after a warm-up; CPU ms and page faults per step
    (the medians over the rounds)."""
    import numpy as np
    from makemore_code import Config, makemore_models, train_step

    import micrograd
    from micrograd import chardata, data

    if tune:
        assert micrograd.tune_malloc(), "tune_malloc() did not set malloc up"

    if engine_name == "torch":
        import torch as engine

        engine.set_num_threads(1)
    else:
        engine = micrograd
    engine.manual_seed(3407)
    model = getattr(makemore_models(engine), model_name)(Config()).to(getattr(engine, dtype))
    optimizer = engine.optim.AdamW(
        model.parameters(), lr=5e-4, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01
    )
    train, _ = chardata.create_datasets(data.names(), seed=3407)
    rng = np.random.default_rng(3407)
    batches = []
    for _ in range(8):
        index = rng.integers(0, len(train), size=32)
        batches.append((engine.tensor(train.X[index]), engine.tensor(train.Y[index])))
    for i in range(5):
        train_step(model, optimizer, *batches[i % len(batches)])
    cpu, faults = [], []
    for _ in range(rounds):
        began, faulted = time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for i in range(steps):
            train_step(model, optimizer, *batches[i % len(batches)])
        cpu.append(1000 * (time.process_time() - began) / steps)
        faults.append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faulted) / steps)
    return {"ms": statistics.median(cpu), "faults": statistics.median(faults)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    parser.add_argument("--model", choices=("Transformer", "MLP", "GRU"), default="Transformer")
    parser.add_argument("--runs", type=int, default=5, help="processes per variant")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--child", choices=("micrograd", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--tune-malloc", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(
            args.child, args.model, args.dtype, args.rounds, args.steps, args.tune_malloc
        )
        print(json.dumps(result))
        return

    results: dict[str, list[dict]] = {name: [] for name, _, _ in VARIANTS}
    for run in range(args.runs):
        order = VARIANTS if run % 2 == 0 else VARIANTS[::-1]
        for name, engine, tune in order:
            command = [sys.executable, __file__, "--child", engine, "--model", args.model]
            command += ["--dtype", args.dtype, "--rounds", str(args.rounds)]
            command += ["--steps", str(args.steps)] + (["--tune-malloc"] if tune else [])
            # glibc's defaults, whatever this shell sets
            settings = ("MALLOC_", "GLIBC_TUNABLES", "MICROGRAD_MALLOC")
            env = {k: v for k, v in os.environ.items() if not k.startswith(settings)}
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            results[name].append(json.loads(done.stdout.strip().splitlines()[-1]))

    print(
        f"makemore's {args.model}, {args.dtype}, batch 32, one thread, each engine alone in its "
        f"process; medians over {args.runs} processes each (CPU ms per step, page faults per "
        "step)"
    )
    torch_ms = statistics.median(r["ms"] for r in results[VARIANTS[-1][0]])
    print(f"{'':<40}{'ms/step':>9}{'/ torch':>9}{'faults':>9}")
    for name, _, _ in VARIANTS:
        ms = statistics.median(r["ms"] for r in results[name])
        faults = statistics.median(r["faults"] for r in results[name])
        print(f"{name:<40}{ms:9.1f}{ms / torch_ms:8.2f}x{faults:9.0f}")


if __name__ == "__main__":
    main()
