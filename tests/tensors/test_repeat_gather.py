"""``Tensor.repeat`` and ``gather`` (build-nanogpt's sampling loop: ``tokens.repeat(4, 1)``,
``torch.gather(topk_indices, -1, ix)``), against PyTorch float64 on random shapes: values, every
gradient, and the errors PyTorch raises."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd as mg
from micrograd.tensors import Tensor

RNG = np.random.default_rng(18)
FEW = settings(max_examples=30, deadline=None)


def _np(x):
    """Values as an ndarray, whether ``x`` (a value, or a ``.grad``) is a Tensor or an array."""
    return np.asarray(x.detach().numpy() if isinstance(x, Tensor) else x)


def check(fn, array, torch_fn=None):
    """fn on a micrograd leaf and (torch_fn or fn) on a torch leaf: the same values, and the
    same gradient for an upstream gradient drawn at random."""
    ours, theirs = Tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, ref = fn(ours), (torch_fn or fn)(theirs)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_array_equal(_np(out), ref.detach().numpy())
    upstream = RNG.standard_normal(out.shape)
    (out * Tensor(upstream)).sum().backward()
    (ref * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(_np(ours.grad), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------- repeat


@FEW
@given(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3), st.data())
def test_repeat_as_pytorch(shape, data):
    extra = data.draw(st.integers(0, 2))
    reps = data.draw(
        st.lists(st.integers(0, 3), min_size=len(shape) + extra, max_size=len(shape) + extra)
    )
    if not reps:
        return  # PyTorch's repeat() of a 0-d tensor needs at least one size, as ours
    spelled = data.draw(st.sampled_from(["args", "tuple", "list"]))
    args = {"args": tuple(reps), "tuple": (tuple(reps),), "list": (list(reps),)}[spelled]
    check(lambda t: t.repeat(*args), RNG.standard_normal(shape))


def test_repeat_as_build_nanogpt_uses_it():
    tokens = mg.tensor([15496, 11, 314], dtype=mg.long)
    rows = tokens.unsqueeze(0).repeat(4, 1)
    assert rows.shape == (4, 3) and rows.dtype == mg.long
    assert rows.tolist() == [[15496, 11, 314]] * 4


@pytest.mark.parametrize(
    ("reps", "error", "message"),
    [
        ((2,), RuntimeError, "can not be smaller than number of dimensions"),
        ((-1, 2), RuntimeError, ">= 0"),
        ((2.0, 1), TypeError, "must be ints"),
    ],
)
def test_repeat_refuses_what_pytorch_refuses(reps, error, message):
    x = np.ones((2, 3))
    with pytest.raises(error, match=message):
        Tensor(x).repeat(*reps)
    with pytest.raises((RuntimeError, TypeError)):
        torch.tensor(x).repeat(*reps)


# --------------------------------------------------------------------- gather


@FEW
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), st.data())
def test_gather_as_pytorch(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    d = dim % len(shape)
    # index: no larger than the input off dim, any length along dim, entries in [0, shape[d])
    index_shape = tuple(
        data.draw(st.integers(0, 5)) if i == d else data.draw(st.integers(0, n))
        for i, n in enumerate(shape)
    )
    index = RNG.integers(0, shape[d], index_shape)
    x = RNG.standard_normal(shape)
    check(
        lambda t: mg.gather(t, dim, mg.tensor(index)),
        x,
        torch_fn=lambda t: torch.gather(t, dim, torch.tensor(index)),
    )
    check(lambda t: t.gather(dim, Tensor(index)), x, lambda t: t.gather(dim, torch.tensor(index)))


def test_gather_as_build_nanogpt_samples():
    """topk(probs, k) then multinomial over the top k, then gather: the sampled positions
    mapped back to token ids, (B, 1)."""
    probs = mg.tensor(RNG.random((4, 20))).softmax(-1)
    topk_probs, topk_indices = mg.topk(probs, 5, dim=-1)
    ix = mg.multinomial(topk_probs, 1, generator=mg.Generator().manual_seed(42))
    xcol = mg.gather(topk_indices, -1, ix)
    assert xcol.shape == (4, 1) and xcol.dtype == mg.long
    expected = np.take_along_axis(_np(topk_indices), _np(ix), axis=-1)
    np.testing.assert_array_equal(_np(xcol), expected)


def test_gather_of_a_0d_tensor_and_int32_indices():
    assert mg.gather(mg.tensor(5.0), 0, mg.tensor(0)).item() == 5.0
    index = np.array([[1], [0]], dtype=np.int32)
    x = np.arange(6.0).reshape(2, 3)
    got = mg.gather(mg.tensor(x), 1, mg.tensor(index))
    np.testing.assert_array_equal(
        _np(got), torch.gather(torch.tensor(x), 1, torch.tensor(index)).numpy()
    )


@pytest.mark.parametrize(
    ("dim", "index", "error", "message"),
    [
        (1, [[0, 5]], RuntimeError, "index 5 is out of bounds for dimension 1 with size 3"),
        (1, [[-1], [0]], RuntimeError, "index -1 is out of bounds"),
        (1, [0, 1], RuntimeError, "same number of dimensions"),
        (1, [[0.0]], RuntimeError, "Expected dtype int32/int64 for index"),
        (0, [[0], [0], [0]], None, None),  # longer along dim: fine
        (1, [[0], [0], [0]], RuntimeError, "Size does not match at dimension 0"),
        (2, [[0]], IndexError, "Dimension out of range"),
    ],
)
def test_gather_refuses_what_pytorch_refuses(dim, index, error, message):
    x = np.arange(6.0).reshape(2, 3)
    index = np.array(index)
    if error is None:
        np.testing.assert_array_equal(
            _np(mg.gather(mg.tensor(x), dim, mg.tensor(index))),
            torch.gather(torch.tensor(x), dim, torch.tensor(index)).numpy(),
        )
        return
    with pytest.raises(error, match=message):
        mg.gather(mg.tensor(x), dim, mg.tensor(index))
    with pytest.raises((RuntimeError, IndexError)):
        torch.gather(torch.tensor(x), dim, torch.tensor(index))


def test_gather_needs_a_tensor_index():
    with pytest.raises(TypeError, match="'index' must be a Tensor"):
        mg.gather(mg.ones(2, 2), 1, [[0, 1]])
