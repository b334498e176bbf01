"""PyTorch's default dtype, float32: what Python floats, the creation functions and layers
make, and what integer data becomes in float operations; NumPy arrays keep theirs."""

import numpy as np
import pytest
import torch

import micrograd as mg
import micrograd.nn as mnn


def _np(dtype: torch.dtype) -> np.dtype:
    return torch.empty(0, dtype=dtype).numpy().dtype


@pytest.fixture(params=["float32", "float64"])
def default(request):
    """Both libraries' default dtype: PyTorch's own, then float64 after set_default_dtype."""
    previous = torch.get_default_dtype()
    mg.set_default_dtype(getattr(mg, request.param))
    torch.set_default_dtype(getattr(torch, request.param))
    yield np.dtype(request.param)
    torch.set_default_dtype(previous)


def test_the_default_is_pytorchs():
    assert mg.get_default_dtype() == mg.float32 == _np(torch.get_default_dtype())


def test_what_makes_default_dtype_tensors(default):
    made = [
        lambda lib: lib.tensor([1.5, 2.0]),
        lambda lib: lib.zeros(2, 3),
        lambda lib: lib.ones(2),
        lambda lib: lib.randn(3),
        lambda lib: lib.rand(3),
        lambda lib: lib.arange(0.0, 1.0, 0.25),
        lambda lib: lib.linspace(0, 1, 5),
        lambda lib: lib.full((2,), 0.5),
        lambda lib: lib.empty(2),
        lambda lib: lib.tensor([1, 2]) / 2,
        lambda lib: lib.tensor([1, 2]).exp(),
    ]
    for make in made:
        assert make(mg).dtype == default == _np(make(torch).dtype)


def test_layers_make_their_parameters_in_the_default_dtype(default):
    for make in (
        lambda nn: nn.Linear(3, 2),
        lambda nn: nn.Embedding(5, 2),
        lambda nn: nn.LayerNorm(4),
        lambda nn: nn.BatchNorm1d(3),
    ):
        ours, theirs = make(mnn), make(torch.nn)
        for (name, p), (_, q) in zip(
            ours.state_dict().items(), theirs.state_dict().items(), strict=True
        ):
            assert p.dtype == _np(q.dtype), name
        assert all(p.dtype == default for p in ours.parameters())


def test_numpy_arrays_keep_their_dtype():
    for dtype in (np.float64, np.float32, np.float16, np.int32, np.int64, np.bool_):
        a = np.zeros(2, dtype)
        for make in (mg.tensor, mg.as_tensor, mg.from_numpy):
            assert make(a).dtype == dtype == _np(getattr(torch, make.__name__)(a).dtype)
        assert mg.Tensor(a).dtype == dtype


def test_integer_data_meeting_floats_takes_the_default_dtype(default):
    ints = [1, 2, 3]
    for op in (
        lambda t: t / 2,
        lambda t: t * 0.5,
        lambda t: t + 0.5,
        lambda t: 0.5 - t,
        lambda t: t // 2.0,
        lambda t: t**0.5,
        lambda t: t.sqrt(),
        lambda t: t.log(),
        lambda t: t.sigmoid(),
        lambda t: t.tanh(),
    ):
        ours, theirs = op(mg.tensor(ints)), op(torch.tensor(ints))
        assert ours.dtype == default == _np(theirs.dtype)
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="floating-point"):
        mg.tensor(ints).mean()  # as PyTorch: mean of integers is refused


def test_tensor_of_an_array_shares_it_when_of_the_default_dtype(default):
    """Issue 17, C9: as torch.Tensor(ndarray). micrograd.tensor copies, from_numpy and
    as_tensor share, as PyTorch's."""
    for dtype in (np.float32, np.float64, np.int64):
        a, b = np.zeros((2, 3), dtype), np.zeros((2, 3), dtype)
        ours, theirs = mg.Tensor(a[:, ::2]), torch.Tensor(b[:, ::2])
        a[0, 0] = b[0, 0] = 5
        assert ours[0, 0].item() == theirs[0, 0].item() == (5 if dtype == default else 0)
        assert ours.dtype == dtype  # PyTorch's legacy constructor would make it the default
        for make, shares in [("tensor", False), ("from_numpy", True), ("as_tensor", True)]:
            ours, theirs = getattr(mg, make)(a), getattr(torch, make)(b)
            a[1, 1] = b[1, 1] = 7
            assert ours[1, 1].item() == theirs[1, 1].item() == (7 if shares else 0), make
            a[1, 1] = b[1, 1] = 0
