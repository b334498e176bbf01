"""The Tensor's arithmetic, elementwise functions, reductions and comparisons against PyTorch
float64 (values and every gradient), on random shapes and dims; the version counter; the
Python protocols (bool, format, len, iter, hash); and the errors bad arguments get."""

from __future__ import annotations

import itertools
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd
from micrograd import functions
from micrograd.tensors import Size, Tensor, no_grad

RNG = np.random.default_rng(2024)
FEW = settings(max_examples=25)


def check(fn, *arrays, torch_fn=None, rtol=1e-10, atol=1e-12, grads=True):
    """fn on micrograd leaves and (torch_fn or fn) on torch leaves: same values (NaN where
    PyTorch has NaN), same dtype, and the same gradient for every input."""
    ours = [Tensor(a, requires_grad=grads) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grads) for a in arrays]
    out, ref = fn(*ours), (torch_fn or fn)(*theirs)
    assert out.shape == tuple(ref.shape)
    assert out.dtype == torch_to_numpy_dtype(ref.dtype)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    if not grads or not ref.requires_grad:
        return
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for t, r in zip(ours, theirs):
        expected = np.zeros(t.shape) if r.grad is None else r.grad.numpy()
        got = np.zeros(t.shape) if t.grad is None else t.grad
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def torch_to_numpy_dtype(dtype: torch.dtype) -> np.dtype:
    return torch.empty(0, dtype=dtype).numpy().dtype


# values rounded to 6 decimals: no denormals, whose squares underflow differently along
# PyTorch's and our (equally valid) orders of operations
finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 6))
small_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
nonempty_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@st.composite
def array_and_dims(draw, shapes=small_shapes, elements=finite):
    """An array and a reduction dim for it: None, an int or a tuple of distinct ints, each
    drawn as a positive or a negative index."""
    x = draw(hnp.arrays(np.float64, draw(shapes), elements=elements))
    n = max(x.ndim, 1)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return x, None
    if kind == "int":
        return x, draw(st.integers(-n, n - 1))
    dims = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    return x, tuple(d - n if draw(st.booleans()) else d for d in dims)


def torch_dim(dim, ndim):
    """PyTorch needs an explicit tuple for 'every dim' when keepdim is given."""
    return tuple(range(ndim)) if dim is None else dim


# --------------------------------------------------------------------- reductions


@FEW
@given(array_and_dims(), st.booleans(), st.sampled_from(["sum", "mean", "aliases"]))
def test_sum_and_mean_against_torch(case, keepdim, name):
    x, dim = case
    if x.ndim == 0 and isinstance(dim, tuple):
        dim = dim[0]
    d = torch_dim(dim, x.ndim)
    if name == "aliases":  # NumPy's axis= and keepdims=, as PyTorch accepts them
        check(
            lambda t: t.sum(axis=dim, keepdims=keepdim),
            x,
            torch_fn=lambda t: t.sum(axis=d, keepdims=keepdim),
        )
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's mean of nothing
        check(
            lambda t: getattr(t, name)(dim, keepdim),
            x,
            torch_fn=lambda t: getattr(t, name)(d, keepdim) if x.ndim else getattr(t, name)(),
        )


@FEW
@given(array_and_dims(nonempty_shapes), st.booleans(), st.sampled_from(["amax", "amin"]))
def test_amax_amin_against_torch_with_ties(case, keepdim, name):
    x, dim = case
    x = np.round(x)  # integer values: many ties, whose gradient is shared equally
    d = tuple(range(x.ndim)) if dim is None else dim
    check(
        lambda t: getattr(t, name)(dim, keepdim), x, torch_fn=lambda t: getattr(t, name)(d, keepdim)
    )


@FEW
@given(hnp.arrays(np.float64, nonempty_shapes, elements=finite), st.data())
def test_max_min_with_dim_give_values_and_indices_as_torch(x, data):
    x = np.round(x)  # ties: the gradient goes to the index returned, the first
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    keepdim = data.draw(st.booleans())
    for name in ("max", "min"):
        ours = getattr(Tensor(x), name)(dim, keepdim)
        theirs = getattr(torch.tensor(x), name)(dim, keepdim)
        assert type(ours).__name__ == name and ours._fields == ("values", "indices")
        np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
        assert ours.indices.dtype == np.int64
        values, indices = ours  # unpacks as a pair
        assert values is ours.values and indices is ours.indices
        check(
            lambda t, name=name: getattr(t, name)(dim=dim, keepdim=keepdim).values,
            x,
            torch_fn=lambda t, name=name: getattr(t, name)(dim=dim, keepdim=keepdim).values,
        )
        check(lambda t, name=name: getattr(t, name)(), x)  # 0-d: ties share the gradient


@FEW
@given(hnp.arrays(np.float64, small_shapes, elements=st.integers(-2, 2).map(float)), st.data())
def test_argmax_argmin_against_torch(x, data):
    if x.size == 0:
        return
    dim = data.draw(st.none() | st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1))
    keepdim = data.draw(st.booleans())
    for name in ("argmax", "argmin"):
        ours = getattr(Tensor(x), name)(dim, keepdim)
        theirs = getattr(torch.tensor(x), name)(dim, keepdim)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == np.int64
        np.testing.assert_array_equal(ours.data, theirs.numpy())


@FEW
@given(array_and_dims(nonempty_shapes), st.booleans(), st.sampled_from([0, 1, 2, 0.5]))
def test_var_and_std_against_torch(case, keepdim, correction):
    x, dim = case
    d = torch_dim(dim, x.ndim)
    count = x.size if dim is None else np.prod([x.shape[i] for i in np.atleast_1d(dim)])
    axis = None if dim is None else tuple(int(i) for i in np.atleast_1d(dim))
    untied = bool(np.min(np.var(x, axis=axis)) > 1e-8) if x.size else True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degrees of freedom <= 0: both warn, both give inf/NaN
        for name in ("var", "std"):
            check(
                lambda t, name=name: getattr(t, name)(dim, keepdim=keepdim, correction=correction),
                x,
                torch_fn=lambda t, name=name: getattr(t, name)(
                    d, keepdim=keepdim, correction=correction
                ),
                rtol=1e-9,
                atol=1e-10,
                # no gradient to match where the value is inf or NaN, nor for std where the
                # entries (nearly) tie: sqrt's slope at 0 turns rounding into any number
                grads=bool(count > correction) and (name == "var" or untied),
            )


def test_var_std_signatures_as_torch():
    x = RNG.standard_normal((3, 4))
    for args, kwargs in [
        ((), {}),
        ((True,), {}),
        ((False,), {}),
        ((1,), {}),
        ((1, False), {}),
        ((1, True, True), {}),
        ((), {"dim": 0, "unbiased": False, "keepdim": True}),
        ((), {"dim": (0, 1), "correction": 0}),
        ((), {"axis": 1, "keepdims": True}),
    ]:
        for name in ("var", "std"):
            check(lambda t, n=name: getattr(t, n)(*args, **kwargs), x)
    with pytest.raises(TypeError, match="either unbiased= or correction="):
        Tensor(x).var(unbiased=True, correction=1)


def test_std_gradient_is_zero_where_std_is_zero_as_torch():
    check(lambda t: t.std(1), np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]]))


@FEW
@given(
    hnp.arrays(np.float64, small_shapes, elements=st.sampled_from([0.0, 1.0, -2.0, 0.5, 3.0])),
    st.data(),
)
def test_prod_against_torch_with_zeros(x, data):
    """The gradient is the product of the other entries, exact where entries are 0."""
    dim = data.draw(st.none() | st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1))
    keepdim = data.draw(st.booleans()) and dim is not None
    if dim is None:
        check(lambda t: t.prod(), x)
    else:
        check(lambda t: t.prod(dim, keepdim), x)


def test_integer_reductions_are_int64_and_mean_of_integers_is_an_error():
    i = Tensor(np.array([[1, 2], [3, 4]], np.int32))
    assert i.sum().dtype == np.int64 and i.sum().item() == 10
    assert Tensor([True, True, False]).sum().item() == 2
    assert i.prod().dtype == np.int64 and i.prod(1).tolist() == [2, 12]
    assert i.max().item() == 4 and i.max(0).values.tolist() == [3, 4]
    for bad in (lambda: i.mean(), lambda: i.var(), lambda: i.std()):
        with pytest.raises(RuntimeError, match="floating-point"):
            bad()


def test_empty_reductions_as_torch():
    e = np.zeros((0, 3))
    check(lambda t: t.sum(0), e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda t: t.mean(0), e)  # NaN: the mean of nothing
    assert Tensor(np.zeros(0)).prod().item() == 1.0
    assert Tensor(e).amax(1).shape == (0,)
    with pytest.raises(RuntimeError, match="numel\\(\\) == 0"):
        Tensor(np.zeros(0)).max()
    with pytest.raises(IndexError, match="reduction dim 0 to have non-zero size"):
        Tensor(e).max(0)
    with pytest.raises(IndexError, match="non-zero size"):
        Tensor(e).amax(0)
    with pytest.raises(RuntimeError, match="empty"):
        Tensor(e).argmax()


def test_reduction_bad_arguments():
    a = Tensor(RNG.standard_normal((2, 3)))
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 2"):
        a.sum(2)
    with pytest.raises(IndexError, match=r"but got -3"):
        a.amax(dim=(0, -3))
    with pytest.raises(RuntimeError, match="multiple times"):
        a.sum((1, -1))
    with pytest.raises(TypeError, match="dim"):
        a.mean(1.5)
    with pytest.raises(TypeError, match="alias"):
        a.sum(dim=0, axis=1)
    with pytest.raises(TypeError, match="dim"):
        a.max((0, 1))
    with pytest.raises(TypeError, match="keepdim needs a dim"):
        a.max(keepdim=True)


# --------------------------------------------------------------------- elementwise


@st.composite
def broadcast_pair(draw, elements=finite):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    return tuple(draw(hnp.arrays(np.float64, s, elements=elements)) for s in shapes.input_shapes)


# (the ops both engines have are in tests/test_shared_ops.py, one table for both)
UNARY = {
    "sqrt": (lambda t: t.sqrt(), True),
    "abs": (lambda t: t.abs(), False),
    "abs()": (abs, False),
    "clamp": (lambda t: t.clamp(-1, 0.5), False),
    "clamp min": (lambda t: t.clamp(min=0.0), False),
    "clip max": (lambda t: t.clip(max=0.3), False),
    "rpow": (lambda t: 2.5**t, False),
    "torch.pow": (lambda t: functions.pow(t, 2), False),
}


@FEW
@given(hnp.arrays(np.float64, small_shapes, elements=finite), st.sampled_from(sorted(UNARY)))
def test_unary_against_torch(x, name):
    fn, positive = UNARY[name]
    if positive:
        x = np.abs(x) + 0.1
    torch_fn = (lambda t: torch.pow(t, 2)) if name == "torch.pow" else fn
    check(fn, x, torch_fn=torch_fn)


@pytest.mark.parametrize("name", ["relu", "abs", "clamp", "clamp min", "sqrt"])
def test_edge_values_0_and_nan_follow_torch(name):
    """relu's derivative is 1 at NaN and 0 at 0 (issue 12, row 9), abs's and clamp's 0."""
    x = np.array([np.nan, 0.0, -0.0, 1.0, -1.0, 0.5])
    with np.errstate(invalid="ignore", divide="ignore"):
        fn = (lambda t: t.relu()) if name == "relu" else UNARY[name][0]
        check(fn, x if name != "sqrt" else np.abs(x))


@FEW
@given(
    broadcast_pair(),
    st.sampled_from(["pow", "maximum", "minimum", "max", "min", "clamp", "mod", "div"]),
)
def test_binary_against_torch(pair, name):
    a, b = pair
    fns = {
        "pow": (lambda x, y: x**y, lambda x, y: x**y),
        "maximum": (lambda x, y: x.maximum(y), torch.maximum),
        "minimum": (lambda x, y: x.minimum(y), torch.minimum),
        "max": (lambda x, y: x.max(y), lambda x, y: x.max(y)),
        "min": (lambda x, y: x.min(y), lambda x, y: x.min(y)),
        "clamp": (lambda x, y: x.clamp(min=y, max=y + 1), lambda x, y: x.clamp(min=y, max=y + 1)),
        "mod": (lambda x, y: x % y, lambda x, y: x % y),
        "div": (lambda x, y: x / y, lambda x, y: x / y),
    }
    if name in ("maximum", "minimum", "max", "min"):
        a, b = np.round(a), np.round(b)  # ties: each side gets half the gradient
    if name == "pow":
        a = np.abs(a) + 0.5
    if name in ("mod", "div"):
        b = np.where(b < 0, -1.0, 1.0) * (np.abs(b) + 0.5)  # away from 0
    check(*fns[name][:1], a, b, torch_fn=fns[name][1], rtol=1e-9)


def test_clamp_with_tensor_bounds_where_min_exceeds_max():
    x, lo, hi = (
        np.array([0.0, 2.0, 5.0, 1.0]),
        np.array([1.0, 1.0, 1.0, 3.0]),
        np.array([4.0, 4.0, 4.0, 2.0]),
    )
    check(lambda x, lo, hi: x.clamp(lo, hi), x, lo, hi)
    check(lambda x, lo: x.clamp(min=lo), x, lo)
    check(lambda x, hi: x.clamp(max=hi), x, hi)
    with pytest.raises(RuntimeError, match="at least one"):
        Tensor(x).clamp()


def test_pow_tensor_exponent_edge_cases_as_torch():
    check(lambda a, b: a**b, np.array([0.0, 1.0, 2.0, 0.0]), np.array([0.0, -1.0, 0.5, 2.0]))
    check(lambda t: 0.0**t, np.array([0.0, 1.0, 2.0]))
    assert (2 ** Tensor([1, 2])).tolist() == [2, 4] and (2 ** Tensor([1, 2])).dtype == np.int64
    assert (Tensor([2, 3]) ** 2).dtype == np.int64
    with pytest.raises(RuntimeError, match="negative integer powers"):
        Tensor([1, 2]) ** -1


def test_batched_matmul_over_leading_dims():
    for sa, sb in [
        ((4, 2, 3, 5), (4, 2, 5, 2)),
        ((2, 1, 3, 5), (3, 5, 4)),
        ((2, 3, 4), (4,)),
        ((4,), (2, 4, 3)),
    ]:
        check(lambda a, b: a @ b, RNG.standard_normal(sa), RNG.standard_normal(sb))
        check(lambda a, b: a.matmul(b), RNG.standard_normal(sa), RNG.standard_normal(sb))
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) and \(2, 5, 3\)"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((2, 5, 3)))


# --------------------------------------------------------------------- division and dtypes


def test_integer_true_division_gives_floats():
    """Issue 12, row 8."""
    assert (Tensor([1, 2]) / Tensor([2, 2])).tolist() == [0.5, 1.0]
    assert (2 / Tensor([1, 2])).tolist() == [2.0, 1.0]
    assert (Tensor([1, 2]) / 2).tolist() == [0.5, 1.0]
    assert (Tensor([3]) / Tensor([2])).dtype == np.float32  # the default dtype, PyTorch's
    assert (Tensor([1, 2]) / 0.5).dtype == np.float32
    w = Tensor([1.0, 2.0], requires_grad=True)
    check(
        lambda w: Tensor([3, 4]) / w,
        np.array([1.0, 2.0]),
        torch_fn=lambda w: torch.tensor([3, 4]) / w,
    )
    check(lambda w: 3 / w, np.array([1.0, 2.0]))
    assert w.grad is None


@pytest.mark.parametrize("op", ["+", "-", "*", "//", "%"])
def test_integer_arithmetic_stays_integer(op):
    a, b = np.array([7, -7, 5]), np.array([2, 3, -2])
    fn = eval(f"lambda x, y: x {op} y")  # noqa: S307 (test-local, fixed operators)
    check(fn, a, b, grads=False)
    check(lambda x: fn(x, 3), a, torch_fn=lambda x: fn(x, 3), grads=False)


def test_integer_division_by_zero_is_an_error_float_is_inf():
    with pytest.raises(ZeroDivisionError):
        Tensor([1, 2]) // Tensor([1, 0])
    with pytest.raises(ZeroDivisionError):
        Tensor([1, 2]) % 0
    with np.errstate(divide="ignore"):
        assert (Tensor([1.0]) // Tensor([0.0])).item() == np.inf


def test_floor_division_has_no_gradient_as_torch():
    x = Tensor([5.0, -3.0], requires_grad=True)
    y = (x // 2).sum()
    with pytest.raises(RuntimeError, match="floor_divide"):
        y.backward()


DTYPES = [np.bool_, np.int32, np.int64, np.float32, np.float64]


@pytest.fixture(params=["float32", "float64"])
def default_dtype(request):
    """Both libraries' default dtype: PyTorch's float32, then float64."""
    default = torch.get_default_dtype()
    micrograd.set_default_dtype(getattr(micrograd, request.param))
    torch.set_default_dtype(getattr(torch, request.param))
    yield
    torch.set_default_dtype(default)


@pytest.mark.parametrize("op", ["+", "*", "/", "=="])
def test_result_dtypes_as_torch(op, default_dtype):
    """Mixed dtypes give PyTorch's result dtype: float32 with int64 stays float32, and a 0-d
    tensor only decides the dtype if it is of a higher kind (bool < int < float)."""
    fn = {"+": lambda a, b: a + b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}.get(
        op, lambda a, b: a == b
    )
    for da, db in itertools.product(DTYPES, DTYPES):
        for shape_a, shape_b in [((2,), (2,)), ((2,), ()), ((), (2,))]:
            if op == "+" and da is np.bool_ and db is np.bool_:
                continue  # a logical or in both, fine; skip the warnings NumPy gives
            a, b = np.ones(shape_a, da), np.ones(shape_b, db)
            ours = fn(Tensor(a), Tensor(b))
            theirs = fn(torch.tensor(a), torch.tensor(b))
            assert ours.dtype == torch_to_numpy_dtype(theirs.dtype), (da, db, shape_a, shape_b)
    assert (Tensor(np.ones(2, np.float32)) * 2.5).dtype == np.float32
    default = micrograd.get_default_dtype()
    assert (Tensor([1, 2]) * 2.5).dtype == default == (torch.tensor([1, 2]) * 2.5).numpy().dtype
    assert Tensor([1, 2]).exp().dtype == default and Tensor([True]).sqrt().dtype == default
    for ours, theirs in [
        (Tensor([1, 2]) + 0.5, torch.tensor([1, 2]) + 0.5),
        (Tensor([5, 7]) // 2.0, torch.tensor([5, 7]) // 2.0),
        (Tensor([5, 7]) % 2.5, torch.tensor([5, 7]) % 2.5),
        (Tensor([1, 2]) ** 0.5, torch.tensor([1, 2]) ** 0.5),
        (2.0 ** Tensor([1, 2]), 2.0 ** torch.tensor([1, 2])),
        (1.5 - Tensor([1, 2]), 1.5 - torch.tensor([1, 2])),
        (Tensor([True, False]) * 1.5, torch.tensor([True, False]) * 1.5),
        (Tensor([1, 2]).sigmoid(), torch.tensor([1, 2]).sigmoid()),
        (Tensor([1, 2]).log(), torch.tensor([1, 2]).log()),
        (Tensor([1, 2]) ** 2, torch.tensor([1, 2]) ** 2),
    ]:
        assert ours.dtype == torch_to_numpy_dtype(theirs.dtype), theirs
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6)


# --------------------------------------------------------------------- comparisons and logic


@FEW
@given(
    broadcast_pair(elements=st.integers(-2, 2).map(float)),
    st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
)
def test_comparisons_are_elementwise_as_torch(pair, op):
    fn = eval(f"lambda x, y: x {op} y")  # noqa: S307 (test-local, fixed operators)
    a, b = pair
    check(fn, a, b, grads=False)
    check(lambda x: fn(x, 1), a, grads=False)
    check(lambda x: fn(1.0, x), a, grads=False)
    name = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[op]
    check(lambda x, y: getattr(x, name)(y), a, b, grads=False)


def test_equality_with_a_number_is_elementwise_and_hash_is_identity():
    """Issue 12, row 10."""
    t = Tensor([1.0, 2.0])
    assert (t == 1).tolist() == [True, False] and (t == 1).dtype == np.bool_
    assert (Tensor([1.0]) == 1).tolist() == [True]
    assert (t == None) is False and (t != "a") is True  # noqa: E711 (what users write)
    assert len({t, Tensor([1.0, 2.0])}) == 2 and {t: 1}[t] == 1
    with pytest.raises(TypeError):
        t < None  # noqa: B015
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)|\(2,\).*\(3,\)"):
        Tensor([1.0, 2.0, 3.0]) == t  # noqa: B015


def test_logical_ops_as_torch():
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    for fn in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y, lambda x, y: ~x & y):
        check(fn, a, b, grads=False)
    check(lambda x: x | True, a, grads=False)
    check(lambda x: ~x, np.array([1, 2, -3]), grads=False)  # bitwise on integers
    x = Tensor(np.arange(6.0))
    assert ((x > 1) & (x < 4)).tolist() == [False, False, True, True, False, False]
    assert x.gt(2).logical_not().tolist() == [True, True, True, False, False, False]
    with pytest.raises(TypeError, match="integer and bool"):
        x & x
    with pytest.raises(TypeError, match="integer and bool"):
        ~x
    with pytest.raises(RuntimeError, match="bool"):
        -Tensor([True])


def test_any_all_and_in_as_torch():
    x = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    for dim, keepdim in [(None, False), (0, False), (1, True), (-1, False)]:
        for name in ("any", "all"):
            ours = (
                getattr(Tensor(x), name)(dim, keepdim)
                if dim is not None
                else getattr(Tensor(x), name)()
            )
            t = torch.tensor(x)
            theirs = getattr(t, name)(dim, keepdim) if dim is not None else getattr(t, name)()
            np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert 1.0 in Tensor(x) and 2.0 not in Tensor(x) and Tensor(0.0) in Tensor(x)


# --------------------------------------------------------------------- Python protocols


def test_bool_format_len_iter_as_torch():
    """Issue 12, row 10: bool of a one-element tensor is its value."""
    assert bool(Tensor([0.0])) is False and bool(Tensor(5.0)) is True and bool(Tensor([[2]]))
    for bad, words in [(Tensor([1.0, 2.0]), "more than one value"), (Tensor([]), "no values")]:
        with pytest.raises(RuntimeError, match=words):
            bool(bad)
    assert f"{Tensor(1.23456):.2f}" == "1.23" and f"{Tensor([[2.5]]):>5}" == "  2.5"
    assert f"{Tensor(1.5)}" == "1.5" and f"{Tensor([1.5, 2.0])}" == repr(Tensor([1.5, 2.0]))
    with pytest.raises(TypeError, match="one-element"):
        f"{Tensor([1.0, 2.0]):.2f}"
    assert float(Tensor([2.5])) == 2.5 and int(Tensor(3.7)) == 3
    assert [10, 20, 30][Tensor(1)] == 20 and list(range(Tensor(3))) == [0, 1, 2]
    with pytest.raises(TypeError, match="integer tensors of a single element"):
        [1, 2][Tensor(1.0)]
    rows = list(Tensor(np.arange(6.0).reshape(3, 2)))
    assert len(rows) == 3 and rows[1].tolist() == [2.0, 3.0]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(Tensor(1.0))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(Tensor(1.0))


def test_iterating_passes_gradients_back():
    check(lambda t: sum(row * (i + 1) for i, row in enumerate(t)), RNG.standard_normal((3, 2)))


def test_array_facts_as_torch():
    t = Tensor(np.zeros((2, 3, 4)))
    assert t.size() == (2, 3, 4) and isinstance(t.size(), Size) and t.size().numel() == 24
    assert t.size(1) == 3 and t.size(-1) == 4 and t.shape == (2, 3, 4)
    assert t.dim() == 3 and t.ndim == 3 and t.numel() == 24 and Tensor(1.0).numel() == 1
    assert repr(t.size()) == "Size([2, 3, 4])"
    assert Tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]] and Tensor(2.0).tolist() == 2.0
    assert isinstance(Tensor([1.5]).item(), float) and isinstance(Tensor([2]).item(), int)
    with pytest.raises(IndexError, match=r"range of \[-3, 2\], but got 3"):
        t.size(3)
    with pytest.raises(IndexError, match="no dimensions"):
        Tensor(1.0).size(0)
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach\\(\\).numpy\\(\\)"):
        w.numpy()
    assert w.detach().numpy() is np.asarray(w)


def test_functions_module_as_torch_namespace():
    x = RNG.standard_normal((3, 4))
    check(lambda t: functions.sum(t, 1), x, torch_fn=lambda t: torch.sum(t, 1))
    check(
        lambda t: functions.max(t, dim=0).values, x, torch_fn=lambda t: torch.max(t, dim=0).values
    )
    check(
        lambda t: functions.tanh(functions.pow(t, 3.0)),
        x,
        torch_fn=lambda t: torch.tanh(torch.pow(t, 3.0)),
    )
    check(lambda t: functions.pow(2.0, t), x, torch_fn=lambda t: torch.pow(2.0, t))
    check(lambda t: functions.transpose(t, 0, 1), x, torch_fn=lambda t: torch.transpose(t, 0, 1))
    assert functions.argmax(Tensor(x), 1).tolist() == torch.argmax(torch.tensor(x), 1).tolist()
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        functions.exp([1.0])
    with pytest.raises(TypeError, match="must be a Tensor"):
        functions.pow(2, 3)


# --------------------------------------------------------------------- the version counter


def test_write_after_use_is_detected_as_torch():
    """Issue 12, row 7: a value the backward pass needs, overwritten in place in between."""
    for write in (
        lambda x: x.__setitem__(0, 10.0),
        lambda x: x.fill_(10.0),
        lambda x: x.add_(1.0),
        lambda x: x.masked_fill_(Tensor([True, False]), 0.0),
    ):
        x = Tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        with no_grad():
            write(x)
        assert x._version == 1
        with pytest.raises(RuntimeError, match="is at version 1; expected version 0 instead"):
            y.backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = (tx * tx).sum()
    with torch.no_grad():
        tx[0] = 10.0
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0 instead"):
        ty.backward()


def test_bump_version_as_optimizers_call_it_is_detected():
    """An optimizer's step before backward on an old graph: optimizers announce their
    in-place update with _bump_version."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    w.data -= 0.1  # an optimizer's update ...
    w._bump_version()  # ... and its announcement
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0 instead"):
        loss.backward()


def test_an_optimizer_step_before_backward_on_an_old_graph_is_detected():
    from micrograd import optim

    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    stale = (w * w).sum()
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        stale.backward()


def test_writes_that_no_rule_needs_are_fine_as_torch():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()  # + keeps nothing
    with no_grad():
        x[0] = 5.0
        x[1] = 6.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    assert x._version == 2


def test_a_node_built_after_the_write_is_fine():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        x.mul_(3.0)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 12.0])


def test_output_written_and_views_share_the_version():
    h = Tensor([1.0, 2.0, 3.0], requires_grad=True).exp()
    v = h[0:2]
    with no_grad():
        v[0] = 5.0  # exp's rule reads its output, through the view
    assert h._version == v._version == 1
    with pytest.raises(
        RuntimeError, match="output 0 of 'exp', is at version 1; expected version 0"
    ):
        h.sum().backward()
    w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    loss = (Tensor([[1.0, 1.0]]) @ w.T).sum()  # @ keeps w.T, a view of w
    with no_grad():
        w.mul_(2.0)
    with pytest.raises(RuntimeError, match="version 1; expected version 0"):
        loss.backward()
    d = w.detach()
    d.zero_()
    assert w._version == 2 and d._version == 2


@pytest.mark.parametrize(
    "before, after, message",
    [
        (0, 1, "version 1; expected version 0"),
        (1, 1, "version 2; expected version 1"),
        (0, 2, "version 2; expected version 0"),
        (1, 3, "version 4; expected version 2 or earlier"),
    ],
)
def test_several_writes_name_the_version_the_node_saw(before, after, message):
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        for _ in range(before):
            x.add_(1.0)
    y = (x * x).sum()
    with no_grad():
        for _ in range(after):
            x.add_(1.0)
    with pytest.raises(RuntimeError, match=message):
        y.backward()


def test_writing_numpy_data_directly_is_not_detected_as_in_torch():
    """Documented limit: writes into .data with NumPy skip the counter, as torch's .data."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    x.data[...] = 10.0
    y.backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = (tx * tx).sum()
    tx.data[...] = 10.0
    ty.backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())  # [20, 20], silently, in both


def test_inplace_on_tensors_that_require_grad_needs_no_grad():
    w = Tensor([1.0, 2.0], requires_grad=True)
    for write in (lambda: w.__setitem__(0, 1.0), lambda: w.zero_(), lambda: w.add_(1.0)):
        with pytest.raises(RuntimeError, match="leaf Tensor that requires grad"):
            write()
    h = w * 2
    h[0] = 1.0  # recorded in the graph, as PyTorch does (tests/tensors/test_inplace_graph.py)
    h.sum().backward()
    assert w.grad.tolist() == [0.0, 2.0]
    w.grad = None
    with no_grad():
        w[0] = 7.0
    assert w.tolist() == [7.0, 2.0] and w._version == 1


# --------------------------------------------------------------------- no_grad on generators


def test_no_grad_decorated_generator_records_no_graph():
    """Issue 12, row 16: the body of a @no_grad() generator runs without recording, every
    time it resumes; the caller's code between the yields records as usual."""
    from micrograd.tensors import is_grad_enabled

    w = Tensor([1.0, 2.0], requires_grad=True)

    @no_grad()
    def generate(n):
        for i in range(n):
            yield w * i, is_grad_enabled()

    seen = []
    for out, enabled in generate(3):
        seen.append((out.requires_grad, enabled, is_grad_enabled(), (w * 2).requires_grad))
    assert seen == [(False, False, True, True)] * 3
