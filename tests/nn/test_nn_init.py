"""nn.init against torch.nn.init (fans, gains, the statistics of every fill) and nn.utils'
gradient clipping against torch.nn.utils, exactly."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd
import micrograd.nn as mnn
from micrograd import Value
from micrograd.nn import init
from micrograd.tensors import Tensor

F64 = torch.float64


def _empty(*shape: int, dtype=np.float64) -> Tensor:
    return Tensor(np.full(shape, np.nan, dtype=dtype))


# --------------------------------------------------------------------- fans and gains


@pytest.mark.parametrize("shape", [(2, 3), (4, 3, 5), (6, 2, 3, 3), (7, 1)])
def test_fans_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(_empty(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 5),
        ("selu", None),
    ],
)
def test_gains_match_torch(nonlinearity, param):
    ours = init.calculate_gain(nonlinearity, param)
    assert ours == torch.nn.init.calculate_gain(nonlinearity, param)


# --------------------------------------------------------------------- statistics


def _stats_close(ours: np.ndarray, ref: torch.Tensor, rel: float = 0.04) -> None:
    """Two samples of one distribution: same range, mean and spread, within sampling error."""
    ref = ref.numpy()
    spread = ref.std()
    assert abs(ours.mean() - ref.mean()) < 0.05 * spread + 1e-12
    assert ours.std() == pytest.approx(spread, rel=rel)
    quantiles = [0.01, 0.1, 0.5, 0.9, 0.99]
    np.testing.assert_allclose(
        np.quantile(ours, quantiles), np.quantile(ref, quantiles), atol=0.06 * spread
    )


FILLS = [
    ("uniform_", dict(a=-0.5, b=2.0)),
    ("normal_", dict(mean=1.0, std=0.02)),
    ("trunc_normal_", dict(std=1.0)),  # most of the mass inside: redrawn normals
    ("trunc_normal_", dict(mean=0.0, std=1.0, a=1.5, b=3.0)),  # a tail: uniform proposals
    ("xavier_uniform_", dict(gain=2.0)),
    ("xavier_normal_", dict()),
    ("kaiming_uniform_", dict(a=math.sqrt(5))),  # Linear's default
    ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_", dict()),
    ("kaiming_normal_", dict(mode="fan_out", nonlinearity="tanh")),
    ("orthogonal_", dict(gain=1.5)),
]


@pytest.mark.parametrize(("name", "kwargs"), FILLS, ids=[f"{n}-{k}" for n, k in FILLS])
def test_fills_have_torchs_distribution(name, kwargs):
    gen = np.random.default_rng(0)
    ours = _empty(300, 200)
    assert getattr(init, name)(ours, **kwargs, generator=gen) is ours
    torch.manual_seed(0)
    ref = getattr(torch.nn.init, name)(torch.empty(300, 200, dtype=F64), **kwargs)
    _stats_close(ours.data, ref)
    if name == "trunc_normal_" or name.endswith("uniform_"):  # bounded: the same bounds
        lo, hi = ref.min().item(), ref.max().item()
        assert lo - 0.01 * (hi - lo) <= ours.data.min() and ours.data.max() <= hi + 0.01 * (hi - lo)
    if name == "trunc_normal_":
        assert kwargs.get("a", -2.0) <= ours.data.min() and ours.data.max() <= kwargs.get("b", 2.0)


def test_uniform_bounds_are_torchs_exactly():
    """kaiming_uniform_ with a = sqrt(5) (Linear's init) fills U(-1/sqrt(fan_in), ...)."""
    w = init.kaiming_uniform_(_empty(2000, 50), a=math.sqrt(5), generator=np.random.default_rng(1))
    bound = 1 / math.sqrt(50)
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.999 * bound
    x = init.xavier_uniform_(_empty(400, 600), generator=np.random.default_rng(1))
    bound = math.sqrt(6 / 1000)
    assert np.abs(x.data).max() <= bound and np.abs(x.data).max() > 0.999 * bound


def test_orthogonal_rows_and_columns():
    wide = init.orthogonal_(_empty(3, 7), generator=np.random.default_rng(2)).data
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-12)
    tall = init.orthogonal_(_empty(7, 2, 2), generator=np.random.default_rng(2)).data
    flat = tall.reshape(7, 4)
    np.testing.assert_allclose(flat.T @ flat, np.eye(4), atol=1e-12)


def test_constant_fills_and_no_graph():
    p = mnn.Parameter(Tensor(np.empty((3, 3))))
    assert init.zeros_(p) is p and not p.data.any()
    assert init.ones_(p).data.sum() == 9 and init.constant_(p, 0.5).data.mean() == 0.5
    np.testing.assert_array_equal(init.eye_(p).data, np.eye(3))
    assert p.requires_grad and p._prev == () and p.grad is None
    f32 = init.normal_(_empty(4, dtype=np.float32))
    assert f32.data.dtype == np.float32


def test_draws_are_reproducible():
    a = init.normal_(_empty(5), generator=np.random.default_rng(3))
    b = init.normal_(_empty(5), generator=np.random.default_rng(3))
    np.testing.assert_array_equal(a.data, b.data)
    micrograd.manual_seed(4)
    c = init.uniform_(_empty(5))
    micrograd.manual_seed(4)
    np.testing.assert_array_equal(c.data, init.uniform_(_empty(5)).data)
    # micrograd's generators: the same numbers as the Tensor methods draw from them
    for fill, method in ((init.uniform_, "uniform_"), (init.normal_, "normal_")):
        ours = fill(_empty(4, 3), 0.5, 2.0, generator=micrograd.Generator().manual_seed(5))
        theirs = getattr(_empty(4, 3), method)(
            0.5, 2.0, generator=micrograd.Generator().manual_seed(5)
        )
        np.testing.assert_array_equal(ours.data, theirs.data)
    micrograd.manual_seed(6)
    a = mnn.Linear(3, 4)
    micrograd.manual_seed(6)
    np.testing.assert_array_equal(a.weight.data, mnn.Linear(3, 4).weight.data)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: init.normal_(np.zeros(3)), TypeError, "expects a Tensor, got ndarray"),
        (lambda: init.ones_(Tensor([1, 2])), TypeError, "floating-point tensors"),
        (lambda: init.kaiming_uniform_(_empty(3)), ValueError, "fewer than 2 dimensions"),
        (lambda: init.kaiming_normal_(_empty(3, 3), mode="fan"), ValueError, "Mode 'fan'"),
        (lambda: init.calculate_gain("swish"), ValueError, "Unsupported nonlinearity 'swish'"),
        (lambda: init.calculate_gain("leaky_relu", True), ValueError, "not a valid number"),
        (lambda: init.uniform_(_empty(2), generator=7), TypeError, "generator"),
        (lambda: init.eye_(_empty(2, 2, 2)), ValueError, "2-D"),
    ],
)
def test_init_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_zero_element_kaiming_warns_as_torch():
    with pytest.warns(UserWarning, match="no-op"):
        init.kaiming_uniform_(_empty(0, 3))


# --------------------------------------------------------------------- clip_grad_norm_


def _params_with_grads(shapes, rng, dtype=np.float64):
    ours, ref = [], []
    for shape in shapes:
        grad = np.asarray(rng.normal(size=shape) * rng.uniform(0.1, 10), dtype=dtype)
        p = mnn.Parameter(Tensor(np.zeros(shape, dtype)))
        p.grad = Tensor(grad.copy())
        r = torch.zeros(shape, dtype=torch.from_numpy(grad).dtype, requires_grad=True)
        r.grad = torch.tensor(grad)
        ours.append(p)
        ref.append(r)
    return ours, ref


@settings(max_examples=30, deadline=None)
@given(
    norm_type=st.sampled_from([2.0, 1.0, math.inf, 3.0, 0.5]),
    max_norm=st.floats(0.01, 100),
    seed=st.integers(0, 2**32 - 1),
)
def test_clip_grad_norm_matches_torch(norm_type, max_norm, seed):
    rng = np.random.default_rng(seed)
    ours, ref = _params_with_grads([(3, 4), (4,), (), (2, 3, 2)], rng)
    total = mnn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    ref_total = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type)
    assert isinstance(total, Tensor) and total.shape == () and total.dtype == np.float64
    np.testing.assert_allclose(total.item(), ref_total.item(), rtol=1e-14)
    for p, r in zip(ours, ref):
        np.testing.assert_allclose(p.grad, r.grad.numpy(), rtol=1e-14, atol=1e-300)


def test_clip_grad_norm_edge_cases():
    rng = np.random.default_rng(0)
    ours, ref = _params_with_grads([(5,)], rng, dtype=np.float32)
    total = mnn.utils.clip_grad_norm_(iter(ours), 0.5)  # any iterable, float32 stays float32
    ref_total = torch.nn.utils.clip_grad_norm_(ref, 0.5)
    assert total.dtype == np.float32 and ours[0].grad.dtype == np.float32
    np.testing.assert_allclose(total.item(), ref_total.item(), rtol=1e-6)
    np.testing.assert_allclose(ours[0].grad, ref[0].grad.numpy(), rtol=1e-6)

    no_grad = mnn.Parameter(Tensor(np.ones(2)))  # skipped
    assert mnn.utils.clip_grad_norm_([no_grad], 1.0).item() == 0.0
    assert mnn.utils.clip_grad_norm_(mnn.Linear(2, 2).parameters(), 1.0).item() == 0.0
    single, _ = _params_with_grads([(3,)], rng)
    unchanged = single[0].grad.clone()
    big = mnn.utils.clip_grad_norm_(single[0], 1e9)  # a lone tensor; under the limit
    np.testing.assert_allclose(single[0].grad, unchanged, rtol=1e-15)
    assert big.item() == pytest.approx(np.linalg.norm(unchanged), rel=1e-15)

    bad, _ = _params_with_grads([(2,)], rng)
    bad[0].grad[0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        mnn.utils.clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match="Tensors or Values, got ndarray"):
        mnn.utils.clip_grad_norm_([np.ones(2)], 1.0)
    with pytest.raises(TypeError, match="iterable of parameters, got float"):
        mnn.utils.clip_grad_norm_(1.0, 1.0)


def test_clip_grad_norm_on_scalar_values():
    random.seed(0)
    model = mnn.MLP(2, [3, 1])
    model([1.0, -2.0]).backward()
    grads = np.array([p.grad for p in model.parameters()])
    ref = torch.zeros(len(grads), dtype=F64, requires_grad=True)
    ref.grad = torch.tensor(grads)
    total = mnn.utils.clip_grad_norm_(model.parameters(), 0.1)
    np.testing.assert_allclose(
        total.item(), torch.nn.utils.clip_grad_norm_([ref], 0.1).item(), rtol=1e-14
    )
    np.testing.assert_allclose([p.grad for p in model.parameters()], ref.grad.numpy(), rtol=1e-14)
    assert all(type(p.grad) is float for p in model.parameters())


def test_clip_grad_value_matches_torch():
    rng = np.random.default_rng(1)
    ours, ref = _params_with_grads([(4, 5), (3,)], rng)
    v = Value(0.0)
    v.grad = -7.0
    assert mnn.utils.clip_grad_value_(ours + [v], 0.8) is None
    torch.nn.utils.clip_grad_value_(ref, 0.8)
    for p, r in zip(ours, ref):
        np.testing.assert_array_equal(p.grad, r.grad.numpy())
    assert v.grad == -0.8


def test_parameters_to_vector_and_back_match_torch():
    model = mnn.Sequential(mnn.Linear(3, 2), mnn.Linear(2, 1))
    ref = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1)).double()
    ref.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    vec = mnn.utils.parameters_to_vector(model.parameters())
    ref_vec = torch.nn.utils.parameters_to_vector(ref.parameters())
    np.testing.assert_array_equal(vec.data, ref_vec.detach().numpy())
    (vec * vec).sum().backward()  # differentiable, as PyTorch's
    np.testing.assert_array_equal(model[0].weight.grad, 2 * model[0].weight.data)

    new = Tensor(np.arange(vec.shape[0], dtype=np.float64))
    mnn.utils.vector_to_parameters(new, model.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new.data), ref.parameters())
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, ref.state_dict()[name].numpy())
    with pytest.raises(ValueError, match="has 3 elements, the parameters 11"):
        mnn.utils.vector_to_parameters(Tensor(np.zeros(3)), model.parameters())
