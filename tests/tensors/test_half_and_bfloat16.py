"""Conversions between the floating-point dtypes, float16 and bfloat16 included, on tensors
and modules, against PyTorch: values (rounded as PyTorch rounds), dtypes and gradients."""

import subprocess
import sys

import numpy as np
import pytest
import safetensors.torch
import torch

import micrograd as mg

X = np.array([[1.5, 2.3, -0.1], [3.14159, -4e-3, 65504.0]], dtype=np.float32)
CASTS = ["half", "bfloat16", "float", "double"]


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().float().numpy() if t.dtype == torch.bfloat16 else t.detach().numpy()


@pytest.mark.parametrize("cast", CASTS)
def test_tensor_casts_round_as_pytorch(cast):
    ours, theirs = getattr(mg.tensor(X), cast)(), getattr(torch.tensor(X), cast)()
    assert ours.dtype == getattr(mg, str(theirs.dtype).split(".")[1])
    np.testing.assert_array_equal(ours.float().numpy(), _np(theirs).astype(np.float32))
    assert ours.is_floating_point() and ours.type() == theirs.type()
    assert ours.element_size() == theirs.element_size()


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_to_dtype_is_differentiable_and_the_gradient_comes_back_in_the_inputs_dtype(dtype):
    grads = []
    for lib in (mg, torch):
        x = lib.tensor(X, requires_grad=True)
        y = x.to(getattr(lib, dtype))
        assert y.requires_grad
        (y.float() * lib.tensor(X)).sum().backward()
        assert x.grad.dtype == x.dtype
        grads.append(np.asarray(x.grad))
    np.testing.assert_array_equal(grads[0], grads[1])


def test_bfloat16_arithmetic_keeps_pytorchs_dtypes():
    ours, theirs = mg.tensor(X).bfloat16(), torch.tensor(X).bfloat16()
    for op in (
        lambda t, lib: t + t,
        lambda t, lib: t * 2.0,
        lambda t, lib: t @ t.T,
        lambda t, lib: (t * 1e-3).exp(),
        lambda t, lib: t.sum(),
        lambda t, lib: t + lib.tensor(X),  # bfloat16 with float32: float32
        lambda t, lib: t + lib.tensor(X).half(),  # bfloat16 with float16: float32
    ):
        mine, ref = op(ours, mg), op(theirs, torch)
        assert str(mine.dtype) == str(ref.dtype).split(".")[1]
        np.testing.assert_allclose(np.asarray(mine, np.float32), _np(ref), rtol=1e-2)
    assert mg.finfo(mg.bfloat16).eps == torch.finfo(torch.bfloat16).eps
    assert mg.zeros(2, dtype=mg.bfloat16).dtype == mg.bfloat16
    assert mg.bfloat16 is mg.tensors.dtypes.bfloat16


@pytest.mark.parametrize("cast", CASTS)
def test_module_casts_its_floating_parameters_and_buffers_as_pytorch(cast):
    def build(nn):
        return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Embedding(5, 3))

    ours, theirs = build(mg.nn), build(torch.nn)
    assert getattr(ours, cast)() is ours
    getattr(theirs, cast)()
    for (name, p), (_, q) in zip(
        ours.state_dict().items(), theirs.state_dict().items(), strict=True
    ):
        assert str(p.dtype) == str(q.dtype).split(".")[1], name  # the batch count stays int64
    assert all(type(p) is mg.nn.Parameter and p.requires_grad for p in ours.parameters())
    out = ours[0](mg.ones(2, 3).to(ours[0].weight.dtype))
    assert out.dtype == ours[0].weight.dtype


def test_bfloat16_tensors_are_saved_as_safetensors_bf16(tmp_path):
    weights = {"w": mg.tensor(X).bfloat16()}
    mg.save(weights, tmp_path / "w.safetensors")
    theirs = safetensors.torch.load_file(tmp_path / "w.safetensors")["w"]
    assert theirs.dtype == torch.bfloat16
    np.testing.assert_array_equal(_np(theirs), weights["w"].float().numpy())
    back = mg.load(tmp_path / "w.safetensors")["w"]
    assert back.dtype == mg.bfloat16 and mg.equal(back, weights["w"])


def test_ml_dtypes_is_imported_only_when_bfloat16_is_asked_for():
    script = (
        "import sys, micrograd\n"
        "before = 'ml_dtypes' in sys.modules\n"
        "micrograd.bfloat16\n"
        "print(before, 'ml_dtypes' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.split() == ["False", "True"], done.stderr
