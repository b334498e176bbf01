"""Where a makemore training step spends its time, op by op, on micrograd and on PyTorch.

    .venv/bin/python benchmarks/profile_makemore.py [--model transformer] [--dtype float32]
        [--steps 20] [--cprofile]

The model and the step are bench_makemore's (makemore's code as written, one source text for
both engines, the same weights and batches, one thread). For micrograd, each op's forward
is the time from the previous node's creation to its own (so the Python between two ops,
module calls included, counts toward the op that follows), each op's backward the time in
its derivative rules (``VJPS`` and ``INTO`` alike); "engine" is what backward spends outside
the rules (the graph walk, summing broadcast gradients back, accumulating gradients used
twice, freeing gradients once passed on). For PyTorch,
torch.profiler's self CPU time per ATen op (forward ops and backward nodes together; the
profiler itself adds a few microseconds per op). ``--cprofile`` adds cProfile's top
functions for micrograd.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy and torch load, as in bench_makemore

import argparse  # noqa: E402
import cProfile  # noqa: E402
import math  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from micrograd import chardata, data  # noqa: E402
from micrograd.tensors import Tensor, core  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_makemore as bench  # noqa: E402


class OpTimer:
    """Times micrograd's forward per op (between node creations) and backward per rule."""

    def __init__(self) -> None:
        self.forward: dict[str, float] = defaultdict(float)
        self.backward: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.last = 0.0
        real_result = core._result

        def timed_result(data, op, prev, ctx, requires_grad):  # noqa: ANN001, ANN202
            now = time.process_time()
            name = op if requires_grad and op else "(no graph)"
            self.forward[name] += now - self.last
            self.calls[name] += 1
            out = real_result(data, op, prev, ctx, requires_grad)
            self.last = time.process_time()
            return out

        for module in list(sys.modules.values()):  # every op module imported _result by name
            if getattr(module, "__name__", "").startswith("micrograd") and (
                getattr(module, "_result", None) is real_result
            ):
                module._result = timed_result

        def timed_rule(rule, op):  # noqa: ANN001, ANN202
            def run(g, ans, ctx):  # noqa: ANN001, ANN202
                began = time.process_time()
                out = rule(g, ans, ctx)
                self.backward[op] += time.process_time() - began
                return out

            return run

        class Timed:  # rules of any number of operands (cat, stack) come from an iterator
            def __init__(self, rules, op):  # noqa: ANN001
                self.rules, self.op = rules, op

            def __iter__(self):  # noqa: ANN204
                return (timed_rule(rule, self.op) for rule in self.rules)

        for op, rules in list(core.VJPS.items()):
            core.VJPS[op] = Timed(rules, op)
        for op, rules in list(core.INTO.items()):  # the rules that form their result in g
            core.INTO[op] = tuple(None if rule is None else timed_rule(rule, op) for rule in rules)


PHASES = ("forward", "zero_grad", "backward", "optimizer", "step")


def time_phases(model: Any, optimizer: Any, batches: list, steps: int) -> dict[str, float]:
    """The median CPU milliseconds of each phase of a training step, over ``steps`` steps."""
    times: dict[str, list[float]] = defaultdict(list)
    clock = time.process_time
    for i in range(steps):
        X, Y = batches[i % len(batches)]
        t0 = clock()
        _, loss = model(X, Y)
        t1 = clock()
        model.zero_grad(set_to_none=True)
        t2 = clock()
        loss.backward()
        t3 = clock()
        optimizer.step()
        t4 = clock()
        for name, seconds in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)):
            times[name].append(1000 * seconds)
    return {name: statistics.median(values) for name, values in times.items()}


def blas_products(model: Any, batch: tuple, dtype: str, repeats: int = 30) -> tuple[float, float]:
    """The step's linear layers' matrix products (forward x @ w.T, and backward's g @ w and
    g.T @ x), replayed on random data of the same shapes: NumPy's BLAS and PyTorch's, CPU ms
    per step (the median of ``repeats`` interleaved runs of the whole set)."""
    shapes = []
    real = Tensor._linear

    def spy(self, weight, bias):  # noqa: ANN001, ANN202
        shapes.append((math.prod(self.shape[:-1]), *weight.shape))
        return real(self, weight, bias)

    Tensor._linear = spy
    try:
        model(*batch)
    finally:
        Tensor._linear = real
    rng = np.random.default_rng(0)
    arrays = []
    for rows, out, inp in shapes:
        x, w, g = (
            rng.standard_normal(s).astype(dtype) for s in ((rows, inp), (out, inp), (rows, out))
        )
        arrays.append((x, w, g, *(torch.from_numpy(a) for a in (x, w, g))))

    def ours() -> None:
        for x, w, g, *_ in arrays:
            x.dot(w.T), g.dot(w), g.T.dot(x)

    def theirs() -> None:
        for *_, x, w, g in arrays:
            x @ w.T, g @ w, g.T @ x

    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for run, kept in ((ours, times[0]), (theirs, times[1])):
            began = time.process_time()
            run()
            kept.append(1000 * (time.process_time() - began))
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=list(bench.ROWS), default="transformer")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()

    train, _ = chardata.create_datasets(data.names(), seed=3407)
    rng = np.random.default_rng(3407)
    batches = [
        (train.X[i], train.Y[i]) for i in (rng.integers(0, len(train), 32) for _ in range(8))
    ]
    pair = bench.make_pair(args.model, bench.ROWS[args.model][0], args.dtype, batches, 3407)
    bench.check_losses(pair, 3)
    model, optimizer, ours_batches = pair.ours
    steps = args.steps

    # whole-step phases, without the per-op timers
    phases = time_phases(model, optimizer, ours_batches, steps)
    if args.cprofile:
        profile = cProfile.Profile()
        profile.enable()
        for i in range(steps):
            bench.train_step(model, optimizer, *ours_batches[i % len(ours_batches)])
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)

    blas, their_blas = blas_products(model, ours_batches[0], args.dtype)  # before the timers
    timer = OpTimer()
    backward_total = 0.0
    for i in range(steps):
        X, Y = ours_batches[i % len(ours_batches)]
        timer.last = time.process_time()
        _, loss = model(X, Y)
        model.zero_grad(set_to_none=True)
        began = time.process_time()
        loss.backward()
        backward_total += time.process_time() - began
        optimizer.step()
    engine = backward_total - sum(timer.backward.values())

    theirs, their_optimizer, torch_batches = pair.torch
    torch_phases = time_phases(theirs, their_optimizer, torch_batches, steps)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for i in range(steps):
            bench.train_step(theirs, their_optimizer, *torch_batches[i % len(torch_batches)])

    ms = 1000 / steps
    print(f"{bench.ROWS[args.model][1]}, {args.dtype}, {steps} steps")
    print(f"\nCPU ms per step (median over the steps){'ours':>9}{'torch':>9}{'ratio':>8}")
    for name in PHASES:
        a, b = phases[name], torch_phases[name]
        print(f"{name:<39}{a:9.2f}{b:9.2f}{a / b:7.2f}x")

    print(
        f"{'BLAS products of the linears, replayed':<39}{blas:9.2f}{their_blas:9.2f}"
        f"{blas / their_blas:7.2f}x"
    )

    print(
        "\nmicrograd per op, CPU ms per step (timed separately; the timers add about 1 us per op)"
    )
    print(f"{'op':<16}{'nodes':>7}{'forward':>9}{'backward':>9}{'total':>9}")
    ops = set(timer.forward) | set(timer.backward)
    rows = sorted(ops, key=lambda op: -(timer.forward[op] + timer.backward[op]))
    for op in rows:
        f, b = timer.forward[op] * ms, timer.backward[op] * ms
        print(f"{op:<16}{timer.calls[op] // steps:7d}{f:9.2f}{b:9.2f}{f + b:9.2f}")
    print(f"{'(engine)':<16}{'':>7}{'':>9}{engine * ms:9.2f}{engine * ms:9.2f}")

    print("\nPyTorch per ATen op and autograd node (self CPU, profiler on)")
    events = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    print(f"{'op':<44}{'calls':>7}{'self ms':>9}")
    for event in events[:40]:
        self_ms = event.self_cpu_time_total / 1000 / steps  # microseconds in all
        print(f"{event.key[:43]:<44}{event.count // steps:7d}{self_ms:9.2f}")


if __name__ == "__main__":
    main()
