"""``RULE_TEXT``, each rule as a learner writes it, against the rule itself (``VJPS``).

Every op with a rule has a text for each operand, and each text, evaluated on the numbers of
a graph built from random inputs (our own constant strings, with ``rules.bindings``; never a
user's text), gives what the rule gives: the same shape and the same values up to rounding.
The cases below build every op, and every variant a text picks by a flag, at least once.
Then ``show.show`` writes each for the page, with names and shapes.
"""

from __future__ import annotations

import ast

import numpy as np
import pytest

import micrograd as torch
import micrograd.nn.functional as F
from micrograd.explore import rules, show
from micrograd.graph import topological_order
from micrograd.tensors import RULE_TEXT, VJPS, Tensor

RNG = np.random.default_rng(19)


def p(*shape, low=-2.0, high=2.0):
    """A random parameter (requires grad), float64."""
    return Tensor(RNG.uniform(low, high, shape), requires_grad=True)


def ints(high, *shape):
    return Tensor(RNG.integers(0, high, shape))


def running():
    """A batch norm's running mean and variance, for 3 channels."""
    return Tensor(RNG.random(3)), Tensor(RNG.random(3) + 0.5)


def inplace_write():
    x, v = p(3, 4), p(4)
    y = x * 2.0
    y[1] = v  # recorded: y becomes the write (setitem) of v into y's history
    y += x  # and then an in-place add (inplace)
    return y


def setitem_advanced():
    x, v = p(5, 3), p(2, 3)
    y = x.exp()
    y[[0, 3]] = v
    return y


CASES = {
    # arithmetic, powers
    "+ * / with tensors": lambda: (p(3, 4) + p(4)) * p(3, 1) / p(1, 4, low=1, high=2),
    "+ * / with numbers": lambda: (p(3, 4) + 2.0) * -3.0 / 7.0,
    "* with an array": lambda: p(2, 3) * RNG.normal(size=(2, 3)),
    "% and //": lambda: (p(3, 4) % p(4, low=0.5, high=1.5), p(3, 4) % 0.7),
    "@ matrices": lambda: p(5, 3) @ p(3, 4),
    "@ batched": lambda: p(2, 5, 3) @ p(3, 4),
    "@ vector right": lambda: p(2, 5, 3) @ p(3),
    "@ vector left": lambda: p(3) @ p(2, 3, 4),
    "@ vectors": lambda: p(3) @ p(3),
    "**": lambda: (p(3, 4, low=0.5) ** 3, p(3, 4) ** 0, p(3, 4, low=0.5) ** -0.5),
    "pow": lambda: (p(3, 4, low=0.5).pow(p(4)), Tensor([0.0, 1.0]).pow(p(2, low=0.1))),
    "rpow": lambda: (2.0 ** p(3, 4), 0 ** p(2, low=0.1)),
    # elementwise
    "exp log log10 sqrt": lambda: (p(4, low=0.5).exp().log().log10(), p(4, low=0.5).sqrt()),
    "abs tanh relu sigmoid": lambda: (p(3, 4).abs().tanh(), p(3, 4).relu().sigmoid()),
    "clamp numbers": lambda: (p(3, 4).clamp(-1, 1), p(3, 4).clamp(min=0.5), p(3, 4).clamp(max=0)),
    "clamp tensors": lambda: (
        p(3, 4).clamp(p(4), p(3, 1)),
        p(3, 4).clamp(min=p(4)),
        p(3, 4).clamp(max=p(4)),
    ),
    "maximum minimum": lambda: (p(3, 4).maximum(p(4)), p(3, 4).minimum(p(3, 1))),
    "maximum ties": lambda: (lambda x: (x.maximum(x * 1.0), x.minimum(x * 1.0)))(p(3)),
    # reductions
    "sum": lambda: (p(3, 4).sum(0), p(3, 4).sum(1, keepdim=True).sum(), p(3, 4, 2).sum((0, 2))),
    "max(dim)": lambda: (p(3, 4).max(1).values, p(4, 3).max(0, keepdim=True).values),
    "min(dim) of a 0-d": lambda: p().min(0).values,
    "amax": lambda: (p(3, 4).amax(1), p(3, 4).amin(0, keepdim=True), p(2, 2).max()),
    "std prod": lambda: (p(3, 4).std(1), p(3, 4).prod(1), p(4).prod(), p(3, 4).prod(0, True)),
    # shapes
    "reshape transpose permute T": lambda: (
        p(2, 3, 4).reshape(6, 4).T.reshape(2, 2, 6).transpose(0, 2).permute(2, 0, 1)
    ),
    "clone expand roll": lambda: (p(3, 1).clone().expand(3, 4).roll(1, 1), p(4).roll((1,), (0,))),
    "repeat": lambda: (p(3).repeat(4, 2), p(2, 3).repeat(2, 1), p(2, 1).repeat(1, 2, 3)),
    "to float32": lambda: p(3, 4).float().double(),
    "cat stack": lambda: (
        torch.cat([p(2, 3), p(0), p(2, 2)], 1),
        torch.stack([p(2), p(2), p(2)], 1),
    ),
    # selection, indexing, writes
    "where": lambda: (
        torch.where(p(3, 4) > 0, p(3, 4), p(4)),
        torch.where(p(3, 4) > 0, p(3, 4), 0.0),
        torch.where(p(3, 4) > 0, 1.0, p(3, 4)),
    ),
    "tril triu": lambda: (torch.tril(p(4, 4), -1), torch.triu(p(4, 4), 1)),
    "topk sort": lambda: (
        p(3, 5).topk(2).values,
        p().topk(1).values,
        p(3, 5).sort(0).values,
        p().sort().values,
    ),
    "index": lambda: (p(5, 4)[1:4, [0, 2]], p(5, 4)[ints(5, 7)], p(5, 4)[..., None, 1]),
    "masked_fill": lambda: (
        p(3, 4).masked_fill(p(3, 4) > 0, p()),
        p(3, 4).masked_fill(Tensor(RNG.random(4) > 0.5), -1.0),
    ),
    "setitem and an in-place add": inplace_write,
    "setitem, advanced": setitem_advanced,
    "softmax log_softmax": lambda: (p(3, 4).softmax(1), p(3, 4).log_softmax(0)),
    # nn.functional
    "embedding": lambda: (
        F.embedding(ints(6, 4, 3), p(6, 2)),
        F.embedding(ints(6, 5), p(6, 2), padding_idx=1),
        F.embedding(ints(6, 5), p(6, 2), scale_grad_by_freq=True),
        F.embedding(ints(6, 5), p(6, 2), padding_idx=0, scale_grad_by_freq=True),
    ),
    "mse l1": lambda: (F.mse_loss(p(3, 4), p(3, 4)), F.l1_loss(p(3, 4), p(3, 4), reduction="sum")),
    "huber smooth_l1": lambda: (
        F.huber_loss(p(3, 4), p(3, 4), delta=0.5),
        F.smooth_l1_loss(p(3, 4), p(3, 4), beta=0.7, reduction="sum"),
    ),
    "hardtanh": lambda: F.hardtanh(p(3, 4), -0.5, 0.5),
    "cumsum logsumexp": lambda: (
        p(3, 4).cumsum(1),
        p(3, 4).logsumexp(1),
        p(3, 4).logsumexp(0, keepdim=True),
    ),
    "norm": lambda: (
        p(3, 4).norm(dim=1),
        p(3, 4).norm(dim=0, keepdim=True),
        p(3, 4).norm(p=1, dim=1),
    ),
    "binary cross-entropy": lambda: (
        F.binary_cross_entropy(p(5, low=0.05, high=0.95), p(5, low=0, high=1)),
        F.binary_cross_entropy(
            p(5, low=0.05, high=0.95), Tensor(RNG.random(5)), weight=Tensor(RNG.random(5))
        ),
    ),
    "bce with logits": lambda: (
        F.binary_cross_entropy_with_logits(p(5), p(5, low=0, high=1)),
        F.binary_cross_entropy_with_logits(
            p(5), p(5, low=0, high=1), Tensor(RNG.random(5)), pos_weight=Tensor(RNG.random(5))
        ),
    ),
    "hinge": lambda: F.hinge_loss(p(6), Tensor(RNG.choice([-1.0, 1.0], 6), requires_grad=True)),
    "gelu silu": lambda: (F.gelu(p(3, 4)), F.gelu(p(3, 4), approximate="tanh"), F.silu(p(3, 4))),
    "leaky_relu elu softplus": lambda: (
        F.leaky_relu(p(3, 4), 0.1),
        F.elu(p(3, 4), 0.7),
        F.softplus(p(3, 4), beta=2.0, threshold=1.0),
    ),
    "linear": lambda: (
        F.linear(p(5, 3), p(4, 3), p(4)),
        F.linear(p(2, 5, 3), p(4, 3)),
        F.linear(p(3), p(4, 3), p(4)),
    ),
    "attention": lambda: (
        F.scaled_dot_product_attention(p(2, 3, 4), p(2, 5, 4), p(2, 5, 6), is_causal=True),
        F.scaled_dot_product_attention(p(2, 3, 4), p(2, 5, 4), p(2, 5, 6), dropout_p=0.3),
    ),
    "attention, a mask that requires grad": lambda: (
        F.scaled_dot_product_attention(p(2, 3, 4), p(2, 5, 4), p(2, 5, 6), attn_mask=p(3, 5)),
        F.scaled_dot_product_attention(
            p(2, 3, 4), p(2, 5, 4), p(2, 5, 6), attn_mask=p(3, 5), dropout_p=0.3
        ),
    ),
    "layer_norm": lambda: (
        F.layer_norm(p(3, 4), (4,)),
        F.layer_norm(p(3, 4), (4,), weight=p(4)),
        F.layer_norm(p(3, 4), (4,), bias=p(4)),
        F.layer_norm(p(2, 3, 4), (3, 4), p(3, 4), p(3, 4)),
    ),
    "batch_norm": lambda: (
        F.batch_norm(p(6, 3), None, None, training=True),
        F.batch_norm(p(6, 3), None, None, p(3), training=True),
        F.batch_norm(p(6, 3), None, None, bias=p(3), training=True),
        F.batch_norm(p(6, 3, 2), None, None, p(3), p(3), training=True),
        F.batch_norm(p(6, 3), *running(), p(3), p(3)),  # evaluation: running statistics
        F.batch_norm(p(6, 3), *running()),
        F.batch_norm(p(6, 3), *running(), p(3)),
        F.batch_norm(p(6, 3), *running(), bias=p(3)),
    ),
    "normalize": lambda: (
        F.normalize(p(3, 4)),
        F.normalize(p(3, 4), p=1),
        F.normalize(p(3, 4), p=3, dim=0),
    ),
    "pad": lambda: (F.pad(p(3, 4), (1, 2)), F.pad(p(2, 3, 4), (1, 2, 1, 0), mode="reflect")),
    "dropout": lambda: F.dropout(p(4, 5), 0.4),
    "cross_entropy": lambda: F.cross_entropy(p(5, 4), ints(4, 5)),
    "cross_entropy, the options": lambda: (
        F.cross_entropy(
            p(5, 4),
            Tensor([0, 1, -1, 3, 2]),
            weight=Tensor(RNG.random(4)),
            ignore_index=-1,
            label_smoothing=0.2,
        ),
        F.cross_entropy(p(5, 4, 3), ints(4, 5, 3), reduction="none"),
        F.cross_entropy(p(4), Tensor(2), reduction="sum"),
    ),
    "cross_entropy, probabilities": lambda: (
        F.cross_entropy(p(5, 4), p(5, 4, low=0, high=1)),
        F.cross_entropy(
            p(5, 4, 2),
            p(5, 4, 2, low=0, high=1),
            weight=Tensor(RNG.random(4)),
            label_smoothing=0.1,
            reduction="sum",
        ),
    ),
    "nll_loss": lambda: (
        F.nll_loss(p(5, 4), ints(4, 5)),
        F.nll_loss(
            p(5, 4, 2), Tensor([[0, -100]] * 5), weight=Tensor(RNG.random(4)), reduction="none"
        ),
    ),
}


def nodes_of(made):
    """The op nodes of what a case made (a tensor, or a tuple of them)."""
    parts = made if isinstance(made, tuple) else (made,)
    return [node for part in parts for node in topological_order(part) if node._prev]


def variants(node, i):
    """Which variant of its text (``X if flag else ...``) operand i of node takes: 0, 1, ..."""
    tree = ast.parse(rules.text_of(node._op, i), mode="eval").body
    view = show._View(rules.bindings(node, np.zeros(node._data.shape), i), {}, None)
    k = 0
    while isinstance(tree, ast.IfExp) and not view.flag(tree.test):
        tree, k = tree.orelse, k + 1
    return k


def test_every_op_with_a_rule_has_its_text_and_a_case():
    made = [node for make in CASES.values() for node in nodes_of(make())]
    seen = {node._op for node in made}
    taken = {
        (node._op, min(i, len(RULE_TEXT[node._op]) - 1), variants(node, i))
        for node in made
        for i, operand in enumerate(node._prev)
        if operand.requires_grad
    }
    for op, texts in RULE_TEXT.items():  # every variant of every text is tried
        for i, text in enumerate(texts):
            count = text.count(" if ") + 1
            missing = [k for k in range(count) if (op, i, k) not in taken]
            assert op == "floordiv" or not missing, (op, i, text, missing)
    seen.add("floordiv")  # its rule raises, as PyTorch's: test_floor_division_has_no_derivative
    assert set(RULE_TEXT) == set(VJPS)
    assert set(VJPS) <= seen, sorted(set(VJPS) - seen)
    for op, rules_ in VJPS.items():
        texts = RULE_TEXT[op]
        assert all(isinstance(t, str) for t in texts)
        if isinstance(rules_, tuple):
            assert len(texts) == len(rules_), op
        else:  # EachOperand: one text for every operand
            assert len(texts) == 1, op


@pytest.mark.parametrize("name", CASES)
def test_each_text_gives_its_rules_numbers(name):
    for node in nodes_of(CASES[name]()):
        for i, (rule, operand) in enumerate(zip(VJPS[node._op], node._prev)):
            if not operand.requires_grad:
                continue
            g = RNG.normal(size=node._data.shape).astype(node._data.dtype)
            expected = rule(g, node._data, node._ctx)
            text = rules.text_of(node._op, i)
            with np.errstate(all="ignore"):
                got = eval(text, rules.bindings(node, g, i))  # noqa: S307 (our own text)
            where = f"{node._op}, operand {i}: {text}"
            assert np.shape(got) == np.shape(expected), where
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12, err_msg=where)
            shown = show.show(node, i, g, np.asarray(expected), _letters(node), lambda c, v: None)
            assert shown.text.startswith(f"{_letters(node)[rules.LETTERS[i]]}.grad += "), shown
            assert "grad" in shown.text


def _letters(node):
    names = {"out": "y"}
    names.update(zip(rules.LETTERS, (f"x{i}" for i in range(len(node._prev)))))
    return names


def test_floor_division_has_no_derivative():
    x = p(3)
    node = x // 2.0
    with pytest.raises(RuntimeError, match="not implemented"):
        eval(rules.text_of("floordiv", 0), rules.bindings(node, np.ones(3), 0))  # noqa: S307


SHOWN = [
    # (the forward, the tensors' names, the operand, what the page writes, its shapes)
    ("h @ W2", {"a": "h", "b": "W2"}, 0, "h.grad += y.grad @ W2.T", "(32×27) @ (27×64) → (32×64)"),
    ("h @ W2", {"a": "h", "b": "W2"}, 1, "W2.grad += h.T @ y.grad", "(64×32) @ (32×27) → (64×27)"),
    ("h.tanh()", {"a": "h"}, 0, "h.grad += y.grad * (1 - y ** 2)", "(32×64) * (32×64)"),
    ("bndiff * bnvar_inv", {"a": "bndiff", "b": "bnvar_inv"}, 1,
     "bnvar_inv.grad += (y.grad * bndiff).sum(0, keepdims=True)", "(32×64) * (32×64) → (1×64)"),
    ("h + b", {"a": "h", "b": "b"}, 1, "b.grad += y.grad.sum(0)", "(32×64) → (64)"),
    ("h ** 2", {"a": "h"}, 0, "h.grad += y.grad * 2 * h", "(32×64) * (32×64)"),
    ("h.sum(1, keepdim=True)", {"a": "h"}, 0, "h.grad += np.ones_like(h) * y.grad",
     "(32×64) * (32×1)"),
    ("w32 * h", {"a": "w32", "b": "h"}, 0, "w32.grad += (y.grad * h).astype(np.float32)",
     "(32×64) * (32×64), as float32"),
]  # fmt: skip


@pytest.mark.parametrize("forward, names, i, text, shapes", SHOWN)
def test_show_writes_the_lectures_words(forward, names, i, text, shapes):
    values = {
        "h": p(32, 64),
        "W2": p(64, 27),
        "bndiff": p(32, 64),
        "bnvar_inv": p(1, 64),
        "b": p(64),
        "w32": Tensor(RNG.normal(size=(32, 64)).astype(np.float32), requires_grad=True),
    }
    node = eval(forward, {}, values)  # noqa: S307 (the test's own forward)
    g = RNG.normal(size=node._data.shape).astype(node._data.dtype)
    raw = VJPS[node._op][i](g, node._data, node._ctx)
    shown = show.show(node, i, g, raw, {"out": "y", **names}, lambda c, v: None)
    assert (shown.text, shown.shapes) == (text, shapes)
