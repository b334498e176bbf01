"""bfloat16 tensors against PyTorch's on the CPU: the dtype's facts, promotion, and every op a
GPT meets in bfloat16 (under autocast, or in its sampling and evaluation after it), in values,
dtypes and gradients.

bfloat16 is a storage format: PyTorch's CPU kernels compute in float32 and round the result,
so micrograd does the same (``in_float32``) for the ops NumPy would otherwise compute in
bfloat16 (sums, products through BLAS, the fused ops). Elementwise ops go through ml_dtypes,
which also computes in float32 and rounds. Values agree with PyTorch's to the rounding of the
last bit or two (the order of float32 operations differs here and there), most exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import micrograd as mg
from micrograd.nn import functional as F

RNG = np.random.default_rng(16)
ULPS = 2 * 2.0**-8  # two units in the last place of bfloat16 (8 significant bits)


def _np(x):
    """Values as a float32 ndarray, for a micrograd or a torch tensor (or a grad array)."""
    if isinstance(x, torch.Tensor):
        return x.detach().float().numpy()
    if isinstance(x, mg.Tensor):
        x = x.detach().numpy()
    return np.asarray(x).astype(np.float32)


def pair(array):
    """The same bfloat16 leaf in both libraries, rounded once from float32."""
    theirs = torch.tensor(array, dtype=torch.float32).bfloat16().requires_grad_()
    ours = mg.tensor(array, dtype=mg.float32).to(mg.bfloat16).requires_grad_()
    return ours, theirs


def assert_close(ours, theirs, atol=1e-6):
    assert str(ours.dtype).replace("torch.", "") == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=ULPS, atol=atol)


# --------------------------------------------------------------------- the dtype


def test_the_dtype_and_its_facts():
    assert mg.bfloat16 is mg.tensors.dtypes.bfloat16
    t = mg.tensor([1.0, 2.0], dtype=mg.bfloat16)
    assert t.dtype == mg.bfloat16 and t.is_floating_point() and mg.is_floating_point(t)
    assert t.element_size() == 2 and t.type() == "torch.BFloat16Tensor"
    info, ref = mg.finfo(mg.bfloat16), torch.finfo(torch.bfloat16)
    assert (float(info.eps), float(info.max), float(info.tiny)) == (ref.eps, ref.max, ref.tiny)
    assert t.requires_grad_().requires_grad
    # rounding to nearest even, as PyTorch's conversion
    values = RNG.standard_normal(1000).astype(np.float32)
    np.testing.assert_array_equal(
        _np(mg.tensor(values).to(mg.bfloat16)), _np(torch.tensor(values).bfloat16())
    )


@pytest.mark.parametrize(
    ("other", "torch_other"),
    [
        (lambda: mg.ones(3, dtype=mg.float32), lambda: torch.ones(3)),
        (lambda: mg.ones(3, dtype=mg.float64), lambda: torch.ones(3, dtype=torch.float64)),
        (lambda: mg.ones(3, dtype=mg.float16), lambda: torch.ones(3, dtype=torch.float16)),
        (lambda: mg.ones(3, dtype=mg.long), lambda: torch.ones(3, dtype=torch.long)),
        (lambda: mg.ones(3, dtype=mg.bool), lambda: torch.ones(3, dtype=torch.bool)),
        (lambda: mg.tensor(2.0, dtype=mg.float32), lambda: torch.tensor(2.0)),
        (lambda: 0.5, lambda: 0.5),
        (lambda: 3, lambda: 3),
    ],
)
def test_promotion_as_pytorch(other, torch_other):
    ours, theirs = pair(RNG.standard_normal(3))
    for op in (lambda a, b: a + b, lambda a, b: b * a, lambda a, b: a / b):
        assert_close(op(ours, other()), op(theirs, torch_other()))
    assert str(mg.result_type(ours, other())) == str(
        torch.result_type(theirs, torch_other())
    ).replace("torch.", "")


# --------------------------------------------------------------------- ops, values and gradients

X = RNG.standard_normal((6, 40)) * 2
W = RNG.standard_normal(40)
TARGETS = RNG.integers(0, 40, 6)

OPS = {
    "sum": (lambda t: t.sum(), lambda t: t.sum()),
    "sum(1)": (lambda t: t.sum(1), lambda t: t.sum(1)),
    "mean(0)": (lambda t: t.mean(0), lambda t: t.mean(0)),
    "var(1)": (lambda t: t.var(1), lambda t: t.var(1)),
    "std": (lambda t: t.std(), lambda t: t.std()),
    "prod(1)": (lambda t: (t[:, :5] * 0.5).prod(1), lambda t: (t[:, :5] * 0.5).prod(1)),
    "softmax": (lambda t: F.softmax(t, -1), lambda t: TF.softmax(t, -1)),
    "log_softmax": (lambda t: F.log_softmax(t, 0), lambda t: TF.log_softmax(t, 0)),
    "gelu": (lambda t: F.gelu(t), lambda t: TF.gelu(t)),
    "gelu tanh": (
        lambda t: F.gelu(t, approximate="tanh"),
        lambda t: TF.gelu(t, approximate="tanh"),
    ),
    "layer_norm": (
        lambda t: F.layer_norm(t, (40,), mg.tensor(W, dtype=mg.float32)),
        lambda t: TF.layer_norm(t, (40,), torch.tensor(W, dtype=torch.float32)),
    ),
    "cross_entropy": (
        lambda t: F.cross_entropy(t, mg.tensor(TARGETS)),
        lambda t: TF.cross_entropy(t, torch.tensor(TARGETS)),
    ),
    "cross_entropy none": (
        lambda t: F.cross_entropy(t, mg.tensor(TARGETS), reduction="none"),
        lambda t: TF.cross_entropy(t, torch.tensor(TARGETS), reduction="none"),
    ),
    "matmul": (lambda t: t @ t.T, lambda t: t @ t.T),
    "linear": (lambda t: F.linear(t, t[:3] * 0.5), lambda t: TF.linear(t, t[:3] * 0.5)),
    "attention": (
        lambda t: F.scaled_dot_product_attention(
            t[None, :, :8], t[None, :, 8:16], t[None, :, 16:24], is_causal=True
        ),
        lambda t: TF.scaled_dot_product_attention(
            t[None, :, :8], t[None, :, 8:16], t[None, :, 16:24], is_causal=True
        ),
    ),
    "tanh": (lambda t: t.tanh(), lambda t: t.tanh()),
    "exp": (lambda t: (t * 0.1).exp(), lambda t: (t * 0.1).exp()),
    "pow 3": (lambda t: mg.pow(t, 3.0), lambda t: torch.pow(t, 3.0)),
    "bias add": (
        lambda t: t + mg.tensor(W, dtype=mg.float32).to(mg.bfloat16),
        lambda t: t + torch.tensor(W, dtype=torch.float32).bfloat16(),
    ),
    "masked_fill": (
        lambda t: t.masked_fill(t > 1, float("-inf")).softmax(-1),
        lambda t: t.masked_fill(t > 1, float("-inf")).softmax(-1),
    ),
    "topk": (lambda t: t.topk(5)[0], lambda t: t.topk(5)[0]),
    "clamp": (lambda t: t.clamp(-0.5, 1), lambda t: t.clamp(-0.5, 1)),
    "clamp min": (lambda t: t.clamp(min=0), lambda t: t.clamp(min=0)),
    "norm": (lambda t: t.norm(), lambda t: t.norm()),
    "norm(1, dim)": (lambda t: t.norm(1, dim=1), lambda t: t.norm(1, dim=1)),
    "abs log10": (lambda t: (t.abs() + 0.5).log10(), lambda t: (t.abs() + 0.5).log10()),
    "sqrt": (lambda t: (t.abs() + 0.5).sqrt(), lambda t: (t.abs() + 0.5).sqrt()),
    "sigmoid": (lambda t: t.sigmoid(), lambda t: t.sigmoid()),
    "relu": (lambda t: t.relu(), lambda t: t.relu()),
    "silu": (lambda t: F.silu(t), lambda t: TF.silu(t)),
    "leaky_relu": (lambda t: F.leaky_relu(t), lambda t: TF.leaky_relu(t)),
    "elu": (lambda t: F.elu(t), lambda t: TF.elu(t)),
    "softplus": (lambda t: F.softplus(t), lambda t: TF.softplus(t)),
    "hardtanh": (lambda t: F.hardtanh(t), lambda t: TF.hardtanh(t)),
    "max": (lambda t: t.max(), lambda t: t.max()),
    "cat with float32": (
        lambda t: mg.cat([t, mg.ones(6, 40, dtype=mg.float32)]),
        lambda t: torch.cat([t, torch.ones(6, 40)]),
    ),
}


@pytest.mark.parametrize("name", list(OPS))
def test_ops_on_bfloat16_give_pytorchs_dtypes_values_and_gradients(name):
    ours_op, torch_op = OPS[name]
    ours, theirs = pair(X)
    out, ref = ours_op(ours), torch_op(theirs)
    assert_close(out, ref, atol=1e-5)
    upstream = RNG.standard_normal(tuple(ref.shape))
    (out.to(mg.float32) * mg.tensor(upstream, dtype=mg.float32)).sum().backward()
    (ref.float() * torch.tensor(upstream, dtype=torch.float32)).sum().backward()
    assert ours.grad.dtype == mg.bfloat16  # a leaf's gradient in its own dtype, as PyTorch's
    scale = np.abs(_np(theirs.grad)).max()
    np.testing.assert_allclose(_np(ours.grad), _np(theirs.grad), rtol=ULPS, atol=ULPS * scale)


@pytest.mark.parametrize("name", ["sigmoid", "silu", "leaky_relu"])
def test_activations_round_once_as_pytorch(name):
    """Computed in float32 and rounded once (a slope not first rounded to bfloat16): the very
    values PyTorch's CPU gives, where step-by-step bfloat16 arithmetic was off by an ulp in
    a third of them."""
    ours, theirs = pair(RNG.standard_normal((40, 50)) * 2)
    out, ref = getattr(F, name)(ours), getattr(TF, name)(theirs)
    assert out.dtype == mg.bfloat16
    np.testing.assert_array_equal(_np(out), _np(ref))


def test_sums_add_in_float32_not_in_bfloat16():
    """NumPy adds bfloat16 in bfloat16: 10,000 times 0.01 would stop growing at 4. PyTorch
    (and micrograd) add in float32 and round the total once."""
    t = mg.full((10_000,), 0.01, dtype=mg.bfloat16)
    ref = torch.full((10_000,), 0.01, dtype=torch.bfloat16)
    assert t.sum().item() == ref.sum().item() == pytest.approx(100, rel=ULPS)
    assert t.mean().item() == ref.mean().item()


def test_sampling_from_bfloat16_logits_as_build_nanogpt():
    """softmax, topk(50), multinomial over the top probabilities and gather, on the bfloat16
    logits the model returned under autocast."""
    logits, ref_logits = pair(RNG.standard_normal((4, 64)))
    probs, ref_probs = F.softmax(logits, dim=-1), TF.softmax(ref_logits, dim=-1)
    assert_close(probs, ref_probs)
    topk_probs, topk_indices = mg.topk(probs, 50, dim=-1)
    ref_topk_probs, ref_topk_indices = torch.topk(ref_probs, 50, dim=-1)
    assert_close(topk_probs, ref_topk_probs)
    # rounded probabilities tie often, and ties may come in either order: the indices must
    # point at the values returned
    picked = np.take_along_axis(_np(probs), topk_indices.numpy(), axis=-1)
    np.testing.assert_array_equal(picked, _np(topk_probs))
    ix = mg.multinomial(topk_probs, 1, generator=mg.Generator().manual_seed(42))
    assert ix.dtype == mg.long and ix.shape == (4, 1)
    assert mg.gather(topk_indices, -1, ix).shape == (4, 1)


def test_hellaswag_scoring_on_bfloat16_losses():
    """get_most_likely_row's arithmetic: per-token losses of bfloat16 logits (reduction
    'none'), times an int64 mask, summed per row and divided by the mask's sums."""
    logits, ref_logits = pair(RNG.standard_normal((4, 5, 10)))
    tokens = RNG.integers(0, 10, (4, 6))
    mask = np.zeros((4, 6), dtype=np.int64)
    mask[:, 3:] = 1
    rows = []
    for lib, lgt, fn in ((mg, logits, F), (torch, ref_logits, TF)):
        shift_tokens = lib.tensor(tokens)[..., 1:].contiguous()
        losses = fn.cross_entropy(lgt.reshape(-1, 10), shift_tokens.reshape(-1), reduction="none")
        shift_mask = lib.tensor(mask)[..., 1:].contiguous()
        avg = (losses.view(4, -1) * shift_mask).sum(dim=1) / shift_mask.sum(dim=1)
        rows.append((avg, avg.argmin().item()))
    assert_close(rows[0][0], rows[1][0])
    assert rows[0][1] == rows[1][1]


def test_bfloat16_tensors_in_checkpoints_round_trip_and_read_in_pytorch(tmp_path):
    import safetensors.torch

    t = mg.tensor([1.5, -2.25, 3.0], dtype=mg.float32).to(mg.bfloat16)
    mg.save({"w": t, "step": 3}, tmp_path / "ckpt.safetensors")
    back = mg.load(tmp_path / "ckpt.safetensors")
    assert back["w"].dtype == mg.bfloat16 and back["w"].tolist() == [1.5, -2.25, 3.0]
    theirs = safetensors.torch.load_file(str(tmp_path / "ckpt.safetensors"))
    assert theirs["w"].dtype == torch.bfloat16 and theirs["w"].tolist() == [1.5, -2.25, 3.0]
    safetensors.torch.save_file({"w": theirs["w"] * 2}, str(tmp_path / "from_torch.safetensors"))
    assert mg.load(tmp_path / "from_torch.safetensors")["w"].tolist() == [3.0, -4.5, 6.0]
