"""makemore's training step on micrograd and on PyTorch eager CPU, side by side in one run.

    .venv/bin/python benchmarks/bench_makemore.py [--rounds 7] [--steps 8] [--only transformer]

The user's code as they write it: the models below are written the way karpathy/makemore's
``makemore.py`` writes them (its NewGELU composed from tanh and pow, attention spelled out
with masked_fill and softmax, split/view/transpose/contiguous), once, in a function that
takes the torch-like module as its argument. The same source text runs on ``micrograd``
(``import micrograd as torch``) and on PyTorch. Beside them:

* "tuned": the same Transformer with ``F.gelu(approximate='tanh')`` and
  ``F.scaled_dot_product_attention(is_causal=True)`` (again one source text for both);
* ``micrograd.models.Transformer``: what ``micrograd makemore`` trains, against PyTorch
  running makemore's code as written.

A step is what makemore's loop does: forward with the loss (cross-entropy, ignore_index=-1),
``model.zero_grad(set_to_none=True)``, backward, AdamW's step (lr 5e-4, betas (0.9, 0.99),
eps 1e-8, weight decay 0.01). makemore's default sizes: vocab 27, block 16, batch 32,
n_embd 64 (n_embd2 64); the Transformer has 4 layers of 4 heads.

Fair by construction: both engines run on one thread (``torch.set_num_threads(1)``; NumPy's
OpenBLAS through OPENBLAS_NUM_THREADS=1 and friends, set below before NumPy is imported);
each model pair starts from the same weights (PyTorch's, loaded into ours through
``load_state_dict``) and trains on the same batches; before any timing, the losses of the
first steps are checked equal (relative 1e-5 in float32, 1e-9 in float64). Then in each
round every pair runs ``--steps`` steps on each engine (the order alternating between
rounds); the table shows the median time per step and the median of the per-round ratios,
which is what stays meaningful on a shared, noisy machine.

malloc is set up for training (``micrograd.tune_malloc()``, as the ``micrograd`` command does),
for both engines alike since they share this process; ``MICROGRAD_MALLOC=default`` leaves
glibc's defaults. makemore_alone.py runs each engine in a process of its own.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy and torch load: their BLAS reads it at load time

import argparse  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import torch as pytorch  # noqa: E402
from makemore_code import Config, makemore_models, train_step  # noqa: E402, F401
from threadpoolctl import threadpool_info  # noqa: E402

import micrograd  # noqa: E402
from micrograd import chardata, data  # noqa: E402
from micrograd.models import ModelConfig  # noqa: E402
from micrograd.models import Transformer as CommandTransformer  # noqa: E402

pytorch.set_num_threads(1)


# --------------------------------------------------------------------- the pairs


@dataclass
class Pair:
    name: str
    dtype: str
    ours: Any  # (model, optimizer, batches)
    torch: Any


def adamw(engine: Any, model: Any) -> Any:
    return engine.optim.AdamW(
        model.parameters(), lr=5e-4, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01
    )


def make_pair(name: str, kind: str, dtype: str, batches: list, seed: int) -> Pair:
    """PyTorch's model (weights drawn by torch under ``seed``) and ours with the same weights."""
    config = Config(tuned=name == "tuned")
    pytorch.manual_seed(seed)
    theirs = getattr(makemore_models(pytorch), kind)(config).to(getattr(pytorch, dtype))
    if name == "command":  # against PyTorch running makemore's code as written
        mine = CommandTransformer(ModelConfig(config.vocab_size, config.block_size))
    else:
        mine = getattr(makemore_models(micrograd), kind)(config)
    mine.to(getattr(micrograd, dtype))
    mine.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    ours_batches = [(micrograd.tensor(X), micrograd.tensor(Y)) for X, Y in batches]
    torch_batches = [(pytorch.from_numpy(X), pytorch.from_numpy(Y)) for X, Y in batches]
    return Pair(
        name,
        dtype,
        (mine, adamw(micrograd, mine), ours_batches),
        (theirs, adamw(pytorch, theirs), torch_batches),
    )


def check_losses(pair: Pair, steps: int) -> list[float]:
    """Train both sides ``steps`` steps; raise unless every step's loss agrees."""
    rtol = 1e-5 if pair.dtype == "float32" else 1e-9
    losses = []
    for i in range(steps):
        a = train_step(pair.ours[0], pair.ours[1], *pair.ours[2][i]).item()
        b = train_step(pair.torch[0], pair.torch[1], *pair.torch[2][i]).item()
        if not math.isclose(a, b, rel_tol=rtol):
            raise SystemExit(
                f"{pair.name} {pair.dtype}: step {i} loss {a!r} (ours) != {b!r} (torch), "
                f"relative difference {abs(a - b) / abs(b):.2e} > {rtol:g}"
            )
        losses.append(b)
    return losses


def page_faults() -> int:
    """Minor page faults of this process so far: pages the kernel had to map (and zero) for
    memory that malloc took from it anew."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def time_block(side: Any, start: int, steps: int) -> tuple[float, float, float]:
    """Per step over ``steps`` steps, batches taken in turn from ``start``: milliseconds by
    the wall clock, milliseconds of this process's CPU time (less disturbed by other
    processes), and page faults."""
    model, optimizer, batches = side
    n = len(batches)
    faults = page_faults()
    began, began_cpu = time.perf_counter(), time.process_time()
    for i in range(start, start + steps):
        train_step(model, optimizer, *batches[i % n])
    wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    return 1000 * wall / steps, 1000 * cpu / steps, (page_faults() - faults) / steps


ROWS = {  # name: (model class, what it is)
    "transformer": ("Transformer", "Transformer, makemore's code as written"),
    "tuned": ("Transformer", "Transformer tuned (F.gelu, F.sdpa)"),
    "command": ("Transformer", "micrograd.models.Transformer vs as written"),
    "mlp": ("MLP", "MLP, as written"),
    "gru": ("GRU", "GRU, as written"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=8, help="steps per engine per round")
    parser.add_argument("--check-steps", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--dtypes", nargs="*", choices=("float32", "float64"))
    parser.add_argument("--seed", type=int, default=3407)
    args = parser.parse_args()
    dtypes = args.dtypes or ["float32", "float64"]
    malloc = "set up for training" if micrograd.tune_malloc() else "glibc's defaults"

    train, _ = chardata.create_datasets(data.names(), seed=args.seed)
    rng = np.random.default_rng(args.seed)
    batches = []
    for _ in range(32):
        index = rng.integers(0, len(train), size=32)
        batches.append((train.X[index], train.Y[index]))

    blas = [f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info()]
    print(
        f"makemore training step, batch 32, one thread (torch {pytorch.get_num_threads()}; "
        f"threadpools: {', '.join(blas)}); numpy {np.__version__}, torch {pytorch.__version__}, "
        f"Python {platform.python_version()}; malloc {malloc}"
    )
    pairs = []
    for name in args.only:
        for dtype in dtypes:
            pair = make_pair(name, ROWS[name][0], dtype, batches, args.seed)
            losses = check_losses(pair, args.check_steps)
            shown = ", ".join(f"{x:.6f}" for x in losses)
            print(f"  {ROWS[name][1]}, {dtype}: losses agree over {len(losses)} steps ({shown})")
            pairs.append(pair)

    times: dict[int, tuple[list, list]] = {i: ([], []) for i in range(len(pairs))}
    for r in range(args.rounds):
        start = args.check_steps + r * args.steps
        for i, pair in enumerate(pairs):
            ours, theirs = times[i]
            if r % 2:
                theirs.append(time_block(pair.torch, start, args.steps))
                ours.append(time_block(pair.ours, start, args.steps))
            else:
                ours.append(time_block(pair.ours, start, args.steps))
                theirs.append(time_block(pair.torch, start, args.steps))

    print(
        f"\n{args.rounds} rounds of {args.steps} steps per engine, interleaved. Wall clock: ms "
        "per step (medians) and ours / torch (the median of the rounds' ratios, and their "
        "range); CPU: the same ratio in CPU time; faults: page faults per step (medians)."
    )
    print(
        f"{'model':<44}{'dtype':<9}{'ours':>7}{'torch':>7}{'ours/torch':>12}  range  {'CPU':>6}"
        f"{'faults':>8}{'torch':>7}"
    )
    for i, pair in enumerate(pairs):
        ours, theirs = times[i]
        ratios = [a[0] / b[0] for a, b in zip(ours, theirs)]
        cpu_ratios = [a[1] / b[1] for a, b in zip(ours, theirs)]
        wall, their_wall = (statistics.median(t[0] for t in side) for side in (ours, theirs))
        faults, their_faults = (statistics.median(t[2] for t in side) for side in (ours, theirs))
        print(
            f"{ROWS[pair.name][1]:<44}{pair.dtype:<9}{wall:7.1f}{their_wall:7.1f}"
            f"{statistics.median(ratios):11.2f}x  {min(ratios):.2f}-{max(ratios):.2f}"
            f"{statistics.median(cpu_ratios):6.2f}x{faults:8.0f}{their_faults:7.0f}"
        )


if __name__ == "__main__":
    main()
