"""The lecture's code, verbatim where it uses the library ("The spelled-out intro to neural networks
and backpropagation: building micrograd"). Expected numbers are the lecture's, or recomputed here
with math / PyTorch."""

from __future__ import annotations

import math
import random

import pytest
import torch

from micrograd.engine import Value
from micrograd.nn import MLP

# ------------------------------------------------------------------------ the labelled graph


def _lecture_graph():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return a, b, c, e, d, f, L


def test_labelled_graph_forward_and_manual_grads() -> None:
    a, b, c, e, d, f, L = _lecture_graph()
    assert L.data == -8.0
    assert [v.label for v in (a, b, c, e, d, f, L)] == ["a", "b", "c", "e", "d", "f", "L"]
    assert (e._op, d._op, L._op) == ("*", "+", "*")
    assert list(L._prev) == [d, f] and list(d._prev) == [e, c] and list(e._prev) == [a, b]

    # The lecture fills the grads in by hand first ...
    L.grad = 1.0
    f.grad = 4.0
    d.grad = -2.0
    c.grad = -2.0
    e.grad = -2.0
    a.grad = -2.0 * -3.0
    b.grad = -2.0 * 2.0
    manual = [v.grad for v in (a, b, c, e, d, f, L)]
    assert repr(a) == "Value(data=2.0, grad=6.0)"

    # ... then backward() must find the same numbers.
    a, b, c, e, d, f, L = _lecture_graph()
    L.backward()
    assert [v.grad for v in (a, b, c, e, d, f, L)] == manual

    # One step of "optimization": nudge the leaves along their gradient, L goes up.
    a.data += 0.01 * a.grad
    b.data += 0.01 * b.grad
    c.data += 0.01 * c.grad
    f.data += 0.01 * f.grad
    e = a * b
    d = e + c
    L = d * f
    assert L.data == pytest.approx(((2.0 + 0.06) * (-3.0 - 0.04) + 10.0 - 0.02) * (-2.0 + 0.04))
    assert L.data > -8.0


def test_lol_numerical_gradient() -> None:
    def lol():
        h = 0.001

        a = Value(2.0, label="a")
        b = Value(-3.0, label="b")
        c = Value(10.0, label="c")
        e = a * b
        e.label = "e"
        d = e + c
        d.label = "d"
        f = Value(-2.0, label="f")
        L = d * f
        L.label = "L"
        L1 = L.data

        a = Value(2.0 + h, label="a")
        b = Value(-3.0, label="b")
        c = Value(10.0, label="c")
        e = a * b
        e.label = "e"
        d = e + c
        d.label = "d"
        f = Value(-2.0, label="f")
        L = d * f
        L.label = "L"
        L2 = L.data

        return (L2 - L1) / h

    assert lol() == pytest.approx(6.0, rel=1e-9)  # dL/da = f * b = 6


# ------------------------------------------------------------------------ the neuron


def _neuron():
    # inputs x1,x2
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    # weights w1,w2
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    # bias of the neuron
    b = Value(6.8813735870195432, label="b")
    # x1*w1 + x2*w2 + b
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    return x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n


def _torch_neuron_grads() -> dict[str, float]:
    # The lecture's own check in PyTorch, in float64 from the start: the lecture's
    # torch.Tensor([6.8813735870195432]).double() rounds through float32 first.
    def t(x: float) -> torch.Tensor:
        return torch.tensor([x], dtype=torch.float64, requires_grad=True)

    x1, x2, w1, w2, b = t(2.0), t(0.0), t(-3.0), t(1.0), t(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    o = torch.tanh(n)
    o.backward()
    grads = {k: v.grad.item() for k, v in dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b).items()}
    grads["o"] = o.item()
    return grads


def _check_neuron_grads(o, x1, x2, w1, w2, b) -> None:
    assert round(o.data, 4) == 0.7071  # the lecture's value
    # The lecture's numbers ...
    assert x1.grad == pytest.approx(-1.5)
    assert w1.grad == pytest.approx(1.0)
    assert x2.grad == pytest.approx(0.5)
    assert w2.grad == pytest.approx(0.0)
    assert b.grad == pytest.approx(0.5)
    # ... and PyTorch's, to full precision.
    ref = _torch_neuron_grads()
    assert o.data == pytest.approx(ref["o"], rel=1e-12)
    for name, v in dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b).items():
        assert v.grad == pytest.approx(ref[name], rel=1e-9, abs=1e-12), name


def test_neuron_manual_backward_walk() -> None:
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n = _neuron()
    o = n.tanh()
    o.label = "o"

    o.grad = 1.0
    o._backward()
    n._backward()
    b._backward()
    x1w1x2w2._backward()
    x2w2._backward()
    x1w1._backward()

    assert n.grad == pytest.approx(1 - o.data**2)
    assert x1w1.grad == x2w2.grad == x1w1x2w2.grad == n.grad
    _check_neuron_grads(o, x1, x2, w1, w2, b)


def test_neuron_manual_topological_sort() -> None:
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n = _neuron()
    o = n.tanh()
    o.label = "o"

    topo = []
    visited = set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    assert len(topo) == 10
    assert topo[-1] is o

    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    _check_neuron_grads(o, x1, x2, w1, w2, b)


def test_neuron_backward() -> None:
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n = _neuron()
    o = n.tanh()
    o.label = "o"
    o.backward()
    assert o.grad == 1.0
    _check_neuron_grads(o, x1, x2, w1, w2, b)


def test_neuron_tanh_through_exp() -> None:
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n = _neuron()
    # ----
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    # ----
    o.label = "o"
    o.backward()
    _check_neuron_grads(o, x1, x2, w1, w2, b)
    assert o.data == pytest.approx(math.tanh(n.data), rel=1e-12)


def test_lecture_small_ops() -> None:
    a = Value(2.0)
    b = Value(4.0)
    assert (a + 1).data == 3.0
    assert (a * 2).data == 4.0
    assert (2 * a).data == 4.0
    assert a.exp().data == math.exp(2.0)
    assert (a / b).data == 0.5
    assert (a - b).data == -2.0


# ------------------------------------------------------------------------ the "a + a" bug


def test_a_plus_a() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    b.backward()
    assert b.data == 6.0
    assert a.grad == 2.0


def test_shared_leaf_accumulates() -> None:
    a = Value(-2.0, label="a")
    b = Value(3.0, label="b")
    d = a * b
    d.label = "d"
    e = a + b
    e.label = "e"
    f = d * e
    f.label = "f"

    f.backward()
    # f = (a*b)*(a+b): df/da = b*(a+b) + a*b, df/db = a*(a+b) + a*b
    assert f.data == (-2.0 * 3.0) * (-2.0 + 3.0)
    assert a.grad == 3.0 * (-2.0 + 3.0) + (-2.0 * 3.0)
    assert b.grad == -2.0 * (-2.0 + 3.0) + (-2.0 * 3.0)


def test_values_in_sets() -> None:
    a = Value(1.0)
    b = Value(1.0)
    visited = set()
    visited.add(a)
    visited.add(a)
    assert a in visited and b not in visited and len(visited) == 1


# ------------------------------------------------------------------------ the MLP

xs = [
    [2.0, 3.0, -1.0],
    [3.0, -1.0, 0.5],
    [0.5, 1.0, 1.0],
    [1.0, 1.0, -1.0],
]
ys = [1.0, -1.0, -1.0, 1.0]  # desired targets


def _train(n: MLP, steps: int = 20) -> list[float]:
    losses = []
    for k in range(steps):
        # forward pass
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))

        # backward pass
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()

        # update
        for p in n.parameters():
            p.data += -0.1 * p.grad

        losses.append(loss.data)
    return losses


def test_mlp_forward_and_parameter_count() -> None:
    x = [2.0, 3.0, -1.0]
    n = MLP(3, [4, 4, 1], activation="tanh")
    out = n(x)
    assert isinstance(out, Value)
    assert len(n.parameters()) == 41
    assert isinstance(n.layers[0].neurons[0].w[0], Value)
    assert n.layers[0].neurons[0].w[0].grad == 0.0  # the lecture inspects it after backward


@pytest.mark.parametrize("seed", range(6))
def test_mlp_training_loop_drives_the_loss_down(seed: int) -> None:
    random.seed(seed)
    n = MLP(3, [4, 4, 1], activation="tanh")
    losses = _train(n)
    assert losses[-1] < 0.05
    assert losses[-1] < losses[0] / 10
    ypred = [n(x) for x in xs]
    assert [1.0 if y.data > 0 else -1.0 for y in ypred] == ys


def test_mlp_training_matches_torch_step_by_step() -> None:
    random.seed(0)
    n = MLP(3, [4, 4, 1], activation="tanh")
    params = [
        (
            torch.tensor(
                [[w.data for w in neuron.w] for neuron in layer.neurons], dtype=torch.float64
            ).requires_grad_(),
            torch.tensor(
                [neuron.b.data for neuron in layer.neurons], dtype=torch.float64
            ).requires_grad_(),
        )
        for layer in n.layers
    ]
    X = torch.tensor(xs, dtype=torch.float64)
    Y = torch.tensor(ys, dtype=torch.float64)
    expected = []
    for _ in range(20):
        h = X
        for k, (w, b) in enumerate(params):
            h = h @ w.T + b
            if k < len(params) - 1:
                h = torch.tanh(h)
        loss = ((h.squeeze(1) - Y) ** 2).sum()
        for w, b in params:
            w.grad = b.grad = None
        loss.backward()
        with torch.no_grad():
            for w, b in params:
                w += -0.1 * w.grad
                b += -0.1 * b.grad
        expected.append(loss.item())
    assert _train(n) == pytest.approx(expected, rel=1e-8, abs=1e-12)


# ------------------------------------------------------------------- the lecture's network exactly

# The lecture's Neuron draws its nin weights and then its bias from uniform(-1, 1), and puts tanh
# on every neuron, the output too: MLP(..., lecture=True).


def test_lecture_network_draws_its_parameters_like_the_lecture() -> None:
    random.seed(7)
    n = MLP(3, [4, 4, 1], lecture=True)
    random.seed(7)
    drawn = [random.uniform(-1, 1) for _ in range(41)]  # per neuron: its weights, then its bias
    assert [p.data for p in n.parameters()] == drawn
    assert [len(layer.neurons) for layer in n.layers] == [4, 4, 1]
    assert all(
        neuron.nonlin and neuron.activation == "tanh" for lay in n.layers for neuron in lay.neurons
    )
    assert all(
        -1 <= neuron.b.data <= 1 and neuron.b.data != 0.0
        for lay in n.layers
        for neuron in lay.neurons
    )
    out = n([2.0, 3.0, -1.0])
    assert out._op == "tanh" and -1 < out.data < 1


def _train_lecture(n: MLP, steps: int, lr: float) -> list[float]:
    losses = []
    for _ in range(steps):
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -lr * p.grad
        losses.append(loss.data)
    return losses


def test_lecture_network_trains_like_torch_step_by_step() -> None:
    random.seed(3)
    n = MLP(3, [4, 4, 1], lecture=True)
    params = [
        (
            torch.tensor([[w.data for w in nr.w] for nr in layer.neurons], dtype=torch.float64),
            torch.tensor([nr.b.data for nr in layer.neurons], dtype=torch.float64),
        )
        for layer in n.layers
    ]
    for w, b in params:
        w.requires_grad_()
        b.requires_grad_()
    X, Y = torch.tensor(xs, dtype=torch.float64), torch.tensor(ys, dtype=torch.float64)
    expected = []
    for _ in range(20):
        h = X
        for w, b in params:
            h = torch.tanh(h @ w.T + b)  # tanh on every layer, the output too
        loss = ((h.squeeze(1) - Y) ** 2).sum()
        for w, b in params:
            w.grad = b.grad = None
        loss.backward()
        with torch.no_grad():
            for w, b in params:
                w += -0.05 * w.grad
                b += -0.05 * b.grad
        expected.append(loss.item())
    assert _train_lecture(n, 20, 0.05) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_lecture_training_drives_the_loss_below_a_hundredth_for_most_seeds() -> None:
    # At the lecture's lr 0.05 this network needs about 30 to 90 steps to get below 0.01 (the
    # lecture's notebook gets there by running its 20-step cell again); 20 steps are not enough
    # for any of these seeds, so the test gives it 100.
    below = []
    for seed in range(8):
        random.seed(seed)
        losses = _train_lecture(MLP(3, [4, 4, 1], lecture=True), 100, 0.05)
        assert losses[-1] < losses[0] / 10
        below.append(min(losses) < 0.01)
    assert sum(below) >= 7, below
