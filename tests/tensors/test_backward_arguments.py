"""Issue 17, C2: ``backward``'s ``retain_graph``, ``create_graph`` and ``inputs`` with
PyTorch's meaning, a second ``backward`` that accumulates (PyTorch raises: documented), and
``micrograd.autograd.backward``/``grad``; each against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import micrograd as mg
from micrograd import autograd


def both(make):
    """``make(L)`` for L = micrograd and torch (float64 leaves), as two tuples of tensors."""
    return make(mg), make(torch)


def leaves(L):
    x = L.tensor([1.0, -2.0, 0.5], dtype=L.float64, requires_grad=True)
    w = L.tensor([3.0, 4.0, -1.0], dtype=L.float64, requires_grad=True)
    return x, w


def grads(tensors):
    return [None if t.grad is None else np.asarray(t.grad).tolist() for t in tensors]


def test_backward_takes_retain_graph_and_changes_nothing():
    for retain in (True, False, None):
        x, _ = leaves(mg)
        (x * x).sum().backward(retain_graph=retain)
        assert x.grad.tolist() == [2.0, -4.0, 1.0]


def test_create_graph_is_a_clear_error():
    x, _ = leaves(mg)
    with pytest.raises(NotImplementedError, match="create_graph=True.*gradients of gradients"):
        (x * x).sum().backward(create_graph=True)
    with pytest.raises(RuntimeError):  # NotImplementedError is one, as PyTorch's errors are
        (x * x).sum().backward(create_graph=True)


def test_a_second_backward_accumulates_where_pytorch_raises():
    """The lead's decision: micrograd keeps the graph, so explore(loss) still draws it after
    loss.backward() (makemore part 4 does exactly that); PyTorch needs retain_graph=True."""
    x, _ = leaves(mg)
    loss = (x * x).sum()
    loss.backward()
    loss.backward()
    assert x.grad.tolist() == [4.0, -8.0, 2.0]
    t, _ = leaves(torch)
    loss = (t * t).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


@pytest.mark.parametrize(
    "pick",
    [
        lambda x, w, h: [x],
        lambda x, w, h: x,
        lambda x, w, h: (w,),
        lambda x, w, h: [h],
        lambda x, w, h: [h, x],
        lambda x, w, h: [x, w],
    ],
)
@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_inputs_accumulates_only_into_those_tensors(pick):
    def run(L):
        x, w = leaves(L)
        h = x * w
        loss = (h * h).sum()
        for _ in range(2):  # twice: an intermediate input accumulates too
            loss.backward(inputs=pick(x, w, h), retain_graph=True)
        return x, w, h

    ours, theirs = both(run)
    assert grads(ours) == grads(theirs)


def test_inputs_leave_other_grads_and_unused_inputs_alone():
    x, w = leaves(mg)
    unused = mg.tensor([5.0], requires_grad=True)
    w.grad = mg.tensor([7.0, 7.0, 7.0], dtype=mg.float64)
    (x * w).sum().backward(inputs=[x, unused])
    assert x.grad.tolist() == [3.0, 4.0, -1.0]
    assert w.grad.tolist() == [7.0, 7.0, 7.0] and unused.grad is None


def test_bad_inputs_are_clear_errors():
    x, _ = leaves(mg)
    loss = (x * x).sum()
    with pytest.raises(RuntimeError, match="non-empty"):
        loss.backward(inputs=[])
    with pytest.raises(RuntimeError, match="does not require grad"):
        loss.backward(inputs=[mg.tensor([1.0])])
    with pytest.raises(TypeError, match="entry 0 is a ndarray"):
        loss.backward(inputs=[np.zeros(3)])


def test_autograd_backward_sums_several_outputs():
    def run(L):
        x, w = leaves(L)
        L.autograd.backward([(x * w).sum(), x * x], [None, L.ones(3, dtype=L.float64)])
        return x, w

    ours, theirs = both(run)
    assert grads(ours) == grads(theirs)


def test_autograd_grad_returns_gradients_and_leaves_grad_alone():
    def run(L):
        x, w = leaves(L)
        h = x * w
        outs = L.autograd.grad((h * h).sum(), [x, h])
        return (*outs, x, w)

    (dx, dh, x, w), (tdx, tdh, tx, tw) = both(run)
    assert isinstance(dx, mg.Tensor) and dx.tolist() == tdx.tolist()
    assert dh.tolist() == tdh.tolist()
    assert grads([x, w]) == grads([tx, tw]) == [None, None]


def test_autograd_grad_unused_inputs_as_pytorch():
    x, w = leaves(mg)
    with pytest.raises(RuntimeError, match="input 1 was not used.*allow_unused"):
        autograd.grad((x * x).sum(), [x, w])
    dx, dw = autograd.grad((x * x).sum(), [x, w], allow_unused=True)
    assert dw is None
    _, dw = autograd.grad((x * x).sum(), [x, w], materialize_grads=True)
    assert dw.tolist() == [0.0, 0.0, 0.0]
    w.grad = mg.ones(3, dtype=mg.float64)
    autograd.grad((x * w).sum(), [w])
    assert w.grad.tolist() == [1.0, 1.0, 1.0]  # restored
