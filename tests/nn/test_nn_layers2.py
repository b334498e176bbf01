"""The course's layers (Embedding, LayerNorm, BatchNorm1d, Dropout, GELU, Softmax, Flatten, ...)
against torch.nn in float64, from the same weights: outputs and every gradient; BatchNorm's
running statistics and Dropout's train/eval semantics; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd
import micrograd.nn as mnn
from micrograd.tensors import Tensor

F64 = torch.float64
pytestmark = pytest.mark.usefixtures("float64_default")  # layers made here are float64


def _load_into_torch(ours: mnn.Module, ref: torch.nn.Module) -> None:
    ref.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})


def _randomise(module: mnn.Module, rng: np.random.Generator) -> None:
    """Parameters away from their init (ones, zeros), so every gradient path is exercised."""
    for p in module.parameters():
        p.data[...] = rng.normal(size=p.shape)


def _compare(ours, ref, x: np.ndarray, rng, rtol=1e-12, atol=1e-13):
    """Forward on x, backward of a random linear function of the output: the output, the
    input's gradient (if float) and every parameter's gradient, by name."""
    floating = x.dtype.kind == "f"
    xt = Tensor(x, requires_grad=floating)
    xr = torch.tensor(x, requires_grad=floating)
    out, ref_out = ours(xt), ref(xr)
    assert out.shape == tuple(ref_out.shape)
    np.testing.assert_allclose(out.data, ref_out.detach().numpy(), rtol=rtol, atol=atol)
    upstream = rng.normal(size=out.shape)
    (out * Tensor(upstream)).sum().backward()
    (ref_out * torch.tensor(upstream)).sum().backward()
    if floating:
        np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=rtol, atol=atol)
    ref_params = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.grad, ref_params[name].grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )
    return out


# --------------------------------------------------------------------- Embedding


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(padding_idx):
    rng = np.random.default_rng(0)
    ours = mnn.Embedding(6, 4, padding_idx=padding_idx)
    ref = torch.nn.Embedding(6, 4, padding_idx=padding_idx, dtype=F64)
    assert ours.padding_idx == ref.padding_idx and repr(ours) == repr(ref)
    if padding_idx is not None:
        assert not ours.weight.data[padding_idx].any()  # the padding row starts at zero
    _load_into_torch(ours, ref)
    idx = rng.integers(0, 6, size=(3, 5))
    idx[0, :3] = [1, 1, ref.padding_idx or 0]  # repeats accumulate; the padding row gets none
    _compare(ours, ref, idx, rng)


def test_embedding_init_is_standard_normal():
    micrograd.manual_seed(0)
    w = mnn.Embedding(400, 50).weight.detach().numpy()
    assert abs(w.mean()) < 0.02 and w.std() == pytest.approx(1.0, rel=0.03)
    torch.manual_seed(0)
    assert torch.nn.Embedding(400, 50).weight.std().item() == pytest.approx(w.std(), rel=0.03)


def test_embedding_from_pretrained_shares_and_freezes():
    table = Tensor(np.arange(6.0).reshape(3, 2))
    emb = mnn.Embedding.from_pretrained(table)
    assert np.asarray(emb.weight) is np.asarray(table) and not emb.weight.requires_grad
    assert mnn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


# --------------------------------------------------------------------- LayerNorm


@settings(max_examples=15, deadline=None)
@given(
    shape=st.sampled_from([(5,), (2, 3, 4), (2, 6), (3, 2, 4, 5)]),
    trailing=st.integers(1, 2),
    affine=st.booleans(),
    bias=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_layer_norm_matches_torch(shape, trailing, affine, bias, seed):
    rng = np.random.default_rng(seed)
    normalized = shape[-trailing:] if trailing < len(shape) else shape[-1:]
    ours = mnn.LayerNorm(normalized, elementwise_affine=affine, bias=bias)
    ref = torch.nn.LayerNorm(normalized, elementwise_affine=affine, bias=bias, dtype=F64)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    _randomise(ours, rng)
    _load_into_torch(ours, ref)
    _compare(ours, ref, rng.normal(size=shape) * 3 + 1, rng)


# --------------------------------------------------------------------- BatchNorm1d


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
@pytest.mark.parametrize("momentum", [0.1, None, 0.5])
def test_batch_norm_training_running_stats_and_eval_match_torch(shape, momentum):
    rng = np.random.default_rng(1)
    ours = mnn.BatchNorm1d(3, momentum=momentum)
    ref = torch.nn.BatchNorm1d(3, momentum=momentum, dtype=F64)
    assert repr(ours) == repr(ref) and list(ours.state_dict()) == list(ref.state_dict())
    _randomise(ours, rng)
    _load_into_torch(ours, ref)
    for _ in range(3):  # train mode: batch statistics, running ones updated
        ours.zero_grad()
        ref.zero_grad()
        _compare(ours, ref, rng.normal(size=shape) * 2 + 0.5, rng)
    theirs = {k: v.numpy() for k, v in ref.state_dict().items()}
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value, theirs[name], rtol=1e-12, atol=1e-14, err_msg=name)
    assert int(ours.num_batches_tracked.data) == 3
    ours.eval()
    ref.eval()
    _compare(ours, ref, rng.normal(size=shape), rng)  # eval: the running statistics
    assert int(ours.num_batches_tracked.data) == 3  # evaluation does not count batches


@pytest.mark.parametrize(("affine", "track"), [(False, True), (True, False), (False, False)])
def test_batch_norm_without_affine_or_running_stats(affine, track):
    rng = np.random.default_rng(2)
    ours = mnn.BatchNorm1d(4, affine=affine, track_running_stats=track)
    ref = torch.nn.BatchNorm1d(4, affine=affine, track_running_stats=track, dtype=F64)
    assert list(ours.state_dict()) == list(ref.state_dict()) and repr(ours) == repr(ref)
    _load_into_torch(ours, ref)
    for module in (ours, ref):
        module.eval()  # without running statistics, evaluation uses the batch's
    _compare(ours, ref, rng.normal(size=(6, 4)), rng)


# --------------------------------------------------------------------- Dropout


@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 1.0])
def test_dropout_train_and_eval_semantics(p):
    micrograd.manual_seed(3)
    drop = mnn.Dropout(p)
    x = Tensor(np.random.default_rng(0).normal(size=(200, 50)) + 5, requires_grad=True)
    out = drop(x)
    kept = out.detach().numpy() != 0
    if p < 1:  # kept entries are scaled by 1 / (1 - p), the others are zero
        np.testing.assert_allclose(out.data[kept], x.data[kept] / (1 - p), rtol=1e-15)
    assert abs((~kept).mean() - p) < 0.02
    out.sum().backward()
    expected = np.where(kept, 1 / (1 - p) if p < 1 else 0.0, 0.0)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-15)
    drop.eval()
    np.testing.assert_array_equal(drop(x).data, x.data)
    assert repr(drop) == repr(torch.nn.Dropout(p))


# --------------------------------------------------------------------- activations, shapes


ACTIVATIONS = [
    lambda nn: nn.ReLU(),
    lambda nn: nn.Tanh(),
    lambda nn: nn.Sigmoid(),
    lambda nn: nn.Identity(54, unused=True),
    lambda nn: nn.GELU(),
    lambda nn: nn.GELU(approximate="tanh"),
    lambda nn: nn.Softmax(dim=1),
    lambda nn: nn.Softmax(dim=-1),
    lambda nn: nn.LogSoftmax(dim=0),
    lambda nn: nn.Flatten(),
    lambda nn: nn.Flatten(0, -2),
    lambda nn: nn.Flatten(start_dim=-2),
]


@pytest.mark.parametrize("make", ACTIVATIONS)
def test_parameterless_layers_match_torch(make):
    rng = np.random.default_rng(4)
    ours, ref = make(mnn), make(torch.nn)
    assert repr(ours) == repr(ref)
    _compare(ours, ref, rng.normal(size=(2, 3, 4)) * 3, rng)


def test_a_transformer_block_from_torch_weights_gives_torchs_outputs():
    """A makemore-style block (LayerNorm, Linear, GELU, Dropout in eval) in both libraries,
    ours loaded from torch's state dict: outputs and every gradient agree."""

    def block(nn):
        dtype = F64 if nn is torch.nn else None
        return nn.Sequential(
            nn.LayerNorm(8, dtype=dtype),
            nn.Linear(8, 32, dtype=dtype),
            nn.GELU(approximate="tanh"),
            nn.Linear(32, 8, dtype=dtype),
            nn.Dropout(0.2),
        )

    torch.manual_seed(0)
    ref, ours = block(torch.nn).eval(), block(mnn).eval()
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    rng = np.random.default_rng(5)
    _compare(ours, ref, rng.normal(size=(2, 5, 8)), rng)


# --------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: mnn.Embedding(5, 2, padding_idx=5), ValueError, "padding_idx 5 is out of range"),
        (lambda: mnn.Embedding(0, 2), ValueError, "num_embeddings must be a positive"),
        (lambda: mnn.Embedding(5, 2, sparse=True), ValueError, "sparse"),
        (lambda: mnn.LayerNorm((4, 0)), ValueError, "normalized_shape"),
        (lambda: mnn.BatchNorm1d(2.5), ValueError, "num_features"),
        (lambda: mnn.BatchNorm1d(3)(Tensor(np.ones(3))), ValueError, r"2-D \(N, C\).*\(3,\)"),
        (lambda: mnn.BatchNorm1d(3)(Tensor(np.ones((4, 2)))), ValueError, r"3 channels.*\(4, 2\)"),
        (lambda: mnn.BatchNorm1d(3)(np.ones((4, 3))), TypeError, "expects a Tensor"),
        (lambda: mnn.Dropout(1.5), ValueError, "between 0 and 1, but got 1.5"),
        (lambda: mnn.Dropout("0.1"), ValueError, "between 0 and 1"),
        (lambda: mnn.GELU(approximate="fast"), ValueError, "'none' or 'tanh'"),
        (lambda: mnn.Flatten()(np.ones((2, 2))), TypeError, "Flatten expects a Tensor"),
        (lambda: mnn.Linear(2, 2, dtype=np.int64), TypeError, "floating-point dtype"),
        (lambda: mnn.LayerNorm(3, device="mps"), RuntimeError, "'mps' is not available"),
    ],
)
def test_layer_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_float32_layers_keep_float32():
    for layer in (
        mnn.Linear(3, 2, dtype=np.float32),
        mnn.Embedding(4, 3, dtype=np.float32),
        mnn.LayerNorm(3, dtype=np.float32),
        mnn.BatchNorm1d(3, dtype=np.float32),
    ):
        for name, t in layer.state_dict().items():
            expected = np.int64 if name == "num_batches_tracked" else np.float32
            assert t.dtype == expected, (layer, name)


# --------------------------------------------------------------------- losses


def _class_targets(rng, shape, classes, ignore_index):
    t = rng.integers(0, classes, size=shape)
    if ignore_index == -1:
        t.flat[0] = -1  # an ignored entry
    return t


LOSSES = [
    (lambda nn, w: nn.CrossEntropyLoss(), "classes"),
    (lambda nn, w: nn.CrossEntropyLoss(ignore_index=-1, label_smoothing=0.1), "classes"),
    (lambda nn, w: nn.CrossEntropyLoss(weight=w, ignore_index=-1, reduction="sum"), "classes"),
    (lambda nn, w: nn.NLLLoss(weight=w, ignore_index=-1), "log_probs"),
    (lambda nn, w: nn.MSELoss(reduction="none"), "same"),
    (lambda nn, w: nn.L1Loss(), "same"),
    (lambda nn, w: nn.BCELoss(weight=w[:4]), "probs"),
    (lambda nn, w: nn.BCEWithLogitsLoss(pos_weight=w[:4], reduction="sum"), "binary"),
]


@pytest.mark.parametrize(("make", "kind"), LOSSES)
def test_loss_modules_match_torch(make, kind):
    rng = np.random.default_rng(6)
    w = rng.uniform(0.5, 2.0, size=5)
    ours, ref = make(mnn, Tensor(w)), make(torch.nn, torch.tensor(w))
    assert repr(ours) == repr(ref) and list(ours.state_dict()) == list(ref.state_dict())
    x = rng.normal(size=(6, 5)) if kind in ("classes", "log_probs") else rng.normal(size=(6, 4))
    if kind == "classes" or kind == "log_probs":
        target = _class_targets(rng, (6,), 5, ours.ignore_index)
    elif kind == "binary":
        target = rng.integers(0, 2, size=x.shape).astype(float)
    else:
        target = rng.uniform(size=x.shape)
    if kind == "log_probs":
        x = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    if kind == "probs":
        x = 1 / (1 + np.exp(-x))
    xt, xr = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref_out = ours(xt, Tensor(target)), ref(xr, torch.tensor(target))
    np.testing.assert_allclose(out.data, ref_out.detach().numpy(), rtol=1e-12, atol=1e-14)
    upstream = rng.normal(size=out.shape)
    (out * Tensor(upstream)).sum().backward()
    (ref_out * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_loss_reduction_is_checked_and_legacy_flags_read_as_torch():
    with pytest.raises(ValueError, match="reduction must be one of"):
        mnn.MSELoss(reduction="average")
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert mnn.L1Loss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        assert mnn.MSELoss(reduce=False).reduction == torch.nn.MSELoss(reduce=False).reduction
