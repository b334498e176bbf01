"""Each fused op of nn.functional, forward + backward, ours beside PyTorch eager, one thread.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_ops.py [--dtype float32] [--rounds 31]

The shapes are those of makemore's default Transformer training step (batch 32, block 16,
n_embd 64, 4 heads, vocabulary 27, MLP width 256) and of the course's MLP with BatchNorm
(batch 32, 200 hidden units). Each case runs the op on leaves that require grad and
backpropagates a fixed cotangent (or the loss), so both sides do the work a training step
does; leaves' grads are reset to None between steps as ``zero_grad(set_to_none=True)`` does.
Before timing, each case's output and every gradient are checked equal to PyTorch's
(float32 tolerance in float32), so no case can time a different computation.

Timing: interleaved rounds (each round times a block of steps of ours, then of torch, in an
order that alternates), median over rounds of the time per step, and the median of the
per-round ratio ours / torch (below 1: ours is faster). The machine is shared; the ratio of
one round cancels the drift that hits both sides alike.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy/torch are imported: their BLAS reads it at load time

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

import micrograd.nn.functional as F  # noqa: E402
from micrograd import Tensor  # noqa: E402

torch.set_num_threads(1)

B, T, C, H, V, HIDDEN = 32, 16, 64, 4, 27, 256


def _arrays(seed: int, dtype: np.dtype) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def normal(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(dtype)

    targets = rng.integers(0, V, B * T)
    targets[rng.random(B * T) < 0.2] = -1  # makemore pads its targets with -1
    return {
        "x": normal(B, T, C),
        "w": normal(C),
        "b": normal(C),
        "hidden": normal(B, T, HIDDEN),
        "logits": normal(B * T, V),
        "targets": targets,
        "plain_targets": rng.integers(0, V, B * T),
        "q": normal(B, H, T, C // H),
        "k": normal(B, H, T, C // H),
        "v": normal(B, H, T, C // H),
        "scores": normal(B, H, T, T),
        "table": normal(V, C),
        "idx": rng.integers(0, V, (B, T)),
        "bn_x": normal(B, 200),
        "bn_w": normal(200),
        "bn_b": normal(200),
    }


# Each case: the names of the arrays that are differentiable leaves, and the op written
# once for each side (a = the arrays as ours or torch's tensors, data = the raw arrays).
CASES: dict[str, tuple[list[str], Callable, Callable]] = {
    "softmax (32,4,16,16) dim=-1": (
        ["scores"],
        lambda a, d: F.softmax(a["scores"], dim=-1),
        lambda a, d: TF.softmax(a["scores"], dim=-1),
    ),
    "log_softmax (512,27)": (
        ["logits"],
        lambda a, d: F.log_softmax(a["logits"], dim=1),
        lambda a, d: TF.log_softmax(a["logits"], dim=1),
    ),
    "cross_entropy (512,27)": (
        ["logits"],
        lambda a, d: F.cross_entropy(a["logits"], d["plain_targets"]),
        lambda a, d: TF.cross_entropy(a["logits"], d["plain_targets"]),
    ),
    "cross_entropy ignore_index=-1": (
        ["logits"],
        lambda a, d: F.cross_entropy(a["logits"], d["targets"], ignore_index=-1),
        lambda a, d: TF.cross_entropy(a["logits"], d["targets"], ignore_index=-1),
    ),
    "layer_norm (32,16,64)": (
        ["x", "w", "b"],
        lambda a, d: F.layer_norm(a["x"], (C,), a["w"], a["b"]),
        lambda a, d: TF.layer_norm(a["x"], (C,), a["w"], a["b"]),
    ),
    "gelu tanh (32,16,256)": (
        ["hidden"],
        lambda a, d: F.gelu(a["hidden"], approximate="tanh"),
        lambda a, d: TF.gelu(a["hidden"], approximate="tanh"),
    ),
    "gelu erf (32,16,256)": (
        ["hidden"],
        lambda a, d: F.gelu(a["hidden"]),
        lambda a, d: TF.gelu(a["hidden"]),
    ),
    "embedding (32,16) of (27,64)": (
        ["table"],
        lambda a, d: F.embedding(d["idx"], a["table"]),
        lambda a, d: TF.embedding(d["idx"], a["table"]),
    ),
    "attention causal (32,4,16,16)": (
        ["q", "k", "v"],
        lambda a, d: F.scaled_dot_product_attention(a["q"], a["k"], a["v"], is_causal=True),
        lambda a, d: TF.scaled_dot_product_attention(a["q"], a["k"], a["v"], is_causal=True),
    ),
    "batch_norm train (32,200)": (
        ["bn_x", "bn_w", "bn_b"],
        lambda a, d: F.batch_norm(a["bn_x"], None, None, a["bn_w"], a["bn_b"], training=True),
        lambda a, d: TF.batch_norm(a["bn_x"], None, None, a["bn_w"], a["bn_b"], training=True),
    ),
}


def _side(case: str, ours: bool, dtype: np.dtype) -> tuple[Callable[[], object], list]:
    """One side's step (forward, backward, grads reset) and its leaves."""
    leaves_names, ours_fn, torch_fn = CASES[case]
    data = _arrays(0, dtype)
    if ours:
        tensors = {n: Tensor(a, requires_grad=n in leaves_names) for n, a in data.items()}
        fn = ours_fn
    else:
        tensors = {
            n: torch.from_numpy(a).requires_grad_(n in leaves_names) for n, a in data.items()
        }
        data = {n: torch.from_numpy(a) for n, a in data.items()}
        fn = torch_fn
    leaves = [tensors[n] for n in leaves_names]
    out_shape = fn(tensors, data).shape
    cotangent = np.random.default_rng(1).standard_normal(tuple(out_shape)).astype(dtype)
    grad = cotangent if ours else torch.from_numpy(cotangent)

    def step() -> object:
        out = fn(tensors, data)
        out.backward(grad)
        result = [out] + [x.grad for x in leaves]
        for x in leaves:
            x.grad = None
        return result

    return step, leaves


def _check(case: str, dtype: np.dtype) -> None:
    ours, _ = _side(case, True, dtype)
    theirs, _ = _side(case, False, dtype)
    rtol, atol = (1e-4, 1e-5) if dtype == np.float32 else (1e-9, 1e-12)
    for a, b in zip(ours(), theirs()):
        a = a.detach().numpy() if isinstance(a, Tensor) else a
        b = b.detach().numpy()
        assert a.dtype == dtype, f"{case}: ours computed {a.dtype}, not {dtype}"
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=case)


def _time(step: Callable[[], object], block: int) -> float:
    start = time.perf_counter()
    for _ in range(block):
        step()
    return (time.perf_counter() - start) / block


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--rounds", type=int, default=31, help="interleaved timing rounds")
    parser.add_argument("--block", type=int, default=20, help="steps per side per round")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()
    dtype = np.dtype(args.dtype)
    print(f"{args.dtype}, one thread, {args.rounds} rounds of {args.block} steps per side")
    print(f"{'op (forward + backward)':<32} {'ours us':>9} {'torch us':>9} {'ours/torch':>10}")
    for case in CASES:
        if args.only not in case:
            continue
        _check(case, dtype)
        ours, _ = _side(case, True, dtype)
        theirs, _ = _side(case, False, dtype)
        for _ in range(3):  # warm up both
            ours(), theirs()
        times: dict[str, list[float]] = {"ours": [], "torch": []}
        for r in range(args.rounds):
            order = [("ours", ours), ("torch", theirs)]
            for label, step in order if r % 2 == 0 else order[::-1]:
                times[label].append(_time(step, args.block))
        ratio = statistics.median(a / b for a, b in zip(times["ours"], times["torch"]))
        o, t = (statistics.median(times[k]) * 1e6 for k in ("ours", "torch"))
        print(f"{case:<32} {o:>9.1f} {t:>9.1f} {ratio:>9.2f}x")


if __name__ == "__main__":
    main()
