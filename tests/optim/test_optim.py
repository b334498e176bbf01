"""micrograd.optim against torch.optim (float64): single updates, whole training runs, schedules.

Each optimizer is checked three ways: step by step on hand-set gradients (Value and Tensor
parameters, random hyper-parameters), in whole training runs of a small Linear/Sequential MLP
and of the scalar MLP from the same initial weights as a PyTorch model, and on every bad argument.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_moons

from micrograd import Value, optim
from micrograd.engine import paused_gc
from micrograd.nn import MLP, Linear, ReLU, Sequential, Tanh
from micrograd.optim import SGD, Adam, AdamW, CosineAnnealingLR, LambdaLR, LinearLR, StepLR
from micrograd.tensors import Tensor

F64 = torch.float64
# The runs are compared with PyTorch's in float64, to 1e-10: layers made here are float64.
pytestmark = pytest.mark.usefixtures("float64_default")

# (micrograd class, torch class, keyword arguments): every configuration the runs below cover.
CONFIGS = [
    (SGD, torch.optim.SGD, {"lr": 0.1}),
    (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}),
    (SGD, torch.optim.SGD, {"lr": 0.1, "weight_decay": 0.1}),
    (Adam, torch.optim.Adam, {"lr": 0.01}),
    (Adam, torch.optim.Adam, {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    (AdamW, torch.optim.AdamW, {"lr": 0.01}),
    (AdamW, torch.optim.AdamW, {"lr": 0.02, "betas": (0.7, 0.95), "weight_decay": 0.3}),
]
CONFIG_IDS = [f"{ours.__name__}-{i}" for i, (ours, _, _) in enumerate(CONFIGS)]


# --------------------------------------------------------------------- step by step


@pytest.mark.parametrize(("ours", "theirs", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_tensor_steps_match_torch(ours, theirs, kwargs):
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), ()]
    inits = [rng.normal(size=s) for s in shapes]
    mine = [Tensor(a.copy(), requires_grad=True) for a in inits]
    ref = [torch.tensor(a, requires_grad=True) for a in inits]
    opt, ref_opt = ours(mine, **kwargs), theirs(ref, **kwargs)
    for _ in range(8):
        grads = [rng.normal(size=s) for s in shapes]
        for p, q, g in zip(mine, ref, grads, strict=True):
            p.grad, q.grad = Tensor(g.copy()), torch.tensor(g, dtype=F64)
        opt.step()
        ref_opt.step()
        for p, q in zip(mine, ref, strict=True):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("ours", "theirs", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_value_steps_match_torch(ours, theirs, kwargs):
    rng = np.random.default_rng(1)
    inits = rng.normal(size=5)
    mine = [Value(x) for x in inits]
    ref = [torch.tensor(x, dtype=F64, requires_grad=True) for x in inits]
    opt, ref_opt = ours(mine, **kwargs), theirs(ref, **kwargs)
    for _ in range(8):
        for p, q, g in zip(mine, ref, rng.normal(size=5), strict=True):
            p.grad, q.grad = float(g), torch.tensor(g, dtype=F64)
        opt.step()
        ref_opt.step()
        for p, q in zip(mine, ref, strict=True):
            assert type(p.data) is float  # a Value's data stays a plain float
            assert p.data == pytest.approx(q.item(), rel=1e-13, abs=1e-15)


finite = st.floats(-10, 10, allow_nan=False)


@settings(max_examples=25)
@given(
    lr=st.floats(0, 1),
    momentum=st.floats(0, 0.99),
    weight_decay=st.floats(0, 0.5),
    nesterov=st.booleans(),
    grads=st.lists(st.lists(finite, min_size=3, max_size=3), min_size=1, max_size=5),
)
def test_sgd_matches_torch_for_any_hyperparameters(lr, momentum, weight_decay, nesterov, grads):
    nesterov = nesterov and momentum > 0
    kwargs = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay, "nesterov": nesterov}
    _check_against_torch(SGD, torch.optim.SGD, kwargs, grads)


@settings(max_examples=25)
@given(
    lr=st.floats(0, 1),
    beta1=st.floats(0, 0.99),
    beta2=st.floats(0, 0.9999),
    eps=st.floats(1e-10, 1e-2),
    weight_decay=st.floats(0, 0.5),
    decoupled=st.booleans(),
    grads=st.lists(st.lists(finite, min_size=3, max_size=3), min_size=1, max_size=5),
)
def test_adam_matches_torch_for_any_hyperparameters(
    lr, beta1, beta2, eps, weight_decay, decoupled, grads
):
    ours, theirs = (AdamW, torch.optim.AdamW) if decoupled else (Adam, torch.optim.Adam)
    kwargs = {"lr": lr, "betas": (beta1, beta2), "eps": eps, "weight_decay": weight_decay}
    _check_against_torch(ours, theirs, kwargs, grads)


def _check_against_torch(ours, theirs, kwargs, grads):
    init = np.array([0.5, -1.5, 2.0])
    p = Tensor(init.copy(), requires_grad=True)
    q = torch.tensor(init, requires_grad=True)
    opt, ref_opt = ours([p], **kwargs), theirs([q], **kwargs)
    for g in grads:
        p.grad, q.grad = Tensor(np.array(g)), torch.tensor(g, dtype=F64)
        opt.step()
        ref_opt.step()
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_float32_parameters_stay_float32_and_in_place():
    p = Tensor(np.ones(4, dtype=np.float32), requires_grad=True)
    array = np.asarray(p)
    for opt in (SGD([p], lr=0.1, momentum=0.9), Adam([p]), AdamW([p])):
        p.grad = Tensor(np.full(4, 0.5, dtype=np.float32))
        opt.step()
        assert np.asarray(p) is array and p.data.dtype == np.float32
    assert (p.data < 1).all()


def test_parameters_without_grad_are_skipped():
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    opt = Adam([a, b], lr=0.1)
    a.grad = Tensor(np.ones(2))
    opt.step()
    np.testing.assert_allclose(a.data, 0.9)
    np.testing.assert_array_equal(b.data, 1.0)  # b.grad is None: untouched, as in torch
    assert id(b) not in opt.state


def test_gradient_of_the_wrong_shape_is_an_error():
    p = _param()
    opt = SGD([p], lr=0.1)
    with pytest.raises(RuntimeError, match="gradient of size '\\[1\\]' to a tensor of size"):
        p.grad = Tensor(np.ones(1))  # as PyTorch: it would broadcast silently
    p.grad = Tensor(np.ones(2))
    p.data = Tensor(np.zeros(3))  # new data of another shape: the gradient no longer fits
    with pytest.raises(ValueError, match=r"shape \(3,\) has a gradient of shape \(2,\)"):
        opt.step()
    np.testing.assert_array_equal(p.data, 0.0)


def test_zero_grad():
    t = Tensor(np.ones(3), requires_grad=True)
    v = Value(1.0)
    opt = SGD([t, v], lr=0.1)
    t.grad, v.grad = Tensor(np.ones(3)), 2.0
    grad_array = t.grad
    opt.zero_grad(set_to_none=False)
    assert t.grad is grad_array and (t.grad == 0).all() and v.grad == 0.0
    t.grad, v.grad = Tensor(np.ones(3)), 2.0
    opt.zero_grad()
    assert t.grad is None and v.grad == 0.0


def test_optimizer_sees_a_generator_of_parameters():
    model = Sequential(Linear(2, 3), Tanh(), Linear(3, 1))
    opt = SGD((p for p in model.parameters()), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 4


# --------------------------------------------------------------------- whole training runs


def _torch_copy(model: Sequential) -> torch.nn.Sequential:
    """The same network in PyTorch, starting from the same weights (names line up)."""
    layers = []
    for m in model:
        if isinstance(m, Linear):
            layers.append(
                torch.nn.Linear(m.in_features, m.out_features, m.bias is not None, dtype=F64)
            )
        else:
            layers.append({ReLU: torch.nn.ReLU, Tanh: torch.nn.Tanh}[type(m)]())
    ref = torch.nn.Sequential(*layers)
    ref.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return ref


@pytest.mark.parametrize(("ours", "theirs", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_training_run_matches_torch(ours, theirs, kwargs):
    rng = np.random.default_rng(2)
    gen = np.random.default_rng(3)
    model = Sequential(Linear(3, 8, generator=gen), Tanh(), Linear(8, 8, generator=gen), ReLU())
    model.append(Linear(8, 2, generator=gen))
    ref = _torch_copy(model)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 2))
    opt, ref_opt = ours(model.parameters(), **kwargs), theirs(ref.parameters(), **kwargs)
    xt, yt = torch.tensor(x), torch.tensor(y)
    losses, ref_losses = [], []
    for _ in range(20):
        opt.zero_grad()
        loss = ((model(Tensor(x)) - Tensor(y)) ** 2).mean()
        loss.backward()
        opt.step()
        ref_opt.zero_grad()
        ref_loss = ((ref(xt) - yt) ** 2).mean()
        ref_loss.backward()
        ref_opt.step()
        losses.append(loss.item())
        ref_losses.append(ref_loss.item())
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-8, atol=1e-12)
    assert losses[-1] < losses[0]  # it trained
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value, ref.state_dict()[name].numpy(), rtol=1e-8, atol=1e-12)


def test_training_run_with_cosine_schedule_matches_torch():
    model = Sequential(Linear(2, 6, generator=np.random.default_rng(4)), ReLU())
    model.append(Linear(6, 1, generator=np.random.default_rng(5)))
    ref = _torch_copy(model)
    opt = Adam(model.parameters(), lr=0.05)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=0.05)
    schedule = CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    ref_schedule = torch.optim.lr_scheduler.CosineAnnealingLR(ref_opt, T_max=10, eta_min=0.001)
    x = np.random.default_rng(6).normal(size=(10, 2))
    y = np.sin(x.sum(axis=1, keepdims=True))
    for _ in range(15):
        opt.zero_grad()
        loss = ((model(Tensor(x)) - Tensor(y)) ** 2).mean()
        loss.backward()
        opt.step()
        schedule.step()
        ref_opt.zero_grad()
        ref_loss = ((ref(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
        ref_loss.backward()
        ref_opt.step()
        ref_schedule.step()
        assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-8)
        assert schedule.get_last_lr()[0] == pytest.approx(ref_schedule.get_last_lr()[0], rel=1e-12)


def _scalar_mlp_as_torch(model: MLP) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each layer of a scalar MLP as a (weight, bias) pair of torch leaves."""
    return [
        (
            torch.tensor(
                [[w.data for w in n.w] for n in layer.neurons], dtype=F64, requires_grad=True
            ),
            torch.tensor([n.b.data for n in layer.neurons], dtype=F64, requires_grad=True),
        )
        for layer in model.layers
    ]


@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    [
        (Adam, torch.optim.Adam, {"lr": 0.05}),
        (AdamW, torch.optim.AdamW, {"lr": 0.05, "weight_decay": 0.1}),
        (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ],
)
def test_scalar_mlp_trains_like_torch(ours, theirs, kwargs):
    """The lecture's network and data, on Value parameters, step for step with PyTorch."""
    import random

    random.seed(7)
    model = MLP(3, [4, 4, 1], activation="tanh")
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    layers = _scalar_mlp_as_torch(model)
    opt = ours(model.parameters(), **kwargs)
    ref_opt = theirs([t for pair in layers for t in pair], **kwargs)
    for _ in range(20):
        opt.zero_grad()
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys, strict=True))
        loss.backward()
        opt.step()
        ref_opt.zero_grad()
        h = torch.tensor(xs, dtype=F64)
        for i, (w, b) in enumerate(layers):
            h = h @ w.T + b
            h = torch.tanh(h) if i < len(layers) - 1 else h
        ref_loss = ((h[:, 0] - torch.tensor(ys, dtype=F64)) ** 2).sum()
        ref_loss.backward()
        ref_opt.step()
        assert loss.data == pytest.approx(ref_loss.item(), rel=1e-8, abs=1e-12)
    assert loss.data < 0.1


# --------------------------------------------------------------------- the original demo


def _demo_data():
    x, y = make_moons(n_samples=100, noise=0.1, random_state=0)
    return x, y * 2 - 1  # labels -1 / +1


def _demo_value_losses(model: MLP, x, y, steps: int, use_optim: bool) -> list[float]:
    """The original demo's loop: max-margin loss + 1e-4 L2, SGD with lr = 1 - 0.9 k / 100."""
    params = model.parameters()
    if use_optim:
        opt = SGD(params, lr=1.0)
        schedule = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
    losses = []
    for k in range(steps):
        with paused_gc():  # the graph has no cycles: spare the collector's walks
            scores = [model(list(map(Value, row))) for row in x]
            data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True))
            data_loss = data_loss * (1.0 / len(scores))
            total_loss = data_loss + 1e-4 * sum(p * p for p in params)
            model.zero_grad()
            total_loss.backward()
        if use_optim:
            opt.step()
            schedule.step()
        else:
            learning_rate = 1.0 - 0.9 * k / 100
            for p in params:
                p.data -= learning_rate * p.grad
        losses.append(total_loss.data)
    return losses


def _scalar_mlp_as_tensor_model(model: MLP) -> Sequential:
    """A Linear/ReLU Sequential holding exactly the scalar MLP's weights."""
    layers = []
    for i, layer in enumerate(model.layers):
        linear = Linear(len(layer.neurons[0].w), len(layer.neurons))
        linear.weight.data[...] = [[w.data for w in n.w] for n in layer.neurons]
        linear.bias.data[...] = [n.b.data for n in layer.neurons]
        layers += [linear, ReLU()] if i < len(model.layers) - 1 else [linear]
    return Sequential(*layers)


def test_original_demo_same_losses_on_value_and_tensor():
    import random

    random.seed(1337)
    x, y = _demo_data()
    steps = 20
    value_model = MLP(2, [16, 16, 1])
    tensor_model = _scalar_mlp_as_tensor_model(value_model)
    params = tensor_model.parameters()
    opt = SGD(params, lr=1.0)
    schedule = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
    xt, yt = Tensor(x), Tensor(y.astype(np.float64).reshape(-1, 1))
    tensor_losses = []
    for _ in range(steps):
        scores = tensor_model(xt)
        data_loss = (1 + -yt * scores).relu().mean()
        total_loss = data_loss + 1e-4 * sum((p * p).sum() for p in params)
        opt.zero_grad()
        total_loss.backward()
        opt.step()
        schedule.step()
        tensor_losses.append(total_loss.item())
    value_losses = _demo_value_losses(value_model, x, y, steps, use_optim=True)
    np.testing.assert_allclose(tensor_losses, value_losses, rtol=0, atol=1e-9)
    assert value_losses[-1] < 0.5 * value_losses[0]
    for linear, layer in zip(tensor_model[::2], value_model.layers, strict=True):
        weights = [[w.data for w in n.w] for n in layer.neurons]
        np.testing.assert_allclose(linear.weight.data, weights, rtol=0, atol=1e-9)


def test_optim_sgd_with_linear_lr_is_the_original_demo_loop():
    import random

    x, y = _demo_data()
    random.seed(3)
    by_hand = _demo_value_losses(MLP(2, [16, 16, 1]), x[:20], y[:20], 6, use_optim=False)
    random.seed(3)
    by_optim = _demo_value_losses(MLP(2, [16, 16, 1]), x[:20], y[:20], 6, use_optim=True)
    assert by_optim == by_hand  # same floating-point operations, so exactly equal


# --------------------------------------------------------------------- schedules


def test_linear_lr_is_the_original_demo_decay():
    opt = SGD([Value(0.0)], lr=1.0)
    schedule = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
    for k in range(120):
        expected = 1.0 - 0.9 * min(k, 100) / 100
        assert opt.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-15)
        schedule.step()


@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    [
        (LinearLR, torch.optim.lr_scheduler.LinearLR, {}),
        (LinearLR, torch.optim.lr_scheduler.LinearLR, {"start_factor": 0.2, "total_iters": 7}),
        (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR, {"T_max": 6}),
        (
            CosineAnnealingLR,
            torch.optim.lr_scheduler.CosineAnnealingLR,
            {"T_max": 5, "eta_min": 0.01},
        ),
    ],
)
def test_schedules_match_torch(ours, theirs, kwargs):
    opt = SGD([Value(0.0)], lr=0.3)
    ref_opt = torch.optim.SGD([torch.zeros(1, dtype=F64, requires_grad=True)], lr=0.3)
    schedule, ref_schedule = ours(opt, **kwargs), theirs(ref_opt, **kwargs)
    for _ in range(14):  # past total_iters / T_max
        assert schedule.get_last_lr()[0] == pytest.approx(ref_schedule.get_last_lr()[0], rel=1e-12)
        assert opt.param_groups[0]["lr"] == schedule.get_last_lr()[0]
        opt.step()
        ref_opt.step()
        schedule.step()
        ref_schedule.step()


def test_cosine_reaches_eta_min_at_t_max():
    opt = Adam([Value(0.0)], lr=0.5)
    schedule = CosineAnnealingLR(opt, T_max=4, eta_min=0.05)
    lrs = [schedule.get_last_lr()[0]]
    for _ in range(4):
        schedule.step()
        lrs.append(schedule.get_last_lr()[0])
    assert lrs[0] == 0.5 and lrs[-1] == pytest.approx(0.05, abs=1e-15)
    assert all(a > b for a, b in zip(lrs, lrs[1:]))


# --------------------------------------------------------------------- bad arguments


def _param():
    return Tensor(np.zeros(2), requires_grad=True)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: SGD([_param()], lr=-0.1), ValueError, "lr must be >= 0"),
        (lambda: SGD([_param()], lr=math.nan), ValueError, "lr must be finite"),
        (lambda: SGD([_param()], lr=math.inf), ValueError, "lr must be finite"),
        (lambda: SGD([_param()], lr="0.1"), TypeError, "lr must be a real number"),
        (lambda: SGD([_param()], lr=True), TypeError, "lr must be a real number"),
        (lambda: SGD([_param()], lr=None), TypeError, "lr must be a real number"),
        (lambda: SGD([_param()], lr=0.1, momentum=-0.5), ValueError, "momentum must be >= 0"),
        (lambda: SGD([_param()], lr=0.1, weight_decay=-1), ValueError, "weight_decay"),
        (lambda: SGD([_param()], lr=0.1, nesterov=True), ValueError, "nesterov"),
        (
            lambda: SGD([_param()], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
            ValueError,
            "nesterov",
        ),
        (lambda: SGD([_param()], lr=0.1, nesterov="yes"), TypeError, "nesterov"),
        (lambda: Adam([_param()], lr=-1e-3), ValueError, "lr must be >= 0"),
        (lambda: Adam([_param()], eps=-1e-8), ValueError, "eps must be >= 0"),
        (lambda: Adam([_param()], betas=(1.0, 0.999)), ValueError, r"betas\[0\]"),
        (lambda: Adam([_param()], betas=(0.9, -0.1)), ValueError, r"betas\[1\]"),
        (lambda: Adam([_param()], betas=0.9), TypeError, "betas must be a pair"),
        (lambda: Adam([_param()], betas=(0.9, 0.99, 0.9)), TypeError, "betas must be a pair"),
        (lambda: Adam([_param()], weight_decay=-0.01), ValueError, "weight_decay"),
        (lambda: AdamW([_param()], weight_decay=math.nan), ValueError, "weight_decay"),
        (lambda: AdamW([_param()], lr=-1), ValueError, "lr must be >= 0"),
        (lambda: SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda: Adam(iter([])), ValueError, "empty parameter list"),
        (lambda: SGD(_param(), lr=0.1), TypeError, "single Tensor"),
        (lambda: SGD(Value(1.0), lr=0.1), TypeError, "single Value"),
        (lambda: SGD(Linear(2, 2), lr=0.1), TypeError, r"model.parameters\(\)"),
        (lambda: SGD(None, lr=0.1), TypeError, "iterable"),
        (lambda: SGD(3.0, lr=0.1), TypeError, "iterable"),
        (lambda: SGD([_param(), 1.0], lr=0.1), TypeError, r"params\[1\] is a float"),
        (lambda: SGD([np.zeros(3)], lr=0.1), TypeError, r"params\[0\] is a ndarray"),
        (lambda: SGD([_param() * 2], lr=0.1), ValueError, "leaf"),
    ],
)
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_duplicate_parameters_rejected():
    p = _param()
    with pytest.raises(ValueError, match="appears more than once"):
        Adam([p, p])


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda opt: LinearLR(opt, start_factor=0.0), ValueError, "start_factor"),
        (lambda opt: LinearLR(opt, start_factor=1.5), ValueError, "start_factor"),
        (lambda opt: LinearLR(opt, end_factor=-0.1), ValueError, "end_factor"),
        (lambda opt: LinearLR(opt, total_iters=0), ValueError, "total_iters"),
        (lambda opt: LinearLR(opt, total_iters=2.5), ValueError, "total_iters"),
        (lambda opt: CosineAnnealingLR(opt, T_max=0), ValueError, "T_max"),
        (lambda opt: CosineAnnealingLR(opt, T_max=10, eta_min=-1.0), ValueError, "eta_min"),
        (lambda opt: CosineAnnealingLR(opt, T_max="10"), ValueError, "T_max"),
        (lambda opt: CosineAnnealingLR(object(), T_max=10), TypeError, "optimizer"),
    ],
)
def test_bad_schedule_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make(SGD([_param()], lr=0.1))


def test_optim_is_reachable_from_the_package():
    assert optim.SGD is SGD and optim.lr_scheduler.LinearLR is LinearLR


def test_adam_first_moment_with_beta1_zero_is_the_gradient_exactly():
    # Regression (found by hypothesis): m + (1 - beta1) * (g - m) cancels catastrophically for
    # beta1 = 0 after a large gradient; torch's lerp returns g exactly.
    kwargs = {"lr": 1.0, "betas": (0.0, 0.0), "eps": 1.73e-9, "weight_decay": 0.0}
    _check_against_torch(Adam, torch.optim.Adam, kwargs, [[1.0, 0.0, 0.0], [1e-9, 0.0, 0.0]])


# --------------------------------------------------------------------- parameter groups


def _two_layer_model(seed=8):
    gen = np.random.default_rng(seed)
    model = Sequential(Linear(3, 6, generator=gen), Tanh(), Linear(6, 2, generator=gen))
    return model, _torch_copy(model)


def _groups(layers, first, second):
    """Two parameter groups, one per Linear, with their own hyper-parameters."""
    return [
        {"params": list(layers[0].parameters()), **first},
        {"params": list(layers[2].parameters()), **second},
    ]


# (micrograd class, torch class, defaults, group 0's overrides, group 1's overrides)
GROUP_CONFIGS = [
    (SGD, torch.optim.SGD, {"lr": 0.1}, {}, {"lr": 0.01, "weight_decay": 0.2}),
    (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}, {"nesterov": True}, {"momentum": 0.5}),
    (
        Adam,
        torch.optim.Adam,
        {"lr": 0.01},
        {"weight_decay": 0.1},
        {"lr": 0.03, "betas": (0.8, 0.9)},
    ),
    (AdamW, torch.optim.AdamW, {"lr": 0.02}, {"weight_decay": 0.0}, {"lr": 0.005, "eps": 1e-6}),
]
GROUP_IDS = [f"{c[0].__name__}-{i}" for i, c in enumerate(GROUP_CONFIGS)]


def _train_step(model, opt, x, y):
    opt.zero_grad()
    loss = ((model(Tensor(x)) - Tensor(y)) ** 2).mean()
    loss.backward()
    opt.step()
    return loss.item()


def _torch_step(ref, opt, x, y):
    opt.zero_grad()
    loss = ((ref(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
    loss.backward()
    opt.step()
    return loss.item()


def _assert_same_weights(model, ref, rtol=1e-10):
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value, ref.state_dict()[name].numpy(), rtol=rtol, atol=1e-13)


@pytest.mark.parametrize(("ours", "theirs", "defaults", "g0", "g1"), GROUP_CONFIGS, ids=GROUP_IDS)
def test_parameter_groups_match_torch(ours, theirs, defaults, g0, g1):
    model, ref = _two_layer_model()
    opt = ours(_groups(model, g0, g1), **defaults)
    ref_opt = theirs(_groups(ref, g0, g1), **defaults)
    assert len(opt.param_groups) == 2
    for group, ref_group in zip(opt.param_groups, ref_opt.param_groups, strict=True):
        for name in opt.defaults:  # each group: its own value, else the default
            assert group[name] == pytest.approx(ref_group[name]), name
    rng = np.random.default_rng(9)
    for _ in range(10):
        x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
        assert _train_step(model, opt, x, y) == pytest.approx(
            _torch_step(ref, ref_opt, x, y), rel=1e-10
        )
        _assert_same_weights(model, ref)


@pytest.mark.parametrize(("ours", "theirs", "defaults", "g0", "g1"), GROUP_CONFIGS, ids=GROUP_IDS)
def test_add_param_group_mid_training_matches_torch(ours, theirs, defaults, g0, g1):
    model, ref = _two_layer_model(10)
    opt = ours(**{"params": model[0].parameters()}, **defaults, **g0)
    ref_opt = theirs(ref[0].parameters(), **defaults, **g0)
    rng = np.random.default_rng(11)
    for step in range(8):
        if step == 3:  # unfreeze the last layer with its own settings
            opt.add_param_group({"params": model[2].parameters(), **g1})
            ref_opt.add_param_group({"params": list(ref[2].parameters()), **g1})
        x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
        _train_step(model, opt, x, y)
        _torch_step(ref, ref_opt, x, y)
        _assert_same_weights(model, ref)


# --------------------------------------------------------------------- state_dict


def _assert_state_like_torch(ours_sd, torch_sd):
    assert list(ours_sd["state"]) == list(torch_sd["state"])
    for index, buffers in torch_sd["state"].items():
        assert set(ours_sd["state"][index]) == set(buffers)
        for name, value in buffers.items():
            np.testing.assert_allclose(
                np.asarray(ours_sd["state"][index][name]), value.numpy(), rtol=1e-10, atol=1e-14
            )
    for group, ref_group in zip(ours_sd["param_groups"], torch_sd["param_groups"], strict=True):
        assert group["params"] == ref_group["params"]
        for name, value in group.items():
            assert ref_group[name] == pytest.approx(value), name


@pytest.mark.parametrize(("ours", "theirs", "defaults", "g0", "g1"), GROUP_CONFIGS, ids=GROUP_IDS)
def test_state_dict_round_trip_mid_training(ours, theirs, defaults, g0, g1):
    model, ref = _two_layer_model(12)
    twin, _ = _two_layer_model(12)  # the same weights: trained without interruption
    opt = ours(_groups(model, g0, g1), **defaults)
    twin_opt = ours(_groups(twin, g0, g1), **defaults)
    ref_opt = theirs(_groups(ref, g0, g1), **defaults)
    schedule = LinearLR(opt, start_factor=0.5, total_iters=6)
    twin_schedule = LinearLR(twin_opt, start_factor=0.5, total_iters=6)
    ref_schedule = torch.optim.lr_scheduler.LinearLR(ref_opt, start_factor=0.5, total_iters=6)
    rng = np.random.default_rng(13)
    batches = [(rng.normal(size=(8, 3)), rng.normal(size=(8, 2))) for _ in range(10)]
    for x, y in batches[:5]:
        for m, o, s in ((model, opt, schedule), (twin, twin_opt, twin_schedule)):
            _train_step(m, o, x, y)
            s.step()
        _torch_step(ref, ref_opt, x, y)
        ref_schedule.step()
    saved, saved_schedule = opt.state_dict(), schedule.state_dict()
    _assert_state_like_torch(saved, ref_opt.state_dict())
    assert saved_schedule["last_epoch"] == ref_schedule.state_dict()["last_epoch"] == 5

    # Resume in a new optimizer and schedule over the same parameters.
    opt = ours(_groups(model, {}, {}), lr=123.0)
    opt.load_state_dict(saved)
    schedule = LinearLR(opt, start_factor=0.5, total_iters=6, last_epoch=4)
    schedule.load_state_dict(saved_schedule)
    for x, y in batches[5:]:
        loss = _train_step(model, opt, x, y)
        schedule.step()
        assert loss == _train_step(twin, twin_opt, x, y)  # exactly: the same operations
        twin_schedule.step()
        assert loss == pytest.approx(_torch_step(ref, ref_opt, x, y), rel=1e-10)
        ref_schedule.step()
        assert schedule.get_last_lr() == pytest.approx(ref_schedule.get_last_lr(), rel=1e-12)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, twin.state_dict()[name])
    _assert_same_weights(model, ref)


def test_a_state_dict_is_a_snapshot():
    p = _param()
    opt = Adam([p], lr=0.1)
    p.grad = Tensor(np.ones(2))
    opt.step()
    saved = opt.state_dict()
    before = {
        k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in saved["state"][0].items()
    }
    opt.step()
    opt.param_groups[0]["lr"] = 0.5
    assert saved["param_groups"][0]["lr"] == 0.1
    for name, value in before.items():
        np.testing.assert_array_equal(saved["state"][0][name], value)
    assert opt.state_dict()["state"][0]["step"] == 2


def test_torch_state_dict_loads_and_training_continues_like_torch():
    model, ref = _two_layer_model(14)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=0.02, weight_decay=0.01)
    rng = np.random.default_rng(15)
    for _ in range(3):
        _torch_step(ref, ref_opt, rng.normal(size=(8, 3)), rng.normal(size=(8, 2)))
    model.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    opt = Adam(model.parameters())
    opt.load_state_dict(ref_opt.state_dict())  # torch tensors, torch's extra group keys
    assert opt.param_groups[0]["lr"] == 0.02 and opt.state[id(model[0].weight)]["step"] == 3
    for _ in range(4):
        x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
        assert _train_step(model, opt, x, y) == pytest.approx(
            _torch_step(ref, ref_opt, x, y), rel=1e-10
        )
    _assert_same_weights(model, ref)


def test_value_parameters_state_dict_round_trip():
    ws = [Value(0.5), Value(-1.0)]
    opt = SGD(ws, lr=0.1, momentum=0.9)
    for w in ws:
        w.grad = 1.0
    opt.step()
    saved = opt.state_dict()
    assert saved["state"][0]["momentum_buffer"].shape == ()
    fresh = SGD(ws, lr=0.1, momentum=0.9)
    fresh.load_state_dict(saved)
    for o in (opt, fresh):
        for w in ws:
            w.grad = 1.0
    opt_state = [w.data for w in ws]
    opt.step()
    after_opt = [w.data for w in ws]
    for w, v in zip(ws, opt_state, strict=True):
        w.data = v
    fresh.step()
    assert [w.data for w in ws] == after_opt
    assert all(type(w.data) is float for w in ws)


def _fitted_adam():
    p, q = _param(), Tensor(np.zeros(3), requires_grad=True)
    opt = Adam([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1)
    p.grad, q.grad = Tensor(np.ones(2)), Tensor(np.ones(3))
    opt.step()
    return opt


def _edited(edit):
    saved = _fitted_adam().state_dict()
    edit(saved)
    return saved


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (None, TypeError, "'state' and 'param_groups'"),
        ({"state": {}}, TypeError, "'state' and 'param_groups'"),
        (_edited(lambda s: s["param_groups"].pop()), ValueError, "number of parameter groups"),
        (_edited(lambda s: s["param_groups"][1]["params"].append(7)), ValueError, "has 2 param"),
        (_edited(lambda s: s["state"][1].update(exp_avg=np.ones(2))), ValueError, "shape"),
        (_edited(lambda s: s["state"][1].update(exp_avg=0.5)), ValueError, "shape"),
        (_edited(lambda s: s["state"].update({5: {}})), ValueError, "no group lists"),
        (_edited(lambda s: s["state"][0].update(step=-1)), ValueError, "step"),
        (_edited(lambda s: s["param_groups"][0].update(lr=-1.0)), ValueError, "lr must be >= 0"),
        (_edited(lambda s: s["param_groups"][0].pop("betas")), ValueError, "another optimizer"),
        (_edited(lambda s: s["param_groups"][0].update(amsgrad="yes")), TypeError, "amsgrad"),
        (_edited(lambda s: s["param_groups"][0].update(capturable=True)), RuntimeError, "GPU"),
        (
            _edited(lambda s: s["param_groups"][0].update(fused=True, foreach=True)),
            RuntimeError,
            "cannot be `True` together",
        ),
        (_edited(lambda s: s["param_groups"][1].update(params=[0])), ValueError, "twice"),
    ],
)
def test_bad_state_dicts_are_refused_and_change_nothing(bad, error, match):
    opt = _fitted_adam()
    before = opt.state_dict()
    with pytest.raises(error, match=match):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for index, buffers in before["state"].items():
        for name, value in buffers.items():
            np.testing.assert_array_equal(after["state"][index][name], value)


def test_a_state_dict_of_another_optimizer_is_refused():
    adam = _fitted_adam()
    sgd = SGD([{"params": [_param()]}, {"params": [Tensor(np.zeros(3), requires_grad=True)]}])
    with pytest.raises(ValueError, match="momentum"):
        sgd.load_state_dict(adam.state_dict())


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda p, q: SGD([{"params": [p]}, {"params": [p]}]), ValueError, "more than one"),
        (lambda p, q: SGD([{"params": {p}}]), TypeError, "not a set"),
        (lambda p, q: SGD([{"lr": 0.1}]), ValueError, "no 'params'"),
        (lambda p, q: SGD([{"params": [p]}, q]), TypeError, "mixes"),
        (lambda p, q: SGD([{"params": [p], "lr": -1}]), ValueError, r"param_groups\[0\].*lr"),
        (lambda p, q: Adam([{"params": [q], "betas": (1.0, 0.9)}]), ValueError, r"betas\[0\]"),
        (
            lambda p, q: SGD([{"params": [p]}, {"params": [q], "nesterov": True}], momentum=0),
            ValueError,
            r"param_groups\[1\].*nesterov",
        ),
        (lambda p, q: SGD([p]).add_param_group([q]), TypeError, "must be a dict"),
        (lambda p, q: SGD([p]).add_param_group({"params": [p]}), ValueError, "more than one"),
        (lambda p, q: SGD([p]).zero_grad(set_to_none="no"), TypeError, "set_to_none"),
    ],
)
def test_bad_parameter_groups(make, error, match):
    with pytest.raises(error, match=match):
        make(_param(), Tensor(np.zeros(3), requires_grad=True))


def test_a_group_may_hold_a_single_parameter_and_zero_grad_reaches_every_group():
    p, q, v = _param(), Tensor(np.ones(3), requires_grad=True), Value(1.0)
    opt = SGD([{"params": p}, {"params": [q, v], "lr": 0.5}], lr=0.1)
    assert opt.param_groups[0]["params"] == [p]
    p.grad, q.grad, v.grad = Tensor(np.ones(2)), Tensor(np.ones(3)), 3.0
    grad_array = q.grad
    opt.zero_grad(set_to_none=False)
    assert (p.grad == 0).all() and q.grad is grad_array and (q.grad == 0).all()
    assert v.grad == 0.0
    opt.zero_grad()
    assert p.grad is None and q.grad is None and v.grad == 0.0
    assert "group 1: 2 parameters, lr=0.5" in repr(opt)


def test_step_with_a_closure_returns_its_loss():
    w = Value(3.0)
    opt = SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = w * w
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.data == 9.0 and w.data == pytest.approx(3.0 - 0.1 * 6.0)


# --------------------------------------------------------------------- schedules with groups


@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    [
        (LinearLR, torch.optim.lr_scheduler.LinearLR, {"start_factor": 0.25, "total_iters": 4}),
        (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR, {"T_max": 5}),
        (StepLR, torch.optim.lr_scheduler.StepLR, {"step_size": 3, "gamma": 0.5}),
        (LambdaLR, torch.optim.lr_scheduler.LambdaLR, {"lr_lambda": lambda k: 0.9**k}),
        (
            LambdaLR,
            torch.optim.lr_scheduler.LambdaLR,
            {"lr_lambda": [lambda k: 1 / (k + 1), lambda k: min(1.0, (k + 1) / 3)]},
        ),
    ],
)
def test_schedules_edit_every_group_in_place_like_torch(ours, theirs, kwargs):
    params = [_param(), _param()]
    ref_params = [torch.zeros(2, dtype=F64, requires_grad=True) for _ in range(2)]
    opt = Adam([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.3}], lr=0.1)
    ref_opt = torch.optim.Adam(
        [{"params": [ref_params[0]]}, {"params": [ref_params[1]], "lr": 0.3}], lr=0.1
    )
    groups = list(opt.param_groups)
    schedule, ref_schedule = ours(opt, **kwargs), theirs(ref_opt, **kwargs)
    for _ in range(12):
        assert schedule.get_last_lr() == pytest.approx(ref_schedule.get_last_lr(), rel=1e-12)
        assert [g["lr"] for g in opt.param_groups] == schedule.get_last_lr()
        assert all(a is b for a, b in zip(opt.param_groups, groups, strict=True))
        for p, q in zip(params, ref_params, strict=True):
            p.grad, q.grad = Tensor(np.ones(2)), torch.ones(2, dtype=F64)
        opt.step()
        ref_opt.step()
        schedule.step()
        ref_schedule.step()
    for p, q in zip(params, ref_params, strict=True):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10)


def test_schedule_state_dict_round_trip_and_resume():
    opt = SGD([_param()], lr=1.0)
    schedule = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(5):
        schedule.step()
    saved = schedule.state_dict()
    assert saved["last_epoch"] == 5 and "optimizer" not in saved
    fresh = StepLR(opt, step_size=7, gamma=0.9, last_epoch=4)  # resume: initial_lr is there
    fresh.load_state_dict(saved)
    fresh.step()
    schedule.step()
    assert fresh.get_last_lr() == schedule.get_last_lr() == [0.125]
    with pytest.raises(ValueError, match="unexpected keys"):
        fresh.load_state_dict({"T_max": 3})
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(SGD([_param()], lr=1.0), step_size=2, last_epoch=3)


def test_schedule_made_before_add_param_group_says_so():
    opt = SGD([_param()], lr=1.0)
    schedule = LinearLR(opt)
    opt.add_param_group({"params": [Tensor(np.zeros(3), requires_grad=True)]})
    with pytest.raises(RuntimeError, match="after add_param_group"):
        schedule.step()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda opt: StepLR(opt, step_size=0), "step_size"),
        (lambda opt: StepLR(opt, step_size=2, gamma=-0.5), "gamma"),
        (lambda opt: LambdaLR(opt, [lambda k: 1.0, lambda k: 1.0]), "lr_lambdas"),
        (lambda opt: LambdaLR(opt, lambda k: float("nan")), "finite"),
        (lambda opt: LinearLR(opt, last_epoch=-2), "last_epoch"),
    ],
)
def test_bad_new_schedule_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make(SGD([_param()], lr=0.1))
