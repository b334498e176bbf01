"""Why ``micrograd makemore`` trains on one BLAS thread: its Transformer step, both ways, one run.

    .venv/bin/python benchmarks/makemore_threads.py [--rounds 5] [--steps 10]

makemore's default Transformer (float32, batch 32) takes training steps in blocks of
``--steps``, alternating between NumPy's BLAS with its default thread count and with one
thread (``threadpoolctl.threadpool_limits(1)``, what the command does), ``--rounds`` times;
it prints each block's time per step and the medians. The matrices are small (at most
512 x 256 by 256 x 64 here), so threads mostly hand work back and forth; on a busy machine
they also wait for each other.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import micrograd
from micrograd import chardata, data
from micrograd.models import ModelConfig, build_model
from micrograd.optim import AdamW


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()

    train, _ = chardata.create_datasets(data.names(), seed=3407)
    micrograd.manual_seed(3407)
    model = build_model("transformer", ModelConfig(train.vocab_size, train.block_size))
    model.to(micrograd.float32)
    optimizer = AdamW(model.parameters(), lr=5e-4, betas=(0.9, 0.99), eps=1e-8)
    batches = np.random.default_rng(0)

    def block(steps: int) -> float:
        start = time.perf_counter()
        for _ in range(steps):
            X, Y = train.random_batch(32, batches)
            _, loss = model(X, Y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return 1000 * (time.perf_counter() - start) / steps

    default = max(
        (i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"), default=1
    )
    block(3)  # warm-up
    times: dict[str, list[float]] = {f"default ({default} threads)": [], "one thread": []}
    for _ in range(args.rounds):
        times[f"default ({default} threads)"].append(block(args.steps))
        with threadpool_limits(limits=1, user_api="blas"):
            times["one thread"].append(block(args.steps))
    for name, ms in times.items():
        shown = " ".join(f"{t:.0f}" for t in ms)
        print(f"{name:>20}: ms per step {shown}; median {statistics.median(ms):.0f}")


if __name__ == "__main__":
    main()
