"""Calls that makemore.py, nanoGPT's train.py/sample.py and build-nanogpt's train_gpt2.py make
only on a GPU or under torchrun (so the end-to-end runs of tests/course/test_*_script.py never
reach them), or whose exact answer the runs do not check: each asked of micrograd and of
PyTorch on this CPU machine, side by side. Both must answer alike, or fail alike."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import micrograd as mg


def outcome(call):
    """What a call does: ('ok', value) or ('raises', exception class name)."""
    try:
        return "ok", call()
    except Exception as error:  # any error: the point is to compare them
        return "raises", type(error).__name__


# Each: (what the scripts write, the call as lib -> result); both must agree.
SAME = [
    ("torch.cuda.is_available()", lambda lib: lib.cuda.is_available()),
    ("torch.cuda.is_bf16_supported()", lambda lib: lib.cuda.is_bf16_supported()),
    ("torch.backends.mps.is_available()", lambda lib: lib.backends.mps.is_available()),
    ("torch.cuda.manual_seed(1337)", lambda lib: lib.cuda.manual_seed(1337)),
    ("torch.cuda.manual_seed_all(3407)", lambda lib: lib.cuda.manual_seed_all(3407)),
    (
        "torch.set_float32_matmul_precision('high')",
        lambda lib: lib.set_float32_matmul_precision("high"),
    ),
    ("torch.distributed.is_initialized()", lambda lib: lib.distributed.is_initialized()),
    # nanoGPT's get_batch on CUDA: x.pin_memory().to(device, non_blocking=True)
    ("x.pin_memory()", lambda lib: lib.ones(2).pin_memory()),
    ("x.is_pinned()", lambda lib: lib.ones(2).is_pinned()),
    # torchrun branches: train.py's torch.cuda.set_device(device), build-nanogpt's all_reduce
    ("torch.cuda.set_device('cpu')", lambda lib: lib.cuda.set_device("cpu")),
    (
        "dist.all_reduce(t, op=dist.ReduceOp.AVG)",
        lambda lib: lib.distributed.all_reduce(lib.ones(1), op=lib.distributed.ReduceOp.AVG),
    ),
    ("dist.get_rank()", lambda lib: lib.distributed.get_rank()),
    ("torch.cuda.synchronize()", lambda lib: lib.cuda.synchronize()),
    # nanoGPT's configure_optimizers and build-nanogpt's: the fused check
    (
        "'fused' in inspect.signature(AdamW).parameters",
        lambda lib: "fused" in inspect.signature(lib.optim.AdamW).parameters,
    ),
    # sample.py: the start ids as a batch of one
    (
        "torch.tensor(ids, dtype=torch.long, device=device)[None, ...]",
        lambda lib: lib.tensor([3, 1, 4], dtype=lib.long, device="cpu")[None, ...].tolist(),
    ),
    (
        "x.to(device, non_blocking=True)",
        lambda lib: lib.tensor([1.5]).to("cpu", non_blocking=True).tolist(),
    ),
    (
        "torch.Generator(device=device).manual_seed(42)",
        lambda lib: type(lib.Generator(device="cpu").manual_seed(42)).__name__,
    ),
    (
        "torch.from_numpy(memmap slice.astype(np.int64))",
        lambda lib: lib.from_numpy(np.arange(10, dtype=np.uint16)[2:6].astype(np.int64)).tolist(),
    ),
    (
        "val_loss_accum = 0.0; += loss.detach()",
        lambda lib: (0.0 + lib.tensor(1.25).detach()).item(),
    ),
    ("f'{norm:.4f}' of clip_grad_norm_'s tensor", lambda lib: f"{_clipped(lib):.4f}"),
]


def _clipped(lib):
    w = lib.tensor([[3.0, 4.0]], requires_grad=True)
    (w * w).sum().backward()  # grad (6, 8): norm 10
    return lib.nn.utils.clip_grad_norm_([w], 1.0)


@pytest.mark.parametrize(("spelled", "call"), SAME, ids=[s for s, _ in SAME])
def test_micrograd_answers_as_pytorch_on_a_cpu(spelled, call):
    ours, theirs = outcome(lambda: call(mg)), outcome(lambda: call(torch))
    if ours[0] == "raises" or theirs[0] == "raises":
        assert ours[0] == theirs[0] == "raises", (spelled, ours, theirs)
    else:
        assert ours[1] == theirs[1], spelled


def test_clip_grad_norm_returns_the_total_norm_as_a_tensor():
    ours, theirs = _clipped(mg), _clipped(torch)
    assert isinstance(ours, mg.Tensor) and ours.shape == () and ours.item() == theirs.item() == 10.0


def test_no_grad_and_inference_mode_as_decorators():
    """model.generate is @torch.no_grad(), makemore's evaluate @torch.inference_mode()."""
    w = mg.ones(2, requires_grad=True)

    @mg.no_grad()
    def generate():
        return w * 2

    @mg.inference_mode()
    def evaluate():
        return w * 3

    assert not generate().requires_grad and not evaluate().requires_grad
    assert (w * 4).requires_grad


def test_pin_memory_says_why():
    with pytest.raises(
        RuntimeError, match="Cannot access accelerator device when none is available"
    ):
        mg.ones(2).pin_memory()
    with pytest.raises(
        RuntimeError, match="Cannot access accelerator device when none is available"
    ):
        torch.ones(2).pin_memory()
