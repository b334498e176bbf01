"""Issue 17, C7: ``F.smooth_l1_loss``, ``F.huber_loss``, ``F.hardtanh`` and ``nn.Hardtanh``,
``F.cosine_similarity`` and ``Module.half``: values and gradients against PyTorch float64."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import micrograd as mg
from micrograd import Tensor, nn
from micrograd.nn import functional as F

RNG = np.random.default_rng(1717)
values = st.floats(-3, 3, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 2))
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def against_torch(ours, theirs, *arrays, rtol=1e-10, atol=1e-12):
    """ours(*micrograd leaves) and theirs(*torch float64 leaves): the same values and the
    same gradient for every input (a random upstream gradient)."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = ours(*xs), theirs(*ts)
    assert out.shape == tuple(ref.shape) and out.dtype == np.float64
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for x, t in zip(xs, ts, strict=True):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=rtol, atol=atol)


# --------------------------------------------------------------------- smooth l1 and huber


@given(
    hnp.arrays(np.float64, st.shared(shapes, key="s"), elements=values),
    hnp.arrays(np.float64, st.shared(shapes, key="s"), elements=values),
    st.sampled_from(["mean", "sum", "none"]),
    st.sampled_from([1.0, 0.5, 2.0, 0.0]),
)
def test_smooth_l1_and_huber_match_pytorch(a, b, reduction, beta):
    against_torch(
        lambda x, y: F.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
        lambda x, y: TF.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
        a,
        b,
    )
    delta = beta or 1.0
    against_torch(
        lambda x, y: F.huber_loss(x, y, reduction=reduction, delta=delta),
        lambda x, y: TF.huber_loss(x, y, reduction=reduction, delta=delta),
        a,
        b,
    )


def test_loss_at_the_switch_point_and_with_weight_match_pytorch():
    a, b = np.array([1.0, -1.0, 0.5, 2.0]), np.zeros(4)  # |d| == beta == delta on two
    for reduction in ("mean", "sum", "none"):
        against_torch(
            lambda x, y: F.smooth_l1_loss(x, y, reduction=reduction),
            lambda x, y: TF.smooth_l1_loss(x, y, reduction=reduction),
            a,
            b,
        )
        weight = np.array([1.0, 2.0, 0.5, 3.0])
        against_torch(
            lambda x, y: F.huber_loss(x, y, reduction, 1.0, Tensor(weight)),
            lambda x, y: TF.huber_loss(x, y, reduction, 1.0, torch.tensor(weight)),
            a,
            b,
        )


def test_smooth_l1_and_huber_refuse_bad_arguments():
    x = mg.zeros(3)
    with pytest.raises(ValueError, match="negative values for beta"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match="non-positive values for delta"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(RuntimeError, match=r"shape \(2,\) but the input has shape \(3,\)"):
        F.huber_loss(x, mg.zeros(2))
    with pytest.raises(RuntimeError, match="floating-point"):
        F.smooth_l1_loss(mg.tensor([1, 2]), mg.tensor([1, 2]))


# --------------------------------------------------------------------- hardtanh


@given(hnp.arrays(np.float64, shapes, elements=values), st.sampled_from([(-1.0, 1.0), (0.0, 6.0)]))
def test_hardtanh_matches_pytorch(a, bounds):
    low, high = bounds
    a = np.concatenate([a.ravel(), [low, high]])  # the bounds themselves: gradient 0 there
    against_torch(lambda x: F.hardtanh(x, low, high), lambda x: TF.hardtanh(x, low, high), a)
    against_torch(lambda x: nn.Hardtanh(low, high)(x), lambda x: torch.nn.Hardtanh(low, high)(x), a)


def test_hardtanh_keeps_integers_and_reads_as_pytorchs():
    ours, theirs = F.hardtanh(mg.tensor([1, 2, -3])), TF.hardtanh(torch.tensor([1, 2, -3]))
    assert ours.tolist() == theirs.tolist() and ours.dtype == mg.int64
    assert repr(nn.Hardtanh(0.0, 6.0, True)) == repr(torch.nn.Hardtanh(0.0, 6.0, True))
    with pytest.raises(ValueError, match="cannot be greater"):
        F.hardtanh(mg.zeros(2), 1.0, -1.0)


# --------------------------------------------------------------------- cosine similarity


@given(
    hnp.arrays(np.float64, (3, 4), elements=values),
    hnp.arrays(np.float64, st.sampled_from([(3, 4), (4,), (1, 4)]), elements=values),
    st.sampled_from([1, -1]),
)
def test_cosine_similarity_matches_pytorch(a, b, dim):
    a[0] = 0  # a zero vector: 0, with PyTorch's gradient
    against_torch(
        lambda x, y: F.cosine_similarity(x, y, dim=dim),
        lambda x, y: TF.cosine_similarity(x, y, dim=dim),
        a,
        b,
        rtol=1e-9,
        atol=1e-10,
    )


def test_cosine_similarity_refuses_what_pytorch_refuses():
    with pytest.raises(RuntimeError, match=r"\(3,\) and \(4,\) do not broadcast"):
        F.cosine_similarity(mg.ones(3), mg.ones(4), dim=0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.cosine_similarity(mg.ones(3), mg.ones(3))
    with pytest.raises(RuntimeError, match="floating-point"):
        F.cosine_similarity(mg.tensor([1, 2]), mg.tensor([2, 1]), dim=0)


# --------------------------------------------------------------------- Module.half


def test_module_half_converts_floating_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    assert model.half() is model
    assert {p.dtype for p in model.parameters()} == {mg.float16}
    assert model[1].running_mean.dtype == mg.float16
    assert model[1].num_batches_tracked.dtype == mg.int64  # integer buffers stay
    assert model(mg.ones(4, 3, dtype=mg.float16)).dtype == mg.float16
