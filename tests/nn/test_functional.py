"""micrograd.nn.functional against torch.nn.functional, float64: values and gradients."""

from __future__ import annotations

import itertools

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import micrograd
import micrograd.nn.functional as F
from micrograd import Tensor
from micrograd.tensors import VJPS

RNG = np.random.default_rng(99)


def check(ours, theirs, *arrays, rtol=1e-10, atol=1e-12):
    """ours(*Tensors) and theirs(*torch tensors): same value, same gradient for every input."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, ref = ours(*xs), theirs(*ts)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=rtol, atol=atol)


# --------------------------------------------------------------------- linear


@given(
    lead=st.lists(st.integers(1, 4), max_size=2),  # x of shape (in,), (n, in) or (b, n, in)
    nin=st.integers(1, 5),
    nout=st.integers(1, 5),
    bias=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_hypothesis_linear_against_torch(lead, nin, nout, bias, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((*lead, nin)), rng.standard_normal((nout, nin))]
    if bias:
        check(F.linear, TF.linear, *arrays, rng.standard_normal(nout))
    else:
        check(F.linear, TF.linear, *arrays)


def test_linear_is_one_node():
    x, w, b = (
        Tensor(np.ones((2, 3))),
        Tensor(np.ones((4, 3)), requires_grad=True),
        Tensor(np.ones(4), requires_grad=True),
    )
    out = F.linear(x, w, b)
    assert out._op == "linear" and out._prev == (x, w, b)
    assert F.linear(x, w)._prev == (x, w)
    with micrograd.no_grad():
        assert F.linear(x, w, b)._prev == ()


@pytest.mark.parametrize("needs_grad", list(itertools.product([False, True], repeat=3)))
def test_linear_computes_only_the_gradients_that_are_needed(needs_grad, monkeypatch):
    """An operand without requires_grad gets no grad, and its rule is never run."""
    arrays = [RNG.standard_normal((5, 3)), RNG.standard_normal((2, 3)), RNG.standard_normal(2)]
    xs = [Tensor(a, requires_grad=r) for a, r in zip(arrays, needs_grad)]
    ts = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, needs_grad)]
    calls = []

    def spy(i, rule):
        return lambda *args: calls.append(i) or rule(*args)

    monkeypatch.setitem(VJPS, "linear", tuple(spy(i, r) for i, r in enumerate(VJPS["linear"])))
    out = F.linear(*xs)
    assert out.requires_grad == any(needs_grad)
    if not any(needs_grad):
        return
    upstream = RNG.standard_normal((5, 2))
    out.backward(upstream)
    TF.linear(*ts).backward(torch.tensor(upstream))
    assert sorted(calls) == [i for i, r in enumerate(needs_grad) if r]
    for x, t in zip(xs, ts):
        if t.grad is None:
            assert x.grad is None
        else:
            np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 4, 3)])
def test_linear_keeps_float32(shape, bias):
    x = Tensor(RNG.standard_normal(shape).astype(np.float32), requires_grad=True)
    w = Tensor(RNG.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(RNG.standard_normal(2).astype(np.float32), requires_grad=True) if bias else None
    out = F.linear(x, w, b)
    assert out.dtype == np.float32 and out.shape == (*shape[:-1], 2)
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == np.float32
    assert b is None or b.grad.dtype == np.float32


def test_linear_with_mixed_dtypes_promotes_like_the_composite():
    x = Tensor(RNG.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    w, b = (
        Tensor(RNG.standard_normal((2, 3)), requires_grad=True),
        Tensor(RNG.standard_normal(2), requires_grad=True),
    )
    out = F.linear(x, w, b)
    assert out.dtype == np.float64  # as x @ w.T + b would be
    np.testing.assert_allclose(out.data, x.data @ w.data.T + b.data, rtol=1e-12)
    out.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == b.grad.dtype == np.float64


def test_linear_of_an_empty_batch():
    x, w, b = (
        Tensor(np.zeros((0, 3))),
        Tensor(np.ones((2, 3)), requires_grad=True),
        Tensor(np.ones(2), requires_grad=True),
    )
    out = F.linear(x, w, b)
    assert out.shape == (0, 2)
    out.backward(np.zeros((0, 2)))
    np.testing.assert_array_equal(w.grad, np.zeros((2, 3)))
    np.testing.assert_array_equal(b.grad, np.zeros(2))


@pytest.mark.parametrize(
    "x, w, b, error, match",
    [
        (
            np.ones((4, 2)),
            np.ones((5, 3)),
            None,
            ValueError,
            r"\(5, 3\).*\(\.\.\., 3\), got \(4, 2\)",
        ),
        (np.ones(2), np.ones((5, 3)), None, ValueError, r"\(\.\.\., 3\), got \(2,\)"),
        (np.float64(1.0), np.ones((5, 3)), None, ValueError, r"got \(\)"),
        (np.ones((4, 3)), np.ones(3), None, ValueError, r"weight must have shape \(out, in\)"),
        (np.ones((4, 3)), np.ones((1, 5, 3)), None, ValueError, r"got \(1, 5, 3\)"),
        (np.ones((4, 3)), np.ones((5, 3)), np.ones(3), ValueError, r"bias must have shape \(5,\)"),
        (np.ones((4, 3)), np.ones((5, 3)), np.ones((1, 5)), ValueError, r"got \(1, 5\)"),
    ],
)
def test_linear_shape_mismatch_names_the_shapes(x, w, b, error, match):
    with pytest.raises(error, match=match):
        F.linear(Tensor(x), Tensor(w), None if b is None else Tensor(b))


def test_linear_needs_tensors():
    x, w = Tensor(np.ones((4, 3))), Tensor(np.ones((5, 3)))
    with pytest.raises(TypeError, match="expects a Tensor input, got ndarray; wrap it"):
        F.linear(np.ones((4, 3)), w)
    with pytest.raises(TypeError, match="linear weight must be a Tensor, got list"):
        F.linear(x, [[1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match="linear bias must be a Tensor, got ndarray"):
        F.linear(x, w, np.ones(5))


# --------------------------------------------------------------------- activations


@pytest.mark.parametrize(
    "ours, theirs",
    [(F.relu, torch.relu), (F.tanh, torch.tanh), (F.sigmoid, torch.sigmoid)],
)
def test_activations(ours, theirs):
    check(ours, theirs, RNG.standard_normal((4, 5)))


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax(axis):
    x = RNG.standard_normal((3, 4)) * 3
    check(lambda t: F.softmax(t, axis), lambda t: TF.softmax(t, dim=axis), x)
    check(lambda t: F.log_softmax(t, axis), lambda t: TF.log_softmax(t, dim=axis), x)


def test_softmax_of_3d_and_huge_logits():
    x = RNG.standard_normal((2, 3, 4))
    x[0, 0] = [1000.0, -1000.0, 0.0, 999.0]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        check(lambda t: F.softmax(t, 1), lambda t: TF.softmax(t, dim=1), x)
        check(lambda t: F.log_softmax(t, -1), lambda t: TF.log_softmax(t, dim=-1), x)


def test_softmax_rows_sum_to_one():
    p = F.softmax(Tensor(RNG.standard_normal((5, 7)) * 50), dim=1)
    np.testing.assert_allclose(p.data.sum(axis=-1), np.ones(5))


# --------------------------------------------------------------------- cross-entropy


def test_cross_entropy_against_torch():
    logits = RNG.standard_normal((6, 4)) * 2
    targets = np.array([0, 3, 3, 1, 2, 0])
    check(
        lambda t: F.cross_entropy(t, targets),
        lambda t: TF.cross_entropy(t, torch.from_numpy(targets)),
        logits,
    )


def test_cross_entropy_is_stable_for_logits_of_1000():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0], [0.0, 0.0, -1000.0]])
    targets = np.array([1, 2, 2])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        check(
            lambda t: F.cross_entropy(t, targets),
            lambda t: TF.cross_entropy(t, torch.from_numpy(targets)),
            logits,
        )
    loss = F.cross_entropy(Tensor(logits), targets)
    assert np.isfinite(loss.item()) and loss.item() > 600


@pytest.mark.parametrize(
    "targets",
    [[1, 0], np.array([1, 0], dtype=np.int32), np.array([1, 0], dtype=np.uint8), None],
    ids=["list", "int32", "uint8", "tensor"],
)
def test_cross_entropy_target_kinds(targets):
    if targets is None:
        targets = Tensor(np.array([1, 0]))
    logits = Tensor([[0.0, 1.0], [2.0, 0.0]], requires_grad=True)
    loss = F.cross_entropy(logits, targets)
    expected = -np.mean([np.log(np.e / (1 + np.e)), np.log(np.e**2 / (1 + np.e**2))])
    assert loss.shape == () and loss.item() == pytest.approx(expected)
    loss.backward()
    assert logits.grad.shape == (2, 2)


def test_cross_entropy_keeps_float32():
    logits = Tensor(RNG.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([0, 1, 2, 0]))
    loss.backward()
    assert loss.dtype == np.float32 and logits.grad.dtype == np.float32


@pytest.mark.parametrize(
    "logits, targets, error, match",
    [
        (np.zeros((2, 3)), [0, 3], IndexError, "target 3 is out of range for 3 classes"),
        (np.zeros((2, 3)), [-1, 0], IndexError, "target -1 is out of range"),
        (np.zeros((2, 3)), [0.0, 1.0], TypeError, "integer class indices"),
        (np.zeros((2, 3)), np.array([0.5, 1.0]), TypeError, "integer class indices"),
        (np.zeros((2, 3)), [0, 1, 2], ValueError, r"shape \(2,\)"),
        (np.zeros((2, 3)), [[0], [1]], ValueError, r"shape \(2,\)"),
        (np.zeros(3), [0], ValueError, r"expected target shape \(\)"),
        (np.zeros((2, 3, 4)), [0, 1], ValueError, r"expected target shape \(2, 4\)"),
        (np.zeros((2, 3)), ["a", "b"], TypeError, "integer class indices"),
    ],
)
def test_cross_entropy_bad_targets(logits, targets, error, match):
    with pytest.raises(error, match=match):
        F.cross_entropy(Tensor(logits), targets)


def test_losses_need_a_tensor_input():
    with pytest.raises(TypeError, match="must be a Tensor"):
        F.cross_entropy(np.zeros((2, 2)), [0, 1])
    with pytest.raises(TypeError, match="must be a Tensor"):
        F.relu([1.0])


@given(
    st.integers(1, 6),
    st.integers(1, 5),
    st.data(),
)
def test_hypothesis_cross_entropy(n, c, data):
    logits = data.draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-50, 50, allow_nan=False)))
    targets = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    check(
        lambda t: F.cross_entropy(t, targets),
        lambda t: TF.cross_entropy(t, torch.from_numpy(targets)),
        logits,
        rtol=1e-9,
        atol=1e-9,
    )


# --------------------------------------------------------------------- other losses


def test_mse_loss_against_torch():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    check(F.mse_loss, TF.mse_loss, a, b)  # both input and target differentiable
    check(lambda t: F.mse_loss(t, b), lambda t: TF.mse_loss(t, torch.tensor(b)), a)


def test_bce_with_logits_against_torch():
    x = np.array([-1000.0, -30.0, -1.5, 0.0, 0.0, 0.7, 30.0, 1000.0])
    y = np.array([1.0, 0.0, 0.3, 1.0, 0.0, 1.0, 0.0, 1.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        check(
            lambda t: F.binary_cross_entropy_with_logits(t, y),
            lambda t: TF.binary_cross_entropy_with_logits(t, torch.tensor(y)),
            x,
        )
    check(
        F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        RNG.standard_normal((3, 2)),
        RNG.random((3, 2)),
    )


def test_hinge_loss_is_the_original_demos_max_margin_loss():
    scores, y = RNG.standard_normal(10), np.where(RNG.random(10) > 0.5, 1.0, -1.0)
    check(
        lambda s: F.hinge_loss(s, y),
        lambda s: torch.relu(1 - torch.tensor(y) * s).mean(),
        scores,
    )
    loss = F.hinge_loss(Tensor([2.0, 0.5, -0.5]), [1, 1, 1])
    assert loss.item() == pytest.approx((0 + 0.5 + 1.5) / 3)


@pytest.mark.parametrize(
    "loss",
    [F.mse_loss, F.binary_cross_entropy_with_logits, F.hinge_loss],
    ids=lambda f: f.__name__,
)
def test_losses_refuse_mismatched_shapes(loss):
    """(N, 1) against (N,) would broadcast to an (N, N) loss: a clear error instead."""
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(3, 1\)"):
        loss(Tensor(np.zeros((3, 1))), np.ones(3))
    with pytest.raises(TypeError, match="array of numbers"):
        loss(Tensor(np.zeros(2)), ["a", "b"])


def test_losses_are_0d_and_keep_float32():
    x = Tensor(RNG.standard_normal(5).astype(np.float32), requires_grad=True)
    y = np.sign(RNG.standard_normal(5))
    for loss in (F.mse_loss, F.binary_cross_entropy_with_logits, F.hinge_loss):
        value = loss(x, (y + 1) / 2 if loss is F.binary_cross_entropy_with_logits else y)
        assert value.shape == () and value.dtype == np.float32
        x.grad = None
        value.backward()
        assert x.grad.dtype == np.float32


def _hinge_reference(s, y):
    """The hinge loss as PyTorch users write it, a composite: mean(relu(1 - y * s))."""
    return torch.relu(1 - y * s).mean()


@pytest.mark.parametrize("shape", [(1,), (7,), (5, 1), (2, 3, 4)])
def test_hinge_loss_gradients_for_scores_and_labels(shape):
    """The fused rule's gradient w.r.t. both operands: -y [margin > 0] / n and -s [...] / n."""
    scores = RNG.standard_normal(shape) * 2
    check(F.hinge_loss, _hinge_reference, scores, np.where(RNG.random(shape) > 0.5, 1.0, -1.0))
    check(F.hinge_loss, _hinge_reference, scores, RNG.standard_normal(shape))  # real labels


@given(
    st.data(),
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
)
def test_hypothesis_hinge_loss(data, shape):
    """Values include exact ties (margin 0, e.g. s = y = 1), where both take the gradient 0."""
    values = st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]) | st.floats(-5, 5)
    scores = data.draw(hnp.arrays(np.float64, shape, elements=values))
    labels = data.draw(hnp.arrays(np.float64, shape, elements=values))
    check(F.hinge_loss, _hinge_reference, scores, labels, rtol=1e-12, atol=1e-14)


def test_hinge_loss_with_labels_that_need_no_grad():
    scores = Tensor(RNG.standard_normal(6), requires_grad=True)
    labels = Tensor(np.where(RNG.random(6) > 0.5, 1.0, -1.0))
    loss = F.hinge_loss(scores, labels)
    loss.backward()
    assert labels.grad is None and loss._prev == (scores, labels)
    ref = torch.tensor(scores.data, requires_grad=True)
    _hinge_reference(ref, torch.tensor(labels.data)).backward()
    np.testing.assert_allclose(scores.grad, ref.grad.numpy(), rtol=1e-12)


def test_hinge_loss_keeps_float32_for_both_operands():
    scores = Tensor(RNG.standard_normal((4, 1)).astype(np.float32), requires_grad=True)
    labels = Tensor(np.sign(RNG.standard_normal((4, 1))).astype(np.float32), requires_grad=True)
    loss = F.hinge_loss(scores, labels)
    loss.backward()
    assert loss.dtype == scores.grad.dtype == labels.grad.dtype == np.float32
    assert F.hinge_loss(scores, np.ones((4, 1))).dtype == np.float32  # float64 labels cast


@pytest.mark.parametrize(
    "scores, labels, error, match",
    [
        (np.zeros((3, 1)), Tensor(np.ones(3)), ValueError, r"shape \(3,\).*\(3, 1\)"),
        (np.zeros(3), Tensor(np.ones((3, 1))), ValueError, r"shape \(3, 1\).*\(3,\)"),
        (np.zeros((2, 3)), np.ones((3, 2)), ValueError, r"shape \(3, 2\).*\(2, 3\)"),
        (np.zeros(4), np.ones(1), ValueError, r"shape \(1,\).*\(4,\)"),  # no broadcasting
        (np.zeros(0), np.ones(0), ValueError, "empty"),
        (np.zeros(2), ["a", "b"], TypeError, "array of numbers"),
    ],
)
def test_hinge_loss_bad_shapes(scores, labels, error, match):
    with pytest.raises(error, match=match):
        F.hinge_loss(Tensor(scores), labels)
    with pytest.raises(TypeError, match="must be a Tensor"):
        F.hinge_loss(scores, labels)
