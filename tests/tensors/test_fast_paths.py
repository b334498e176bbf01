"""The speed paths of the tensor engine give PyTorch's values and keep the input's dtype.

Each fast path (multiplication for integer powers, ...) is checked against PyTorch on the
edge values it could get wrong (0, -0, inf, nan, negative bases) in float32 and float64, and
its gradient against PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from micrograd.tensors import Tensor

RNG = np.random.default_rng(2024)
EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e30, 3.0, -2.5]


def _data(dtype: type) -> np.ndarray:
    return np.concatenate([EDGES, RNG.standard_normal(40)]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exponent", [3, 3.0, -2, -2.0, 4, 5.0, -3, 8, -0.5, 9, 2.5])
def test_scalar_power_matches_torch(dtype, exponent):
    x = _data(dtype)
    with np.errstate(all="ignore"):
        ours = (Tensor(x) ** exponent).data
    ref = torch.pow(torch.from_numpy(x), exponent).numpy()
    assert ours.dtype == dtype
    # 3, -2, -0.5: PyTorch's own products, so the same bits; others within a few ulps
    exact = exponent in (3, -2, -0.5)
    rtol = 0 if exact else 4 * np.finfo(dtype).eps
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=0, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exponent", [3.0, 4, -2.0, -0.5])
def test_scalar_power_gradient_matches_torch(dtype, exponent):
    x = np.abs(RNG.standard_normal((3, 5))).astype(dtype) + 0.5
    g = RNG.standard_normal((3, 5)).astype(dtype)
    ours = Tensor(x, requires_grad=True)
    (ours**exponent).backward(g)
    ref = torch.tensor(x, requires_grad=True)
    (ref**exponent).backward(torch.from_numpy(g))
    assert ours.grad.dtype == dtype
    np.testing.assert_allclose(ours.grad, ref.grad.numpy(), rtol=8 * np.finfo(dtype).eps)


def test_scalar_power_of_a_0d_tensor_and_integers():
    assert (Tensor(2.0) ** 3).item() == 8.0
    assert (Tensor(np.array([2, 3])) ** 3).data.tolist() == [8, 27]
    assert (Tensor(np.array([2.0, 0.0])) ** -3).data.tolist() == [0.125, np.inf]


# --------------------------------------------------------------------- gradient accumulation


def _interior_grads(build, x: np.ndarray):
    """build(leaf) -> (loss, interior tensors), on ours and on torch (retain_grad)."""
    ours = Tensor(x, requires_grad=True)
    loss, inner = build(ours)
    for t in inner:
        t.retain_grad()
    loss.backward()
    ref = torch.tensor(x, requires_grad=True)
    ref_loss, ref_inner = build(ref)
    for t in ref_inner:
        t.retain_grad()
    ref_loss.backward()
    np.testing.assert_allclose(ours.grad, ref.grad.numpy(), rtol=1e-12)
    for t, r in zip(inner, ref_inner):
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=1e-12)


def test_accumulated_gradient_passed_on_by_identity_is_not_added_into():
    # p's gradient is the sum of two contributions (an array backward owns); `+` passes it on
    # as a's gradient as it is, and a's second contribution must not change p's.
    def build(x):
        a = x * 2.0
        p = a + 0.0
        q = p * 3.0 + p * 4.0
        loss = (q + a * 5.0).sum()
        return loss, (a, p, q)

    _interior_grads(build, RNG.standard_normal((3, 4)))


def test_split_pieces_and_reuse_accumulate_like_torch():
    def build(x):
        h = x * 1.5
        q, k, v = h.split(2, dim=1)
        loss = (q * k * 2.0 + v.tanh() + h[:, :2] * 0.5 + h[1].sum() + h[0, 3]).sum()
        return loss, (h, q, k, v)

    _interior_grads(build, RNG.standard_normal((3, 6)))


def test_a_leaf_indexed_and_used_whole_accumulates_across_calls():
    x = Tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    ref = torch.tensor(x.data.clone(), requires_grad=True)
    for t in (x, ref):
        for _ in range(2):  # leaves accumulate across backward calls
            (t[1:3].sum() * 2.0 + t[0, 1] * 3.0 + (t * t).sum()).backward()
    np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=1e-12)


# --------------------------------------------------------------------- float32 stays float32


def test_a_float32_makemore_step_makes_no_float64_array():
    """makemore's Transformer as it is written (Python float constants, math.sqrt scalars,
    pow, masked_fill with -inf, softmax, cross-entropy with ignore_index) on float32: every
    value and every gradient of the graph, and the optimizer's state, stay float32."""
    import math

    import micrograd
    from micrograd.graph import topological_order
    from micrograd.models import ModelConfig, Transformer

    micrograd.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=7, block_size=5, n_layer=1, n_embd=8, n_head=2))
    model.to(micrograd.float32)
    optimizer = micrograd.optim.AdamW(model.parameters(), lr=1e-3)
    idx = micrograd.tensor(np.array([[0, 3, 2, 6, 1], [0, 1, 1, 4, 5]]))
    targets = micrograd.tensor(np.array([[3, 2, 6, 1, 0], [1, 1, 4, 0, -1]]))
    logits, _ = model(idx, targets)
    x = logits[:, :, :4].contiguous().view(2, 5, 2, 2).transpose(1, 2)  # (B, nh, T, hs)
    gelu = 0.5 * x * (1.0 + micrograd.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3.0)))
    att = (gelu @ x.transpose(-2, -1)) * (1.0 / math.sqrt(x.size(-1)))
    mask = micrograd.tril(micrograd.ones(5, 5)).view(1, 1, 5, 5)
    att = micrograd.nn.functional.softmax(att.masked_fill(mask == 0, float("-inf")), dim=-1)
    y = (att @ x).transpose(1, 2).contiguous().view(2, 5, 4)
    loss = micrograd.nn.functional.cross_entropy(
        (logits[:, :, :4] + y).view(-1, 4), targets.view(-1).clamp(max=3), ignore_index=-1
    )
    loss.backward()
    optimizer.step()
    for node in topological_order(loss):
        if node.data.dtype.kind == "f":
            assert node.data.dtype == np.float32, node._op
        if node.grad is not None:
            assert node.grad.dtype == np.float32, node._op
    for state in optimizer.state.values():
        for value in state.values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32
