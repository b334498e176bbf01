"""nn.functional for the course (makemore, GPT): every function's value and every gradient
against torch.nn.functional in float64 on random inputs, finite differences for the fused
rules, float32 kept float32, and bad input as clear errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

import micrograd.nn.functional as F
from micrograd import Tensor, gradcheck, no_grad
from micrograd.nn.functional import activations
from micrograd.nn.functional import attention as functional_attention
from micrograd.nn.functional import sparse as nn_sparse

RNG = np.random.default_rng(2024)


def _torch(a, grad=True):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def check(ours, theirs, *arrays, grad=None, rtol=1e-10, atol=1e-12):
    """ours(*Tensors) against theirs(*torch tensors) in float64: the value, then (for the
    arrays flagged in ``grad``, all by default) the gradient under a random cotangent."""
    grad = grad or [True] * len(arrays)
    xs = [Tensor(np.array(a, dtype=np.float64), requires_grad=g) for a, g in zip(arrays, grad)]
    ts = [_torch(a, g) for a, g in zip(arrays, grad)]
    out, ref = ours(*xs), theirs(*ts)
    assert out.shape == tuple(ref.shape)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    if not ref.requires_grad:
        return out
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for x, t in zip(xs, ts):
        if t.requires_grad:
            expected = t.grad.numpy() if t.grad is not None else np.zeros(x.shape)
            np.testing.assert_allclose(x.grad, expected, rtol=rtol, atol=atol)
    return out


def shapes(min_dims=1, max_dims=4, max_side=5):
    return st.lists(st.integers(1, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


# --------------------------------------------------------------------- softmax


@given(shape=shapes(), data=st.data(), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20)
def test_softmax_and_log_softmax_over_any_dim(shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(seed).standard_normal(shape) * 5
    check(lambda t: F.softmax(t, dim), lambda t: TF.softmax(t, dim), x)
    check(lambda t: F.log_softmax(t, dim=dim), lambda t: TF.log_softmax(t, dim=dim), x)
    check(lambda t: t.softmax(dim), lambda t: t.softmax(dim), x)
    check(lambda t: t.log_softmax(axis=dim), lambda t: t.log_softmax(dim), x)


def test_softmax_is_stable_and_masks_with_minus_inf():
    x = np.array([[1000.0, -1000.0, 0.0, 999.0], [-np.inf, 0.0, -np.inf, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        check(lambda t: F.softmax(t, -1), lambda t: TF.softmax(t, -1), x)
    with np.errstate(invalid="ignore"):
        all_masked = F.softmax(Tensor([[-np.inf, -np.inf]]), dim=1)
    assert np.isnan(all_masked.data).all()  # as PyTorch's softmax


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_without_dim_warns_and_picks_pytorchs_dim(shape):
    x = RNG.standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        ours = F.softmax(Tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = TF.softmax(torch.tensor(x))
    np.testing.assert_allclose(ours.data, ref.numpy(), rtol=1e-12)


def test_softmax_dtype_argument_and_float32():
    x = Tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    out = F.softmax(x, dim=1, dtype=np.float32)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float64
    x32 = Tensor(RNG.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    for fn in (F.softmax, F.log_softmax):
        y = fn(x32, 0)
        y.backward(np.ones((3, 4), np.float32))
        assert y.dtype == x32.grad.dtype == np.float32
        x32.grad = None


def test_softmax_dim_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.softmax(x, 2)
    with pytest.raises(TypeError, match="both dim"):
        x.softmax(0, axis=1)


def test_softmax_axis_alias_needs_no_warning():
    x = RNG.standard_normal((2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = F.softmax(Tensor(x), axis=1).data
        np.testing.assert_allclose(
            F.log_softmax(Tensor(x), axis=0).data, np.log(F.softmax(Tensor(x), 0).data)
        )
    np.testing.assert_allclose(ours, TF.softmax(torch.tensor(x), 1).numpy(), rtol=1e-12)


# --------------------------------------------------------------------- cross-entropy


def _cross_entropy_case(data, rng):
    """Random scores (C,), (N, C) or (N, C, d...) and class targets with ignored entries."""
    ndim = data.draw(st.sampled_from([1, 2, 2, 3, 4]))
    n, c = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    extra = tuple(
        data.draw(st.lists(st.integers(1, 3), min_size=max(ndim - 2, 0), max_size=max(ndim - 2, 0)))
    )
    shape = (c,) if ndim == 1 else (n, c, *extra)
    tshape = () if ndim == 1 else (n, *extra)
    ignore_index = data.draw(st.sampled_from([-100, -1, 0, c - 1]))
    target = rng.integers(0, c, tshape)
    if data.draw(st.booleans()):
        target = np.where(rng.random(tshape) < 0.3, ignore_index, target)
    return rng.standard_normal(shape) * 3, target, ignore_index, c


@given(
    data=st.data(),
    seed=st.integers(0, 2**32 - 1),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    smoothing=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    weighted=st.booleans(),
)
@settings(max_examples=20)
def test_cross_entropy_against_torch(data, seed, reduction, smoothing, weighted):
    rng = np.random.default_rng(seed)
    x, target, ignore_index, c = _cross_entropy_case(data, rng)
    weight = rng.random(c) + 0.1 if weighted else None
    kwargs = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    check(
        lambda t: F.cross_entropy(t, target, weight=weight, **kwargs),
        lambda t: TF.cross_entropy(
            t,
            torch.from_numpy(np.asarray(target)),
            weight=None if weight is None else torch.tensor(weight),
            **kwargs,
        ),
        x,
        rtol=1e-9,
        atol=1e-12,
    )


@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20)
def test_nll_loss_against_torch(data, seed):
    rng = np.random.default_rng(seed)
    x, target, ignore_index, c = _cross_entropy_case(data, rng)
    weight = rng.random(c) + 0.1 if data.draw(st.booleans()) else None
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    check(
        lambda t: F.nll_loss(t, target, weight, None, ignore_index, None, reduction),
        lambda t: TF.nll_loss(
            t,
            torch.from_numpy(np.asarray(target)),
            None if weight is None else torch.tensor(weight),
            None,
            ignore_index,
            None,
            reduction,
        ),
        x,
    )
    check(  # nll_loss of log_softmax is cross_entropy
        lambda t: F.nll_loss(
            F.log_softmax(t, min(1, t.ndim - 1)), target, None, None, ignore_index
        ),
        lambda t: TF.cross_entropy(
            t, torch.from_numpy(np.asarray(target)), None, None, ignore_index
        ),
        x,
        rtol=1e-9,
    )


@given(
    shape=st.sampled_from([(4,), (3, 4), (2, 3, 2), (2, 3, 2, 2)]),
    seed=st.integers(0, 2**32 - 1),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    smoothing=st.sampled_from([0.0, 0.2]),
    weighted=st.booleans(),
)
@settings(max_examples=20)
def test_cross_entropy_with_probability_targets(shape, seed, reduction, smoothing, weighted):
    rng = np.random.default_rng(seed)
    c = shape[1] if len(shape) > 1 else shape[0]
    probs = rng.dirichlet(np.ones(c), size=shape[:1] + shape[2:] if len(shape) > 1 else ())
    probs = np.moveaxis(probs, -1, 1) if len(shape) > 1 else probs
    weight = rng.random(c) + 0.1 if weighted else None
    tw = None if weight is None else torch.tensor(weight)
    kwargs = dict(reduction=reduction, label_smoothing=smoothing)
    check(  # gradients for the scores and the probabilities both
        lambda x, p: F.cross_entropy(x, p, weight, **kwargs),
        lambda x, p: TF.cross_entropy(x, p, tw, **kwargs),
        rng.standard_normal(shape),
        probs,
    )


def test_cross_entropy_all_ignored_is_nan_with_zero_gradient():
    for smoothing in (0.0, 0.1):
        x = Tensor(RNG.standard_normal((3, 4)), requires_grad=True)
        loss = F.cross_entropy(x, [-100, -100, -100], label_smoothing=smoothing)
        assert np.isnan(loss.item())
        loss.backward()
        np.testing.assert_array_equal(x.grad, np.zeros((3, 4)))
    assert (
        F.cross_entropy(Tensor(np.zeros((2, 3))), [-1, -1], ignore_index=-1, reduction="sum").item()
        == 0
    )
    assert np.isnan(F.cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, np.int64)).item())


def test_cross_entropy_makemore_call_and_float32():
    """makemore: logits.view(-1, C) against targets.view(-1) with ignore_index=-1."""
    logits = RNG.standard_normal((4 * 6, 27)).astype(np.float32)
    targets = RNG.integers(0, 27, 4 * 6)
    targets[::5] = -1
    x = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, Tensor(targets), ignore_index=-1)
    loss.backward()
    assert loss.dtype == x.grad.dtype == np.float32
    t = torch.tensor(logits, requires_grad=True)
    ref = TF.cross_entropy(t, torch.from_numpy(targets), ignore_index=-1)
    ref.backward()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "shape, target, error, match",
    [
        ((2, 3), [0, 3], IndexError, r"target 3 is out of range for 3 classes.*ignore_index=-100"),
        ((2, 3), [-1, 0], IndexError, "target -1 is out of range"),
        ((2, 3), [0.0, 1.0], TypeError, "integer class indices"),
        ((2, 3), [True, False], TypeError, "integer class indices"),
        ((2, 3), [0, 1, 2], ValueError, r"target of shape \(3,\).*input of shape \(2, 3\).*\(2,\)"),
        ((2, 3, 4), [0, 1], ValueError, r"shape \(2,\).*\(2, 3, 4\).*\(2, 4\)"),
        ((3,), [0], ValueError, r"expected target shape \(\)"),
        ((), [0], ValueError, r"\(N, C, \.\.\.\)"),
        ((2, 0), [0, 0], ValueError, "no classes"),
    ],
)
def test_cross_entropy_bad_targets(shape, target, error, match):
    with pytest.raises(error, match=match):
        F.cross_entropy(Tensor(np.zeros(shape)), target)
    if error is not TypeError:
        with pytest.raises(error, match=match.replace("cross_entropy", "nll_loss")):
            F.nll_loss(Tensor(np.zeros(shape)), target)


def test_cross_entropy_bad_arguments():
    x, t = Tensor(np.zeros((2, 3))), [0, 1]
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        F.cross_entropy(x, t, reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0, got 1.5"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"weight of shape \(2,\) does not broadcast|\(3,\)"):
        F.cross_entropy(x, t, weight=Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="ignore_index is not supported for probability"):
        F.cross_entropy(x, np.full((2, 3), 1 / 3), ignore_index=0)


def test_legacy_size_average_and_reduce():
    x, t = RNG.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        with pytest.warns(UserWarning, match="size_average and reduce"):
            ours = F.cross_entropy(Tensor(x), t, None, size_average, -100, reduce)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = TF.cross_entropy(
                torch.tensor(x), torch.tensor(t), None, size_average, -100, reduce
            )
        np.testing.assert_allclose(ours.data, ref.numpy(), rtol=1e-12)


# --------------------------------------------------------------------- pointwise losses


@given(
    shape=shapes(max_dims=3),
    seed=st.integers(0, 2**32 - 1),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    weighted=st.booleans(),
)
@settings(max_examples=20)
def test_mse_and_l1_against_torch(shape, seed, reduction, weighted):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    w = rng.random(shape) if weighted else None
    tw = None if w is None else torch.tensor(w)
    for ours, theirs in ((F.mse_loss, TF.mse_loss), (F.l1_loss, TF.l1_loss)):
        check(
            lambda a, b: ours(a, b, reduction=reduction, weight=w),
            lambda a, b: theirs(a, b, reduction=reduction, weight=tw),
            x,
            y,
        )


@given(
    shape=shapes(max_dims=3),
    seed=st.integers(0, 2**32 - 1),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    weighted=st.booleans(),
)
@settings(max_examples=20)
def test_binary_cross_entropy_against_torch(shape, seed, reduction, weighted):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.99, shape)
    y = rng.random(shape)
    w = rng.random(shape[-1:]) if weighted else None
    tw = None if w is None else torch.tensor(w)
    check(
        lambda a, b: F.binary_cross_entropy(a, b, w, reduction=reduction),
        lambda a, b: TF.binary_cross_entropy(a, b, tw, reduction=reduction),
        p,
        y,
    )


def test_binary_cross_entropy_at_0_and_1_is_clamped_as_pytorch():
    p, y = np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    check(
        lambda a: F.binary_cross_entropy(a, y),
        lambda a: TF.binary_cross_entropy(a, torch.tensor(y)),
        p,
        rtol=1e-12,
    )
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(Tensor([1.5, 0.5]), [1.0, 0.0])


@given(
    shape=shapes(max_dims=3),
    seed=st.integers(0, 2**32 - 1),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    weighted=st.booleans(),
    positive=st.booleans(),
)
@settings(max_examples=20)
def test_bce_with_logits_against_torch(shape, seed, reduction, weighted, positive):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape) * 10, rng.random(shape)
    w = rng.random(shape) if weighted else None
    pw = rng.random(shape[-1:]) * 3 if positive else None
    tw, tpw = (None if a is None else torch.tensor(a) for a in (w, pw))
    check(
        lambda a, b: F.binary_cross_entropy_with_logits(
            a, b, w, reduction=reduction, pos_weight=pw
        ),
        lambda a, b: TF.binary_cross_entropy_with_logits(
            a, b, tw, reduction=reduction, pos_weight=tpw
        ),
        x,
        y,
    )


def test_bce_with_logits_weight_must_broadcast():
    with pytest.raises(ValueError, match=r"pos_weight of shape \(3,\) does not broadcast"):
        F.binary_cross_entropy_with_logits(
            Tensor(np.zeros((2, 4))), np.ones((2, 4)), pos_weight=np.ones(3)
        )


# --------------------------------------------------------------------- activations


EXTREMES = np.array([-1e4, -40.0, -8.0, -1.0, -1e-8, 0.0, 1e-8, 0.5, 3.0, 8.0, 40.0, 1e4])


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (F.gelu, TF.gelu),
        (lambda t: F.gelu(t, approximate="tanh"), lambda t: TF.gelu(t, approximate="tanh")),
        (F.silu, TF.silu),
        (F.leaky_relu, TF.leaky_relu),
        (lambda t: F.leaky_relu(t, 0.2), lambda t: TF.leaky_relu(t, 0.2)),
        (F.elu, TF.elu),
        (lambda t: F.elu(t, alpha=0.5), lambda t: TF.elu(t, alpha=0.5)),
        (F.softplus, TF.softplus),
        (lambda t: F.softplus(t, beta=2, threshold=5), lambda t: TF.softplus(t, 2, 5)),
        (lambda t: F.softplus(t, beta=-1), lambda t: TF.softplus(t, -1)),
        (F.relu, TF.relu),
        (F.tanh, torch.tanh),
        (F.sigmoid, torch.sigmoid),
    ],
)
def test_activations_against_torch(ours, theirs):
    rng = np.random.default_rng(7)  # its own: the same inputs whichever tests ran before
    x = np.concatenate([rng.standard_normal(30) * 3, EXTREMES]).reshape(6, 7)
    with np.errstate(over="raise", invalid="raise"):
        check(ours, theirs, x, rtol=1e-12, atol=1e-14)
        check(ours, theirs, x[:, :3].T, rtol=1e-12, atol=1e-14)  # a non-contiguous input
    # float32 stays float32, to float32's accuracy: against the exact (float64) values of the
    # same float32 inputs, since PyTorch's float32 results carry their own rounding
    x = x.astype(np.float32)
    x32 = Tensor(x, requires_grad=True)
    out = ours(x32)
    out.backward(np.ones(out.shape, np.float32))
    assert out.dtype == x32.grad.dtype == np.float32
    t = _torch(x.astype(np.float64))
    ref = theirs(t)
    ref.sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(x32.grad, t.grad.numpy(), rtol=2e-5, atol=2e-6)


def test_gelu_left_tail_keeps_its_digits():
    """Phi(x) for x << 0 is computed directly, not as 1 + erf(x) (all digits cancelled)."""
    x = np.array([-10.0, -20.0, -30.0])
    expected = x * np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(F.gelu(Tensor(x)).data, expected, rtol=1e-12)


def test_gelu_float32_normal_cdf_is_float32_accurate():
    """The float32 Phi (Abramowitz & Stegun's erf, not SciPy) against SciPy's on a dense grid:
    within 3.1e-7 everywhere, and float32 gelu no further from the float64 truth, relative to
    |x|, than PyTorch's own float32 gelu is."""
    x = np.linspace(-20, 20, 400001, dtype=np.float32)
    cdf, density = activations._ndtr_float32(x)
    reference = ndtr(x.astype(np.float64))
    assert cdf.dtype == density.dtype == np.float32
    assert np.abs(cdf - reference).max() < 3.1e-7
    assert np.all((cdf >= 0) & (cdf <= 1))
    expected = np.exp(-(x.astype(np.float64) ** 2) / 2)
    np.testing.assert_allclose(density, expected, rtol=1e-5, atol=1e-40)
    x64, away = x.astype(np.float64), np.abs(x) > 1e-3
    truth = x64 * reference
    ours = F.gelu(Tensor(x)).numpy().astype(np.float64)
    theirs = TF.gelu(torch.from_numpy(x)).numpy().astype(np.float64)
    ours_err = (np.abs(ours - truth)[away] / np.abs(x64[away])).max()
    theirs_err = (np.abs(theirs - truth)[away] / np.abs(x64[away])).max()
    assert ours_err <= theirs_err


def test_gelu_float32_far_from_zero_warns_nothing():
    """x^2 overflows float32 past 1.8e19: the density is then exp(-inf) = 0, no warning."""
    values = [-1e30, -30.0, -6.0, 6.0, 30.0, 1e30]
    x = Tensor(np.array(values, np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.gelu(x)
        out.sum().backward()
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    expected = TF.gelu(t)
    expected.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), expected.detach(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="'none' or 'tanh', got 'fast'"):
        F.gelu(Tensor([1.0]), approximate="fast")


# --------------------------------------------------------------------- dropout


def test_dropout_masks_and_scales(monkeypatch):
    x = Tensor(RNG.standard_normal((200, 50)), requires_grad=True)
    assert F.dropout(x, 0.3, training=False) is x and F.dropout(x, 0.0) is x
    out = F.dropout(x, 0.3)
    kept = out.detach().numpy() != 0
    assert 0.65 < kept.mean() < 0.75
    np.testing.assert_allclose(out.data[kept], x.data[kept] / 0.7, rtol=1e-12)
    out.backward(np.ones(x.shape))
    np.testing.assert_allclose(x.grad, kept / 0.7, rtol=1e-12)
    zeros = F.dropout(x, 1.0)
    assert not zeros.data.any()
    x32 = Tensor(np.ones((3, 3), np.float32), requires_grad=True)
    assert F.dropout(x32, 0.5).dtype == np.float32
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
            F.dropout(x, p)


# --------------------------------------------------------------------- embedding, one_hot


@pytest.mark.parametrize("one_hot_limit", [nn_sparse._ONE_HOT_LIMIT, 0])  # both gradient paths
@given(
    seed=st.integers(0, 2**32 - 1),
    index_shape=shapes(min_dims=0, max_dims=3),
    num=st.integers(1, 8),
    padding=st.sampled_from([None, 0, -1, 2]),
    by_freq=st.booleans(),
)
@settings(max_examples=30)
def test_embedding_against_torch(one_hot_limit, seed, index_shape, num, padding, by_freq):
    nn_sparse._ONE_HOT_LIMIT, saved = one_hot_limit, nn_sparse._ONE_HOT_LIMIT
    try:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, num, index_shape)
        padding = None if padding is None or padding >= num else padding
        check(
            lambda w: F.embedding(Tensor(idx), w, padding, scale_grad_by_freq=by_freq),
            lambda w: TF.embedding(torch.from_numpy(idx), w, padding, scale_grad_by_freq=by_freq),
            rng.standard_normal((num, 3)),
        )
    finally:
        nn_sparse._ONE_HOT_LIMIT = saved


def test_embedding_max_norm_renormalizes_rows_in_place_as_pytorch():
    w = RNG.standard_normal((5, 4)) * 3
    idx = np.array([[0, 2], [2, 4]])
    ours, ref = Tensor(w.copy(), requires_grad=True), _torch(w.copy())
    out = F.embedding(idx, ours, max_norm=1.5, norm_type=1.0)
    with torch.no_grad():
        ref_out = TF.embedding(torch.from_numpy(idx), ref, max_norm=1.5, norm_type=1.0)
    np.testing.assert_allclose(out.data, ref_out.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.data, ref.detach().numpy(), rtol=1e-12)


def test_embedding_bad_input():
    w = Tensor(np.zeros((3, 2)))
    with pytest.raises(
        IndexError, match=r"embedding index 3 is out of range for a weight of 3 rows"
    ):
        F.embedding([0, 3], w)
    with pytest.raises(IndexError, match="index -1"):
        F.embedding(Tensor([-1]), w)
    with pytest.raises(TypeError, match="integer indices, got dtype float32"):
        F.embedding(Tensor([0.0]), w)
    with pytest.raises(ValueError, match=r"\(num_embeddings, embedding_dim\), got \(3,\)"):
        F.embedding([0], Tensor(np.zeros(3)))


def test_embedding_keeps_float32_and_is_one_node():
    w = Tensor(RNG.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    out = F.embedding(np.array([[1, 1, 3]]), w)
    assert out._prev == (w,) and out.dtype == np.float32
    out.sum().backward()
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad[:, 0], [0, 2, 0, 1])


@pytest.mark.parametrize("num_classes", [-1, 6])
def test_one_hot_against_torch(num_classes):
    idx = RNG.integers(0, 4, (3, 5))
    ours = F.one_hot(Tensor(idx), num_classes)
    ref = TF.one_hot(torch.from_numpy(idx), num_classes)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours.data, ref.numpy())


def test_one_hot_bad_input():
    with pytest.raises(ValueError, match="smaller than num_classes=3, got 5"):
        F.one_hot(Tensor([5]), 3)
    with pytest.raises(ValueError, match="non-negative, got -1"):
        F.one_hot(Tensor([-1]), 3)
    with pytest.raises(TypeError, match="integer indices"):
        F.one_hot(Tensor([1.0]))
    with pytest.raises(ValueError, match="empty"):
        F.one_hot(np.zeros(0, np.int64))


# --------------------------------------------------------------------- normalization


@given(shape=shapes(max_dims=4), data=st.data(), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20)
def test_layer_norm_against_torch(shape, data, seed):
    rng = np.random.default_rng(seed)
    k = data.draw(st.integers(1, len(shape)))
    normalized = shape[len(shape) - k :]
    affine = data.draw(st.sampled_from(["none", "weight", "bias", "both"]))
    arrays = [rng.standard_normal(shape) * 3 + 1]
    if affine in ("weight", "both"):
        arrays.append(rng.standard_normal(normalized))
    if affine in ("bias", "both"):
        arrays.append(rng.standard_normal(normalized))

    def call(f, x, *wb):
        w = wb[0] if affine in ("weight", "both") else None
        b = wb[-1] if affine in ("bias", "both") else None
        return f(x, normalized, w, b, 1e-5)

    check(
        lambda *a: call(F.layer_norm, *a),
        lambda *a: call(TF.layer_norm, *a),
        *arrays,
        rtol=1e-9,
        atol=1e-10,
    )


@given(
    shape=st.sampled_from([(4, 3), (2, 3), (3, 2, 4), (2, 3, 2, 2)]),
    seed=st.integers(0, 2**32 - 1),
    training=st.booleans(),
    affine=st.booleans(),
    momentum=st.sampled_from([0.1, 0.5]),
)
@settings(max_examples=20)
def test_batch_norm_against_torch(shape, seed, training, affine, momentum):
    rng = np.random.default_rng(seed)
    c = shape[1]
    mean, var = rng.standard_normal(c), rng.random(c) + 0.5
    ours_stats = [Tensor(mean.copy()), Tensor(var.copy())]
    ref_stats = [torch.tensor(mean.copy()), torch.tensor(var.copy())]
    arrays = [rng.standard_normal(shape) * 2 + 1]
    if affine:
        arrays += [rng.standard_normal(c), rng.standard_normal(c)]

    def call(f, stats, x, w=None, b=None):
        return f(x, *stats, w, b, training, momentum, 1e-5)

    check(
        lambda *a: call(F.batch_norm, ours_stats, *a),
        lambda *a: call(TF.batch_norm, ref_stats, *a),
        *arrays,
        rtol=1e-9,
        atol=1e-10,
    )
    for ours, ref in zip(ours_stats, ref_stats):  # updated in place only while training
        np.testing.assert_allclose(ours.data, ref.numpy(), rtol=1e-12)


def test_batch_norm_without_running_stats_and_errors():
    x = RNG.standard_normal((5, 3))
    check(
        lambda t: F.batch_norm(t, None, None, training=True),
        lambda t: TF.batch_norm(t, None, None, training=True),
        x,
        rtol=1e-9,
    )
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        F.batch_norm(Tensor(np.zeros((1, 3))), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean and running_var in evaluation"):
        F.batch_norm(Tensor(x), None, None)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\).*got \(4,\)"):
        F.batch_norm(Tensor(x), None, None, Tensor(np.ones(4)), training=True)


def test_layer_norm_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"normalized_shape=\[4\].*\(\*, 4\), got \(2, 3\)"):
        F.layer_norm(Tensor(np.zeros((2, 3))), [4])
    with pytest.raises(ValueError, match=r"weight must have shape.*\(3,\), got \(2,\)"):
        F.layer_norm(Tensor(np.zeros((2, 3))), 3, Tensor(np.ones(2)))


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_normalize_against_torch(p, dim):
    x = RNG.standard_normal((3, 4, 2))
    x[0, 0] = 0.0  # a zero vector along dim -1: clamped by eps
    check(lambda t: F.normalize(t, p, dim), lambda t: TF.normalize(t, p, dim), x, rtol=1e-9)


# --------------------------------------------------------------------- attention


@given(
    seed=st.integers(0, 2**32 - 1),
    lead=st.sampled_from([(), (2,), (2, 3)]),
    sizes=st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.integers(1, 4)),
    mask_kind=st.sampled_from(["none", "bool", "float", "causal", "grad"]),
    scale=st.sampled_from([None, 0.3]),
)
@settings(max_examples=20)
def test_scaled_dot_product_attention_against_torch(seed, lead, sizes, mask_kind, scale):
    rng = np.random.default_rng(seed)
    L, S, E, Ev = sizes
    arrays = [rng.standard_normal((*lead, L, E)), rng.standard_normal((*lead, S, E))]
    arrays.append(rng.standard_normal((*lead, S, Ev)))
    mask = None
    if mask_kind == "bool":
        mask = rng.random((L, S)) < 0.7  # rows with no key at all included
    elif mask_kind in ("float", "grad"):
        mask = rng.standard_normal((L, S))
    if mask_kind == "grad":
        arrays.append(mask)
        ours = lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, m, scale=scale)  # noqa: E731
        theirs = lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, m, scale=scale)  # noqa: E731
    else:
        causal = mask_kind == "causal"
        tmask = None if mask is None else torch.tensor(mask)
        ours = lambda q, k, v: F.scaled_dot_product_attention(  # noqa: E731
            q, k, v, mask, is_causal=causal, scale=scale
        )
        theirs = lambda q, k, v: TF.scaled_dot_product_attention(  # noqa: E731
            q, k, v, tmask, is_causal=causal, scale=scale
        )
    check(ours, theirs, *arrays, rtol=1e-9, atol=1e-12)


def test_attention_dropout_matches_the_composite_with_the_same_mask(monkeypatch):
    q, k, v = (RNG.standard_normal((2, 4, 3)) for _ in range(3))
    draws = RNG.random((2, 4, 4)).astype(np.float32)
    # attention draws its dropout mask where it lives, in nn.functional.attention
    monkeypatch.setattr(functional_attention, "_uniform", lambda shape: draws)
    keep = torch.tensor(draws >= 0.25)

    def composite(q, k, v):
        att = (q @ k.transpose(-2, -1) / math.sqrt(3)).masked_fill(
            ~torch.ones(4, 4).tril().bool(), -math.inf
        )
        return (torch.softmax(att, -1) * keep / 0.75) @ v

    check(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, dropout_p=0.25, is_causal=True),
        composite,
        q,
        k,
        v,
    )


def test_attention_bad_input():
    q = Tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"query \(2, 3, 4\), key \(2, 3, 5\)"):
        F.scaled_dot_product_attention(q, Tensor(np.zeros((2, 3, 5))), q)
    with pytest.raises(ValueError, match="attn_mask or is_causal, not both"):
        F.scaled_dot_product_attention(q, q, q, np.ones((3, 3), bool), is_causal=True)
    with pytest.raises(
        ValueError, match=r"attn_mask of shape \(2, 2\) does not broadcast.*\(2, 3, 3\)"
    ):
        F.scaled_dot_product_attention(q, q, q, np.ones((2, 2), bool))
    with pytest.raises(TypeError, match="boolean or floating point, got dtype int64"):
        F.scaled_dot_product_attention(q, q, q, np.ones((3, 3), np.int64))


# --------------------------------------------------------------------- pad


@pytest.mark.parametrize(
    "shape, widths, mode",
    [
        ((2, 3), (1, 2), "constant"),
        ((2, 3, 4), (1, -1, 0, 2), "constant"),
        ((2, 3, 4), (-2, 1, 2, 0, 1, 1), "constant"),
        ((2, 5), (2, 3), "reflect"),
        ((2, 3, 4), (1, 2, 2, 1), "reflect"),
        ((2, 3), (2, 1), "replicate"),
        ((2, 3, 4), (1, 2, 3, 1), "replicate"),
        ((2, 4), (2, 3), "circular"),
        ((1, 2, 3, 4), (1, 2, 3, 1), "circular"),
    ],
)
def test_pad_against_torch(shape, widths, mode):
    x = RNG.standard_normal(shape)
    value = 0.5 if mode == "constant" else None
    check(lambda t: F.pad(t, widths, mode, value), lambda t: TF.pad(t, widths, mode, value), x)


def test_pad_bad_input():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="even length"):
        F.pad(x, (1,))
    with pytest.raises(ValueError, match="reflect padding must be smaller"):
        F.pad(x, (3, 0), "reflect")
    with pytest.raises(ValueError, match="mode must be"):
        F.pad(x, (1, 1), "mirror")


# ------------------------------------------------------- fused rules: finite differences


def _leaf(shape, scale=1.0, shift=0.0):
    return Tensor(RNG.standard_normal(shape) * scale + shift, requires_grad=True)


@pytest.mark.parametrize(
    "fn, shapes",
    [
        (lambda x, w, b: F.layer_norm(x, (3, 4), w, b), [(2, 3, 4), (3, 4), (3, 4)]),
        (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(5, 3, 2), (3,), (3,)]),
        (
            lambda x: F.cross_entropy(
                x, [1, -100, 2], weight=np.array([1.0, 2.0, 0.5]), label_smoothing=0.2
            ),
            [(3, 3)],
        ),
        (
            lambda x, p: F.cross_entropy(x, p.softmax(1), label_smoothing=0.1),
            [(2, 4, 3), (2, 4, 3)],
        ),
        (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), [(2, 3, 4)] * 3),
        (lambda x: F.gelu(x), [(4, 5)]),
        (lambda x: F.gelu(x, approximate="tanh"), [(4, 5)]),
        (lambda x: F.softplus(x, beta=0.5), [(4, 5)]),
        (lambda x: F.normalize(x, 3.0, dim=0), [(4, 5)]),
        (
            lambda x, y: F.binary_cross_entropy_with_logits(
                x, y.sigmoid(), pos_weight=np.array([2.0, 0.5])
            ),
            [(3, 2), (3, 2)],
        ),
        (lambda x: F.softmax(x, 0) * F.log_softmax(x, -1), [(3, 4)]),
    ],
)
def test_fused_rules_against_finite_differences(fn, shapes):
    assert gradcheck(fn, *[_leaf(s) for s in shapes])


# --------------------------------------------------------------------- graphs


def test_fused_ops_are_one_node_and_none_under_no_grad():
    x = _leaf((4, 6))
    w, b = _leaf((6,)), _leaf((6,))
    for out in (
        F.layer_norm(x, 6, w, b),
        F.gelu(x, "tanh"),
        F.softmax(x, 1),
        F.cross_entropy(x, [0, 1, 2, -100]),
    ):
        assert all(any(p is q for q in (x, w, b)) for p in out._prev)
    with no_grad():
        assert F.layer_norm(x, 6, w, b)._prev == ()
