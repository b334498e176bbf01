"""The tensor engine's training step beside PyTorch eager and hand-written NumPy, in one run.

    make bench-tensor      # = .venv/bin/python benchmarks/bench_tensor.py

Two steps, each written three ways from the same initial weights and the same data:

(a) the original micrograd demo as one full batch: MLP 2-16-16-1 (ReLU hidden, linear out),
    float64, 100 moons points (``make_moons(100, noise=0.1, random_state=1)``, y in ±1), loss
    ``mean(relu(1 - y * score)) + 1e-4 * sum of squares of every parameter``, SGD at lr 0.1.
    The L2 term is given, as PyTorch users usually give it, through the optimizer:
    ``SGD(weight_decay=2e-4)`` adds 2e-4 * p = d(1e-4 * p**2)/dp to every gradient. All three
    do the same, so the step is the same computation everywhere; the loss checked below still
    includes the L2 term, computed from the parameters the same way for all three.
(b) an MNIST-shaped step: batch 128 of 784 float32 inputs, 784-256-10 ReLU MLP, softmax
    cross-entropy, SGD at lr 0.1 (synthetic data: only the shapes matter for time).

"ours" is what a user writes with micrograd (``nn.Linear``/``Sequential``/``ReLU``,
``nn.functional``, ``optim.SGD``); "torch" the same model in ``torch.nn`` (CPU, eager);
"numpy" the forward pass, backward pass and update written by hand, the floor: it pays only
NumPy's own per-call cost. The floor is plain NumPy as one would write it (``.sum(axis=0)``
for bias gradients, boolean masks, constants such as -y/n computed once outside the step).
Before timing, a few steps of each are run from the same weights and their losses are
asserted to agree, so no variant can time a different computation.

Everything runs on one thread: the BLAS thread counts are set in the environment at the top of
this file, before NumPy or PyTorch is imported (they read them once, when loaded), and
``torch.set_num_threads(1)``. The variants are timed in interleaved rounds (each round times a
block of steps of each), since the machine is shared and its speed drifts; the table gives the
median over rounds of the time per step, and the median over rounds of its ratio to the NumPy
floor and to PyTorch in the same round.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy/torch are imported: their BLAS reads it at load time

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402

from micrograd import Tensor, optim  # noqa: E402
from micrograd.nn import Linear, ReLU, Sequential  # noqa: E402
from micrograd.nn import functional as F  # noqa: E402

torch.set_num_threads(1)

Step = Callable[[], Any]  # one training step; returns its loss (the data part), with .item()


# --------------------------------------------------------------------- shared setup


def init_weights(sizes: list[int], dtype: type, seed: int) -> list[np.ndarray]:
    """[W1, b1, W2, b2, ...] drawn as PyTorch's default Linear init; W has shape (out, in)."""
    rng = np.random.default_rng(seed)
    weights = []
    for nin, nout in zip(sizes, sizes[1:]):
        bound = 1 / np.sqrt(nin)
        weights.append(rng.uniform(-bound, bound, (nout, nin)).astype(dtype))
        weights.append(rng.uniform(-bound, bound, (nout,)).astype(dtype))
    return weights


def ours_mlp(weights: list[np.ndarray]) -> Sequential:
    layers: list = []
    for i in range(0, len(weights), 2):
        w, b = weights[i], weights[i + 1]
        layer = Linear(w.shape[1], w.shape[0], dtype=w.dtype)
        layer.weight.data[...] = w
        layer.bias.data[...] = b
        layers += [layer, ReLU()]
    return Sequential(*layers[:-1])


def torch_mlp(weights: list[np.ndarray]) -> torch.nn.Sequential:
    layers: list = []
    for i in range(0, len(weights), 2):
        w, b = weights[i], weights[i + 1]
        layer = torch.nn.Linear(w.shape[1], w.shape[0], dtype=torch.from_numpy(w).dtype)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
        layers += [layer, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def l2(arrays: list[np.ndarray]) -> float:
    """sum of p**2 over every parameter, the same float64 arithmetic for every variant."""
    return sum(float(np.sum(np.asarray(a, dtype=np.float64) ** 2)) for a in arrays)


# --------------------------------------------------------------------- (a) the demo


DEMO_SIZES = [2, 16, 16, 1]
DEMO_ALPHA = 1e-4  # the demo's L2 coefficient: loss += alpha * sum(p**2)
DEMO_LR = 0.1


def demo_data() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    return X.astype(np.float64), (2.0 * y - 1).reshape(-1, 1)  # labels ±1, shaped like scores


def demo_ours(weights: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> tuple[Step, list]:
    model = ours_mlp(weights)
    opt = optim.SGD(model.parameters(), lr=DEMO_LR, weight_decay=2 * DEMO_ALPHA)
    Xt = Tensor(X)

    def step() -> Any:
        opt.zero_grad()
        loss = F.hinge_loss(model(Xt), y)
        loss.backward()
        opt.step()
        return loss

    return step, [p.data for p in model.parameters()]


def demo_torch(weights: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> tuple[Step, list]:
    model = torch_mlp(weights)
    opt = torch.optim.SGD(model.parameters(), lr=DEMO_LR, weight_decay=2 * DEMO_ALPHA)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def step() -> Any:
        opt.zero_grad()
        loss = torch.relu(1 - yt * model(Xt)).mean()
        loss.backward()
        opt.step()
        return loss

    return step, [p.data for p in model.parameters()]


def demo_numpy(weights: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> tuple[Step, list]:
    params = [w.copy() for w in weights]
    W1, b1, W2, b2, W3, b3 = params
    minus_y_over_n = -y / len(y)  # d(mean(1 - y*s))/ds where the margin is positive
    shrink = 1 - DEMO_LR * 2 * DEMO_ALPHA  # p - lr*(g + wd*p) = shrink*p - lr*g

    def step() -> Any:
        h1 = X @ W1.T + b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ W2.T + b2
        a2 = np.maximum(h2, 0)
        s = a2 @ W3.T + b3
        margin = 1 - y * s
        loss = np.maximum(margin, 0).mean()
        ds = minus_y_over_n * (margin > 0)
        da2 = ds @ W3
        da2 *= h2 > 0
        da1 = da2 @ W2
        da1 *= h1 > 0
        grads = (da1.T @ X, da1.sum(0), da2.T @ a1, da2.sum(0), ds.T @ a2, ds.sum(0))
        for p, g in zip(params, grads):
            p *= shrink
            p -= DEMO_LR * g
        return loss

    return step, params


# --------------------------------------------------------------------- (b) MNIST-shaped


MNIST_SIZES = [784, 256, 10]
MNIST_BATCH = 128
MNIST_LR = 0.1


def mnist_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    X = rng.random((MNIST_BATCH, 784), dtype=np.float32)  # pixel-like values in [0, 1)
    return X, rng.integers(0, 10, MNIST_BATCH)


def mnist_ours(weights: list[np.ndarray], X: np.ndarray, t: np.ndarray) -> tuple[Step, list]:
    model = ours_mlp(weights)
    opt = optim.SGD(model.parameters(), lr=MNIST_LR)
    Xt = Tensor(X)

    def step() -> Any:
        opt.zero_grad()
        loss = F.cross_entropy(model(Xt), t)
        loss.backward()
        opt.step()
        return loss

    return step, [p.data for p in model.parameters()]


def mnist_torch(weights: list[np.ndarray], X: np.ndarray, t: np.ndarray) -> tuple[Step, list]:
    model = torch_mlp(weights)
    opt = torch.optim.SGD(model.parameters(), lr=MNIST_LR)
    Xt, tt = torch.from_numpy(X), torch.from_numpy(t)

    def step() -> Any:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(Xt), tt)
        loss.backward()
        opt.step()
        return loss

    return step, [p.data for p in model.parameters()]


def mnist_numpy(weights: list[np.ndarray], X: np.ndarray, t: np.ndarray) -> tuple[Step, list]:
    params = [w.copy() for w in weights]
    W1, b1, W2, b2 = params
    rows = np.arange(len(t))

    def step() -> Any:
        h = X @ W1.T + b1
        a = np.maximum(h, 0)
        z = a @ W2.T + b2
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        sum_e = e.sum(axis=1, keepdims=True)
        loss = (np.log(sum_e[:, 0]) - z[rows, t]).mean()
        dz = e / sum_e  # softmax
        dz[rows, t] -= 1
        dz *= np.float32(1 / len(t))
        da = dz @ W2
        da *= h > 0
        grads = (da.T @ X, da.sum(0), dz.T @ a, dz.sum(0))
        for p, g in zip(params, grads):
            p -= MNIST_LR * g
        return loss

    return step, params


# --------------------------------------------------------------------- measuring


def check_losses(name: str, variants: dict, with_l2: bool, steps: int, tol: float) -> None:
    """Run ``steps`` steps of each variant from the same start; the losses must agree."""
    losses = {}
    for label, (step, params) in variants.items():
        history = []
        for _ in range(steps):
            reg = DEMO_ALPHA * l2(params) if with_l2 else 0.0  # the loss at these parameters
            history.append(step().item() + reg)
        losses[label] = history
    reference = losses["numpy"]
    for label, history in losses.items():
        worst = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(history, reference))
        assert worst < tol, f"{name}: {label}'s losses differ from numpy's by {worst:.2e}"
    print(f"{name}: losses agree over {steps} steps ({reference[0]:.6f} -> {reference[-1]:.6f})")


def time_variants(variants: dict, rounds: int, block: int) -> dict[str, list[float]]:
    """Seconds per step of each variant, one entry per round: each round times a block of
    ``block`` steps of every variant, in an order that rotates from round to round."""
    times: dict[str, list[float]] = {label: [] for label in variants}
    labels = list(variants)
    for r in range(rounds):
        for label in labels[r % len(labels) :] + labels[: r % len(labels)]:
            step = variants[label][0]
            start = time.perf_counter()
            for _ in range(block):
                step()
            times[label].append((time.perf_counter() - start) / block)
    return times


def report(title: str, times: dict[str, list[float]]) -> None:
    """Median time per step; ratios are medians of the per-round ratios, so that a slow spell
    of the shared machine, which hits all variants of a round alike, cancels out."""

    def ratio(label: str, to: str) -> float:
        return statistics.median(a / b for a, b in zip(times[label], times[to]))

    print(f"\n{title}")
    print(f"{'':<8} {'us/step':>10} {'/ numpy':>9} {'/ torch':>9}")
    for label, ts in times.items():
        to_floor, to_torch = ratio(label, "numpy"), ratio(label, "torch")
        median = statistics.median(ts) * 1e6
        print(f"{label:<8} {median:>10.1f} {to_floor:>8.2f}x {to_torch:>8.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=101, help="interleaved timing rounds")
    args = parser.parse_args()

    X, y = demo_data()
    w = init_weights(DEMO_SIZES, np.float64, seed=0)
    check = {f.__name__[5:]: f(w, X, y) for f in (demo_ours, demo_torch, demo_numpy)}
    check_losses("(a) demo", check, with_l2=True, steps=20, tol=1e-10)
    demo = {f.__name__[5:]: f(w, X, y) for f in (demo_ours, demo_torch, demo_numpy)}
    demo_times = time_variants(demo, args.rounds, block=100)

    X, t = mnist_data()
    w = init_weights(MNIST_SIZES, np.float32, seed=1)
    check = {f.__name__[6:]: f(w, X, t) for f in (mnist_ours, mnist_torch, mnist_numpy)}
    check_losses("(b) MNIST-shaped", check, with_l2=False, steps=10, tol=1e-5)
    mnist = {f.__name__[6:]: f(w, X, t) for f in (mnist_ours, mnist_torch, mnist_numpy)}
    mnist_times = time_variants(mnist, args.rounds, block=10)

    report("(a) demo step: MLP 2-16-16-1, float64, 100 points, hinge + L2, SGD", demo_times)
    report("(b) MNIST-shaped step: 128 x 784-256-10, float32, cross-entropy, SGD", mnist_times)


if __name__ == "__main__":
    main()
