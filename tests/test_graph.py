"""The shared walk (drawing, the stepper page, gradcheck, Tensor.backward) lists operations in
the order Value.backward fires them, so a page that replays backward() step by step ends
with backward()'s grads bit for bit."""

from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd import Value
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
