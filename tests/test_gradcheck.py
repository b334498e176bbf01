"""gradcheck: passes correct gradients, catches wrong ones, leaves its inputs as it found them."""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import micrograd
import micrograd.tensors as tensor_module
from micrograd import Value
from micrograd.gradcheck import GradcheckError, gradcheck
from micrograd.tensors import Tensor, no_grad

moderate = st.floats(-2.0, 2.0, allow_nan=False)
positive = st.floats(0.1, 3.0, allow_nan=False)


class BadTanh(Value):
    """A Value whose tanh has a wrong local derivative: 1 instead of 1 - tanh(x)**2."""

    def tanh(self):
        out = super().tanh()
        out._da = 1.0
        return out


class NanExp(Value):
    """A Value whose exp reports a NaN derivative."""

    def exp(self):
        out = super().exp()
        out._da = math.nan
        return out


def tensor(shape, seed=0, **kwargs):
    data = np.random.default_rng(seed).standard_normal(shape)
    return Tensor(data, requires_grad=True, **kwargs)


# --------------------------------------------------------------------- passes when right


@given(moderate, moderate, positive)
def test_passes_on_correct_value_functions(a, b, c):
    assume(abs(a) > 1e-3)  # relu has a kink at 0, where finite differences see a slope of 1/2
    x, y, z = Value(a), Value(b), Value(c)
    assert gradcheck(lambda x, y, z: (x * y + z**3).tanh() * z.log(), x, y, z)
    assert gradcheck(lambda x, y: (x - y).exp() / (1 + y * y) + x.sigmoid(), x, y)
    assert gradcheck(lambda x, z: z**x + x.relu() * 0.5, x, z)


def test_passes_on_correct_tensor_functions():
    a, b, bias = tensor((3, 4), 1), tensor((4, 2), 2), tensor((2,), 3)
    assert gradcheck(lambda a, b, bias: (a @ b + bias).tanh().sum(), a, b, bias)
    assert gradcheck(lambda a, b: (a @ b).log_softmax(axis=1), a, b)  # non-scalar output
    assert gradcheck(lambda a: (a * a).mean(axis=0) / 3.0, a)
    assert gradcheck(lambda a: a.T.reshape(2, 6).sigmoid()[1], a)


def test_a_tensor_output_of_one_element_and_a_mixed_output():
    a = tensor((2, 2))
    assert gradcheck(lambda a: (a * 2.0).sum(axis=(0, 1), keepdims=True), a)  # shape (1, 1)
    x = Value(0.7)
    assert gradcheck(lambda x, a: x * 3.0 + x.tanh(), x, a)  # a unused: its gradient is 0


def test_identity_and_an_input_used_twice():
    x = Value(1.5)
    assert gradcheck(lambda x: x, x)
    assert gradcheck(lambda x, y: x * y, x, x)
    t = tensor((3,))
    assert gradcheck(lambda t: t, t)


# --------------------------------------------------------------------- catches when wrong


def test_catches_a_wrong_value_derivative_and_reports_it_against_torch():
    x = BadTanh(0.8, label="x")
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: x.tanh() * 2.0, x)
    error = caught.value
    reference = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    (reference.tanh() * 2.0).backward()
    assert isinstance(error, AssertionError)
    assert error.input_index == 0 and error.index == ()
    assert error.analytic == 2.0  # the wrong local derivative 1, times 2
    assert error.numeric == pytest.approx(reference.grad.item(), rel=1e-8)
    assert error.abs_error == pytest.approx(abs(2.0 - reference.grad.item()), rel=1e-8)
    assert (error.failed, error.total) == (1, 1)
    message = str(error)
    assert "input 0" in message and "'x'" in message and "analytic 2" in message


def test_names_the_worst_input_and_entry():
    good, bad = Value(0.3), BadTanh(1.5)  # tanh'(1.5) = 0.18, far from 1
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b: a * b + b.tanh(), good, bad)
    assert caught.value.input_index == 1

    # In a tensor, only one entry's derivative is wrong: the one gradcheck must name.
    def fn(a):
        return a * 2.0 + Tensor(np.where(np.arange(6).reshape(2, 3) == 4, 1.0, 0.0)) * a.detach()

    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a: fn(a).sum(), tensor((2, 3)))
    assert caught.value.index == (1, 1)
    assert caught.value.analytic == pytest.approx(2.0)
    assert caught.value.numeric == pytest.approx(3.0)
    assert (caught.value.failed, caught.value.total) == (1, 6)
    assert "index (1, 1)" in str(caught.value)


def test_catches_a_wrong_tensor_rule(monkeypatch):
    a = tensor((3, 4))
    assert gradcheck(lambda a: a.tanh(), a)
    monkeypatch.setitem(tensor_module.VJPS, "tanh", (lambda g, ans, ctx: g * (1 - ans),))
    with pytest.raises(GradcheckError, match="input 0 \\(Tensor of shape \\(3, 4\\)\\)"):
        gradcheck(lambda a: a.tanh(), a)


def test_the_random_cotangent_catches_errors_a_plain_sum_would_miss(monkeypatch):
    # A reshape rule that reverses the gradient: summing the output (cotangent of ones)
    # gives every entry gradient 1 either way; a random cotangent tells them apart.
    flipped = (lambda g, ans, shape: g.reshape(-1)[::-1].reshape(shape),)
    monkeypatch.setitem(tensor_module.VJPS, "reshape", flipped)
    a = tensor((2, 3))
    assert gradcheck(lambda a: a.reshape(6).sum(), a)  # the sum cannot see it
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: a.reshape(6), a)


def test_a_nan_derivative_fails():
    with pytest.raises(GradcheckError, match="analytic nan"):
        gradcheck(lambda x: x.exp(), NanExp(0.5))


def test_an_output_cut_from_the_graph_fails():
    def fn(a):
        with no_grad():
            return (a * 3.0).sum()

    with pytest.raises(GradcheckError, match="analytic 0 vs numeric 3"):
        gradcheck(fn, tensor((2,)))


def test_tolerances_are_applied():
    x = BadTanh(0.1)  # analytic 1 vs numeric 1 - tanh(0.1)**2 = 0.990066...: off by 0.0099
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: x.tanh(), x)
    assert gradcheck(lambda x: x.tanh(), x, atol=0.011)
    assert gradcheck(lambda x: x.tanh(), x, atol=0.0, rtol=0.011)


# --------------------------------------------------------------------- leaves things as found


def test_inputs_data_and_grads_are_left_as_found():
    x, y = Value(0.1 + 0.2), Value(-1.7)
    w = Value(0.5)  # used by fn but not checked: its grad must not accumulate
    x.grad, y.grad, w.grad = 5.0, -3.0, 7.0
    assert gradcheck(lambda x, y: (x * w + y).tanh(), x, y)
    assert (x.data, y.data) == (0.1 + 0.2, -1.7)  # bit for bit
    assert (x.grad, y.grad, w.grad) == (5.0, -3.0, 7.0)

    a = tensor((2, 3))
    before = a.data.clone()
    a.grad = Tensor(np.full((2, 3), 4.0))
    assert gradcheck(lambda a: (a * a).sum(), a)
    np.testing.assert_array_equal(a.data, before)
    np.testing.assert_array_equal(a.grad, np.full((2, 3), 4.0))


def test_left_as_found_after_a_failure_and_after_fn_raises():
    x = BadTanh(0.8)
    x.grad = 1.25
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: x.tanh(), x)
    assert (x.data, x.grad) == (0.8, 1.25)

    calls = []

    def breaks_on_third_call(a):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return a.tanh().sum()

    a = tensor((2, 2))
    before = a.data.clone()
    with pytest.raises(RuntimeError, match="boom"):
        gradcheck(breaks_on_third_call, a)
    np.testing.assert_array_equal(a.data, before)
    assert a.grad is None


def test_an_input_computed_from_another_is_an_independent_variable():
    x = Value(2.0)
    y = x * 3.0  # y depends on x, but gradcheck varies each input on its own
    prev = y._prev
    assert gradcheck(lambda x, y: x * y, x, y)
    assert y._prev == prev and y._prev[0] is x and x.grad == 0.0 and y.grad == 0.0


# --------------------------------------------------------------------- bad arguments


def test_bad_arguments_raise_clearly():
    x = Value(1.0)
    with pytest.raises(TypeError, match="fn must be callable"):
        gradcheck(3, x)
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0))
    with pytest.raises(TypeError, match=r"input 1 must be a Value or a Tensor.*Value\(\.\.\.\)"):
        gradcheck(lambda a, b: a * b, x, 2.0)
    with pytest.raises(TypeError, match="input 0 must be a Value or a Tensor, got ndarray"):
        gradcheck(lambda a: a, np.ones(3))
    for bad in (0.0, -1e-6, math.nan, math.inf, True, "1e-6"):
        with pytest.raises(ValueError, match="eps must be a positive finite number"):
            gradcheck(lambda a: a, x, eps=bad)
    with pytest.raises(ValueError, match="atol must be a non-negative"):
        gradcheck(lambda a: a, x, atol=-1.0)
    with pytest.raises(ValueError, match="rtol must be a non-negative"):
        gradcheck(lambda a: a, x, rtol=math.nan)
    with pytest.raises(TypeError, match="fn must return a Value or a Tensor, got float"):
        gradcheck(lambda a: a.data * 2, x)


def test_bad_tensor_inputs_raise_clearly():
    with pytest.raises(ValueError, match="requires_grad=False"):
        gradcheck(lambda a: a.sum(), Tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="dtype int64"):
        gradcheck(lambda a: a.sum(), Tensor(np.array([1, 2], dtype=np.int64)))


def test_float32_inputs_warn():
    a = tensor((3,), dtype=np.float32)
    with pytest.warns(UserWarning, match="float32"):
        gradcheck(lambda a: (a * a).sum(), a, eps=1e-3, atol=1e-2, rtol=1e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda a: (a * a).sum(), tensor((3,)))


def test_default_dtype_inputs_warn_as_in_pytorch_and_float64_ones_pass():
    """PyTorch's gradcheck warns on its default float32 inputs too; float64 ones pass."""
    for lib, check in ((micrograd, gradcheck), (torch, torch.autograd.gradcheck)):
        x = lib.tensor([0.5, -1.5, 2.0], requires_grad=True)
        inputs = (x,) if lib is micrograd else ((x,),)
        with pytest.warns(UserWarning, match="float32|double precision"):
            check(lambda a: (a * a).sum(), *inputs, eps=1e-2, atol=1e-2, rtol=1e-2)
        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        inputs = (x,) if lib is micrograd else ((x,),)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert check(lambda a: (a.tanh() * a).sum(), *inputs)
