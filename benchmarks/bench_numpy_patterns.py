"""The NumPy patterns behind the fused ops' implementation choices, timed side by side.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_numpy_patterns.py

Each group times the ways of computing one thing that the fused ops chose between, on the
shapes of makemore's Transformer step, one thread, best of interleaved rounds (the machine
is shared: the best round is the least disturbed one). Every variant's result is checked
equal to the first's before timing.

- row max of short rows: ``np.maximum.reduce(x, axis=1)`` against the transposed copy's
  reduction over axis 0 (``tensors/_rows.py``);
- row sums: ``np.add.reduce`` against a BLAS product with a vector of ones;
- a choice between two arrays on a mask that follows the data's signs: ``np.where``
  against arithmetic on a 0/1 mask (elu, sigmoid); and gelu's own choice, Phi(x) from
  Phi(-|x|) by the sign of x: ``np.where``, ``np.copysign`` and the 0/1 mask
  (``_ndtr_float32``);
- the embedding's gradient: ``np.add.at`` against a one-hot BLAS product and a sort with
  one segmented sum (``np.add.reduceat``), for a small and a larger table;
- the normal CDF of gelu: SciPy's ``ndtr`` against the float32 polynomial
  (``nn/functional/activations.py``), with torch's whole gelu for scale.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy/torch are imported: their BLAS reads it at load time

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.special import ndtr  # noqa: E402

from micrograd.nn.functional.activations import _ndtr_float32  # noqa: E402
from micrograd.tensors._rows import row_max, row_sum  # noqa: E402

torch.set_num_threads(1)
RNG = np.random.default_rng(0)


def best_of(variants: dict[str, Callable[[], object]], rounds: int, block: int) -> None:
    """Print the best time per call of each variant over interleaved rounds."""
    first = None
    for name, fn in variants.items():
        value = fn()
        if isinstance(value, tuple):
            value = value[0]
        if isinstance(value, torch.Tensor):
            continue
        if first is None:
            first = np.asarray(value)
        else:
            np.testing.assert_allclose(value, first, rtol=2e-6, atol=2e-6, err_msg=name)
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(rounds):
        for name, fn in variants.items():
            start = time.perf_counter()
            for _ in range(block):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / block)
    for name, seconds in best.items():
        print(f"    {name:<44} {seconds * 1e6:>9.1f} us")


def embedding_variants(num: int, looked_up: int, dim: int) -> dict[str, Callable[[], object]]:
    flat = RNG.integers(0, num, looked_up)
    rows = RNG.standard_normal((looked_up, dim)).astype(np.float32)

    def add_at() -> np.ndarray:
        grad = np.zeros((num, dim), np.float32)
        np.add.at(grad, flat, rows)
        return grad

    def one_hot() -> np.ndarray:
        hot = np.zeros((num, looked_up), np.float32)
        hot[flat, np.arange(looked_up)] = 1
        return hot.dot(rows)

    def segments() -> np.ndarray:
        order = np.argsort(flat, kind="stable")
        ordered = flat[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        grad = np.zeros((num, dim), np.float32)
        grad[ordered[starts]] = np.add.reduceat(rows[order], starts, axis=0)
        return grad

    return {"np.add.at": add_at, "one-hot @ rows (BLAS)": one_hot, "sort + reduceat": segments}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--block", type=int, default=10)
    args = parser.parse_args()
    run = {"rounds": args.rounds, "block": args.block}

    for shape in [(2048, 16), (512, 27), (512, 64)]:
        for dtype in (np.float32, np.float64):
            x = RNG.standard_normal(shape).astype(dtype)
            print(f"row max of {shape} {np.dtype(dtype).name}")
            best_of(
                {
                    "np.maximum.reduce(x, axis=1)": lambda: np.maximum.reduce(x, axis=1),
                    "_rows.row_max (transposed copy, axis 0)": lambda: row_max(x),
                },
                **run,
            )
            print(f"row sum of {shape} {np.dtype(dtype).name}")
            best_of(
                {
                    "np.add.reduce(x, axis=1)": lambda: np.add.reduce(x, axis=1),
                    "_rows.row_sum (x @ ones, BLAS)": lambda: row_sum(x),
                },
                **run,
            )

    x = RNG.standard_normal((512, 256)).astype(np.float32)
    y = RNG.standard_normal((512, 256)).astype(np.float32)
    positive = x >= 0
    print("choose x or y by the sign of x, (512, 256) float32")

    def arithmetic() -> np.ndarray:
        out = positive.astype(np.float32)
        out *= x - y
        out += y
        return out

    best_of(
        {"np.where(x >= 0, x, y)": lambda: np.where(positive, x, y), "mask arithmetic": arithmetic},
        **run,
    )

    print("Phi(x) from q = Phi(-|x|) by the sign of x, (512, 256) float32 (gelu's)")
    q = np.abs(y) * 0.1

    def copysign() -> np.ndarray:  # 1/2 + sign(x) (1/2 - q)
        out = np.subtract(0.5, q)
        np.copysign(out, x, out=out)
        out += 0.5
        return out

    def mask_join() -> np.ndarray:  # q + [x >= 0] (1 - 2q)
        out = positive.astype(np.float32)
        out *= 1 - 2 * q
        out += q
        return out

    best_of(
        {
            "np.where(x >= 0, 1 - q, q)": lambda: np.where(positive, 1 - q, q),
            "np.copysign": copysign,
            "mask arithmetic": mask_join,
        },
        **run,
    )

    for num, looked_up in [(27, 512), (1000, 512)]:
        print(f"embedding gradient: {looked_up} rows of 64 into a table of {num}")
        best_of(embedding_variants(num, looked_up, 64), **run)

    print("normal CDF of (512, 256) float32 (gelu's)")
    tx = torch.from_numpy(x)
    best_of(
        {
            "scipy.special.ndtr": lambda: ndtr(x),
            "_ndtr_float32 (NumPy, float32 polynomial)": lambda: _ndtr_float32(x),
            "torch.nn.functional.gelu, for scale": lambda: torch.nn.functional.gelu(tx),
        },
        **run,
    )


if __name__ == "__main__":
    main()
