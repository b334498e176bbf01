"""Views, reshaping, indexing and writing in place, against PyTorch float64: values and every
gradient on random shapes and dims, and the errors bad arguments get."""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd.tensors import Tensor, no_grad

RNG = np.random.default_rng(77)
FEW = settings(max_examples=25)


def check(fn, *arrays, torch_fn=None, rtol=1e-10, atol=1e-12):
    """fn on micrograd leaves and (torch_fn or fn) on torch leaves: same values and dtype,
    and the same gradient for every input (each output of a tuple pulled back at once)."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = fn(*ours), (torch_fn or fn)(*theirs)
    outs, refs = (out, ref) if isinstance(out, tuple) else ((out,), (ref,))
    assert len(outs) == len(refs)
    total, total_ref = 0.0, 0.0
    for o, r in zip(outs, refs):
        assert o.shape == tuple(r.shape)
        np.testing.assert_allclose(o.data, r.detach().numpy(), rtol=rtol, atol=atol)
        upstream = RNG.standard_normal(o.shape)
        total = total + (o * upstream).sum()
        total_ref = total_ref + (r * torch.tensor(upstream)).sum()
    total.backward()
    total_ref.backward()
    for t, r in zip(ours, theirs):
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=rtol, atol=atol)


shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3)
nd_shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3)


def randn(shape):
    return RNG.standard_normal(shape)


# --------------------------------------------------------------------- reshaping


@FEW
@given(shapes, st.data())
def test_view_and_reshape_with_an_inferred_length(shape, data):
    n = math.prod(shape)
    target = list(data.draw(st.permutations(list(shape))))  # same count, another order
    if target and n:
        target[data.draw(st.integers(0, len(target) - 1))] = -1
    for name in ("view", "reshape"):
        if target:
            check(lambda t, name=name: getattr(t, name)(*target), randn(shape))
        check(lambda t, name=name: getattr(t, name)(tuple(target)), randn(shape))


@FEW
@given(shapes, st.data())
def test_flatten_unsqueeze_squeeze(shape, data):
    ndim = max(len(shape), 1)
    start = data.draw(st.integers(-ndim, ndim - 1))
    end = data.draw(st.integers(-ndim, ndim - 1))
    if (start % ndim) <= (end % ndim):
        check(lambda t: t.flatten(start, end), randn(shape))
    check(lambda t: t.flatten(), randn(shape))
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check(lambda t: t.unsqueeze(dim), randn(shape))
    ones = tuple(1 if data.draw(st.booleans()) else n for n in shape)
    check(lambda t: t.squeeze(), randn(ones))
    if ones:
        d = data.draw(st.integers(-len(ones), len(ones) - 1))
        check(lambda t: t.squeeze(d), randn(ones))
        dims = tuple(data.draw(st.sets(st.integers(0, len(ones) - 1), min_size=1)))
        check(lambda t: t.squeeze(dims), randn(ones))


@FEW
@given(nd_shapes, st.data())
def test_transpose_permute_t_T_mT(shape, data):
    ndim = len(shape)
    d0, d1 = (data.draw(st.integers(-ndim, ndim - 1)) for _ in range(2))
    check(lambda t: t.transpose(d0, d1), randn(shape))
    order = data.draw(st.permutations(range(ndim)))
    check(lambda t: t.permute(*order), randn(shape))
    check(lambda t: t.permute(order), randn(shape))
    if ndim <= 2:
        check(lambda t: t.t(), randn(shape))
    if ndim == 2:
        check(lambda t: t.T, randn(shape))
    if ndim >= 2:
        check(lambda t: t.mT, randn(shape))
    check(lambda t: t.T, randn(shape), torch_fn=lambda t: t.permute(*reversed(range(ndim))))


@FEW
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), st.data())
def test_expand_with_minus_one_and_new_leading_dims(shape, data):
    base = tuple(1 if data.draw(st.booleans()) else n for n in shape)
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    target = lead + [n if n != 1 else data.draw(st.integers(1, 3)) for n in base]
    target = [
        -1 if i >= len(lead) and data.draw(st.booleans()) else n for i, n in enumerate(target)
    ]
    check(lambda t: t.expand(*target), randn(base))
    check(lambda t: t.expand(target) * 2, randn(base))
    like = np.zeros([n if n != -1 else base[i - len(lead)] for i, n in enumerate(target)])
    check(
        lambda t: t.expand_as(Tensor(like)),
        randn(base),
        torch_fn=lambda t: t.expand_as(torch.tensor(like)),
    )


@FEW
@given(nd_shapes, st.data())
def test_split_and_chunk(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    size = data.draw(st.integers(1, n + 1))
    check(lambda t: t.split(size, dim), randn(shape))
    check(lambda t: t.split(size, dim=dim), randn(shape))
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n])]
    check(lambda t: t.split(sizes, dim), randn(shape))
    chunks = data.draw(st.integers(1, n + 2))
    check(lambda t: t.chunk(chunks, dim), randn(shape))


@FEW
@given(nd_shapes, st.data())
def test_roll(shape, data):
    shift = data.draw(st.integers(-4, 4))
    check(lambda t: t.roll(shift), randn(shape))
    dims = tuple(
        data.draw(st.sets(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=1))
    )
    shifts = tuple(data.draw(st.integers(-4, 4)) for _ in dims)
    check(lambda t: t.roll(shifts, dims), randn(shape))
    check(lambda t: t.roll(shift, dims[0]), randn(shape))


def test_contiguous_and_clone_are_in_the_graph():
    x = randn((3, 4))
    check(lambda t: t.transpose(0, 1).contiguous().view(12), x)
    check(lambda t: t.clone() * t, x)
    t = Tensor(x)
    assert t.contiguous() is t
    c = t.T.contiguous()
    assert c.numpy().flags.c_contiguous and not np.shares_memory(c, t)


def test_views_share_memory_copies_do_not():
    t = Tensor(np.arange(6.0))
    with no_grad():
        t.view(2, 3)[1, 2] = 60.0
        t.reshape(3, 2).transpose(0, 1)[0, 0] = 10.0
        t[1:3].unsqueeze(0)[0, 0] = 11.0
        t.clone()[0] = -1.0
    assert t.tolist() == [10.0, 11.0, 2.0, 3.0, 4.0, 60.0]
    x = Tensor(np.zeros((2, 2)))
    assert x[0, 1].numpy().base is not None  # a 0-d view, as PyTorch's
    x[0, 1].fill_(5.0)
    assert x.tolist() == [[0.0, 5.0], [0.0, 0.0]]


def test_attention_block_as_in_makemore():
    """view, split, transpose(1, 2), the causal masked_fill, softmax, @, contiguous().view."""
    B, T, C, H = 2, 4, 6, 2
    x0, w0 = randn((B, T, C)), randn((3 * C, C))
    tril = np.tril(np.ones((T, T))).reshape(1, 1, T, T)

    def attention(x, w, lib):
        q, k, v = (x @ w.transpose(0, 1)).split(C, dim=2)
        k = k.view(B, T, H, C // H).transpose(1, 2)
        q = q.view(B, T, H, C // H).transpose(1, 2)
        v = v.view(B, T, H, C // H).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(lib(tril)[:, :, :T, :T] == 0, float("-inf"))
        att = att.softmax(-1)
        y = att @ v
        return y.transpose(1, 2).contiguous().view(B, T, C)

    check(
        lambda x, w: attention(x, w, Tensor),
        x0,
        w0,
        torch_fn=lambda x, w: attention(x, w, torch.tensor),
    )


def test_shape_errors_name_the_shapes():
    a = Tensor(randn((2, 3)))
    with pytest.raises(
        RuntimeError, match=r"shape \[4, 2\] is invalid for input of size 6 .*\(2, 3\)"
    ):
        a.view(4, 2)
    with pytest.raises(RuntimeError, match=r"shape \[-1, 4\] is invalid.*\(2, 3\)"):
        a.reshape(-1, 4)
    with pytest.raises(TypeError, match="sizes must be ints"):
        a.view(2.0, 3)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 2"):
        a.transpose(0, 2)
    with pytest.raises(RuntimeError, match="duplicate dims"):
        a.permute(0, 0)
    with pytest.raises(RuntimeError, match=r"number of dims given \(3\).*\(2, shape \(2, 3\)\)"):
        a.permute(0, 1, 2)
    with pytest.raises(TypeError):
        a.transpose()
    with pytest.raises(
        RuntimeError, match=r"expanded size of the tensor \(4\) must match the existing size \(3\)"
    ):
        a.expand(2, 4)
    with pytest.raises(RuntimeError, match="leading, non-existing dimension 0"):
        a.expand(-1, 2, 3)
    with pytest.raises(RuntimeError, match="greater or equal"):
        a.expand(3)
    with pytest.raises(RuntimeError, match=r"sum exactly to 3 .*shape \(2, 3\).*\[1, 1\]"):
        a.split([1, 1], dim=1)
    with pytest.raises(RuntimeError, match="positive"):
        a.split(0)
    with pytest.raises(RuntimeError, match="greater than 0"):
        a.chunk(0)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        Tensor(np.zeros((2, 2, 2))).t()
    with pytest.raises(RuntimeError, match="mT"):
        Tensor(np.zeros(3)).mT
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        Tensor(np.zeros((2, 2, 2))).flatten(2, 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        a.unsqueeze(3)


# --------------------------------------------------------------------- indexing


INDICES = [
    (slice(None), [-1]),  # v[:, [-1]], as makemore's top-k
    ([0, 0, 2],),
    ([[0, 1], [2, 2]],),
    (slice(None), [True, False, True, False]),
    (1, slice(None, None, 2)),
    (-1, 2),
    (Ellipsis, None, 1),
    ([1, 2], [3, 3]),
]


@pytest.mark.parametrize("index", INDICES, ids=str)
@pytest.mark.parametrize("as_tensor", [False, True])
def test_indexing_with_lists_and_tensors(index, as_tensor):
    def convert(lib):
        return tuple((lib(i) if as_tensor else i) if isinstance(i, list) else i for i in index)

    check(
        lambda t: t[convert(Tensor)],
        randn((3, 4)),
        torch_fn=lambda t: t[convert(torch.tensor)],
    )


def test_bool_mask_tensor_and_embedding_lookup():
    x = randn((3, 4))
    check(lambda t: t[Tensor(x > 0)], x, torch_fn=lambda t: t[torch.tensor(x > 0)])
    ix = np.array([[0, 2, 2], [1, 1, 0]])
    check(lambda C: C[Tensor(ix)], x, torch_fn=lambda C: C[torch.tensor(ix)])  # emb = C[X]


def test_bad_indices():
    a = Tensor(randn((3, 4)))
    with pytest.raises(IndexError, match="integer or bool tensors, got dtype float32"):
        a[Tensor([0.0, 1.0])]
    with pytest.raises(IndexError, match="got float"):
        a[1.0]
    with pytest.raises(IndexError, match="out of bounds"):
        a[5]
    assert a[[]].shape == (0, 4)


# --------------------------------------------------------------------- writing


SETS = [
    (0, 5.0),
    (slice(1, None), np.array([1.0, 2.0, 3.0, 4.0])),
    ((slice(None), 1), -1.0),
    ([0, 2], 7.0),
    ((np.array([0, 1]), np.array([3, 2])), np.array([8.0, 9.0])),
    (np.array([True, False, True]), 0.5),
    ((Ellipsis, slice(0, 2)), np.array([[1.0, 2.0]])),
]


@pytest.mark.parametrize("index, value", SETS, ids=str)
@pytest.mark.parametrize("as_tensor", [False, True])
def test_setitem_as_torch(index, value, as_tensor):
    x = randn((3, 4))
    ours, theirs = Tensor(x.copy()), torch.tensor(x.copy())

    def convert(lib, item):
        wanted = as_tensor or (lib is torch.tensor and np.ndim(item) > 0)  # torch needs tensors
        return lib(item) if wanted and isinstance(item, (np.ndarray, list)) else item

    idx = index if isinstance(index, tuple) else (index,)
    ours[tuple(convert(Tensor, i) for i in idx)] = convert(Tensor, value)
    theirs[tuple(convert(torch.tensor, i) for i in idx)] = convert(torch.tensor, value)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours._version == 1


def test_setitem_as_makemore_uses_it():
    """An integer tensor filled from another, a -1 tail, and top-k masking of logits."""
    x, y = Tensor(np.zeros(6, np.int64)), Tensor(np.zeros(6, np.int64))
    ix = Tensor([3, 1, 4])
    x[1 : 1 + len(ix)] = ix
    y[: len(ix)] = ix
    y[len(ix) + 1 :] = -1
    assert x.tolist() == [0, 3, 1, 4, 0, 0] and y.tolist() == [3, 1, 4, 0, -1, -1]
    logits = Tensor(np.array([[1.0, 5.0, 3.0], [2.0, 0.0, 4.0]]))
    v = Tensor(np.array([[5.0, 3.0], [4.0, 2.0]]))  # what topk(logits, 2) gives
    logits[logits < v[:, [-1]]] = -float("Inf")
    assert logits.tolist() == [[-np.inf, 5.0, 3.0], [2.0, -np.inf, 4.0]]
    counts = Tensor(np.zeros((3, 3), np.int32))
    counts[1, 2] += 1
    counts[1, 2] += 1
    assert counts[1, 2].item() == 2 and counts.dtype == np.int32


def test_setitem_errors():
    w = Tensor(randn(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Tensor that requires grad"):
        w[0] = 1.0
    with no_grad():
        w[0] = 1.0  # as an initialiser does
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(
        RuntimeError,
        match=r"value of shape \(2,\) cannot be broadcast to the indexed shape \(2, 3\)",
    ):
        x[...] = np.ones(2)
    with pytest.raises(RuntimeError, match="value requires grad"):
        x.copy_(Tensor(np.ones(3), requires_grad=True))  # (x[0] = it is recorded in a graph)
    with pytest.raises(RuntimeError, match="read-only view"):
        Tensor(np.zeros(3)).expand(2, 3)[0, 0] = 1.0
    with pytest.raises(RuntimeError, match="overflow"):
        Tensor([1, 2])[0] = float("inf")
    with pytest.raises(TypeError, match="cannot write a str"):
        x[0] = "a"
    assert x._version == 0  # nothing was written


@FEW
@given(
    hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    st.sampled_from([-np.inf, 0.0, -2.5]),
)
def test_masked_fill_against_torch(shapes, value):
    """exp() after the fill, as softmax does after the causal mask: -inf becomes 0."""
    x_shape, m_shape = shapes.input_shapes
    mask = RNG.random(m_shape) > 0.5
    m, tm = Tensor(mask), torch.tensor(mask)
    check(
        lambda t: t.masked_fill(m, value).exp(),
        randn(x_shape),
        torch_fn=lambda t: t.masked_fill(tm, value).exp(),
    )
    check(  # a 0-d value tensor gets the gradient of the filled entries
        lambda t, v: t.masked_fill(m, v),
        randn(x_shape),
        np.array(1.5),
        torch_fn=lambda t, v: t.masked_fill(tm, v),
    )
    x = randn(x_shape)
    filled = Tensor(x).masked_fill(m, np.inf).data
    np.testing.assert_array_equal(filled, torch.tensor(x).masked_fill(tm, np.inf).numpy())


def test_masked_fill_errors_and_dtypes():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(
        RuntimeError, match="only supports boolean masks, but got mask with dtype int64"
    ):
        x.masked_fill(Tensor([1, 0, 1]), 1.0)
    with pytest.raises(
        RuntimeError,
        match=r"mask's shape \(2,\) does not broadcast with the tensor's shape \(2, 3\)",
    ):
        x.masked_fill(Tensor([True, False]), 1.0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.masked_fill(Tensor([True, False, True]), Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match="overflow"):
        Tensor([1, 2]).masked_fill(Tensor([True, False]), float("-inf"))
    assert Tensor([1, 2]).masked_fill(Tensor([True, False]), 2.7).tolist() == [2, 2]
    mask = Tensor([True, False])
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w.masked_fill(mask, 0.0)
    with no_grad():
        mask[1] = True  # the rule keeps its own copy of the mask
    y.sum().backward()
    np.testing.assert_array_equal(w.grad, [0.0, 1.0])


def test_inplace_methods_as_torch():
    x = randn((2, 3))
    mask = x > 0
    for name, args in [
        ("fill_", (2.5,)),
        ("zero_", ()),
        ("add_", (1.5,)),
        ("sub_", (np.ones(3),)),
        ("mul_", (np.array([[2.0], [3.0]]),)),
        ("div_", (4.0,)),
        ("copy_", (np.arange(3.0),)),
        ("clamp_", (-0.5, 0.5)),
        ("masked_fill_", (mask, -1.0)),
    ]:
        ours, theirs = Tensor(x.copy()), torch.tensor(x.copy())
        result = getattr(ours, name)(*(Tensor(a) if isinstance(a, np.ndarray) else a for a in args))
        getattr(theirs, name)(*(torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args))
        assert result is ours and ours._version == 1
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15)
    ours = Tensor(x.copy())
    ours.add_(Tensor(np.ones(3)), alpha=2.0)
    np.testing.assert_allclose(ours.data, x + 2.0)
    with pytest.raises(RuntimeError, match="int64"):
        Tensor([1, 2]).div_(2)
    with pytest.raises(RuntimeError, match="broadcast"):
        Tensor(np.zeros(3)).add_(Tensor(np.ones((2, 3))))
