"""``micrograd.explore`` on a Tensor graph: the trace against ``backward()``, names, limits, and
the page's HTML against its contract (test_explore_tensors_browser.py drives it in Chromium).
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

import micrograd as torch
import micrograd.nn.functional as F
from micrograd import Tensor, explore
from micrograd.explore import DEFAULT_MAX_NUMBERS, GraphTooLarge, TensorTrace
from micrograd.explore.tensor import numbers_held
from micrograd.graph import topological_order

# --------------------------------------------------------------------- graphs


def backprop_ninja(batch=8, hidden=16, dtype=torch.float64):
    """Makemore part 4's network, written as the lecture writes it: an embedding lookup, a
    linear layer, batch norm by hand, tanh, a linear layer, cross-entropy by hand. Small, and
    its tensors named by their variables. Returns the loss and the variables."""
    g = torch.Generator().manual_seed(42)
    vocab_size, n_embd, block_size, n = 27, 4, 3, batch
    C = torch.randn((vocab_size, n_embd), generator=g, dtype=dtype)
    W1 = torch.randn((n_embd * block_size, hidden), generator=g, dtype=dtype) * 0.3
    b1 = torch.randn(hidden, generator=g, dtype=dtype) * 0.1
    W2 = torch.randn((hidden, vocab_size), generator=g, dtype=dtype) * 0.1
    b2 = torch.randn(vocab_size, generator=g, dtype=dtype) * 0.1
    bngain = torch.randn((1, hidden), generator=g, dtype=dtype) * 0.1 + 1.0
    bnbias = torch.randn((1, hidden), generator=g, dtype=dtype) * 0.1
    for p in (C, W1, b1, W2, b2, bngain, bnbias):
        p.requires_grad = True
    Xb = torch.randint(0, vocab_size, (n, block_size), generator=g)
    Yb = torch.randint(0, vocab_size, (n,), generator=g)
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1 / (n - 1) * (bndiff2).sum(0, keepdim=True)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    return loss, dict(locals())


def fused_mlp():
    """The same kind of network through nn.functional's fused ops: embedding, linear,
    batch_norm, tanh, cross_entropy; and a weight used twice (tied input and output)."""
    g = torch.Generator().manual_seed(7)
    C = torch.randn((10, 6), generator=g, requires_grad=True)
    W = torch.randn((12, 12), generator=g, requires_grad=True)
    gamma, beta = torch.ones(12, requires_grad=True), torch.zeros(12, requires_grad=True)
    x = torch.randint(0, 10, (5, 2), generator=g)
    y = torch.randint(0, 10, (5,), generator=g)
    emb = F.embedding(x, C).view(5, -1)
    hidden = F.batch_norm(F.linear(emb, W), None, None, gamma, beta, training=True).tanh()
    logits = hidden[:, :6] @ C.T  # C again: its grad sums the lookup's and this one's
    return F.cross_entropy(logits, y)


def written_in_place():
    """Writes recorded in the graph: ``y[1] = v`` (setitem), then ``y += x`` (inplace)."""
    x, v = torch.randn((3, 4), requires_grad=True), torch.randn(4, requires_grad=True)
    y = x * 2.0
    y[1] = v
    y += x
    return (y.max(1).values - y.min(0, keepdim=True).values.sum()).sum()


def retained_backward(root):
    """``root.backward()`` on a fresh graph, keeping every tensor's grad: {id: grad}."""
    nodes = topological_order(root)
    for node in nodes:
        node.grad = None
        if node._prev and node.requires_grad:
            node.retain_grad()
    root.backward()
    return {id(node): node.grad for node in nodes}


# --------------------------------------------------------------------- the trace


@pytest.mark.parametrize(
    "make",
    [lambda: backprop_ninja()[0], fused_mlp, written_in_place],
    ids=["backprop ninja", "fused", "in place"],
)
def test_the_last_step_gives_backwards_grads_to_the_bit(make):
    root = make()
    page = explore(root)
    t = page.trace
    assert isinstance(t, TensorTrace) and t.nodes[-1] is root
    expected = retained_backward(root)
    final = t.grads()
    for node, grad in zip(t.nodes, final):
        want = expected[id(node)]
        if want is None:
            assert grad is None and not node.requires_grad
        else:
            assert grad.dtype == want.dtype and grad.shape == want.shape
            assert np.array_equal(grad, want), t.names[t.nodes.index(node)]
    # One step per op, in backward()'s order: the root first, then reverse topological order.
    fired = [step.node for step in t.steps]
    ops = [i for i, node in enumerate(t.nodes) if node._prev]
    assert fired == [len(t.nodes) - 1] + ops[::-1]


def test_each_contribution_adds_to_what_the_operand_held():
    loss, names = backprop_ninja()
    t = explore(loss, names=names).trace
    held, counts, twice = {}, {}, set()
    for step in t.steps:
        for c in step.contributions:
            counts[c.operand] = counts.get(c.operand, 0) + 1
            assert c.before is held.get(c.operand) and c.count == counts[c.operand]
            if c.before is None:
                assert c.after is c.amount
            else:
                twice.add(t.names[c.operand])
                assert np.array_equal(c.after, c.before + c.amount)
            held[c.operand] = c.after
    # the lecture's tensors used twice: dbndiff and dhprebn get two contributions, ...
    assert {"bndiff", "hprebn", "counts", "logits"} <= twice


def test_steps_read_as_the_lecture_writes_them():
    loss, names = backprop_ninja()
    t = explore(loss, names=names).trace
    lines = {c.text: c.shapes for step in t.steps for c in step.contributions}
    texts = {step.text for step in t.steps}
    assert lines["W2.grad += h.T @ #24.grad"] == "(16×8) @ (8×27) → (16×27)"
    assert lines["h.grad += #24.grad @ W2.T"] == "(8×27) @ (27×16) → (8×16)"
    assert lines["hpreact.grad += h.grad * (1 - h ** 2)"] == "(8×16) * (8×16)"
    assert lines["bnvar_inv.grad += (bnraw.grad * bndiff).sum(0, keepdims=True)"] == (
        "(8×16) * (8×16) → (1×16)"
    )
    assert lines["b2.grad += logits.grad.sum(0)"] == "(8×27) → (27)"
    assert lines["counts.grad += np.ones_like(counts) * counts_sum.grad"] == "(8×27) * (8×1)"
    assert "C.grad += add_at(np.zeros_like(C), Xb, emb.grad)" in lines  # the index-add
    assert "emb.grad += embcat.grad.reshape(emb.shape)" in lines
    assert "emb = C[Xb]" in texts and "#34 = logprobs[range(8), Yb]" in texts
    assert "probs = counts * counts_sum_inv" in texts


def test_the_graphs_own_grads_are_left_as_they_were():
    loss, names = backprop_ninja()
    nodes = topological_order(loss)
    explore(loss)  # before backward: every grad stays None
    assert all(node.grad is None for node in nodes)
    loss.backward()  # as the lecture does, first
    before = [node.grad for node in nodes]
    copies = [None if g is None else g.clone() for g in before]
    page = explore(loss, names=names)
    for node, grad, copy in zip(nodes, before, copies):
        assert node.grad is grad
        assert (grad is None and copy is None) or np.array_equal(grad, copy)
    assert np.array_equal(page.trace.grad("W1"), names["W1"].grad)  # the same numbers


def test_names_come_from_labels_then_names_then_variables():
    loss, variables = backprop_ninja()
    variables["h"].label = "hidden"
    page = explore(loss, names={"the_logits": variables["logits"], "ignored": 3})
    names, nodes = page.trace.names, page.trace.nodes
    c = [i for i, node in enumerate(nodes) if node is variables["C"]][0]
    assert "hidden" in names and "the_logits" in names and "h" not in names
    assert names[-1] == "loss"  # this frame's variable
    assert names[c] == f"#{c}"  # C is a variable of backprop_ninja, not of this frame
    C = variables["C"]  # noqa: N806 (the lecture's name)
    assert explore(loss).trace.names[c] == "C"
    del C
    _C = variables["C"]  # noqa: N806 (names starting with _ are IPython's: left out)
    assert explore(loss).trace.names[c] == f"#{c}" and _C is not None
    every = explore(loss, names=variables).trace.names
    held = {}
    for k, v in variables.items():  # the first name of each tensor
        held.setdefault(id(v), k)
    assert every == [node.label or held.get(id(node), f"#{i}") for i, node in enumerate(nodes)]
    assert {"C", "emb", "embcat", "W1", "bndiff", "counts_sum_inv", "logprobs"} <= set(every)


def test_grad_by_name_and_by_tensor():
    loss, names = backprop_ninja()
    t = explore(loss, names=names).trace
    assert t.grad("loss", 0) is None and t.grad("loss", 1).tolist() == 1.0
    assert np.array_equal(t.grad(names["b2"]), t.grads()[t.names.index("b2")])
    with pytest.raises(KeyError, match="no tensor named 'nope'"):
        t.grad("nope")
    with pytest.raises(KeyError, match="not in the graph"):
        t.grad(Tensor([1.0]))


def test_float32_graphs_keep_float32_grads():
    loss, _ = backprop_ninja(dtype=torch.float32)
    page = explore(loss)
    grads = retained_backward(loss)
    for node, grad in zip(page.trace.nodes, page.trace.grads()):
        if grad is not None:
            assert grad.dtype == np.float32 and np.array_equal(grad, grads[id(node)])
    assert "float32" in page.html


# --------------------------------------------------------------------- limits and errors


def test_limits_refuse_big_graphs_saying_what_to_shrink():
    loss, _ = backprop_ninja()
    held = numbers_held(topological_order(loss))
    assert held < DEFAULT_MAX_NUMBERS
    with pytest.raises(
        GraphTooLarge, match=r"numbers .* more than max_numbers=1,000; shrink the batch"
    ):
        explore(loss, max_numbers=1000)
    with pytest.raises(GraphTooLarge, match="31 operations, more than max_ops=10"):
        explore(loss, max_ops=10)
    explore(loss, max_numbers=held, max_ops=31)  # the limits are inclusive
    explore(loss, max_numbers=None, max_ops=None)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_numbers must be a positive integer or None"):
            explore(loss, max_numbers=bad)


def test_numbers_held_counts_what_the_page_holds():
    loss, _ = backprop_ninja()
    page = explore(loss)
    distinct = {id(a): a.size for a in (n._data for n in page.trace.nodes)}
    for step in page.trace.steps:
        for c in step.contributions:
            distinct.update({id(a): a.size for a in (c.amount, c.after)})
    # the page writes each array once; the limit counts each gradient the steps make
    assert sum(distinct.values()) <= numbers_held(page.trace.nodes)


def test_a_leaf_root_is_one_step():
    w = Tensor([3.0], requires_grad=True)
    t = explore(w).trace
    assert [s.node for s in t.steps] == [0] and t.grad(w).tolist() == [1.0]
    assert t.steps[0].contributions[0].text == "w.grad = 1"


def test_bad_roots_and_names():
    with pytest.raises(ValueError, match="one-element tensor .* shape \\(2,\\)"):
        explore(Tensor([1.0, 2.0], requires_grad=True) * 2)
    with pytest.raises(RuntimeError, match="does not require grad"):
        explore(Tensor([1.0]).sum())
    loss, _ = backprop_ninja()
    with pytest.raises(TypeError, match="names must map names to tensors"):
        explore(loss, names=["loss"])
    with pytest.raises(TypeError, match="got key 3"):
        explore(loss, names={3: loss})


# --------------------------------------------------------------------- the page's HTML


def attribute(page, name):
    return [html.unescape(v) for v in re.findall(rf'{name}="([^"]*)"', page)]


def test_the_page_holds_the_contract(tmp_path):
    loss, _ = backprop_ninja()
    path = tmp_path / "ninja.html"
    page = explore(loss, path)
    text = path.read_text(encoding="utf-8")
    assert text == page.html and repr(page).endswith(f"over 38 tensors, written to {path}>")
    t = page.trace
    assert attribute(text, "data-node-id") == [str(i) for i in range(len(t.nodes))]
    assert attribute(text, "data-label") == t.names
    assert attribute(text, "data-shape") == [",".join(map(str, n.shape)) for n in t.nodes]
    assert set(attribute(text, "data-grad")) == {"null"}  # before step 1
    for action in ("step", "back", "reset", "run"):
        assert f'data-action="{action}"' in text
    assert not re.search(r"(src|href)=\"(https?:)?//", text)
    data = json.loads(re.search(r'id="trace">(.*?)</script>', text, re.S).group(1))
    assert len(data["steps"]) == len(t.steps) and data["full"] == 4096
    assert "<iframe srcdoc=" in page._repr_html_()


def test_hostile_labels_stay_text():
    loss, names = backprop_ninja()
    names["h"].label = "</script><script>window.pwned = 1</script>"
    names["logits"].label = "{{data}} {{svg}}"
    names["probs"].label = '<img src=x onerror="window.pwned = 1">'
    text = explore(loss).html
    assert "<img src=x" not in text and "<script>window.pwned" not in text
    labels = attribute(text, "data-label")
    assert names["h"].label in labels and "{{data}} {{svg}}" in labels
    assert text.count('id="trace"') == 1 and text.count("<svg") == 1
