"""Where the scalar demo step's time goes: forward, topological sort, chain rule, collector.

    .venv/bin/python benchmarks/profile_scalar.py

The step is bench_scalar.py's (the original demo: MLP(2, [16, 16, 1]) on 100 points). Phases
are timed with the collector paused, then the collector's own time is measured with
gc.callbacks while the verbatim step runs with it on. Medians over several steps.
"""

from __future__ import annotations

import gc
import random
import statistics
import time

from sklearn.datasets import make_moons

from micrograd.engine import Value
from micrograd.graph import topological_order
from micrograd.nn import MLP

STEPS = 20
WARMUP = 8  # steps left out of the medians: see bench_scalar.py on warm-up


def loss(model, X, y):
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + 1e-4 * sum(p * p for p in model.parameters())


def main() -> None:
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    X, y = X.tolist(), (y * 2 - 1).tolist()
    random.seed(1337)
    model = MLP(2, [16, 16, 1])

    phases: dict[str, list[float]] = {"forward": [], "topological sort": []}
    phases.update({"chain rule": [], "update": [], "freeing the graph": []})
    gc.disable()
    for _ in range(STEPS):
        t0 = time.perf_counter()
        total = loss(model, X, y)
        t1 = time.perf_counter()
        total._interior_nodes_in_topological_order()  # backward()'s walk, on its own
        t2 = time.perf_counter()
        model.zero_grad()
        total.backward()  # the walk again, then the chain rule
        t3 = time.perf_counter()
        for p in model.parameters():
            p.data -= 1e-3 * p.grad
        t4 = time.perf_counter()
        del total
        t5 = time.perf_counter()
        walk, chain = t2 - t1, (t3 - t2) - (t2 - t1)  # chain rule: backward() less its walk
        for name, dt in zip(phases, (t1 - t0, walk, chain, t4 - t3, t5 - t4)):
            phases[name].append(dt)
    gc.enable()

    # The collector's time per generation: young (0), middle (1), full (2) collections.
    collections, collector, started = [0, 0, 0], [0.0, 0.0, 0.0], [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            collections[info["generation"]] += 1
            collector[info["generation"]] += time.perf_counter() - started[0]

    gc.callbacks.append(on_gc)
    t0 = time.perf_counter()
    for _ in range(STEPS):
        total = loss(model, X, y)
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= 1e-3 * p.grad
        del total
    verbatim = (time.perf_counter() - t0) / STEPS
    gc.callbacks.remove(on_gc)

    nodes = len(topological_order(loss(model, X, y)))
    paused = sum(statistics.median(v[WARMUP:]) for v in phases.values())
    print(f"{nodes:,} nodes per step; collector paused: {paused * 1e3:.1f} ms per step")
    for name, times in phases.items():
        t = statistics.median(times[WARMUP:])
        print(f"  {name:<17} {t * 1e3:6.1f} ms  {t / paused:4.0%}  {t / nodes * 1e9:5.0f} ns/node")
    total_gc = sum(collector) / STEPS
    print(
        f"collector on (verbatim step): {verbatim * 1e3:.1f} ms per step, of which the "
        f"collector {total_gc * 1e3:.1f} ms ({total_gc / verbatim:.0%})"
    )
    for generation, name in enumerate(("young", "middle", "full")):
        n, t = collections[generation] / STEPS, collector[generation] / STEPS
        print(f"  {name:<6} collections: {n:5.1f} per step, {t * 1e3:5.1f} ms per step")


if __name__ == "__main__":
    main()
