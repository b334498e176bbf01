"""micrograd.nn layers (Linear, Sequential, activations) and Module's state_dict, vs PyTorch."""

import random

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd
from micrograd import Value
from micrograd.nn import MLP, Linear, Module, Neuron, ReLU, Sequential, Sigmoid, Tanh
from micrograd.tensors import Tensor

F64 = torch.float64
pytestmark = pytest.mark.usefixtures("float64_default")  # layers made here are float64


def _torch_linear(layer: Linear) -> torch.nn.Linear:
    ref = torch.nn.Linear(
        layer.in_features, layer.out_features, bias=layer.bias is not None, dtype=F64
    )
    ref.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    return ref


# --------------------------------------------------------------------- Linear


def test_linear_shapes_and_names():
    layer = Linear(3, 5)
    assert layer.weight.shape == (5, 3) and layer.bias.shape == (5,)
    assert layer.weight.requires_grad and layer.bias.requires_grad
    assert layer.weight.data.dtype == np.float64
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.parameters() == [layer.weight, layer.bias]
    assert repr(layer) == "Linear(in_features=3, out_features=5, bias=True)"


def test_linear_without_bias():
    layer = Linear(4, 2, bias=False)
    assert layer.bias is None and layer.parameters() == [layer.weight]
    assert repr(layer) == "Linear(in_features=4, out_features=2, bias=False)"
    x = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_allclose(
        layer(Tensor(x)).data, _torch_linear(layer)(torch.tensor(x)).detach().numpy()
    )


@pytest.mark.parametrize("nin", [1, 4, 100])
def test_linear_init_is_pytorch_default(nin):
    """U(-1/sqrt(nin), 1/sqrt(nin)) for weight and bias, as torch.nn.Linear."""
    micrograd.manual_seed(0)
    layer = Linear(nin, 2000)
    bound = 1 / np.sqrt(nin)
    for p in (layer.weight.detach().numpy(), layer.bias.detach().numpy()):
        assert np.all(np.abs(p) <= bound)
        assert p.max() > 0.95 * bound and p.min() < -0.95 * bound  # fills the interval
        assert abs(p.mean()) < 0.1 * bound and p.std() == pytest.approx(bound / np.sqrt(3), rel=0.1)
    torch.manual_seed(0)
    ref = torch.nn.Linear(nin, 2000)
    assert ref.weight.abs().max().item() <= bound
    assert ref.weight.std().item() == pytest.approx(layer.weight.std().item(), rel=0.1)


def test_linear_init_is_reproducible():
    a = Linear(3, 4, generator=np.random.default_rng(7))
    b = Linear(3, 4, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    micrograd.manual_seed(1)
    c = Linear(3, 4)
    micrograd.manual_seed(1)
    d = Linear(3, 4)
    np.testing.assert_array_equal(c.bias.data, d.bias.data)
    assert not np.array_equal(a.weight.data, c.weight.data)


def test_linear_float32():
    layer = Linear(3, 2, dtype=np.float32)
    assert layer.weight.data.dtype == np.float32 and layer.bias.data.dtype == np.float32
    x = Tensor(np.ones((2, 4, 3), dtype=np.float32), requires_grad=True)
    out = layer(x)
    assert out.data.dtype == np.float32 and out.shape == (2, 4, 2)
    out.sum().backward()
    assert x.grad.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32


def test_linear_is_one_fused_node():
    """Linear calls F.linear: one node, not transpose + matmul + add."""
    layer, x = Linear(3, 2), Tensor(np.ones((4, 3)))
    out = layer(x)
    assert out._op == "linear" and out._prev == (x, layer.weight, layer.bias)
    assert Linear(3, 2, bias=False)(x)._prev[0] is x


@settings(max_examples=30)
@given(
    nin=st.integers(1, 6),
    nout=st.integers(1, 6),
    batch=st.lists(st.integers(1, 4), max_size=2),
    bias=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_linear_forward_and_gradients_match_torch(nin, nout, batch, bias, seed):
    rng = np.random.default_rng(seed)
    layer = Linear(nin, nout, bias=bias, generator=rng)
    ref = _torch_linear(layer)
    x = rng.normal(size=(*batch, nin))
    xt = Tensor(x, requires_grad=True)
    xr = torch.tensor(x, requires_grad=True)
    out, ref_out = layer(xt), ref(xr)
    assert out.shape == tuple(ref_out.shape)
    np.testing.assert_allclose(out.data, ref_out.detach().numpy(), rtol=1e-12, atol=1e-14)
    upstream = rng.normal(size=out.shape)
    (out * Tensor(upstream)).sum().backward()
    (ref_out * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.weight.grad, ref.weight.grad.numpy(), rtol=1e-12, atol=1e-14)
    if bias:
        np.testing.assert_allclose(layer.bias.grad, ref.bias.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Linear(0, 3), ValueError, "in_features must be a positive integer"),
        (lambda: Linear(3, -1), ValueError, "out_features must be a positive integer"),
        (lambda: Linear(2.5, 3), ValueError, "in_features"),
        (lambda: Linear(True, 3), ValueError, "in_features"),
        (lambda: Linear(2, 3, bias="no"), TypeError, "bias must be True or False"),
        (lambda: Linear(2, 3, generator=42), TypeError, "generator must be a micrograd.Generator"),
        (lambda: Linear(3, 2)(Tensor(np.ones((4, 2)))), ValueError, r"\(\.\.\., 3\).*\(4, 2\)"),
        (lambda: Linear(3, 2)(Tensor(1.0)), ValueError, r"got \(\)"),
        (lambda: Linear(3, 2)(np.ones(3)), TypeError, "expects a Tensor input, got ndarray"),
        (lambda: Linear(3, 2)([1.0, 2.0, 3.0]), TypeError, "got list"),
    ],
)
def test_linear_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


# --------------------------------------------------------------------- activations


@pytest.mark.parametrize(
    ("module", "ref"),
    [(ReLU(), torch.relu), (Tanh(), torch.tanh), (Sigmoid(), torch.sigmoid)],
    ids=["ReLU", "Tanh", "Sigmoid"],
)
def test_activation_modules_match_torch(module, ref):
    x = np.random.default_rng(0).normal(size=(3, 4)) * 3
    xt, xr = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref_out = module(xt), ref(xr)
    np.testing.assert_allclose(out.data, ref_out.detach().numpy(), rtol=1e-14, atol=1e-16)
    out.sum().backward()
    ref_out.sum().backward()
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert module.parameters() == [] and repr(module) == f"{type(module).__name__}()"
    value = module(Value(0.7))  # the scalar engine has the same methods
    assert isinstance(value, Value)
    assert value.data == pytest.approx(ref(torch.tensor(0.7, dtype=F64)).item(), rel=1e-14)


@pytest.mark.parametrize("module", [ReLU(), Tanh(), Sigmoid()])
def test_activation_rejects_non_tensors(module):
    with pytest.raises(TypeError, match=f"{type(module).__name__} expects a Tensor or a Value"):
        module(np.ones(3))


# --------------------------------------------------------------------- Sequential


def test_sequential_is_a_pytorch_like_container():
    a, r, b = Linear(2, 3), ReLU(), Linear(3, 1)
    model = Sequential(a, r, b)
    assert len(model) == 3 and list(model) == [a, r, b]
    assert model[0] is a and model[-1] is b and model[-3] is a
    head = model[:2]
    assert isinstance(head, Sequential) and list(head) == [a, r]
    assert model.append(Tanh()) is model and len(model) == 4
    assert model.parameters() == [a.weight, a.bias, b.weight, b.bias]
    x = Tensor(np.random.default_rng(0).normal(size=(5, 2)))
    np.testing.assert_allclose(model(x).data, np.tanh(b(r(a(x))).data))
    assert Sequential()(x) is x  # empty: the identity, as in PyTorch


def test_sequential_matches_torch_names_and_outputs():
    model = Sequential(Linear(4, 8), Tanh(), Sequential(Linear(8, 8), ReLU()), Linear(8, 3))
    ref = torch.nn.Sequential(
        torch.nn.Linear(4, 8, dtype=F64),
        torch.nn.Tanh(),
        torch.nn.Sequential(torch.nn.Linear(8, 8, dtype=F64), torch.nn.ReLU()),
        torch.nn.Linear(8, 3, dtype=F64),
    )
    assert list(model.state_dict()) == list(ref.state_dict())
    ref.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(6, 4))
    np.testing.assert_allclose(model(Tensor(x)).data, ref(torch.tensor(x)).detach().numpy())


def test_sequential_repr():
    model = Sequential(Linear(2, 4), ReLU(), Sequential(Linear(4, 1), Sigmoid()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=4, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=1, bias=True)\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        ")"
    )
    assert repr(Sequential()) == "Sequential()"


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Sequential(Linear(2, 2), "relu"), TypeError, "argument 1 must be a Module"),
        (lambda: Sequential([Linear(2, 2), ReLU()]), TypeError, r"Sequential\(\*modules\)"),
        (lambda: Sequential(np.tanh), TypeError, "must be a Module"),
        (lambda: Sequential(ReLU()).append(np.tanh), TypeError, "append must be a Module"),
        (lambda: Sequential(ReLU(), Tanh())[2], IndexError, "out of range"),
        (lambda: Sequential(ReLU(), Tanh())[-3], IndexError, "out of range"),
        (lambda: Sequential(ReLU())["0"], TypeError, "integers or slices"),
    ],
)
def test_sequential_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


# --------------------------------------------------------------------- Module


def test_parameters_order_is_stable_and_deduplicated():
    shared = Linear(3, 3)
    model = Sequential(shared, ReLU(), shared, Linear(3, 1))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "3.weight", "3.bias"]  # shared layer listed once
    assert model.parameters() == model.parameters()


def test_frozen_tensors_are_not_parameters():
    class Scaled(Module):
        def __init__(self):
            self.layer = Linear(2, 2)
            self.scale = Tensor(np.array([2.0, 3.0]))  # requires_grad=False: a constant

        def __call__(self, x):
            return self.layer(x) * self.scale

    model = Scaled()
    assert model.parameters() == [model.layer.weight, model.layer.bias]
    assert list(model.state_dict()) == ["layer.weight", "layer.bias"]


def test_zero_grad_semantics():
    random.seed(0)
    scalar = MLP(2, [3, 1])
    tensor = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    scalar([1.0, 2.0]).backward()
    tensor(Tensor(np.ones((4, 2)))).sum().backward()
    assert any(p.grad != 0 for p in scalar.parameters())
    assert all(p.grad is not None for p in tensor.parameters())
    scalar.zero_grad()
    tensor.zero_grad()
    assert all(p.grad == 0.0 for p in scalar.parameters())
    assert all(p.grad is None for p in tensor.parameters())


def test_state_dict_of_tensor_model_is_detached_tensors_sharing_memory():
    model = Sequential(Linear(2, 3, dtype=np.float32), ReLU(), Linear(3, 1, dtype=np.float32))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert state["0.weight"].shape == (3, 2) and state["0.weight"].dtype == np.float32
    assert all(type(v) is Tensor and not v.requires_grad for v in state.values())
    state["0.weight"][...] = 99  # as PyTorch's: the state dict views the model's tensors
    assert (model[0].weight == 99).all()


def test_state_dict_of_scalar_mlp():
    random.seed(0)
    model = MLP(2, [3, 1])
    state = model.state_dict()
    assert len(state) == len(model.parameters()) == 13
    assert list(state)[:4] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0",
    ]
    assert all(v.shape == () and v.dtype == np.float64 for v in state.values())
    assert [float(v) for v in state.values()] == [p.data for p in model.parameters()]


def test_load_state_dict_round_trip_and_in_place():
    src, dst = Sequential(Linear(3, 4), Tanh()), Sequential(Linear(3, 4), Tanh())
    weight = np.asarray(dst[0].weight)
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert np.asarray(dst[0].weight) is weight
    np.testing.assert_array_equal(weight, src[0].weight.data)

    random.seed(0)
    a = Neuron(3)
    random.seed(1)
    b = Neuron(3)
    b.load_state_dict(a.state_dict())
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    assert all(type(p.data) is float for p in b.parameters())


def test_load_state_dict_casts_into_the_parameter_dtype():
    model = Linear(2, 2, dtype=np.float32)
    model.load_state_dict({"weight": np.eye(2), "bias": np.array([1, 2])})  # float64, int64
    assert model.weight.data.dtype == np.float32
    np.testing.assert_array_equal(model.bias.data, [1.0, 2.0])


def test_load_state_dict_strict_errors_leave_the_module_unchanged():
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    before = model.state_dict()
    good = {k: v + 1 for k, v in before.items()}
    with pytest.raises(ValueError, match=r"missing keys \['2\.bias'\]"):
        model.load_state_dict({k: v for k, v in good.items() if k != "2.bias"})
    with pytest.raises(ValueError, match=r"unexpected keys \['extra'\]"):
        model.load_state_dict({**good, "extra": np.zeros(1)})
    with pytest.raises(ValueError, match=r"'2\.weight'\] has shape \(3,\).*shape \(1, 3\)"):
        model.load_state_dict({**good, "2.weight": np.zeros(3)})
    with pytest.raises(TypeError, match=r"'0\.bias'\] must hold real numbers.*dtype <U1"):
        model.load_state_dict({**good, "0.bias": np.array(["a", "b", "c"])})
    with pytest.raises(TypeError, match=r"'0\.bias'\] must hold real numbers.*bool"):
        model.load_state_dict({**good, "0.bias": np.ones(3, dtype=bool)})
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict(list(good.values()))
    after = model.state_dict()
    for name in before:  # every failure above was caught before anything changed
        np.testing.assert_array_equal(after[name], before[name])


def test_load_state_dict_non_strict():
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    new_bias = np.array([7.0])
    result = model.load_state_dict({"2.bias": new_bias, "other": np.ones(2)}, strict=False)
    assert result.missing_keys == ["0.weight", "0.bias", "2.weight"]
    assert result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(model[2].bias.data, new_bias)
    with pytest.raises(ValueError, match="shape"):  # shapes are checked even when not strict
        model.load_state_dict({"2.bias": np.ones(2)}, strict=False)


def test_scalar_value_state_must_be_0d():
    neuron = Neuron(2)
    state = neuron.state_dict()
    with pytest.raises(ValueError, match=r"'b'\] has shape \(1,\).*shape \(\)"):
        neuron.load_state_dict({**state, "b": np.array([1.0])})
    neuron.load_state_dict({**state, "b": 2.5})  # a plain number is a 0-d array
    assert neuron.b.data == 2.5
