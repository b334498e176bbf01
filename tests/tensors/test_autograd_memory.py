"""The backward walk's reuse of gradient arrays (micrograd.tensors.autograd): it may not
change a single number.

The walk forms some gradients in arrays it already holds (``INTO`` rules, sums added in
place). Every graph below is run with that reuse on and off: the gradients must agree bit
for bit, match PyTorch's, and leave every value a rule reads untouched (a second backward
gives exactly the first's gradients again)."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd
from micrograd import nn
from micrograd.nn import functional as F
from micrograd.tensors import autograd

SHAPE = (4, 6)
MASK = np.random.default_rng(7).random(SHAPE) < 0.3

# Each op takes the pool of tensors made so far and two picks into it (so tensors are used
# again and again: the case where a gradient array is shared), and the library.
OPS = {
    "mul": lambda p, i, j, L: p[i] * p[j],
    "mul_const": lambda p, i, j, L: p[i] * 0.7,
    "const_mul": lambda p, i, j, L: 1.3 * p[i],
    "div": lambda p, i, j, L: p[i] / (p[j] * p[j] + 1.0),
    "add": lambda p, i, j, L: p[i] + p[j],
    "sub": lambda p, i, j, L: p[i] - p[j],
    "exp": lambda p, i, j, L: L.tanh(p[i]).exp(),
    "sigmoid": lambda p, i, j, L: L.sigmoid(p[i]),
    "tanh": lambda p, i, j, L: L.tanh(p[i]),
    "cube": lambda p, i, j, L: L.pow(L.tanh(p[i]), 3.0),
    "softmax": lambda p, i, j, L: L.nn.functional.softmax(p[i], dim=-1),
    "softmax0": lambda p, i, j, L: L.nn.functional.softmax(p[i], dim=0),
    "masked_fill": lambda p, i, j, L: p[i].masked_fill(L.tensor(MASK), 0.5),
    "layer_norm": lambda p, i, j, L: L.nn.functional.layer_norm(p[i], (6,), p[0][0], p[1][1]),
    "layer_norm_plain": lambda p, i, j, L: L.nn.functional.layer_norm(p[i], (6,)),
    "linear": lambda p, i, j, L: L.nn.functional.linear(p[i], L.cat([p[j], p[j][1:3]]), p[0][2]),
    "reshape": lambda p, i, j, L: (p[i] * 1.5).reshape(3, 8).reshape(4, 6),
    "transpose": lambda p, i, j, L: (p[i].T * 2.0).T,
    "split_cat": lambda p, i, j, L: L.cat(p[i].split(2, dim=1)[::-1], dim=1),
    "gelu": lambda p, i, j, L: L.nn.functional.gelu(p[i], approximate="tanh"),
    "leaky_relu": lambda p, i, j, L: L.nn.functional.leaky_relu(p[i], 0.1),
    "index_rows": lambda p, i, j, L: p[i][[0, 0, 1, 3]],
    "sum_keep": lambda p, i, j, L: p[i] + p[j].sum(dim=0, keepdim=True),
}


def _program(lib, start: np.ndarray, steps: list, retain: int | None = None):
    """The leaves, the tensors made, and the loss: ``steps`` applied to a pool of 3 leaves."""
    leaves = [lib.tensor(a.copy(), requires_grad=True) for a in start]
    pool = list(leaves)
    for name, i, j in steps:
        pool.append(OPS[name](pool, i % len(pool), j % len(pool), lib))
    kept = pool[3 + retain % max(1, len(steps))] if retain is not None and steps else None
    if kept is not None:
        kept.retain_grad()
    weights = lib.tensor(np.linspace(-1.0, 1.0, 24).reshape(SHAPE))
    loss = sum(((t * weights).sum() for t in pool[-3:]), lib.tensor(0.0))
    return leaves, kept, loss


def _grads(tensors) -> list[np.ndarray]:
    """Each tensor's gradient, a copy (zeros for a leaf the loss does not use)."""
    return [np.zeros(SHAPE) if t.grad is None else np.asarray(t.grad).copy() for t in tensors]


STEPS = st.lists(
    st.tuples(st.sampled_from(sorted(OPS)), st.integers(0, 50), st.integers(0, 50)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(steps=STEPS, seed=st.integers(0, 2**16), retain=st.none() | st.integers(0, 11))
def test_reuse_changes_no_bit_and_matches_torch(steps, seed, retain):
    start = np.random.default_rng(seed).standard_normal((3, *SHAPE))
    results = []
    for reuse in (True, False):
        autograd.reuse_gradients[0] = reuse
        try:
            leaves, kept, loss = _program(micrograd, start, steps, retain)
            loss.backward()
            first = _grads(leaves) + ([] if kept is None else _grads([kept]))
            for leaf in leaves:
                leaf.grad = None
            loss.backward()  # every value a rule reads must still be as the forward left it
            second = _grads(leaves)
        finally:
            autograd.reuse_gradients[0] = True
        for a, b in zip(first, second):
            np.testing.assert_array_equal(a, b)
        results.append(first)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)

    leaves, kept, loss = _program(torch, torch.from_numpy(start).numpy(), steps, retain)
    loss.backward()
    expected = _grads(leaves) + ([] if kept is None else _grads([kept]))
    for ours, theirs in zip(results[0], expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_a_retained_gradient_is_not_overwritten_by_a_later_rule():
    x = micrograd.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    h = x * 2.0
    h.retain_grad()
    y = (h * 3.0).exp().sum()  # h's gradient would be the array that h's own rule writes into
    y.backward()
    expected = 3.0 * np.exp(6.0 * np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(h.grad, expected)
    np.testing.assert_allclose(x.grad, 2.0 * expected)


def test_a_leaf_grad_held_from_an_earlier_backward_is_not_written_into():
    w = micrograd.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (w * w).sum().backward()
    held = w.grad
    before = held.copy()
    (w * w * w).sum().backward()  # accumulates into w.grad out of place
    np.testing.assert_array_equal(held, before)
    np.testing.assert_array_equal(w.grad, before + 3 * w.data**2)


def test_training_a_layer_norm_mlp_agrees_with_reuse_off():
    def train(reuse: bool) -> list[float]:
        autograd.reuse_gradients[0] = reuse
        try:
            micrograd.manual_seed(0)
            model = nn.Sequential(
                nn.Linear(8, 16), nn.LayerNorm(16), nn.GELU(), nn.Linear(16, 3), nn.Softmax(-1)
            )
            opt = micrograd.optim.AdamW(model.parameters(), lr=1e-2)
            x = micrograd.tensor(np.random.default_rng(1).standard_normal((10, 8)))
            losses = []
            for _ in range(5):
                loss = (model(x) * model(x)).sum()  # the model's output used twice
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
            return losses
        finally:
            autograd.reuse_gradients[0] = True

    assert train(True) == train(False)


def test_into_rules_line_up_with_their_vjps():
    for op, rules in autograd.INTO.items():
        assert op in autograd.VJPS, op
        assert any(rule is not None for rule in rules), op
        assert len(rules) <= len(tuple(autograd.VJPS[op])), op


def test_a_gradient_handed_to_one_operand_is_not_written_into_for_another():
    # An op whose first rule passes g on as it is and whose second has an INTO rule: once
    # g is a's gradient, b's rule must make a fresh array.
    from micrograd.tensors.core import _result

    op = "test_pass_then_double"
    autograd.VJPS[op] = (lambda g, ans, ctx: g, lambda g, ans, ctx: g * 2.0)
    autograd.INTO[op] = (None, lambda g, ans, ctx: np.multiply(g, 2.0, out=g))
    try:
        a = micrograd.tensor([1.0, 2.0], requires_grad=True)
        b = micrograd.tensor([3.0, 4.0], requires_grad=True)
        h = a * 1.0  # a node, so a's gradient is not copied as a leaf's would be
        out = _result(h.data + 2 * b.data, op, (h, b), None, True)
        (out * micrograd.tensor([1.0, 10.0])).sum().backward()
        np.testing.assert_array_equal(a.grad, [1.0, 10.0])
        np.testing.assert_array_equal(b.grad, [2.0, 20.0])
    finally:
        del autograd.VJPS[op], autograd.INTO[op]


def test_layer_norm_with_float64_parameters_on_float32_input_agrees_with_reuse_off():
    def grads(reuse: bool) -> list[np.ndarray]:
        autograd.reuse_gradients[0] = reuse
        try:
            rng = np.random.default_rng(3)
            x = micrograd.tensor(rng.standard_normal((5, 8)).astype(np.float32), requires_grad=True)
            w = micrograd.tensor(rng.standard_normal(8), requires_grad=True)  # float64
            b = micrograd.tensor(rng.standard_normal(8), requires_grad=True)
            y = F.layer_norm(x * 2.0, (8,), w, b)
            assert y.dtype == micrograd.float32  # the input's dtype, as every forward keeps
            (y * micrograd.tensor(np.linspace(-1, 1, 40).reshape(5, 8))).sum().backward()
            return [x.grad, w.grad, b.grad]
        finally:
            autograd.reuse_gradients[0] = True

    for a, b in zip(grads(True), grads(False)):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
