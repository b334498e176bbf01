"""Issue 17, C7: ``x.shape`` as a ``Size``, and ``cumsum``, ``norm``, ``logsumexp`` (methods
and functions): values and gradients against PyTorch float64, on random inputs."""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import micrograd as mg
from micrograd import Size, Tensor

RNG = np.random.default_rng(17)
finite = st.floats(-4, 4, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 3))
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def against_torch(fn, a, torch_fn=None, rtol=1e-10, atol=1e-12):
    """fn on a micrograd leaf and (torch_fn or fn) on a torch float64 leaf: the same values,
    dtype and gradient (for a random upstream gradient)."""
    x = Tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    out, ref = fn(x), (torch_fn or fn)(t)
    assert out.shape == tuple(ref.shape)
    assert str(out.dtype) == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    expected = np.zeros(a.shape) if t.grad is None else t.grad.numpy()
    np.testing.assert_allclose(x.grad, expected, rtol=rtol, atol=atol)


# --------------------------------------------------------------------- shape


def test_shape_is_a_size_that_still_reads_as_a_tuple():
    x = mg.zeros(2, 3)
    assert type(x.shape) is Size and x.shape == (2, 3) and x.shape.numel() == 6
    assert repr(x.shape) == "Size([2, 3])" and f"{x.shape}" == "(2, 3)"
    batch, channels = x.shape
    assert (batch, channels) == (2, 3) and x.shape[-1] == 3 and x.size() == x.shape


# --------------------------------------------------------------------- cumsum


@given(hnp.arrays(np.float64, shapes, elements=finite), st.data())
def test_cumsum_matches_pytorch(a, data):
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    against_torch(lambda x: x.cumsum(dim), a)
    against_torch(lambda x: mg.cumsum(x, dim), a, lambda t: torch.cumsum(t, dim))


def test_cumsum_dtypes_and_edges_match_pytorch():
    for data, kwargs in [([1, 2, 3], {}), ([True, True], {}), ([1, 2], {"dtype": "float32"})]:
        ours = mg.tensor(data).cumsum(0, **kwargs)
        dtype = getattr(torch, kwargs["dtype"]) if kwargs else None
        theirs = torch.tensor(data).cumsum(0, dtype=dtype)
        assert ours.tolist() == theirs.tolist()
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert mg.tensor(3.0).cumsum(0).shape == ()
    with pytest.raises(TypeError):
        mg.tensor([1.0]).cumsum()  # dim is required, as in PyTorch
    with pytest.raises(IndexError, match="Dimension out of range"):
        mg.tensor([1.0]).cumsum(1)


# --------------------------------------------------------------------- norm

ORDERS = [2, "fro", 1, 3, 1.5, 0.5, 0, -1, math.inf, -math.inf]


@pytest.mark.parametrize("p", ORDERS)
@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, False), ((0, 2), True), (-1, True)])
def test_norm_matches_pytorch_with_zero_vectors_and_ties(p, dim, keepdim):
    a = RNG.standard_normal((3, 4, 2))
    a[0] = 0  # zero vectors: PyTorch's gradient is 0 there, not nan
    a[1, 1] = a[1, 0]
    a[2, :, 0], a[2, :, 1] = 1.5, -1.5  # ties for the inf norms share the gradient
    against_torch(lambda x: x.norm(p, dim, keepdim), a)
    against_torch(
        lambda x: mg.norm(x, p=p, dim=dim, keepdim=keepdim),
        a,
        lambda t: torch.norm(t, p=p, dim=dim, keepdim=keepdim),
    )


@given(hnp.arrays(np.float64, shapes, elements=finite), st.sampled_from([2, 1, 3, math.inf]))
def test_norm_matches_pytorch_on_random_input(a, p):
    against_torch(lambda x: x.norm(p), a, rtol=1e-9)
    against_torch(lambda x: x.norm(p, dim=-1, keepdim=True), a, rtol=1e-9)


def test_norm_refuses_what_pytorch_refuses():
    with pytest.raises(RuntimeError, match="floating-point"):
        mg.tensor([3, 4]).norm()
    with pytest.raises(RuntimeError, match="empty"):
        mg.zeros(0).norm(math.inf)
    with pytest.raises(RuntimeError, match="'nuc'.*not supported"):
        mg.ones(2, 2).norm("nuc")
    assert mg.zeros(0).norm().item() == torch.zeros(0).norm().item() == 0.0
    assert mg.tensor([3, 4]).norm(dtype=mg.float64).item() == 5.0


@pytest.mark.parametrize("p, dim", [(2, None), ("fro", None), (1, 1), (math.inf, 0)])
def test_norm_of_bfloat16_as_pytorch(p, dim):
    """A bfloat16 norm (``p.grad.norm()`` of a ``model.bfloat16()``) is summed in float32
    and rounded once, as PyTorch's CPU does; the gradient comes back in bfloat16."""
    a = RNG.standard_normal((5, 7)).astype(np.float32)
    x = mg.tensor(a).to(mg.bfloat16).requires_grad_()
    t = torch.tensor(a).to(torch.bfloat16).requires_grad_()
    out, ref = x.norm(p, dim), t.norm(p, dim)
    out.sum().backward()
    ref.float().sum().backward()
    assert out.dtype == mg.bfloat16 and x.grad.dtype == mg.bfloat16
    np.testing.assert_array_equal(out.float().detach().numpy(), ref.float().detach().numpy())
    grad, expected = x.grad.float().numpy(), t.grad.float().numpy()
    np.testing.assert_allclose(grad, expected, rtol=2**-7, atol=1e-6)


# --------------------------------------------------------------------- logsumexp


@given(hnp.arrays(np.float64, shapes, elements=finite), st.data(), st.booleans())
def test_logsumexp_matches_pytorch(a, data, keepdim):
    dims = data.draw(st.lists(st.integers(0, a.ndim - 1), min_size=1, unique=True))
    dim = tuple(dims) if len(dims) > 1 else dims[0]
    against_torch(lambda x: x.logsumexp(dim, keepdim), a)
    against_torch(
        lambda x: mg.logsumexp(x, dim, keepdim=keepdim),
        a,
        lambda t: torch.logsumexp(t, dim, keepdim=keepdim),
    )


def test_logsumexp_is_stable_and_takes_pytorchs_edges():
    big = np.array([[1000.0, 1000.0], [-1000.0, -1001.0]])
    against_torch(lambda x: x.logsumexp(1), big)
    inf = float("inf")
    ours = mg.tensor([[-inf, -inf], [1.0, 2.0]]).logsumexp(1)
    theirs = torch.tensor([[-inf, -inf], [1.0, 2.0]]).logsumexp(1)
    np.testing.assert_allclose(ours.data, theirs.numpy())
    assert mg.zeros(0).logsumexp(0).item() == torch.zeros(0).logsumexp(0).item() == -inf
    assert mg.tensor([1, 2]).logsumexp(0).dtype.kind == "f"  # integers give floats
