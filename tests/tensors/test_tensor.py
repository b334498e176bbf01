"""The tensor engine against PyTorch float64: every op's value and every gradient."""

from __future__ import annotations

import gc
import itertools
import threading

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import micrograd

# Everything from one module object: pytest's doctest collection (--import-mode=importlib) may
# import micrograd/tensor.py a second time, and grad mode is per module object.
from micrograd.tensors import VJPS, Tensor, is_grad_enabled, no_grad

RNG = np.random.default_rng(1234)


# --------------------------------------------------------------------- helpers


def leaves(*arrays: np.ndarray) -> tuple[list[Tensor], list[torch.Tensor]]:
    """The same float64 data as micrograd leaves and as torch leaves, all requiring grad."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    return ours, theirs


def check(fn, *arrays: np.ndarray, torch_fn=None, rtol: float = 1e-10, atol: float = 1e-12):
    """fn on Tensors and (torch_fn or fn) on torch tensors: equal values, equal gradients.

    The output is pulled back with a random upstream gradient, so every entry counts.
    """
    ours, theirs = leaves(*arrays)
    out = fn(*ours)
    ref = (torch_fn or fn)(*theirs)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for t, r in zip(ours, theirs):
        assert t.grad is not None and r.grad is not None
        assert t.grad.shape == t.shape and t.grad.dtype == np.float64
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=rtol, atol=atol)


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def finite_difference(fn, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar fn(x) with respect to every entry of x."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        hi, lo = x.copy(), x.copy()
        hi[i] += eps
        lo[i] -= eps
        grad[i] = (fn(hi) - fn(lo)) / (2 * eps)
    return grad


# --------------------------------------------------------------------- binary ops, broadcasting

SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1), (4, 1, 3), (4, 2, 3)]


def _broadcastable(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


BROADCAST_PAIRS = [(a, b) for a, b in itertools.product(SHAPES, SHAPES) if _broadcastable(a, b)]

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
def test_binary_broadcasting_against_torch(op, shapes):
    a, b = randn(*shapes[0]), randn(*shapes[1])
    if op == "div":
        b = np.sign(b) * (np.abs(b) + 0.5)  # away from 0
    check(BINARY[op], a, b)


def test_broadcast_pairs_cover_every_listed_shape():
    assert len(BROADCAST_PAIRS) >= 40
    for shape in SHAPES:
        assert any(shape in pair for pair in BROADCAST_PAIRS)


@pytest.mark.parametrize(
    "constant", [2.5, -3, np.float64(1.5), np.float32(0.5), np.int64(2), np.array([1.0, -2.0, 3.0])]
)
def test_constants_on_either_side(constant):
    c = constant if not isinstance(constant, np.ndarray) else constant
    tc = torch.tensor(c) if isinstance(c, np.ndarray) else float(c)
    x = randn(2, 3)
    for ours, theirs in [
        (lambda t: t + c, lambda t: t + tc),
        (lambda t: c + t, lambda t: tc + t),
        (lambda t: t - c, lambda t: t - tc),
        (lambda t: c - t, lambda t: tc - t),
        (lambda t: t * c, lambda t: t * tc),
        (lambda t: c * t, lambda t: tc * t),
        (lambda t: t / c, lambda t: t / tc),
        (lambda t: c / (t * t + 1), lambda t: tc / (t * t + 1)),
    ]:
        check(ours, x, torch_fn=theirs)


def test_same_tensor_twice_accumulates():
    check(lambda a: a * a + a - a / (a * a + 2), randn(3, 2))
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_unary_minus_and_shared_subexpressions():
    def fn(a, b):
        c = a * b
        d = -c + c.tanh() * a
        return (d * c).sum(axis=0)

    check(
        fn,
        randn(3, 4),
        randn(4),
        torch_fn=lambda a, b: ((-(a * b) + (a * b).tanh() * a) * (a * b)).sum(dim=0),
    )


# --------------------------------------------------------------------- unary ops


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1, -2.5, 0, 1, np.float64(2.0), np.int32(3)])
def test_pow_against_torch(exponent):
    x = np.abs(randn(3, 4)) + 0.1
    check(lambda t: t**exponent, x, torch_fn=lambda t: t ** float(exponent))


def test_pow_of_negative_base_with_integer_exponent():
    check(lambda t: t**3, randn(5))


@pytest.mark.parametrize(
    "name, ours, theirs, positive",
    [
        ("exp", lambda t: t.exp(), torch.exp, False),
        ("log", lambda t: t.log(), torch.log, True),
        ("tanh", lambda t: t.tanh(), torch.tanh, False),
        ("relu", lambda t: t.relu(), torch.relu, False),
        ("sigmoid", lambda t: t.sigmoid(), torch.sigmoid, False),
        ("neg", lambda t: -t, lambda t: -t, False),
    ],
)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4)], ids=str)
def test_elementwise_against_torch(name, ours, theirs, positive, shape):
    x = randn(*shape)
    if positive:
        x = np.abs(x) + 0.1
    check(ours, x, torch_fn=theirs)


def test_relu_gradient_at_zero_is_zero_like_torch():
    check(lambda t: t.relu(), np.array([-1.0, 0.0, 0.0, 2.0]))


def test_sigmoid_and_tanh_are_stable_for_huge_inputs():
    x = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow anywhere
        check(lambda t: t.sigmoid(), x, torch_fn=torch.sigmoid, atol=1e-300)
        check(lambda t: t.tanh(), x, torch_fn=torch.tanh)


# --------------------------------------------------------------------- reductions

AXES = [None, 0, 1, -1, 2, -3, (0, 2), (1, -1), (0, 1, 2), ()]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin"])
def test_reductions_against_torch(name, axis, keepdims):
    """NumPy's names axis= and keepdims= are accepted as PyTorch accepts them; an empty
    tuple of dims reduces every dim, as in PyTorch."""
    x = randn(2, 3, 4)
    dims = tuple(range(3)) if axis in (None, ()) else axis
    fn = getattr(torch, name)
    theirs = lambda t: fn(t, dim=dims, keepdim=keepdims)  # noqa: E731
    check(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), x, torch_fn=theirs)
    check(lambda t: getattr(t, name)(dim=axis, keepdim=keepdims), x, torch_fn=theirs)


def test_full_reductions_are_0d_and_keepdims_keeps_every_axis():
    t = Tensor(randn(2, 3))
    assert t.sum().shape == () and t.mean().shape == () and t.max().shape == ()
    assert t.sum(keepdims=True).shape == (1, 1)
    assert t.mean(axis=(0, 1), keepdims=True).shape == (1, 1)
    assert t.amax(axis=1, keepdims=True).shape == (2, 1)
    assert t.max(1, True).values.shape == (2, 1)
    assert isinstance(t.sum().numpy(), np.ndarray)


def test_max_shares_the_gradient_among_ties_like_amax():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    check(lambda t: t.amax(axis=1), x, torch_fn=lambda t: torch.amax(t, dim=1))
    check(lambda t: t.max(), x, torch_fn=torch.max)
    check(lambda t: t.max(dim=1).values, x, torch_fn=lambda t: t.max(dim=1).values)


def test_reduction_with_list_axis():
    check(lambda t: t.sum(axis=[0, 2]), randn(2, 3, 4), torch_fn=lambda t: t.sum(dim=(0, 2)))


# --------------------------------------------------------------------- shape ops and indexing


def test_reshape_transpose_and_T():
    x = randn(2, 3, 4)
    check(lambda t: t.reshape(6, 4), x, torch_fn=lambda t: t.reshape(6, 4))
    check(lambda t: t.reshape((4, -1)), x, torch_fn=lambda t: t.reshape(4, -1))
    check(lambda t: t.permute(2, 0, 1), x, torch_fn=lambda t: t.permute(2, 0, 1))
    check(lambda t: t.permute((1, 2, 0)), x, torch_fn=lambda t: t.permute(1, 2, 0))
    check(lambda t: t.permute(-1, 0, 1), x, torch_fn=lambda t: t.permute(2, 0, 1))
    check(lambda t: t.transpose(0, -1), x, torch_fn=lambda t: t.transpose(0, -1))
    check(lambda t: t.T, randn(3, 5), torch_fn=lambda t: t.T)


@pytest.mark.parametrize(
    "index",
    [
        1,
        -1,
        slice(1, None),
        (slice(None), 2),
        (0, slice(None, None, 2)),
        (Ellipsis, 1),
        (None, 1),
        np.array([0, 2, 2, 0, 2]),  # repeats accumulate
        (np.array([0, 1, 1, 2]), np.array([3, 0, 0, 3])),  # pairs, with a repeated pair
        (slice(None), np.array([1, 1, 3])),
        np.array([True, False, True]),
    ],
    ids=str,
)
def test_indexing_against_torch(index):
    def theirs(t):
        if isinstance(index, tuple):
            return t[tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index)]
        return t[torch.from_numpy(index)] if isinstance(index, np.ndarray) else t[index]

    check(lambda t: t[index], randn(3, 4), torch_fn=theirs)


def test_index_with_tensors_and_lists():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    rows = Tensor(np.array([0, 0, 2]))
    y = x[rows, Tensor(np.array([1, 1, 3]))]
    np.testing.assert_array_equal(y.data, [1.0, 1.0, 11.0])
    y.sum().backward()
    assert x.grad[0, 1] == 2.0 and x.grad[2, 3] == 1.0 and x.grad.sum() == 3.0
    z = x[[2, 2]]
    assert z.shape == (2, 4)


def test_iterating_a_tensor_yields_rows():
    rows = list(Tensor(np.arange(6.0).reshape(3, 2)))
    assert [r.shape for r in rows] == [(2,)] * 3
    assert rows[2].data.tolist() == [4.0, 5.0]


# --------------------------------------------------------------------- matmul


@pytest.mark.parametrize(
    "shapes",
    [
        ((3,), (3,)),
        ((3,), (3, 4)),
        ((2, 3), (3,)),
        ((2, 3), (3, 4)),
        ((5, 2, 3), (5, 3, 4)),
        ((5, 2, 3), (3, 4)),
        ((2, 3), (5, 3, 4)),
        ((3,), (5, 3, 4)),
        ((5, 2, 3), (3,)),
        ((2, 1, 2, 3), (5, 3, 4)),
    ],
    ids=str,
)
def test_matmul_against_torch(shapes):
    check(lambda a, b: a @ b, randn(*shapes[0]), randn(*shapes[1]))


def test_matmul_through_a_transposed_weight_gives_contiguous_grads():
    """The ``x @ W.T + b`` of a Linear layer: W.grad comes back C-contiguous, no copy."""
    check(lambda x, w, b: (x @ w.T + b).relu(), randn(5, 3), randn(4, 3), randn(4))
    check(lambda w, x: w.T @ x, randn(3, 4), randn(3, 2))
    x = Tensor(randn(5, 3))
    w = Tensor(randn(4, 3), requires_grad=True)
    (x @ w.T).sum().backward()
    assert w.grad.numpy().flags.c_contiguous and w.grad.numpy().flags.writeable


def test_matmul_with_an_ndarray_on_either_side():
    w = randn(3, 2)
    check(lambda t: t @ w, randn(4, 3), torch_fn=lambda t: t @ torch.tensor(w))
    check(lambda t: w.T @ t, randn(3, 4), torch_fn=lambda t: torch.tensor(w.T) @ t)


# --------------------------------------------------------------------- hypothesis

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def broadcast_operands(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    a = draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=finite))
    b = draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=finite))
    return a, b


@given(broadcast_operands(), st.sampled_from(["add", "sub", "mul"]))
def test_hypothesis_binary_ops(operands, op):
    check(BINARY[op], *operands, rtol=1e-9, atol=1e-9)


@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=finite),
    st.data(),
)
def test_hypothesis_reductions(x, data):
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    keepdims = data.draw(st.booleans())
    dims = tuple(range(x.ndim)) if axis is None else axis
    check(
        lambda t: t.sum(axis, keepdims) * t.mean(axis, keepdims),
        x,
        torch_fn=lambda t: t.sum(dim=dims, keepdim=keepdims) * t.mean(dim=dims, keepdim=keepdims),
        rtol=1e-9,
        atol=1e-9,
    )


@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=finite)
)
def test_hypothesis_elementwise_chain(x):
    check(
        lambda t: (t.tanh() * t.sigmoid() + (t * 0.1).exp() - t.relu() ** 2) / 3,
        x,
        torch_fn=lambda t: (
            (torch.tanh(t) * torch.sigmoid(t) + torch.exp(t * 0.1) - t.relu() ** 2) / 3
        ),
        rtol=1e-9,
        atol=1e-9,
    )


# --------------------------------------------------------------------- finite differences


def test_composites_against_finite_differences():
    a0, b0 = randn(3, 4), randn(4)

    def f_ours(a, b):
        h = (a * b + 1).tanh()
        top = (a / (b * b + 1)).max(dim=0).values
        return ((h @ b) ** 2).mean() + top.sum() + h.T.reshape(-1)[3]

    def value(a, b):
        return f_ours(Tensor(a), Tensor(b)).item()

    ta, tb = Tensor(a0, requires_grad=True), Tensor(b0, requires_grad=True)
    f_ours(ta, tb).backward()
    np.testing.assert_allclose(ta.grad, finite_difference(lambda a: value(a, b0), a0), atol=1e-6)
    np.testing.assert_allclose(tb.grad, finite_difference(lambda b: value(a0, b), b0), atol=1e-6)


# --------------------------------------------------------------------- dtypes


def test_float32_stays_float32_through_ops_and_grads():
    x = Tensor(randn(4, 3).astype(np.float32), requires_grad=True)
    w = Tensor(randn(3, 2).astype(np.float32), requires_grad=True)
    y = (x @ w + 1.5) * 2 - np.float64(0.5)
    y = (y.relu() + y.tanh() + y.sigmoid() + (y * 0.1).exp() + (y * y + 1).log()) / 3.0
    y = y**2 + y.amax(axis=1, keepdims=True) + y.softmax() + y.log_softmax()
    loss = y.mean() + y[np.array([0, 0]), np.array([1, 1])].sum() + y.T.reshape(-1).sum()
    assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_default_dtype_and_integer_tensors():
    assert Tensor([1.0, 2.0]).dtype == np.float32  # the default dtype, PyTorch's
    assert Tensor(3.0).dtype == np.float32 and Tensor(3.0).shape == ()
    assert Tensor(np.zeros(2, np.float32)).dtype == np.float32
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    i = Tensor(np.array([1, 2, 3]))
    assert i.dtype == np.int64 and not i.requires_grad
    w = Tensor([0.5, 1.0, 2.0], requires_grad=True)
    (i * w).sum().backward()  # integer data times a float parameter
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0])
    assert (i + 1).data.dtype.kind == "i"


def test_data_is_copied_and_updates_in_place():
    source = np.array([1.0, 2.0])
    p = Tensor(source, requires_grad=True)
    (p * 3).sum().backward()
    data = p.data
    p.data -= 0.1 * p.grad
    np.testing.assert_allclose(data, [0.7, 1.7])  # in place, as an optimizer does it
    np.testing.assert_allclose(p.data, [0.7, 1.7])
    np.testing.assert_array_equal(source, [1.0, 2.0])


# --------------------------------------------------------------------- backward semantics


def test_backward_twice_accumulates_leaves_not_intermediates():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    h.retain_grad()
    loss = (h * 3).sum()
    loss.backward()
    loss.backward()
    np.testing.assert_array_equal(x.grad, [12.0, 24.0])  # 2 * (6x)
    np.testing.assert_array_equal(h.grad, [3.0, 3.0])  # recomputed, not doubled
    assert loss.grad is None and not loss.retains_grad  # passed on and dropped, as in PyTorch


def test_intermediate_grads_are_dropped_unless_retained_as_in_pytorch():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h, k = x * x, x * 3
    h.retain_grad()
    loss = (h * k).sum()
    loss.backward()
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    th, tk = tx * tx, tx * 3
    th.retain_grad()
    (th * tk).sum().backward()
    assert k.grad is None and h.retains_grad and not k.retains_grad and not tk.retains_grad
    np.testing.assert_array_equal(h.grad, th.grad.numpy())
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


def test_leaf_grads_are_owned_arrays():
    a = Tensor(randn(2, 3), requires_grad=True)
    b = Tensor(randn(2, 3), requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad and not np.shares_memory(a.grad, b.grad)
    a.grad *= 2  # writeable (the sum's gradient is a broadcast, but the leaf gets a copy)
    np.testing.assert_array_equal(b.grad, np.ones((2, 3)))
    c = Tensor(randn(3), requires_grad=True)
    user = np.ones(3)
    c.backward(user)
    c.grad *= 5
    np.testing.assert_array_equal(user, np.ones(3))


def test_backward_with_gradient_on_a_non_scalar():
    x = Tensor(randn(2, 3), requires_grad=True)
    (x * 2).backward(np.full((2, 3), 0.5))
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))
    y = Tensor(randn(3), requires_grad=True)
    (y * 2).backward(Tensor(np.ones(3)))
    np.testing.assert_array_equal(y.grad, [2.0, 2.0, 2.0])


def test_one_element_non_scalar_backward_is_allowed():
    x = Tensor([[2.0]], requires_grad=True)
    (x * x).backward()
    assert x.grad.tolist() == [[4.0]]


def test_graph_records_only_what_needs_grad():
    x = Tensor(randn(3))
    w = Tensor(randn(3), requires_grad=True)
    c = x * 2 + 1
    assert not c.requires_grad and c._prev == () and c.grad is None
    y = c * w
    assert y.requires_grad and y._prev == (c, w) and y._op == "*"
    assert (x @ w)._op == "@" and (w.sum())._op == "sum"
    assert set(VJPS) >= {"+", "*", "**", "@", "exp", "log", "tanh", "relu", "sigmoid", "sum"}
    y.sum().backward()
    assert x.grad is None and c.grad is None


def test_deep_graph_needs_no_recursion():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full(2, 1.0001**5000))


def test_dropped_graph_is_freed_without_the_cycle_collector():
    gc.collect()
    gc.disable()
    try:
        x = Tensor(randn(3), requires_grad=True)
        for _ in range(3):
            loss = ((x * 2).tanh() @ x).exp()
            loss.backward()
            del loss
        assert gc.collect() == 0
    finally:
        gc.enable()


# --------------------------------------------------------------------- no_grad


def test_no_grad_context_and_decorator():
    w = Tensor(randn(3), requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = w * 2
        with no_grad():
            pass
        assert not is_grad_enabled()  # nested exit restores the outer state
    assert is_grad_enabled()
    assert not y.requires_grad and y._prev == ()

    @no_grad()
    def f(t):
        return t.exp()

    assert not f(w).requires_grad and is_grad_enabled()
    assert (w * 2).requires_grad


def test_no_grad_restores_after_an_exception_and_is_per_thread():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            raise ZeroDivisionError
    assert is_grad_enabled()
    seen = []
    with no_grad():
        thread = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]


def test_no_grad_instance_reentered():
    guard = no_grad()
    with guard:
        with guard:
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()


# --------------------------------------------------------------------- API


def test_public_api_and_repr():
    assert (
        micrograd.Tensor.__module__ == "micrograd.tensors.core"
        and micrograd.no_grad.__name__ == "no_grad"
    )
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert t.shape == (2, 2) and t.ndim == 2 and t.dtype == np.float32 and len(t) == 2
    assert t.numel() == 4 and t.label == "" and t._prev == () and t._op == ""
    assert t._prev == set()  # like Value._prev, it also compares like the original's set
    u = t * t + 1.0
    assert u._prev[0]._prev == {t} and len(u._prev[0]._prev) == 2 and u._prev == (u._prev[0],)
    assert t.numpy(force=True) is np.asarray(t) and np.shares_memory(t.data, t)
    assert t.detach().numpy() is np.asarray(t)
    assert Tensor([5.0]).item() == 5.0 and isinstance(Tensor(5.0).item(), float)
    d = t.detach()
    assert not d.requires_grad and np.shares_memory(d.data, t.data)
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert "requires_grad=True" in repr(t)
    assert "dtype" not in repr(Tensor(np.ones(2, np.float32)))  # the default dtype, as PyTorch
    assert "dtype=float64" in repr(Tensor(np.ones(2)))
    assert len({t, Tensor([[1.0, 2.0], [3.0, 4.0]])}) == 2  # hashed by identity
    t.label = "W"
    assert t.label == "W"


def test_ndarray_on_the_left_of_an_operator():
    x = Tensor(np.ones(3), requires_grad=True)
    y = np.array([1.0, 2.0, 3.0]) * x + np.float64(2.0) - np.ones(3)
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])


# --------------------------------------------------------------------- bad calls


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: Tensor("abc"), TypeError, "numeric"),
        (lambda: Tensor(None), TypeError, "numeric"),
        (lambda: Tensor([1, "a"]), TypeError, "numeric"),
        (lambda: Tensor([[1.0], [1.0, 2.0]]), TypeError, "sequence"),
        (lambda: Tensor([1 + 2j]), TypeError, "numeric"),
        (lambda: Tensor([1, 2], requires_grad=True), TypeError, "floating-point"),
        (lambda: Tensor([1.0], dtype="nonsense"), TypeError, "nonsense"),
    ],
)
def test_bad_data(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_operations_raise_clear_errors():
    a = Tensor(randn(2, 3), requires_grad=True)
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(2, 3\)"):
        a @ a
    with pytest.raises(ValueError, match="at least 1 dimension"):
        a @ Tensor(2.0)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        Tensor(2.0) @ a
    with pytest.raises(ValueError, match="broadcast|shape"):
        a + Tensor(randn(4))
    with pytest.raises(IndexError, match=r"Dimension out of range.*\[-2, 1\], but got 2"):
        a.sum(axis=2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        a.max(axis=-3)
    with pytest.raises(TypeError, match="axis"):
        a.mean(axis=1.5)
    with pytest.raises(TypeError, match="axis"):
        a.sum(axis="0")
    with pytest.raises(RuntimeError, match=r"shape \[4, 2\] is invalid.*\(2, 3\)"):
        a.reshape(4, 2)
    with pytest.raises(IndexError):
        a[5]
    with pytest.raises(TypeError, match="exponent must be a number or a Tensor"):
        a ** "2"
    with pytest.raises(TypeError):
        a + "1"
    with pytest.raises(TypeError):
        a * [1, 2, 3]
    with pytest.raises(TypeError):
        a @ 2.0
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))
    with pytest.raises(RuntimeError, match="6 elements.*one-element"):
        a.item()


def test_bad_backward_calls():
    a = Tensor(randn(2, 3), requires_grad=True)
    with pytest.raises(ValueError, match=r"one-element tensor.*\(2, 3\)"):
        (a * 2).backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\)"):
        (a * 2).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(randn(3)).sum().backward()
    with no_grad():
        y = (a * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
