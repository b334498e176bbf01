"""Issue 17, the tensor engine's edges, each against PyTorch's behaviour: creation at its
edges (B1, size=, Tensor(2, 3), manual_seed), shape and dtype errors that are RuntimeErrors
(C6, A6), inf and nan without warnings (C4), integer arithmetic that wraps (C5), and writes
into a view of a graph tensor (C8)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import micrograd as mg
from micrograd import Size, Tensor
from micrograd.nn import functional as F
from micrograd.tensors.errors import DTypeError, ShapeError


def outcome(lib, code):
    """What ``code`` gives with ``L`` = ``lib``: (dtype name, values), or the error's type
    (NotImplementedError counts as PyTorch's RuntimeError, which it is). Any warning fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            result = eval(code, {"L": lib, "math": math})  # noqa: S307 (the fixed table below)
        except Exception as error:  # noqa: BLE001 (the error's type is the outcome)
            return "RuntimeError" if isinstance(error, NotImplementedError) else type(error)
    return str(result.dtype).removeprefix("torch."), np.asarray(result.tolist()).tolist()


@pytest.fixture
def torch_float64(float64_default):
    """Both libraries with float64 as the default dtype, compared like for like (float64, so
    that the edges of float64's range are tried)."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


# --------------------------------------------------------------------- B1: creation


@pytest.mark.parametrize(
    "code",
    [
        "L.linspace(0, 1, 1)",
        "L.linspace(0, 1, 1, dtype=L.float32)",
        "L.linspace(0.5, 2.5, 1, dtype=L.int64)",
        "L.linspace(0, 1, 0)",
        "L.linspace(3, 3, 4)",
        "L.linspace(1, 0, 3)",
        "L.linspace(0, 10, 4, dtype=L.int64)",
        "L.linspace(-5, 5, 3, dtype=L.int64)",
        "L.arange(1, 2.5, 0.5)",
        "L.arange(0.5, 3)",
        "L.arange(0, 1, 0.25)",
        "L.arange(5, 5)",
        "L.arange(5, 5, 0.5)",
        "L.arange(0.5, 4.5, dtype=L.int64)",
        "L.arange(10, dtype=L.float32)",
        "L.eye(0)",
        "L.zeros(0, 3)",
        "L.full((2,), 1.5, dtype=L.int64)",
    ],
)
def test_creation_edges_match_pytorch(code, torch_float64):
    assert outcome(mg, code) == outcome(torch, code)


def test_creation_takes_size_as_a_keyword():
    for make in (mg.zeros, mg.ones, mg.empty, mg.rand, mg.randn):
        assert make(size=(2, 3)).shape == (2, 3) and make(size=[4]).shape == (4,)
        with pytest.raises(TypeError, match="not both"):
            make(2, size=(2, 3))
    assert mg.full(size=(2,), fill_value=7).tolist() == [7, 7]


def test_tensor_takes_sizes_as_pytorchs_legacy_constructor():
    t = Tensor(2, 3)
    assert t.shape == torch.Tensor(2, 3).shape and t.dtype == mg.get_default_dtype()
    assert (t.data == 0).all()  # zeros, where PyTorch leaves the memory as it was
    assert Tensor(mg.zeros(4, 5).shape).shape == (4, 5)
    assert Tensor(2, 3, requires_grad=True, dtype=mg.float32).requires_grad
    assert Tensor().shape == torch.Tensor().shape == (0,)
    assert Tensor([1.0, 2.0], requires_grad=True).requires_grad  # data and keywords as before
    assert Tensor(3).item() == 3  # one int alone is data, as in micrograd before
    with pytest.raises(TypeError, match="data .* or sizes"):
        Tensor(2, 3.0)
    with pytest.raises(TypeError, match="data .* or sizes"):
        Tensor([1.0], True)  # requires_grad is a keyword now
    with pytest.raises(RuntimeError, match="non-negative"):
        Tensor(2, -1)


@pytest.mark.parametrize("seed", [1.5, "3", True, -1, np.int64(5), 2.0**40])
def test_manual_seed_reads_its_seed_as_pytorch_does(seed):
    assert mg.manual_seed(seed).initial_seed() == torch.manual_seed(seed).initial_seed()
    mg.manual_seed(seed)
    a = mg.randn(3)
    mg.manual_seed(int(seed))
    assert mg.randn(3).tolist() == a.tolist()


@pytest.mark.parametrize("seed", ["abc", math.nan, math.inf, 2**64, None])
def test_manual_seed_refuses_what_pytorch_refuses(seed):
    with pytest.raises(Exception) as theirs:  # noqa: PT011 (the type is what is compared)
        torch.manual_seed(seed)
    with pytest.raises(theirs.type, match="manual_seed"):
        mg.manual_seed(seed)


# --------------------------------------------------------------------- C6, A6: RuntimeError


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.zeros(2, 3) @ L.zeros(2, 3),
        lambda L: L.zeros(2, 3) + L.zeros(4),
        lambda L: L.zeros(2, 3) * L.zeros(2),
        lambda L: L.zeros(2, 3) / L.zeros(3, 2),
        lambda L: L.zeros(2, 3) < L.zeros(2),
        lambda L: L.zeros(2, 3) ** L.zeros(2),
        lambda L: L.zeros(2, 3).maximum(L.zeros(2)),
        lambda L: L.cat([L.zeros(2, 3), L.zeros(2, 2)]),
        lambda L: L.stack([L.zeros(2), L.zeros(3)]),
        lambda L: L.zeros(2, 3).view(4),
        lambda L: L.zeros(2, 3).reshape(5),
        lambda L: L.where(L.zeros(2, dtype=L.bool), L.zeros(3), 0.0),
        lambda L: L.zeros(2, requires_grad=True).sum().backward(L.zeros(2)),
        lambda L: L.zeros(2, requires_grad=True).backward(),
        lambda L: L.nn.functional.linear(L.zeros(2, 3), L.zeros(4, 2)),
        lambda L: L.nn.functional.l1_loss(L.zeros(2, 3), L.zeros(4)),
        lambda L: L.nn.functional.layer_norm(L.zeros(2, 3), (4,)),
        lambda L: L.tensor([1, 2], requires_grad=True),
        lambda L: L.tensor([1, 2]).requires_grad_(),
        lambda L: L.tensor([1, 2]).softmax(0),
        lambda L: L.tensor([True, False]).softmax(0),
        lambda L: L.tensor([1, 2]).log_softmax(0),
        lambda L: L.tensor([1, 2]).mean(),
        lambda L: L.tensor([1, 2]).var(),
        lambda L: L.nn.functional.softmax(L.tensor([[1, 2]]), dim=1),
        lambda L: L.nn.functional.gelu(L.tensor([1, 2])),
        lambda L: L.nn.functional.silu(L.tensor([1, 2])),
        lambda L: L.nn.functional.elu(L.tensor([1, 2])),
        lambda L: L.nn.functional.layer_norm(L.tensor([[1, 2]]), (2,)),
        lambda L: L.nn.functional.cross_entropy(L.tensor([[1, 2]]), L.tensor([0])),
        lambda L: L.nn.functional.mse_loss(L.tensor([1, 2]), L.tensor([1, 2])),
        lambda L: L.nn.functional.normalize(L.tensor([[1, 2]])),
        lambda L: L.tensor([1.0]) & L.tensor([1.0]),
        lambda L: L.multinomial(L.tensor([1, 2]), 1),
    ],
)
@pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")  # PyTorch's, for l1_loss
def test_shape_and_dtype_errors_are_runtime_errors_as_in_pytorch(make):
    with pytest.raises(RuntimeError):
        make(torch)
    with pytest.raises(RuntimeError) as error:
        make(mg)
    assert isinstance(error.value, (ShapeError, DTypeError))  # and so ValueError or TypeError
    assert "\n" not in str(error.value)  # one line


def test_the_errors_name_the_problem_and_the_fix():
    with pytest.raises(ValueError, match=r"\+: shapes \(2, 3\) and \(4,\) do not broadcast"):
        mg.zeros(2, 3) + mg.zeros(4)
    with pytest.raises(TypeError, match=r"softmax\(\) is not implemented for int64.*\.float\(\)"):
        mg.tensor([1, 2]).softmax(0)
    assert mg.tensor([1, 2]).softmax(0, dtype=mg.float64).sum().item() == pytest.approx(1.0)


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "tanh", "sigmoid"])
def test_float_functions_of_integers_give_floats_as_in_pytorch(op):
    ours = getattr(mg.tensor([1, 2]), op)()
    theirs = getattr(torch.tensor([1, 2]), op)()
    assert ours.dtype.kind == "f" and theirs.dtype.is_floating_point
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


# --------------------------------------------------------------------- C4: inf and nan


@pytest.mark.parametrize(
    "code",
    [
        "L.tensor([1.0, -1.0, 0.0]) / 0",
        "L.tensor([1.0, -1.0, 0.0]) / 0.0",
        "L.tensor([1.0, -1.0, 0.0]) / L.tensor(0.0)",
        "L.tensor([1, 0]) / 0",
        "1 / L.tensor([0.0, 1.0])",
        "L.tensor([1e308]) / 1e-10",
        "L.tensor([math.inf]) / math.inf",
        "L.tensor([0.0, -1.0, 2.0]).log()",
        "L.tensor([0.0, -1.0]).log10()",
        "L.tensor([1000.0, -1000.0]).exp()",
        "L.tensor([-1.0, 0.0, 4.0]).sqrt()",
        "L.tensor([0.0, -1.0]) ** -1",
        "L.tensor([0.0, -1.0]) ** -2",
        "L.tensor([0.0, -1.0]) ** 0.5",
        "L.tensor([0.0, -1.0]) ** -0.5",
        "L.tensor([-1.0, 2.0]) ** 1.5",
        "L.tensor([-1.0]) ** L.tensor([0.5])",
        "0 ** L.tensor([-1.0, 1.0])",
        "L.tensor([1.0, 0.0]) // 0.0",
        "L.tensor([1.0, 0.0]) % 0.0",
        "L.tensor([1.0, 0.0, -1.0]).div_(0)",
        "L.tensor([0.0, -1.0]).pow_(-0.5)",
        "L.tensor([[math.inf, 1.0], [-math.inf, -math.inf]]).softmax(1)",
        "L.tensor([[math.inf, 1.0], [-math.inf, -math.inf]]).log_softmax(1)",
    ],
)
def test_inf_and_nan_come_quietly_as_in_pytorch(code, torch_float64):
    ours, theirs = outcome(mg, code), outcome(torch, code)
    assert ours[0] == theirs[0]
    np.testing.assert_array_equal(ours[1], theirs[1])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.log(),
        lambda x: x.log10(),
        lambda x: x.sqrt(),
        lambda x: x**0.5,
        lambda x: x**-1,
        lambda x: 1 / x,
        lambda x: x / x,
        lambda x: x % (x * 0 + 2),
    ],
)
def test_rules_at_the_edges_give_pytorchs_inf_and_nan_quietly(fn, torch_float64):
    a = np.array([0.0, -1.0, 2.0])
    x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fn(x).sum().backward()
    fn(t).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-15)  # inf and nan where its are


# --------------------------------------------------------------------- C5: integers wrap


@pytest.mark.parametrize(
    "code",
    [
        "L.tensor([0], dtype=L.uint8) - 1",
        "L.tensor([0, 200], dtype=L.uint8) + 100",
        "L.tensor([1, 2], dtype=L.int8) * 300",
        "L.tensor([1, -2], dtype=L.int8) * 127",
        "L.tensor([1], dtype=L.int32) + 2**40",
        "L.tensor([1], dtype=L.int32) - 2**40",
        "L.tensor([1], dtype=L.int64) + 2**63",
        "L.tensor([2**62], dtype=L.int64) * 4",
        "L.tensor([1], dtype=L.uint8) * -1",
        "-L.tensor([1, 0], dtype=L.uint8)",
        "L.tensor([3], dtype=L.int16) * 70000",
        "300 - L.tensor([3], dtype=L.uint8)",
        "300 * L.tensor([3], dtype=L.uint8)",
        "2**40 + L.tensor([1], dtype=L.int32)",
        "300 ** L.tensor([2], dtype=L.uint8)",
        "L.tensor([5], dtype=L.uint8) // 300",
        "L.tensor([5], dtype=L.uint8) % 300",
        "L.tensor([-128], dtype=L.int8) // -1",
        "L.tensor([5], dtype=L.uint8) / 300",
        "L.tensor([2], dtype=L.int8) ** 8",
        "L.tensor([2], dtype=L.uint8) ** 300",
        "L.tensor([3], dtype=L.uint8) == 259",
        "L.tensor([3], dtype=L.int8) > -200",
        "L.tensor([3], dtype=L.uint8) < 300",
        "L.tensor([3], dtype=L.uint8) + 300.0",
        "L.tensor([3], dtype=L.uint8) - L.tensor(5)",
        "L.tensor([3], dtype=L.uint8) - L.tensor([5])",
        "L.tensor([3], dtype=L.uint8) + L.tensor([5], dtype=L.int8)",
        "L.tensor([100], dtype=L.int8) + L.tensor([100], dtype=L.int8)",
        "L.tensor([True]) + 300",
        "L.tensor([True]) * -1",
        "L.tensor([1], dtype=L.uint8) | 256",
        "L.tensor([3], dtype=L.uint8).masked_fill(L.tensor([True]), 300)",
        "L.tensor([3], dtype=L.uint8).masked_fill(L.tensor([True]), -1)",
        "L.tensor([3], dtype=L.uint8).fill_(-1)",
        "L.full((1,), 300, dtype=L.uint8)",
        "L.full((1,), -1, dtype=L.uint8)",
        "L.full((1,), -256, dtype=L.uint8)",
        "L.tensor([300], dtype=L.uint8)",
        "L.tensor([-1, 255], dtype=L.uint8)",
        "L.tensor([1.5, -1.5], dtype=L.uint8)",
        "L.tensor([1e10], dtype=L.int8)",
    ],
)
def test_integer_arithmetic_wraps_as_pytorchs(code, torch_float64):
    assert outcome(mg, code) == outcome(torch, code)


# --------------------------------------------------------------------- C8: views of a graph


def test_a_write_into_a_view_of_a_graph_tensor_is_a_clear_error():
    """A documented limit (README): PyTorch records it; micrograd says what to write."""
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1
    with pytest.raises(RuntimeError, match=r"shares its memory.*t\[\[1\]\] copies"):
        h[0] *= 3
    h = x * 1
    h[[0]] *= 3  # the alternative the error names: a list index copies
    h.sum().backward()
    t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    u = t * 1
    u[0] *= 3
    u.sum().backward()
    assert h.tolist() == u.tolist() and x.grad.tolist() == t.grad.tolist()


def test_size_and_shape_errors_print_shapes_as_tuples():
    with pytest.raises(ShapeError, match=r"\(2, 3\) and \(2, 3\)"):
        mg.zeros(2, 3) @ mg.zeros(2, 3)
    assert str(Size([2, 3])) == "(2, 3)" and repr(Size([2, 3])) == "Size([2, 3])"


def test_fused_activations_take_0d_tensors():
    for name in ("gelu", "silu", "elu", "softplus", "hardtanh"):
        x = mg.tensor(0.5, dtype=mg.float64, requires_grad=True)
        t = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
        y, u = getattr(F, name)(x), getattr(torch.nn.functional, name)(t)
        y.backward()
        u.backward()
        assert y.shape == () and y.item() == pytest.approx(u.item(), rel=1e-12)
        assert x.grad.item() == pytest.approx(t.grad.item(), rel=1e-12)
