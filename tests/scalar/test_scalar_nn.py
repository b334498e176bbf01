"""The original micrograd's networks on scalar Values: API, reprs, forward and backward."""

from __future__ import annotations

import gc
import math
import random

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from micrograd.engine import Value
from micrograd.nn import MLP, Layer, Module, Neuron

TORCH_ACTIVATION = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


# ------------------------------------------------------------------------ the original's API


def test_neuron_attributes_and_initialisation() -> None:
    random.seed(0)
    n = Neuron(5)
    assert len(n.w) == 5 and all(isinstance(w, Value) for w in n.w)
    assert all(-1 <= w.data <= 1 for w in n.w)
    assert len({w.data for w in n.w}) == 5  # drawn at random, not a constant
    assert isinstance(n.b, Value) and n.b.data == 0.0
    assert n.parameters() == n.w + [n.b]
    assert n.nonlin is True


def test_weights_are_uniform_in_minus_one_one() -> None:
    random.seed(1)
    ws = [w.data for w in MLP(20, [20, 20]).parameters() if w.data != 0.0]
    assert min(ws) >= -1 and max(ws) <= 1
    assert min(ws) < -0.9 and max(ws) > 0.9  # spread over the whole interval
    assert abs(sum(ws) / len(ws)) < 0.1


def test_reprs_match_the_original() -> None:
    assert repr(Neuron(2)) == "ReLUNeuron(2)"
    assert repr(Neuron(3, nonlin=False)) == "LinearNeuron(3)"
    assert repr(Layer(2, 3)) == "Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)]"
    hidden = ", ".join(["ReLUNeuron(2)"] * 16)
    hidden2 = ", ".join(["ReLUNeuron(16)"] * 16)
    expected = f"MLP of [Layer of [{hidden}], Layer of [{hidden2}], Layer of [LinearNeuron(16)]]"
    assert repr(MLP(2, [16, 16, 1])) == expected


def test_layer_and_mlp_structure() -> None:
    layer = Layer(3, 4)
    assert len(layer.neurons) == 4 and all(isinstance(n, Neuron) for n in layer.neurons)
    assert layer.parameters() == [p for n in layer.neurons for p in n.parameters()]
    model = MLP(2, [16, 16, 1])
    assert len(model.layers) == 3
    assert [len(layer.neurons) for layer in model.layers] == [16, 16, 1]
    assert [n.nonlin for layer in model.layers for n in layer.neurons[:1]] == [True, True, False]
    assert model.parameters() == [p for layer in model.layers for p in layer.parameters()]
    # The original demo prints "number of parameters 337".
    assert len(model.parameters()) == 337
    assert len({id(p) for p in model.parameters()}) == 337
    assert isinstance(model, Module)


@given(
    nin=st.integers(1, 4),
    nouts=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    lecture=st.booleans(),
)
def test_named_parameters_agree_with_the_lectures_parameters(nin, nouts, lecture) -> None:
    """The lecture's explicit ``parameters()`` and Module's ``named_parameters()`` walk the
    same Values, the same objects in the same order, so an optimizer built from either,
    ``state_dict`` and ``zero_grad`` all see the one list."""
    model = MLP(nin, nouts, lecture=lecture)
    for module in (model, model.layers[-1], model.layers[0].neurons[0]):
        named = list(module.named_parameters())
        assert [id(p) for _, p in named] == [id(p) for p in module.parameters()]
        assert [name for name, _ in named] == list(module.state_dict())
    first = model.layers[0]
    names = [name for name, _ in model.named_parameters()][: nin + 1]
    assert names == [f"layers.0.neurons.0.w.{i}" for i in range(nin)] + ["layers.0.neurons.0.b"]
    assert first.neurons[0].w[0] is dict(model.named_parameters())["layers.0.neurons.0.w.0"]


def test_layer_of_one_returns_the_value_itself() -> None:
    x = [1.0, -2.0, 0.5]
    out = Layer(3, 1)(x)
    assert isinstance(out, Value)
    outs = Layer(3, 2)(x)
    assert isinstance(outs, list) and len(outs) == 2 and all(isinstance(o, Value) for o in outs)
    assert isinstance(MLP(3, [4, 1])(x), Value)
    assert isinstance(MLP(3, [4, 2])(x), list)


def test_inputs_may_be_floats_or_values() -> None:
    random.seed(2)
    model = MLP(3, [4, 1])
    xs = [0.5, -1.0, 2.0]
    assert model(xs).data == model([Value(x) for x in xs]).data


def test_zero_grad() -> None:
    model = MLP(3, [4, 4, 1])
    model([1.0, 2.0, 3.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    neuron = Neuron(2)
    neuron([1.0, 1.0]).backward()
    neuron.zero_grad()
    assert all(p.grad == 0.0 for p in neuron.parameters())


def test_hidden_layers_use_the_activation_the_last_is_linear() -> None:
    model = MLP(3, [4, 4, 1], activation="tanh")
    assert [n.nonlin for layer in model.layers for n in layer.neurons] == [True] * 8 + [False]
    assert len(model.parameters()) == 41


def test_unknown_activation_is_rejected() -> None:
    with pytest.raises(ValueError):
        MLP(3, [4, 1], activation="gelu")
    with pytest.raises(ValueError):
        Neuron(3, activation="softmax")


def test_lecture_option_on_neuron_layer_and_mlp() -> None:
    random.seed(4)
    neuron = Neuron(3, lecture=True)
    assert neuron.activation == "tanh" and neuron.nonlin and neuron.b.data != 0.0
    assert repr(neuron) == "TanhNeuron(3)"
    layer = Layer(3, 2, lecture=True)
    assert repr(layer) == "Layer of [TanhNeuron(3), TanhNeuron(3)]"
    assert all(-1 <= p.data <= 1 for p in layer.parameters())
    model = MLP(2, [3, 1], lecture=True)
    assert [n.nonlin for lay in model.layers for n in lay.neurons] == [True] * 4
    assert MLP(2, [3, 1], activation="tanh", lecture=True).layers[-1].neurons[0].nonlin
    with pytest.raises(ValueError, match="lecture=True is the lecture's tanh network"):
        MLP(2, [3, 1], activation="relu", lecture=True)
    # The original's defaults are unchanged: relu, the last layer linear, biases at 0.
    default = MLP(2, [3, 1])
    assert [n.activation for lay in default.layers for n in lay.neurons] == ["relu"] * 4
    assert not default.layers[-1].neurons[0].nonlin
    assert all(n.b.data == 0.0 for lay in default.layers for n in lay.neurons)


# ------------------------------------------------------------------------ against PyTorch


def _torch_params(model: MLP) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each layer's weights (nout x nin) and biases as PyTorch float64 leaves, copied from model."""
    return [
        (
            torch.tensor(
                [[wi.data for wi in n.w] for n in layer.neurons], dtype=torch.float64
            ).requires_grad_(),
            torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64).requires_grad_(),
        )
        for layer in model.layers
    ]


def _torch_forward(params, x: torch.Tensor, activation: str) -> torch.Tensor:
    """The MLP in PyTorch: hidden layers use ``activation``, the last is linear."""
    h = x
    for k, (w, b) in enumerate(params):
        h = w @ h + b
        if k < len(params) - 1:
            h = TORCH_ACTIVATION[activation](h)
    return h


def _param_grads(model: MLP, params) -> tuple[list[float], list[float]]:
    """Every parameter gradient, ours and PyTorch's, in the same order."""
    ours: list[float] = []
    theirs: list[float] = []
    for layer, (w, b) in zip(model.layers, params):
        ours += [wi.grad for n in layer.neurons for wi in n.w] + [n.b.grad for n in layer.neurons]
        theirs += w.grad.flatten().tolist() + b.grad.tolist()
    return ours, theirs


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@given(
    seed=st.integers(0, 2**32 - 1),
    xs=st.lists(st.floats(-3, 3, allow_nan=False), min_size=3, max_size=3),
    bias=st.floats(-1, 1, allow_nan=False),
)
def test_mlp_forward_and_every_gradient_match_torch(
    activation: str, seed: int, xs: list[float], bias: float
) -> None:
    random.seed(seed)
    model = MLP(3, [4, 5, 1], activation=activation)
    for p in model.parameters():
        if p.data == 0.0:  # give the biases a value too, so relu's kink is not hit at 0
            p.data = bias
    x = [Value(v) for v in xs]
    out = model(x)
    out.backward()

    tx = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    params = _torch_params(model)
    tout = _torch_forward(params, tx, activation)
    tout.sum().backward()

    assert math.isclose(out.data, tout.item(), rel_tol=1e-9, abs_tol=1e-12)
    np.testing.assert_allclose([v.grad for v in x], tx.grad.tolist(), rtol=1e-9, atol=1e-12)
    ours, theirs = _param_grads(model, params)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_original_demo_loss_matches_torch() -> None:
    """The original demo's step: max-margin loss averaged + 1e-4 L2, SGD, on a few moons."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=12, noise=0.1, random_state=1)
    y = y * 2 - 1
    random.seed(1337)
    model = MLP(2, [16, 16, 1])

    # Verbatim from the original demo.ipynb's loss() (batch_size=None).
    Xb, yb = X, y
    inputs = [list(map(Value, xrow)) for xrow in Xb]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
    acc = sum(accuracy) / len(accuracy)
    model.zero_grad()
    total_loss.backward()

    params = _torch_params(model)
    tscores = torch.cat([_torch_forward(params, row, "relu") for row in torch.tensor(X)])
    ty = torch.tensor(y, dtype=torch.float64)
    tdata = torch.relu(1 - ty * tscores).mean()
    treg = alpha * sum((w * w).sum() + (b * b).sum() for w, b in params)
    (tdata + treg).backward()

    assert math.isclose(total_loss.data, (tdata + treg).item(), rel_tol=1e-9)
    assert acc == ((ty > 0) == (tscores > 0)).double().mean().item()
    ours, theirs = _param_grads(model, params)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)

    # One SGD step as the demo takes it, then the loss is lower.
    learning_rate = 0.1
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
    new_total = sum(losses) * (1.0 / len(losses)) + alpha * sum(p * p for p in model.parameters())
    assert new_total.data < total_loss.data


def _train_and_drop() -> None:
    model = MLP(3, [4, 4, 1], activation="tanh")
    for _ in range(2):
        loss = sum((model(x) - 1.0) ** 2 for x in ([1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad


def test_dropped_model_and_graphs_are_freed_by_reference_counting() -> None:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = sum(1 for o in gc.get_objects() if type(o) is Value)
        _train_and_drop()
        leftover = sum(1 for o in gc.get_objects() if type(o) is Value) - before
        found = gc.collect()
    finally:
        if was_enabled:
            gc.enable()
    assert leftover == 0
    assert found == 0, f"the cyclic collector found {found} unreachable objects"
