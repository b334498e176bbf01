"""Random expression graphs, built by hypothesis, against the same graph in PyTorch float64.

A graph is a short program over a pool of nodes: each instruction applies one operation to nodes
picked from the pool (the same node may be picked twice: ``a + a``, ``a * a``) or to a node and a
literal on either side, and appends the result, so later instructions reuse earlier results
(shared subexpressions). The program runs on micrograd and on PyTorch side by side; every node's
value and gradient must agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from hypothesis import given
from hypothesis import strategies as st

from micrograd import Value

UNARY = ["neg", "relu", "tanh", "exp", "log", "sigmoid", "pow_number"]
BINARY = ["+", "-", "*", "/", "**"]
EXPONENTS = [2, 3, -1, -2, 0.5, 1.5, 0, 1]
LIMIT = 1e6  # keep every node's value moderate, so gradients stay comparable


@dataclass(frozen=True)
class Instruction:
    op: str
    i: int  # operands, taken modulo the pool's size when the instruction runs
    j: int
    form: str  # "vv" node op node, "vn" node op literal, "nv" literal op node
    literal: float
    exponent: float


literals = st.floats(-3, 3, allow_nan=False).filter(lambda x: abs(x) >= 0.05) | st.sampled_from(
    [1.0, 2.0, -1.0, 0.5]
)
instructions = st.builds(
    Instruction,
    op=st.sampled_from(UNARY + BINARY),
    i=st.integers(0, 1000),
    j=st.integers(0, 1000),
    form=st.sampled_from(["vv", "vn", "nv"]),
    literal=literals,
    exponent=st.sampled_from(EXPONENTS),
)
programs = st.tuples(
    st.lists(st.floats(-3, 3, allow_nan=False), min_size=1, max_size=4),
    st.lists(instructions, min_size=4, max_size=30),
)


def _apply(ins: Instruction, x, y, literal: float):
    """One instruction on either engine (Value and torch.Tensor share this operator syntax)."""
    if ins.op == "neg":
        return -x
    if ins.op == "pow_number":
        return x**ins.exponent
    if ins.op in UNARY:
        return getattr(x, ins.op)()
    f = {
        "+": lambda p, q: p + q,
        "-": lambda p, q: p - q,
        "*": lambda p, q: p * q,
        "/": lambda p, q: p / q,
        "**": lambda p, q: p**q,
    }[ins.op]
    if ins.form == "vv":
        return f(x, y)
    if ins.form == "vn":
        return f(x, literal)
    return f(literal, x)


def _allowed(ins: Instruction, x: float, y: float, literal: float) -> bool:
    """Stay inside every operation's domain, and away from points where a one-ulp difference
    between the engines changes a result discontinuously (relu at 0)."""
    if ins.op == "relu":
        return abs(x) > 1e-6
    if ins.op == "exp":
        return x < 10
    if ins.op == "log":
        return x > 1e-2
    if ins.op == "pow_number":
        if ins.exponent < 0 or ins.exponent != int(ins.exponent):
            return x > 1e-2 if ins.exponent != int(ins.exponent) else abs(x) > 1e-2
        return True
    if ins.op == "/":
        divisor = {"vv": y, "vn": literal, "nv": x}[ins.form]
        return abs(divisor) > 1e-2
    if ins.op == "**":
        base, exponent = {"vv": (x, y), "vn": (x, literal), "nv": (literal, x)}[ins.form]
        return 1e-2 < base < 100 and abs(exponent) < 4
    return True


@dataclass
class Built:
    leaves: list[Value]
    tleaves: list[torch.Tensor]
    nodes: list[Value]  # every node the program produced, leaves first
    tnodes: list[torch.Tensor]
    root: Value
    troot: torch.Tensor


def build(program) -> Built:
    xs, code = program
    leaves = [Value(x) for x in xs]
    tleaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    nodes, tnodes = list(leaves), list(tleaves)
    for ins in code:
        x, y = nodes[ins.i % len(nodes)], nodes[ins.j % len(nodes)]
        tx, ty = tnodes[ins.i % len(nodes)], tnodes[ins.j % len(nodes)]
        literal = abs(ins.literal) if ins.op == "**" and ins.form == "nv" else ins.literal
        if not _allowed(ins, x.data, y.data, literal):
            continue
        out = _apply(ins, x, y, literal)
        if not (math.isfinite(out.data) and abs(out.data) < LIMIT):
            continue
        tout = _apply(ins, tx, ty, literal)
        tout.retain_grad()
        nodes.append(out)
        tnodes.append(tout)
    # The root adds up the last few nodes; Python's sum starts from 0, so 0 + Value (__radd__).
    root = sum(nodes[-3:])
    troot = sum(tnodes[-3:])
    return Built(leaves, tleaves, nodes, tnodes, root, troot)


def _grad(t: torch.Tensor) -> float:
    return 0.0 if t.grad is None else t.grad.item()


def _assert_all_close(actual: list[float], expected: list[float], what: str) -> None:
    # Gradients are sums of products along many paths; compare relative to the largest one.
    scale = 1.0 + max((abs(e) for e in expected if math.isfinite(e)), default=0.0)
    for k, (a, e) in enumerate(zip(actual, expected)):
        assert math.isclose(a, e, rel_tol=1e-7, abs_tol=1e-10 * scale), (
            f"{what} of node {k}: micrograd {a!r} != torch {e!r}"
        )


@given(program=programs)
def test_random_graph_values_and_gradients_match_torch(program) -> None:
    g = build(program)
    _assert_all_close([n.data for n in g.nodes], [t.item() for t in g.tnodes], "value")
    g.root.backward()
    g.troot.backward()
    _assert_all_close([g.root.data], [g.troot.item()], "root value")
    _assert_all_close([v.grad for v in g.leaves], [_grad(t) for t in g.tleaves], "leaf grad")
    _assert_all_close([v.grad for v in g.nodes], [_grad(t) for t in g.tnodes], "grad")


@given(program=programs)
def test_random_graph_backward_twice_matches_torch_retain_graph(program) -> None:
    g = build(program)
    g.root.backward()
    g.troot.backward(retain_graph=True)
    once = [_grad(t) for t in g.tnodes]
    g.root.backward()
    g.troot.backward()
    n_leaves = len(g.leaves)
    # Leaves accumulate, exactly as torch with retain_graph=True: twice the single pass.
    _assert_all_close([v.grad for v in g.leaves], [_grad(t) for t in g.tleaves], "leaf grad")
    _assert_all_close([v.grad for v in g.leaves], [2 * o for o in once[:n_leaves]], "leaf grad")
    # Intermediate nodes hold this call's gradient, not the sum over both calls.
    _assert_all_close([v.grad for v in g.nodes[n_leaves:]], once[n_leaves:], "intermediate grad")
    assert g.root.grad == 1.0


@given(x=st.floats(-3, 3), y=st.floats(-3, 3))
def test_reused_nodes_count_every_use(x: float, y: float) -> None:
    # a + a, a * a and a node feeding the same operation twice: the lecture's "a + a" bug.
    a, b = Value(x), Value(y)
    out = (a + a) * (a * a) + (a * b) * (a * b) - b / (1 + b * b)
    out.backward()
    ta = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    tout = (ta + ta) * (ta * ta) + (ta * tb) * (ta * tb) - tb / (1 + tb * tb)
    tout.backward()
    _assert_all_close([out.data, a.grad, b.grad], [tout.item(), _grad(ta), _grad(tb)], "a+a")
