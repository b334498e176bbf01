"""micrograd.nn.build (an MLP on either engine), nn.convert (scalar -> tensor) and
nn.scalar_losses (the losses on Values), against their tensor namesakes and PyTorch."""

import random

import numpy as np
import pytest
import torch

from micrograd import training
from micrograd.engine import Value
from micrograd.nn import MLP, scalar_losses
from micrograd.nn import functional as F
from micrograd.nn.build import build_mlp, seeded_random
from micrograd.nn.convert import tensor_copy
from micrograd.tensors import Tensor


def test_build_mlp_value_is_the_original_init_and_leaves_random_alone():
    random.seed(5)
    before = random.getstate()
    model = build_mlp("value", 2, [16, 16], 1, seed=1337)
    assert random.getstate() == before
    random.seed(1337)
    reference = MLP(2, [16, 16, 1])
    random.setstate(before)
    assert [p.data for p in model.parameters()] == [p.data for p in reference.parameters()]


def test_build_mlp_tensor_is_seeded():
    state = np.random.get_state()[1].copy()
    a = build_mlp("tensor", 3, [5], 2, activation="tanh", seed=7)
    b = build_mlp("tensor", 3, [5], 2, activation="tanh", seed=7)
    c = build_mlp("tensor", 3, [5], 2, activation="tanh", seed=8)
    assert (np.random.get_state()[1] == state).all()
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert not np.array_equal(a.parameters()[0].data, c.parameters()[0].data)
    assert [tuple(p.data.shape) for p in a.parameters()] == [(5, 3), (5,), (2, 5), (2,)]
    assert training.engine_of(a) == "tensor"


@pytest.mark.parametrize("bad", [dict(engine="torch"), dict(activation="gelu")])
def test_build_mlp_rejects(bad):
    kwargs = dict(engine="value", nin=2, hidden=[4], nout=1, activation="relu") | bad
    with pytest.raises(ValueError):
        build_mlp(**kwargs)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("nout", [1, 3])
def test_tensor_copy_computes_the_same_function(activation, nout):
    model = build_mlp("value", 2, [8, 6], nout, activation=activation, seed=3)
    for p in model.parameters():  # non-zero biases too
        p.data += 0.1
    copy = tensor_copy(model)
    X = np.random.default_rng(0).normal(size=(40, 2))
    np.testing.assert_allclose(
        training.scores(copy, X), training.scores(model, X), rtol=1e-12, atol=1e-12
    )
    assert training.engine_of(model) == "value"
    np.testing.assert_array_equal(training.predict(copy, X), training.predict(model, X))


def test_seeded_random_restores_the_state_even_on_error():
    random.seed(3)
    before = random.getstate()
    with pytest.raises(RuntimeError), seeded_random(11):
        raise RuntimeError
    assert random.getstate() == before
    with seeded_random(None):
        first = random.random()
    random.setstate(before)
    assert random.random() == first


def test_tensor_copy_rejects_other_models():
    with pytest.raises(TypeError, match="scalar nn.MLP"):
        tensor_copy(build_mlp("tensor", 2, [4], 1, seed=0))


# --------------------------------------------------------------------- scalar losses


def _rows(data):
    return [[Value(float(v)) for v in row] for row in data]


def test_scalar_cross_entropy_matches_the_tensor_one_and_torch():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=30, size=(6, 4))  # large: the max must be subtracted
    targets = rng.integers(0, 4, size=6)
    rows = _rows(logits)
    loss = scalar_losses.cross_entropy(rows, targets.tolist())
    loss.backward()
    t = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    ref.backward()
    ours_tensor = F.cross_entropy(Tensor(logits), targets)
    assert loss.data == pytest.approx(ref.item(), rel=1e-12)
    assert loss.data == pytest.approx(ours_tensor.item(), rel=1e-12)
    grads = np.array([[v.grad for v in row] for row in rows])
    np.testing.assert_allclose(grads, t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_scalar_hinge_loss_matches_the_tensor_one():
    rng = np.random.default_rng(1)
    s, y = rng.normal(size=7), rng.choice([-1.0, 1.0], size=7)
    scores = [Value(float(v)) for v in s]
    loss = scalar_losses.hinge_loss(scores, y.tolist())
    loss.backward()
    st = Tensor(s, requires_grad=True)
    ref = F.hinge_loss(st, Tensor(y))
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose([v.grad for v in scores], st.grad, rtol=1e-12)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: scalar_losses.hinge_loss([Value(1.0)], [1.0, -1.0]), "1 scores and 2 labels"),
        (lambda: scalar_losses.hinge_loss([], []), "empty"),
        (lambda: scalar_losses.cross_entropy(_rows([[1.0, 2.0]]), [2]), "out of range"),
        (lambda: scalar_losses.cross_entropy(_rows([[1.0, 2.0]]), []), "1 rows and 0 targets"),
        (lambda: scalar_losses.cross_entropy([], []), "empty"),
    ],
)
def test_scalar_losses_reject(call, match):
    with pytest.raises(ValueError, match=match):
        call()
