"""The shared walk, graph.topological_order: drawing, the stepper page, gradcheck and
Tensor.backward go through it, and it lists operations in the order Value.backward's own walk
fires them, so a page that replays backward() step by step ends with backward()'s grads bit
for bit."""

import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd import Tensor, Value, draw_dot, explore, gradcheck, graph
from micrograd.graph import topological_order


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99), st.sampled_from("+*t")), max_size=25)
)
def test_operations_are_listed_in_backward_order(recipe):
    nodes = [Value(0.5, label="x"), Value(-1.5, label="y"), Value(2.0, label="z")]
    for i, j, op in recipe:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(a + b if op == "+" else a * b if op == "*" else (a * b).tanh())
    root = nodes[-1]
    operations = [n for n in topological_order(root) if n._prev]
    assert operations == root._interior_nodes_in_topological_order()


def test_leaves_are_listed_in_operand_order():
    a, b = Value(1.0), Value(2.0)
    y = a * b
    assert topological_order(y) == [a, b, y]


def _record_the_shared_walk(monkeypatch) -> list:
    """Put a recorder in place of topological_order in every micrograd module that holds it;
    returns the list of roots it is called with."""
    real, roots = graph.topological_order, []

    def recorder(root):
        roots.append(root)
        return real(root)

    for name, module in list(sys.modules.items()):
        if name.split(".")[0] == "micrograd" and getattr(module, "topological_order", None) is real:
            monkeypatch.setattr(module, "topological_order", recorder)
    return roots


def test_drawing_the_stepper_page_gradcheck_and_tensor_backward_use_the_shared_walk(monkeypatch):
    x = Value(0.5, label="x")
    y = (x * x + x).tanh() * x
    roots = _record_the_shared_walk(monkeypatch)

    dot = draw_dot(y)
    assert roots == [y]
    drawn = [line.split()[0] for line in dot.body if line.endswith("shape=record]\n")]
    assert drawn[0] == f"v{id(y)}"  # nearest the output first
    assert sorted(drawn) == sorted(f"v{id(node)}" for node in topological_order(y))

    roots.clear()
    explore(y)
    assert roots and all(root is y for root in roots)

    roots.clear()
    assert gradcheck(lambda a: (a * a).tanh(), Value(0.3))
    assert roots

    roots.clear()
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (t * t).sum()
    loss.backward()
    assert roots == [loss]
