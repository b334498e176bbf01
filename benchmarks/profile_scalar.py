"""Where a scalar training step's time goes: forward, walk, chain rule, freeing, the collector.

    .venv/bin/python benchmarks/profile_scalar.py [--workload demo|microgpt]

demo: the original demo notebook's step (MLP(2, [16, 16, 1]) on 100 moons points, as in
bench_scalar.py); microgpt: the GPT step of bench_microgpt.py, on its longest name. Phases are
timed with the collector off (CPU time, best of several steps). Then the step runs as its
users run it, collector on and the previous step's graph alive while the next is built, and
gc.callbacks measures the collector's own time per generation; for microgpt the same is done
for the four-slot reference ``Value`` (benchmarks/microgpt_value.py), for comparison.
"""

from __future__ import annotations

import argparse
import gc
import random
import time

import microgpt_step  # this script's folder is first on sys.path
import microgpt_value

from micrograd.engine import Value
from micrograd.nn import MLP

STEPS = 12
clock = time.process_time


def demo(Value):
    """The demo's step pieces on ``Value``: (loss(), parameters)."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    X, y = X.tolist(), (y * 2 - 1).tolist()
    random.seed(1337)
    model = MLP(2, [16, 16, 1])

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        return data_loss + 1e-4 * sum(p * p for p in model.parameters())

    return loss, model.parameters()


def microgpt(Value):
    docs, vocab_size = microgpt_step.tokenize()
    params, gpt_loss = microgpt_step.gpt_model(Value, vocab_size)
    doc = max(docs, key=len)
    return (lambda: gpt_loss(doc)), params


def phases(loss, params) -> dict[str, float]:
    """Best-of CPU seconds of each phase of ``backward`` and the step around it, collector off."""
    best: dict[str, float] = {}
    gc.disable()
    for _ in range(STEPS):
        t0 = clock()
        total = loss()
        t1 = clock()
        order = total._interior_nodes_in_topological_order()
        t2 = clock()
        for node in order:  # backward() itself, written out to time its parts
            node.grad = 0.0
        total.grad += 1.0
        t3 = clock()
        for node in reversed(order):
            node._backward()
        t4 = clock()
        for p in params:
            p.data -= 1e-3 * p.grad
            p.grad = 0.0
        t5 = clock()
        del total, order
        t6 = clock()
        times = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)
        names = ("forward", "walk", "grads to 0", "chain rule", "update", "freeing")
        for name, dt in zip(names, times):
            best[name] = min(best.get(name, dt), dt)
    gc.enable()
    return best


def collector(loss, params) -> tuple[float, list[int], list[float]]:
    """CPU seconds per step with the collector on, and its collections and seconds per step."""
    counts, seconds, started = [0, 0, 0], [0.0, 0.0, 0.0], [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = clock()
        else:
            counts[info["generation"]] += 1
            seconds[info["generation"]] += clock() - started[0]

    total = loss()  # the previous step's graph, alive while the next one is built
    gc.collect()
    gc.callbacks.append(on_gc)
    t0 = clock()
    for _ in range(STEPS):
        total = loss()
        total.backward()
        for p in params:
            p.data -= 1e-3 * p.grad
            p.grad = 0.0
    step = (clock() - t0) / STEPS
    gc.callbacks.remove(on_gc)
    return step, [c / STEPS for c in counts], [s / STEPS for s in seconds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=("demo", "microgpt"), default="demo")
    args = parser.parse_args()
    build = demo if args.workload == "demo" else microgpt

    loss, params = build(Value)
    nodes = len(loss()._interior_nodes_in_topological_order())
    best = phases(loss, params)
    paused = sum(best.values())
    print(f"{args.workload}: {nodes:,} interior nodes; collector off: {paused * 1e3:.1f} ms/step")
    for name, t in best.items():
        print(f"  {name:<12} {t * 1e3:6.1f} ms  {t / paused:4.0%}  {t / nodes * 1e9:5.0f} ns/node")

    engines = [("micrograd Value", Value)]
    if args.workload == "microgpt":
        engines.append(("four-slot Value", microgpt_value.Value))
    for name, engine in engines:
        step, counts, seconds = collector(*build(engine))
        print(
            f"{name}, collector on: {step * 1e3:.1f} ms/step, of which the collector"
            f" {sum(seconds) * 1e3:.1f} ms ({sum(seconds) / step:.0%})"
        )
        for generation, kind in enumerate(("young", "middle", "full")):
            n, t = counts[generation], seconds[generation]
            print(f"  {kind:<6} collections: {n:5.1f} per step, {t * 1e3:6.1f} ms per step")


if __name__ == "__main__":
    main()
