"""Nodes built by hand, microgpt's way (``Value(data, children, local_grads)``), the names microgpt
reads (``_children``, ``_local_grads``, ``grad = 0``), and microgpt-style code checked against
PyTorch float64. The lecture's way (``Value(data, children, op)`` plus a ``_backward`` closure) is
in test_engine.py and test_lecture.py."""

from __future__ import annotations

import gc
import math
import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd.engine import Value
from micrograd.gradcheck import gradcheck


def leaf(x: float) -> torch.Tensor:
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


# ------------------------------------------------------------------------ microgpt's constructor


def test_two_children_get_their_gradients() -> None:
    x, y = Value(2.0), Value(5.0)
    n = Value(10.0, (x, y), (5.0, 2.0))  # as microgpt's __mul__ builds x * y
    assert n._op == "" and n._children == (x, y) and n._local_grads == (5.0, 2.0)
    assert n._prev == (x, y) and n._prev == {x, y}
    (n * 3.0).backward()
    assert (x.grad, y.grad, n.grad) == (15.0, 6.0, 3.0)


@pytest.mark.parametrize("as_list", [False, True])
def test_three_children_with_an_interior_one(as_list: bool) -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b  # interior: backward must reach it and go on through it
    grads = [1.0, 2.0, 4.0] if as_list else (1.0, 2.0, 4.0)
    children = [a, b, c] if as_list else (a, b, c)
    d = Value(a.data + 2 * b.data + 4 * c.data, children, grads)  # d = a + 2b + 4ab
    assert d._children == (a, b, c) and d._local_grads == (1.0, 2.0, 4.0)
    assert d._prev == (a, b, c) and list(d._prev) == [a, b, c]
    (d * d).backward()
    assert d.grad == 2 * d.data
    assert c.grad == 4 * d.grad
    assert a.grad == d.grad * (1.0 + 4 * b.data)  # through d directly and through c = a * b
    assert b.grad == d.grad * (2.0 + 4 * a.data)


def test_repeated_children_accumulate() -> None:
    a = Value(3.0)
    n = Value(9.0, (a, a, a), (1.0, 2.0, 3.0))
    n.backward()
    assert a.grad == 6.0


def test_int_local_grads_and_int_data_as_microgpt_passes_them() -> None:
    a, b = Value(1), Value(2)  # microgpt's Value(0) for sum()'s start
    n = Value(3, (a, b), (1, 1))  # microgpt's __add__ passes (1, 1)
    assert n._local_grads == (1.0, 1.0) and type(n.data) is float
    n.backward()
    assert (a.grad, b.grad) == (1.0, 1.0)


def test_leaf_in_microgpt_style_and_empty_local_grads() -> None:
    a = Value(1.5, (), ())
    assert a._children == () and a._local_grads == () and a._op == ""
    a.backward()
    assert a.grad == 1.0


def test_children_and_local_grads_of_nodes_made_by_operations() -> None:
    a, b = Value(2.0), Value(-3.0)
    assert (a * b)._children == (a, b) and (a * b)._local_grads == (-3.0, 2.0)
    assert (a + b)._children == (a, b) and (a + b)._local_grads == (1.0, 1.0)
    t = a.tanh()
    assert t._children == (a,) and t._local_grads == (1.0 - t.data**2,)
    assert (a**3)._children == (a,) and (a**3)._local_grads == (12.0,)
    literal = (a + 5)._children
    assert len(literal) == 2 and literal[0] is a and literal[1].data == 5.0
    assert a._children == () and a._local_grads == ()
    # Built the lecture's way, with no local derivatives: it has children but no rule.
    lecture = Value(6.0, (a, b), "+")
    assert lecture._children == (a, b) and lecture._local_grads == ()


def test_mismatched_or_bad_local_grads_raise_clearly() -> None:
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match="2 children, 1 local gradients"):
        Value(3.0, (a, b), (1.0,))
    with pytest.raises(TypeError, match="local gradient must be a real number, got Value"):
        Value(3.0, (a, b), (1.0, Value(1.0)))
    with pytest.raises(TypeError, match="op must be a str, or local gradients numbers, not int"):
        Value(3.0, (a, b), 5)
    with pytest.raises(TypeError, match="operands must be Values, got float"):
        Value(3.0, (a, 2.0), (1.0, 1.0))


def test_grad_reset_to_int_zero_as_microgpt_does() -> None:
    w, x = Value(0.5), Value(-2.0)
    for _ in range(2):
        w.grad = 0  # microgpt's Adam step ends with p.grad = 0
        loss = (w * x).relu() + (w * w).exp()
        loss.backward()
        assert w.grad == pytest.approx(2 * 0.5 * math.exp(0.25)) and type(w.grad) is float
    w.grad = 0
    Value(1.0, (w,), (3.0,)).backward()
    assert w.grad == 3.0


def test_hand_built_nodes_hold_no_reference_cycles() -> None:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        a, b = Value(1.0), Value(2.0)
        for _ in range(3):
            n = Value(0.0, (a, b, a * b), (1.0, 2.0, 3.0))
            n.backward()
            del n
        found = gc.collect()
    finally:
        if was_enabled:
            gc.enable()
    assert found == 0


# ------------------------------------------------------------------------ _prev stays settable


def test_cutting_and_restoring_prev_keeps_local_derivatives_of_three_children() -> None:
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    d = Value(6.0, (a, b, c), (1.0, 2.0, 3.0))
    d._prev = ()  # a leaf meanwhile, as gradcheck makes its inputs
    assert d._prev == () and d._children == () and d._local_grads == (1.0, 2.0, 3.0)
    (d * 2.0).backward()
    assert (d.grad, a.grad, b.grad, c.grad) == (2.0, 0.0, 0.0, 0.0)
    d._prev = (a, b, c)
    assert d._local_grads == (1.0, 2.0, 3.0)
    d.backward()
    assert (a.grad, b.grad, c.grad) == (1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match="2 children, 3 local gradients"):
        d._prev = (a, b)
    assert d._prev == (a, b, c)  # unchanged


def test_gradcheck_through_and_on_hand_built_nodes() -> None:
    def f(x: Value, y: Value) -> Value:  # x * y and x + y built by hand, then tanh
        prod = Value(x.data * y.data, (x, y), (y.data, x.data))
        return Value(prod.data + x.data + y.data, (prod, x, y), (1.0, 1.0, 1.0)).tanh()

    assert gradcheck(f, Value(0.3), Value(-0.7))
    a, b = Value(0.4), Value(1.1)
    s = Value(a.data + b.data + 1.0, (a, b, Value(1.0)), (1, 1, 1))  # an input with 3 children
    assert gradcheck(lambda s, a: (s * a).exp(), s, a)
    assert s._children[:2] == (a, b) and s._local_grads == (1.0, 1.0, 1.0)


# ------------------------------------------------------------------------ microgpt-style code


def _rmsnorm(x):
    ms = sum(xi * xi for xi in x) / len(x)
    scale = (ms + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def _softmax(logits):
    max_val = max(val.data for val in logits)
    exps = [(val - max_val).exp() for val in logits]
    total = sum(exps)
    return [e / total for e in exps]


def _head(x, w, target):
    """microgpt's pieces: RMSNorm, a linear map, ReLU, softmax, negative log-likelihood."""
    h = [sum(wi * xi for wi, xi in zip(row, _rmsnorm(x))) for row in w]
    h = [hi.relu() + hi * 0.1 for hi in h]
    return -_softmax(h)[target].log()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), target=st.integers(0, 3))
def test_microgpt_style_head_matches_torch(seed: int, target: int) -> None:
    rng = random.Random(seed)
    xs = [rng.gauss(0, 1) for _ in range(5)]
    ws = [[rng.gauss(0, 0.5) for _ in range(5)] for _ in range(4)]
    x = [Value(v) for v in xs]
    w = [[Value(v) for v in row] for row in ws]
    loss = _head(x, w, target)
    loss.backward()

    tx = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(ws, dtype=torch.float64, requires_grad=True)
    xn = tx * ((tx * tx).mean() + 1e-5) ** -0.5
    h = tw @ xn
    h = torch.relu(h) + h * 0.1
    tloss = -torch.log_softmax(h, dim=0)[target]
    tloss.backward()

    assert math.isclose(loss.data, tloss.item(), rel_tol=1e-9)
    for ours, theirs in zip([v.grad for v in x], tx.grad.tolist()):
        assert math.isclose(ours, theirs, rel_tol=1e-7, abs_tol=1e-12)
    for ours, theirs in zip([v.grad for row in w for v in row], tw.grad.flatten().tolist()):
        assert math.isclose(ours, theirs, rel_tol=1e-7, abs_tol=1e-12)


def test_backward_visits_operands_in_the_lectures_order() -> None:
    # The chain rule adds into a shared node in the order its consumers come in reverse
    # topological order; keeping the recursive build_topo's order makes float sums (and so
    # microgpt's losses) come out bit for bit the same as with microgpt's own Value.
    a, b = Value(0.1), Value(0.2)
    c, d = a * b, a + b
    e = c * d + d.exp()
    order = e._interior_nodes_in_topological_order()

    topo, visited = [], set()

    def build_topo(v):  # the lecture's recursive walk, over _children
        if v not in visited:
            visited.add(v)
            for child in v._children:
                build_topo(child)
            if v._children:
                topo.append(v)

    build_topo(e)
    assert order == topo


# ------------------------------------------------------------------------ what each node holds


def test_types_labels_and_what_nodes_accept() -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert type(a) is Value and type(c) is Value and type(a + 1) is Value
    c.label = "c"  # the lecture labels nodes made by operations
    assert (c.label, a.label, Value(1.0, label="x").label) == ("c", "", "x")
    built = Value(5.0, (a, b), "+")  # built by hand: a Value that also takes a _backward
    assert isinstance(built, Value) and repr(built) == "Value(data=5.0, grad=0.0)"
    built._backward = lambda: None
    with pytest.raises(TypeError, match=r"only Value\(data, children, ...\) takes 3\+ operands"):
        a._prev = (b, b, b)
    with pytest.raises(ValueError, match="3 children, 2 local gradients"):
        c._prev = (a, b, a)
    assert c._prev == (a, b) and a._prev == ()  # unchanged
