"""Making tensors, dtypes, the device, and joining/picking ops, against PyTorch.

Creation functions: shapes, dtypes (the inference table, under both default dtypes) and
values. cat, stack, where, tril, triu, topk and sort: values and every gradient against
PyTorch float64 on hypothesis inputs. Bad input: one clear error.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import warnings
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd as mg
from micrograd import Tensor

RNG = np.random.default_rng(99)


# --------------------------------------------------------------------- helpers


@contextlib.contextmanager
def default_dtype(name: str):
    """Both libraries' default dtype set to ``name`` ('float32' or 'float64') inside."""
    ours, theirs = mg.get_default_dtype(), torch.get_default_dtype()
    mg.set_default_dtype(getattr(mg, name))
    torch.set_default_dtype(getattr(torch, name))
    try:
        yield
    finally:
        mg.set_default_dtype(ours)
        torch.set_default_dtype(theirs)


def np_dtype(torch_dtype: torch.dtype) -> np.dtype:
    return torch.empty(0, dtype=torch_dtype).numpy().dtype


TORCH_DTYPES = {
    "float16": torch.float16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "uint8": torch.uint8,
    "bool": torch.bool,
}


def same(ours: Tensor, theirs: torch.Tensor, rtol: float = 0.0, atol: float = 0.0) -> None:
    """Same shape, same dtype, same values (to the tolerances)."""
    assert isinstance(ours, Tensor)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == np_dtype(theirs.dtype), (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol, atol=atol)


def pull_back(ours: Tensor, theirs: torch.Tensor) -> None:
    """Backpropagate the same random upstream gradient through both outputs."""
    upstream = RNG.standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))


def leaves(arrays):
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    return ours, theirs


def assert_grads(ours, theirs) -> None:
    for o, t in zip(ours, theirs):
        assert o.grad is not None and o.grad.shape == o.shape and o.grad.dtype == np.float64
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------- dtypes


def test_dtypes_are_pytorchs_names_and_compare_with_numpy():
    assert mg.float is mg.float32 and mg.double is mg.float64 and mg.half is mg.float16
    assert mg.long is mg.int64 and mg.int is mg.int32 and mg.short is mg.int16
    assert mg.zeros(2, 3).size() == mg.Size([2, 3]) == torch.zeros(2, 3).size()
    assert mg.bool == np.bool_ and isinstance(mg.float32, mg.dtype)
    t = mg.tensor([1.0], dtype=mg.float32)
    assert t.dtype == mg.float32 and t.dtype == np.float32 and t.dtype != mg.float64
    for name, theirs in TORCH_DTYPES.items():
        ours = getattr(mg, name if name != "bool" else "bool_")
        assert ours == np_dtype(theirs)
        assert mg.is_floating_point(mg.zeros(1, dtype=ours)) == theirs.is_floating_point


def test_default_dtype_is_float32_and_switches_to_float64():
    assert mg.get_default_dtype() == mg.float32 == np_dtype(torch.get_default_dtype())
    with default_dtype("float64"):
        assert mg.get_default_dtype() == mg.float64
    assert mg.get_default_dtype() == mg.float32
    with pytest.raises(TypeError, match="only floating-point"):
        mg.set_default_dtype(mg.int64)
    assert mg.get_default_dtype() == mg.float32


INFERENCE_GRID = [
    1,
    -7,
    2.5,
    True,
    [1, 2],
    [1.0, 2],
    [1, 2.5],
    [True, False],
    [True, 2],
    [[1, 2], [3, 4]],
    [[1.5], [2.5]],
    [],
    [[]],
    np.array([1.0, 2.0], np.float32),
    np.array([1.0, 2.0], np.float64),
    np.array([1.0], np.float16),
    np.array([1, 2], np.int32),
    np.array([1, 2], np.int64),
    np.array([1, 2], np.uint8),
    np.array([True]),
    np.float32(1.5),
    np.float64(1.5),
    np.int64(3),
]


@pytest.mark.parametrize("default", ["float64", "float32"])
@pytest.mark.parametrize("data", INFERENCE_GRID, ids=repr)
def test_tensor_infers_dtypes_as_torch_tensor(default, data):
    with default_dtype(default):
        theirs = torch.tensor(data)
        same(mg.tensor(data), theirs)
        same(Tensor(data), theirs)  # the constructor follows the same table


@pytest.mark.parametrize("name", list(TORCH_DTYPES))
def test_tensor_with_every_dtype(name):
    data = [[1.7, 2.2, 0.0], [3.9, 0.5, 1.0]]
    same(mg.tensor(data, dtype=getattr(mg, name if name != "bool" else "bool_")),
         torch.tensor(data, dtype=TORCH_DTYPES[name]))  # fmt: skip


@pytest.mark.parametrize(("python_type", "expected"), [(float, "float64"), (int, "int64"),
                                                        (bool, "bool")])  # fmt: skip
def test_python_types_as_dtypes_mean_what_torch_says(python_type, expected):
    same(mg.zeros(2, dtype=python_type), torch.zeros(2, dtype=python_type))
    assert mg.ones(1, dtype=python_type).dtype == np.dtype(expected)


def test_tensor_copies_and_detaches():
    a = np.zeros(3)
    t = mg.tensor(a)
    a[0] = 1
    assert t.data[0] == 0
    src = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="detach"):
        copy = mg.tensor(src)
    assert not copy.requires_grad and copy.data is not src.data
    assert mg.tensor([1.0], requires_grad=True).requires_grad


def test_as_tensor_and_from_numpy_share_memory():
    a = np.zeros(3, np.float32)
    for t in (mg.as_tensor(a), mg.from_numpy(a)):
        a[1] = 5
        assert t.data[1] == 5 and t.dtype == np.float32
        t.data[2] = 7
        assert a[2] == 7
    t = Tensor([1.0])
    assert mg.as_tensor(t) is t
    assert mg.as_tensor(t, dtype=mg.float32).dtype == mg.float32
    assert mg.as_tensor([1, 2]).dtype == mg.int64
    with pytest.raises(TypeError, match="np.ndarray"):
        mg.from_numpy([1.0])


def test_float32_works_end_to_end():
    with default_dtype("float32"):
        x = mg.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
        w = mg.randn(2, 3, requires_grad=True)
        y = ((x @ w).tanh() * 2.0 + 1.0).sum()
        assert y.dtype == mg.float32
        y.backward()
        assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
        for make in (mg.zeros, mg.ones, mg.empty, mg.rand, mg.randn):
            assert make(2).dtype == mg.float32
        assert mg.arange(0, 1, 0.5).dtype == mg.arange(1.0).dtype == mg.float32
        assert mg.linspace(0, 1, 3).dtype == mg.full((1,), 0.5).dtype == mg.float32


# --------------------------------------------------------------------- conversions


CONVERSIONS = ["float", "double", "half", "long", "int", "short", "byte", "bool"]


@pytest.mark.parametrize("name", CONVERSIONS)
def test_conversion_methods_match_torch(name):
    data = [[1.7, -2.2, 0.0], [3.9, 0.5, 1.0]] if name != "byte" else [[1.7, 2.2, 0.0]]
    for dtype in (torch.float64, torch.float32, torch.int64):
        theirs = torch.tensor(data, dtype=dtype)
        same(getattr(Tensor(theirs.numpy()), name)(), getattr(theirs, name)())


def test_to_accepts_dtype_device_both_and_other_tensor():
    theirs = torch.tensor([1.5, -2.5], dtype=torch.float64)
    t = Tensor(theirs.numpy())
    assert t.to(mg.float64) is t and t.to("cpu") is t and t.to(mg.device("cpu")) is t
    assert t.float().float() is not t and t.to(t) is t
    same(t.to(mg.float32), theirs.to(torch.float32))
    same(t.to("cpu", mg.long), theirs.to("cpu", torch.long))
    same(t.to(device="cpu", dtype=mg.int32), theirs.to(device="cpu", dtype=torch.int32))
    same(t.to(mg.tensor([1])), theirs.to(torch.tensor([1])))
    copied = t.to(mg.float64, copy=True)
    assert copied is not t and copied.data is not t.data
    assert t.type() == "torch.DoubleTensor" and mg.tensor([1]).type() == theirs.long().type()
    same(t.type(mg.int32), theirs.type(torch.int32))
    same(t.type("torch.FloatTensor"), theirs.type("torch.FloatTensor"))
    same(t.type_as(mg.tensor([True])), theirs.type_as(torch.tensor([True])))
    with pytest.raises(TypeError, match="unexpected keyword"):
        t.to(dtyp=mg.float32)


def test_float_casts_are_differentiable_both_ways():
    a = RNG.standard_normal((3, 2))
    x, tx = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out = (x.float() * x.float()).double() * 3 + x.half().to(mg.float64)
    ref = (tx.float() * tx.float()).double() * 3 + tx.half().to(torch.float64)
    same(out, ref, rtol=1e-6, atol=1e-3)
    pull_back(out, ref)
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    assert not x.long().requires_grad and not x.bool().requires_grad


def test_device_is_always_the_cpu():
    t = Tensor([1.0], device="cpu")
    assert t.device == mg.device("cpu") and str(t.device) == "cpu" and t.device.type == "cpu"
    assert repr(t.device) == repr(torch.tensor([1.0]).device)
    assert t.is_cuda is False and t.cpu() is t and t.element_size() == 4
    assert mg.device("cpu:0").index == 0 and mg.device(mg.device("cpu")) == mg.device("cpu")
    assert mg.zeros(1, device=mg.device("cpu")).device.type == "cpu"
    assert mg.cuda.is_available() is False and mg.cuda.device_count() == 0
    mg.cuda.manual_seed_all(3407)  # nothing to seed, but no error, as in PyTorch
    mg.device("cuda")  # a device can be named, as in PyTorch: using it is what fails


@pytest.mark.parametrize(
    "make",
    [
        lambda: mg.zeros(2, device="cuda"),
        lambda: mg.tensor([1.0], device="cuda:0"),
        lambda: Tensor([1.0], device="cuda"),
        lambda: mg.arange(3, device=mg.device("cuda")),
        lambda: mg.randn(2, device="mps"),
        lambda: Tensor([1.0]).to("cuda"),
        lambda: Tensor([1.0]).cuda(),
        lambda: mg.cuda.synchronize(),
    ],
)
def test_other_devices_are_a_clear_error(make):
    with pytest.raises(RuntimeError, match="CPU only: device='(cuda|cuda:0|mps)' is not avail"):
        make()


def test_device_typos_and_bad_dtypes_are_clear_errors():
    with pytest.raises(RuntimeError, match="device type at start of device string: gpu"):
        mg.device("gpu")
    for bad in ("float33", torch.float32, np.complex128, object, [1]):
        with pytest.raises(TypeError, match="dtype"):
            mg.zeros(2, dtype=bad)
    with pytest.raises(TypeError, match="not supported"):
        mg.tensor([1.0], dtype=np.complex64)
    with pytest.raises(TypeError, match="numeric"):
        mg.tensor("abc")
    with pytest.raises(TypeError, match="too large for int64"):
        mg.tensor([2**63])


# --------------------------------------------------------------------- filled tensors


SIZES = [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 2, 3, 1)]


@pytest.mark.parametrize("size", SIZES, ids=str)
@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_filled_tensors_match_torch(name, size):
    with default_dtype("float64"):
        theirs = getattr(torch, name)(size)
        ours_tuple, ours_varargs = getattr(mg, name)(size), getattr(mg, name)(*size)
        ours_list = getattr(mg, name)(list(size))
        for ours in (ours_tuple, ours_varargs, ours_list):
            if name == "empty":
                assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float64
            else:
                same(ours, theirs)
        ints = getattr(mg, name)(size, dtype=mg.long)
        assert ints.dtype == mg.int64 and not ints.requires_grad
        assert getattr(mg, name)(size, requires_grad=True).requires_grad


@pytest.mark.parametrize("fill", [True, 3, -2, 2.5, np.float32(1.5), np.int32(4)], ids=repr)
@pytest.mark.parametrize("default", ["float64", "float32"])
def test_full_infers_its_dtype_as_torch(fill, default):
    with default_dtype(default):
        same(mg.full((2, 3), fill), torch.full((2, 3), fill))
        same(mg.full([2], fill, dtype=mg.float32), torch.full([2], fill, dtype=torch.float32))


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "full_like"])
def test_like_functions_keep_shape_and_dtype(name):
    args = (2.7,) if name == "full_like" else ()
    for dtype in (torch.float32, torch.int64, torch.bool, torch.float64):
        theirs_in = torch.zeros(2, 3, dtype=dtype)
        theirs = getattr(torch, name)(theirs_in, *args)
        ours = getattr(mg, name)(Tensor(theirs_in.numpy()), *args)
        if name == "empty_like":
            assert ours.shape == tuple(theirs.shape) and ours.dtype == np_dtype(dtype)
        else:
            same(ours, theirs)
        changed = getattr(mg, name)(Tensor(theirs_in.numpy()), *args, dtype=mg.float64)
        assert changed.dtype == mg.float64


ARANGES = [
    (5,),
    (0, 5),
    (2, 10, 3),
    (10, 2, -3),
    (0, 0),
    (0.0, 1.0, 0.1),
    (1, 2.5, 0.5),
    (-1.5, 1.7, 0.3),
    (3, -2.2, -0.7),
    (5.0,),
    (0.1, 2.3, 0.2),
]


@pytest.mark.parametrize("args", ARANGES, ids=str)
@pytest.mark.parametrize("default", ["float64", "float32"])
def test_arange_matches_torch(args, default):
    # Values to the last bit or one off: PyTorch sums in SIMD chunks, rounding differently.
    with default_dtype(default):
        same(mg.arange(*args), torch.arange(*args), rtol=1e-6, atol=1e-15)
        # (int32 and the other integer dtypes: PyTorch counts with the float bounds but adds the
        # truncated step; micrograd reads all three as integers, as PyTorch does for int64.)
        for dtype in ("float64", "float32", "int64"):
            try:
                theirs = torch.arange(*args, dtype=getattr(torch, dtype))
            except (RuntimeError, ValueError):  # a step below 1 read as an integer: 0
                with pytest.raises(ValueError, match="nonzero"):
                    mg.arange(*args, dtype=getattr(mg, dtype))
                continue
            same(mg.arange(*args, dtype=getattr(mg, dtype)), theirs, rtol=1e-6, atol=1e-15)
    assert mg.arange(0, 5, dtype=mg.long).dtype == mg.int64  # makemore's positions


@pytest.mark.parametrize(
    "args", [(0, 10, 5), (-1.3, 2.7, 7), (3, 3, 1), (0, 1, 0), (1, 0, 11), (-5, 5, 101)]
)
def test_linspace_and_eye_match_torch(args):
    with default_dtype("float64"):
        same(mg.linspace(*args), torch.linspace(*args), rtol=1e-14, atol=1e-14)
        if args[2] < 100:  # integers truncate, so a last-bit difference can move one by 1
            same(mg.linspace(*args, dtype=mg.int64), torch.linspace(*args, dtype=torch.int64))
    for n, m in [(3, None), (2, 4), (4, 2), (0, None)]:
        with default_dtype("float64"):
            theirs = torch.eye(n) if m is None else torch.eye(n, m)
            same(mg.eye(n, m), theirs)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: mg.zeros(2, -1), "non-negative"),
        (lambda: mg.ones((-3,)), "non-negative"),
        (lambda: mg.full((2, -2), 1.0), "non-negative"),
        (lambda: mg.eye(-1), "non-negative"),
        (lambda: mg.linspace(0, 1, -1), "non-negative"),
        (lambda: mg.arange(0, 5, 0), "nonzero"),
        (lambda: mg.arange(5, 0), "inconsistent with step sign"),
        (lambda: mg.arange(0, float("inf")), "unsupported range"),
    ],
)
def test_bad_sizes_and_ranges_are_value_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    "make",
    [
        lambda: mg.zeros(2.0),
        lambda: mg.ones(2, "3"),
        lambda: mg.empty((2, None)),
        lambda: mg.full((2,), "x"),
        lambda: mg.arange("5"),
        lambda: mg.zeros(2, dtype=mg.int64, requires_grad=True),
        lambda: mg.zeros_like([1.0]),
    ],
)
def test_bad_argument_types_are_type_errors(make):
    with pytest.raises(TypeError):
        make()


# --------------------------------------------------------------------- cat and stack


@st.composite
def joinable(draw, stack: bool = False):
    """A few float64 arrays that cat (or stack) along a drawn dim, and that dim."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3))
    count = draw(st.integers(1, 4))
    if stack:
        dim = draw(st.integers(-len(shape) - 1, len(shape)))
        shapes = [shape] * count
    else:
        dim = draw(st.integers(-len(shape), len(shape) - 1))
        shapes = []
        for _ in range(count):
            s = list(shape)
            s[dim] = draw(st.integers(0, 3))
            shapes.append(tuple(s))
    elements = st.floats(-10, 10, allow_nan=False)
    arrays = [draw(hnp.arrays(np.float64, s, elements=elements)) for s in shapes]
    return arrays, dim


@settings(max_examples=30)
@given(joinable())
def test_cat_values_and_gradients_match_torch(case):
    arrays, dim = case
    ours, theirs = leaves(arrays)
    out, ref = mg.cat(ours, dim), torch.cat(theirs, dim)
    same(out, ref)
    pull_back(out, ref)
    assert_grads(ours, theirs)


@settings(max_examples=30)
@given(joinable(stack=True))
def test_stack_values_and_gradients_match_torch(case):
    arrays, dim = case
    ours, theirs = leaves(arrays)
    out, ref = mg.stack(ours, dim), torch.stack(theirs, dim)
    same(out, ref)
    pull_back(out, ref)
    assert_grads(ours, theirs)


def test_cat_of_one_tensor_twice_adds_both_gradients_and_aliases_work():
    a = RNG.standard_normal((2, 3))
    ours, theirs = leaves([a])
    out = mg.concat((ours[0], ours[0] * 2, ours[0]), axis=1)
    ref = torch.cat((theirs[0], theirs[0] * 2, theirs[0]), dim=1)
    same(out, ref)
    pull_back(out, ref)
    assert_grads(ours, theirs)
    assert mg.concatenate is mg.cat
    # PyTorch skips 1-D empty tensors, as accumulators start: cat([tensor([]), x])
    empty, x = mg.tensor([], requires_grad=True), Tensor(a, requires_grad=True)
    out = mg.cat([empty, x])
    assert out.shape == (2, 3)
    out.sum().backward()
    assert empty.grad.shape == (0,) and np.array_equal(x.grad, np.ones((2, 3)))


DTYPE_PAIRS = [
    ("float32", "int64"),
    ("float32", "float64"),
    ("int64", "bool"),
    ("uint8", "int8"),
    ("int32", "int64"),
    ("float16", "float32"),
    ("bool", "bool"),
]


@pytest.mark.parametrize(("a", "b"), DTYPE_PAIRS)
def test_cat_stack_where_promote_dtypes_as_torch(a, b):
    x = torch.tensor([[1, 0]], dtype=TORCH_DTYPES[a])
    y = torch.tensor([[0, 1]], dtype=TORCH_DTYPES[b])
    ox, oy = Tensor(x.numpy()), Tensor(y.numpy())
    same(mg.cat([ox, oy]), torch.cat([x, y]))
    same(mg.stack([ox, oy], 1), torch.stack([x, y], 1))
    cond = torch.tensor([[True, False]])
    same(mg.where(Tensor(cond.numpy()), ox, oy), torch.where(cond, x, y))
    for default in ("float64", "float32"):
        with default_dtype(default):
            for scalar in (0.5, 2, True):
                same(mg.where(Tensor(cond.numpy()), ox, scalar), torch.where(cond, x, scalar))


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: mg.cat([]), ValueError, "non-empty"),
        (lambda: mg.cat(Tensor([1.0])), TypeError, "tuple or list"),
        (lambda: mg.cat([Tensor([1.0]), [2.0]]), TypeError, "position 1"),
        (lambda: mg.cat([Tensor(1.0), Tensor(2.0)]), ValueError, "zero-dimensional"),
        (lambda: mg.cat([mg.ones(2, 3), mg.ones(3, 3)], 1), ValueError, r"\(2, 3\).*\(3, 3\)"),
        (lambda: mg.cat([mg.ones(2, 3), mg.ones(2, 3)], 2), IndexError, "out of range"),
        (lambda: mg.stack([mg.ones(2), mg.ones(3)]), ValueError, r"\(2,\).*\(3,\)"),
        (lambda: mg.stack([mg.ones(2)], 3), IndexError, "out of range"),
    ],
)
def test_bad_joins_are_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


# --------------------------------------------------------------------- where, tril, triu


@settings(max_examples=30)
@given(
    hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3),
    st.integers(0, 2**32 - 1),
)
def test_where_values_and_gradients_match_torch(shapes, seed):
    rng = np.random.default_rng(seed)
    cond_shape, a_shape, b_shape = shapes.input_shapes
    cond = rng.random(cond_shape) < 0.5
    ours, theirs = leaves([rng.standard_normal(a_shape), rng.standard_normal(b_shape)])
    out = mg.where(Tensor(cond), *ours)
    ref = torch.where(torch.tensor(cond), *theirs)
    same(out, ref)
    pull_back(out, ref)
    assert_grads(ours, theirs)
    method = ours[0].where(Tensor(cond), 0.0)
    same(method, theirs[0].where(torch.tensor(cond), 0.0))


def test_where_with_a_number_and_with_condition_only():
    a = RNG.standard_normal((2, 3))
    cond = a > 0
    ours, theirs = leaves([a])
    for ok, rk in ((mg.where(Tensor(cond), -1.0, ours[0]), torch.where(torch.tensor(cond),
                    -1.0, theirs[0])),):  # fmt: skip
        same(ok, rk)
        pull_back(ok, rk)
    assert_grads(ours, theirs)
    for o, t in zip(mg.where(Tensor(cond)), torch.where(torch.tensor(cond))):
        same(o, t)
    with pytest.raises(TypeError, match="boolean tensor, got dtype float64"):
        mg.where(Tensor(a), ours[0], 0.0)
    with pytest.raises(ValueError, match="broadcast"):
        mg.where(Tensor(cond), mg.ones(4), 0.0)


@settings(max_examples=30)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=4, min_side=0, max_side=4),
        elements=st.floats(-10, 10),
    ),
    st.integers(-4, 4),
    st.booleans(),
)
def test_tril_triu_values_and_gradients_match_torch(a, diagonal, lower):
    ours, theirs = leaves([a])
    name = "tril" if lower else "triu"
    out = getattr(mg, name)(ours[0], diagonal=diagonal)
    ref = getattr(torch, name)(theirs[0], diagonal=diagonal)
    same(out, ref)
    pull_back(out, ref)
    assert_grads(ours, theirs)
    same(getattr(ours[0], name)(diagonal), getattr(theirs[0], name)(diagonal))


def test_tril_makes_the_causal_mask_and_refuses_vectors():
    same(mg.tril(mg.ones(4, 4)), torch.tril(torch.ones(4, 4)))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        mg.tril(mg.ones(3))


# --------------------------------------------------------------------- topk and sort


@st.composite
def distinct_values(draw):
    """An array of distinct floats (so indices are unambiguous) and a dim."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    order = draw(st.permutations(range(int(np.prod(shape)))))
    values = np.array(order, dtype=np.float64) - 3.5
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return values.reshape(shape), dim


@settings(max_examples=30)
@given(distinct_values(), st.data())
def test_topk_values_indices_and_gradients_match_torch(case, data):
    a, dim = case
    k = data.draw(st.integers(0, a.shape[dim]))
    largest = data.draw(st.booleans())
    ours, theirs = leaves([a])
    out = mg.topk(ours[0], k, dim=dim, largest=largest)
    ref = torch.topk(theirs[0], k, dim=dim, largest=largest)
    same(out.values, ref.values)
    same(out.indices, ref.indices)
    pull_back(out.values, ref.values)
    assert_grads(ours, theirs)
    values, indices = ours[0].topk(k, dim, largest)  # a method, and a tuple
    assert np.array_equal(values.data, out[0].data) and np.array_equal(indices.data, out[1].data)


@settings(max_examples=30)
@given(distinct_values(), st.booleans())
def test_sort_and_argsort_match_torch(case, descending):
    a, dim = case
    ours, theirs = leaves([a])
    out = mg.sort(ours[0], dim=dim, descending=descending)
    ref = torch.sort(theirs[0], dim=dim, descending=descending)
    same(out.values, ref.values)
    same(out.indices, ref.indices)
    pull_back(out.values, ref.values)
    assert_grads(ours, theirs)
    same(mg.argsort(ours[0], dim, descending), torch.argsort(theirs[0], dim, descending))


def test_sort_is_stable_and_puts_nan_as_largest_as_torch_stable():
    data = [1.0, float("nan"), 3.0, 1.0, 3.0, -2.0]
    for descending in (False, True):
        ours = mg.sort(mg.tensor(data), descending=descending)
        ref = torch.sort(torch.tensor(data), descending=descending, stable=True)
        np.testing.assert_array_equal(ours.values.data, ref.values.numpy())
        np.testing.assert_array_equal(ours.indices.data, ref.indices.numpy())


def test_topk_of_makemore_generate_and_bad_k():
    logits = Tensor(RNG.standard_normal((4, 27)))
    v, _ = mg.topk(logits, 3)
    assert v.shape == (4, 3) and v[:, [-1]].shape == (4, 1)
    _, idx_next = mg.topk(logits.softmax(-1), k=1, dim=-1)
    assert idx_next.dtype == mg.int64
    assert np.array_equal(idx_next.data[:, 0], logits.data.argmax(-1))
    with pytest.raises(ValueError, match="out of range"):
        mg.topk(mg.ones(3), 4)
    with pytest.raises(TypeError, match="k must be an int"):
        mg.topk(mg.ones(3), 1.5)


# --------------------------------------------------------------------- the top level


def run_fresh(script: str) -> str:
    """Run ``script`` in a fresh Python importing this checkout's micrograd; its stdout."""
    env = {**os.environ, "PYTHONPATH": str(Path(mg.__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_micrograd_as_torch_runs_makemore_style_code():
    script = """
import micrograd as torch
import micrograd.nn as nn
from micrograd.nn import functional as F
torch.manual_seed(3407)
torch.cuda.manual_seed_all(3407)
X = torch.zeros(4, 1, dtype=torch.long).to("cpu")
mask = torch.tril(torch.ones(3, 3))
probs = torch.tensor([[0.1, 0.9], [1.0, 0.0]])
nxt = torch.multinomial(probs, num_samples=1)
X = torch.cat((X[:2], nxt), dim=1)
with torch.no_grad():
    w = torch.randn(2, 3, requires_grad=True)
print(X.dtype, X.shape, mask.dtype, torch.cuda.is_available(), nn.Module.__name__, F.__name__)
"""
    assert run_fresh(script).split() == [
        "int64", "(2,", "2)", "float32", "False", "Module", "micrograd.nn.functional"
    ]  # fmt: skip


TOP_LEVEL = [
    ("exp", ()),
    ("log", ()),
    ("tanh", ()),
    ("sigmoid", ()),
    ("relu", ()),
    ("sqrt", ()),
    ("abs", ()),
    ("sum", ()),
    ("sum", (1,)),
    ("mean", ()),
    ("max", ()),
    ("min", ()),
    ("argmax", ()),
    ("softmax", (-1,)),
    ("log_softmax", (1,)),
    ("reshape", ((6,),)),
    ("flatten", ()),
    ("transpose", (0, 1)),
    ("t", ()),
    ("permute", ((1, 0),)),
    ("unsqueeze", (0,)),
    ("squeeze", ()),
    ("clamp", (-0.5, 0.5)),
    ("pow", (3,)),
    ("var", ()),
    ("std", ()),
    ("prod", ()),
    ("roll", (1, 0)),
]


@pytest.mark.parametrize(("name", "args"), TOP_LEVEL, ids=lambda x: str(x))
def test_function_forms_call_the_methods_and_match_torch(name, args):
    a = np.abs(RNG.standard_normal((2, 3))) + 0.1
    ours, theirs = leaves([a])
    out = getattr(mg, name)(ours[0], *args)
    ref = getattr(torch, name)(theirs[0], *args)
    same(out, ref, rtol=1e-12, atol=1e-12)
    if out.requires_grad:
        pull_back(out, ref)
        assert_grads(ours, theirs)


def test_function_forms_without_methods_of_their_own():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2))
    x, y = Tensor(a), Tensor(b)
    same(mg.matmul(x, y), torch.matmul(torch.tensor(a), torch.tensor(b)), rtol=1e-12)
    assert mg.numel(x) == 6 and mg.is_tensor(x) and not mg.is_tensor(a)
    assert mg.allclose(x, x + 1e-10) and not mg.allclose(x, x + 1)
    assert mg.equal(x, Tensor(a.copy())) and not mg.equal(x, Tensor(a[:1]))
    same(mg.isclose(x, x * 1.5), torch.isclose(torch.tensor(a), torch.tensor(a) * 1.5))
    assert mg.result_type(mg.ones(1, dtype=mg.int64), 0.5) == mg.get_default_dtype()
    with pytest.raises(TypeError, match="must be (a tensor|Tensor), not float"):
        mg.exp(2.0)


def test_import_of_nn_still_works_and_dtype_names_do_not_break_builtins():
    import micrograd.nn as nn

    assert nn.Linear is mg.nn.Linear
    assert float(2) == 2.0 and int("3") == 3  # this module's builtins are untouched
    assert mg.float32 == np.float32


def test_seeded_numbers_repeat_in_a_fresh_process():
    out = run_fresh("import micrograd as m; m.manual_seed(7); print(m.randn(3).data.tolist())")
    mg.manual_seed(7)
    assert out.strip() == str(mg.randn(3).data.tolist())


@settings(max_examples=20)
@given(st.sampled_from(["float32", "float64"]), st.lists(st.floats(-5, 5), max_size=6))
def test_python_floats_follow_the_default_under_both(default, values):
    with default_dtype(default):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            same(mg.tensor(values), torch.tensor(values))
