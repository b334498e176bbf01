"""One table of the operations both engines have, run on each: the scalar ``Value`` and the
``Tensor``, values and gradients against PyTorch float64 on random inputs (minitorch's way:
one table of math functions, every engine).

Each engine's own tests cover what only it has (``Value``'s hand-built nodes and literals on
both sides, the tensor's shapes, broadcasting and dtypes).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd import Tensor, Value


def finite(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


# name -> (the op, written once for either engine's value; PyTorch's; the inputs' domain).
# Domains avoid where a function is undefined, or where one ulp of difference grows past the
# tolerance (tanh and sigmoid saturate; exp overflows).
UNARY = {
    "neg": (lambda x: -x, lambda t: -t, finite(-1e6, 1e6)),
    "relu": (lambda x: x.relu(), torch.relu, finite(-1e3, 1e3)),
    "tanh": (lambda x: x.tanh(), torch.tanh, finite(-8, 8)),
    "exp": (lambda x: x.exp(), torch.exp, finite(-700, 700)),
    "log": (lambda x: x.log(), torch.log, finite(1e-300, 1e300)),
    "sigmoid": (lambda x: x.sigmoid(), torch.sigmoid, finite(-30, 30)),
    "x ** 3": (lambda x: x**3, lambda t: t**3, finite(-1e3, 1e3)),
    "x ** 0.5": (lambda x: x**0.5, lambda t: t**0.5, finite(1e-6, 1e6)),
    "x ** -1": (lambda x: x**-1, lambda t: t**-1, finite(0.01, 1e3)),
}

BINARY = {
    "+": (lambda x, y: x + y, finite(-1e6, 1e6), finite(-1e6, 1e6)),
    "-": (lambda x, y: x - y, finite(-1e6, 1e6), finite(-1e6, 1e6)),
    "*": (lambda x, y: x * y, finite(-1e3, 1e3), finite(-1e3, 1e3)),
    "/": (lambda x, y: x / y, finite(-1e3, 1e3), finite(0.01, 1e3)),
    "**": (lambda x, y: x**y, finite(0.01, 10), finite(-3, 3)),
}


def run_value(fn, *columns):
    """Each row of the inputs through ``Value``: the outputs and each input's gradients."""
    out, grads = [], [[] for _ in columns]
    for row in zip(*columns):
        leaves = [Value(float(x)) for x in row]
        y = fn(*leaves)
        y.backward()
        out.append(y.data)
        for g, leaf in zip(grads, leaves):
            g.append(leaf.grad)
    return np.array(out), [np.array(g) for g in grads]


def run_tensor(fn, *columns):
    """The inputs as float64 tensors, through ``Tensor`` at once; backward of the sum."""
    leaves = [Tensor(np.array(c, dtype=np.float64), requires_grad=True) for c in columns]
    y = fn(*leaves)
    y.sum().backward()
    return np.asarray(y.data, dtype=np.float64), [np.asarray(t.grad) for t in leaves]


def run_torch(fn, *columns):
    leaves = [torch.tensor(c, dtype=torch.float64, requires_grad=True) for c in columns]
    y = fn(*leaves)
    y.sum().backward()
    return y.detach().numpy(), [t.grad.numpy() for t in leaves]


ENGINES = {"Value": run_value, "Tensor": run_tensor}


def check(engine, fn, torch_fn, columns):
    out, grads = ENGINES[engine](fn, *columns)
    expected, expected_grads = run_torch(torch_fn, *columns)
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-12)
    for g, e in zip(grads, expected_grads):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", UNARY)
@settings(max_examples=25)
@given(data=st.data())
def test_unary_op_on_each_engine_matches_torch(engine, name, data):
    fn, torch_fn, domain = UNARY[name]
    xs = data.draw(st.lists(domain, min_size=1, max_size=4), label="x")
    check(engine, fn, torch_fn, [xs])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", BINARY)
@settings(max_examples=25)
@given(data=st.data())
def test_binary_op_on_each_engine_matches_torch(engine, name, data):
    fn, left, right = BINARY[name]
    n = data.draw(st.integers(1, 4), label="n")
    xs = data.draw(st.lists(left, min_size=n, max_size=n), label="x")
    ys = data.draw(st.lists(right, min_size=n, max_size=n), label="y")
    check(engine, fn, fn, [xs, ys])


def test_the_table_covers_what_both_engines_have():
    """Every op of the scalar engine (the lecture's set) is in the shared table."""
    lecture = {"neg", "relu", "tanh", "exp", "log", "sigmoid"}
    assert lecture <= set(UNARY)
    assert {"+", "-", "*", "/", "**"} == set(BINARY)
