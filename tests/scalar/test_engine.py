"""The scalar engine, op by op: values and gradients against PyTorch float64 and finite differences.

Also the original micrograd README example, the node attributes the lecture reads, bad inputs and
domain errors, numerical stability, deep graphs, repeated ``backward`` and the absence of reference
cycles.
"""

from __future__ import annotations

import gc
import math
import sys

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from micrograd import Value
from micrograd.engine import Value as EngineValue

# Results computed along different paths (a / b as a * b**-1, libm against ATen) differ by a few
# ulps; the gradient of tanh and sigmoid near saturation is a difference of nearly equal numbers,
# hence the absolute tolerance.
REL = 1e-9
ABS = 1e-12


def close(actual: float, expected: float, rel: float = REL, abs_tol: float = ABS) -> bool:
    """math.isclose that also treats nan == nan and inf == inf (same sign)."""
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    if math.isinf(expected) or math.isinf(actual):
        return actual == expected
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_tol)


def assert_close(actual: float, expected: float, what: str = "", **kw: float) -> None:
    assert close(actual, expected, **kw), f"{what}: micrograd {actual!r} != reference {expected!r}"


def leaf(x: float) -> torch.Tensor:
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


def tgrad(t: torch.Tensor) -> float:
    return 0.0 if t.grad is None else t.grad.item()


def finite(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(bound: float, gap: float) -> st.SearchStrategy[float]:
    return finite(-bound, bound).filter(lambda x: abs(x) >= gap)


# ------------------------------------------------------------------------ unary operations

# The unary ops both engines have are checked against PyTorch in tests/test_shared_ops.py,
# one table for both engines; here, what only the scalar engine's value shows.


@pytest.mark.parametrize("x", [0.0, -0.0, 1e-300, -1e-300])
def test_relu_at_and_near_zero_matches_torch(x: float) -> None:
    a = Value(x)
    out = a.relu()
    out.backward()
    ta = leaf(x)
    torch.relu(ta).backward()
    assert out.data == torch.relu(ta.detach()).item()
    assert a.grad == tgrad(ta)


# ------------------------------------------------------------------------ binary operations


def _binary(op: str):
    return {
        "+": lambda x, y: x + y,
        "-": lambda x, y: x - y,
        "*": lambda x, y: x * y,
        "/": lambda x, y: x / y,
        "**": lambda x, y: x**y,
    }[op]


def _check_binary(op: str, x: float, y: float, form: str) -> None:
    """``form``: "vv" Value op Value, "vn" Value op number, "nv" number op Value."""
    f = _binary(op)
    a, b = Value(x), Value(y)
    ta, tb = leaf(x), leaf(y)
    if form == "vv":
        out, tout = f(a, b), f(ta, tb)
    elif form == "vn":
        out, tout = f(a, y), f(ta, y)
    else:
        out, tout = f(x, b), f(x, tb)
    assert isinstance(out, Value)
    out.backward()
    tout.backward()
    what = f"{x!r} {op} {y!r} ({form})"
    assert_close(out.data, tout.item(), what)
    if form in ("vv", "vn"):
        assert_close(a.grad, tgrad(ta), f"d/dx of {what}")
    if form in ("vv", "nv"):
        assert_close(b.grad, tgrad(tb), f"d/dy of {what}")


FORMS = ["vv", "vn", "nv"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("op", ["+", "-", "*"])
@given(x=finite(-1e6, 1e6), y=finite(-1e6, 1e6))
def test_add_sub_mul_match_torch(op: str, form: str, x: float, y: float) -> None:
    _check_binary(op, x, y, form)


@pytest.mark.parametrize("form", FORMS)
@given(x=finite(-1e6, 1e6), y=away_from_zero(1e6, 1e-6))
def test_div_matches_torch(form: str, x: float, y: float) -> None:
    _check_binary("/", x, y, form)


@pytest.mark.parametrize("form", FORMS)
@given(x=finite(1e-3, 1e3), y=finite(-5, 5))
def test_pow_positive_base_any_exponent_matches_torch(form: str, x: float, y: float) -> None:
    _check_binary("**", x, y, form)


@pytest.mark.parametrize("form", FORMS)
@given(x=away_from_zero(100, 1e-2), n=st.integers(-4, 5))
def test_pow_any_base_integer_exponent_matches_torch(form: str, x: float, n: int) -> None:
    # For a negative base, d(a**b)/db = a**b * ln(a) is nan in both engines.
    _check_binary("**", x, float(n), form)


@pytest.mark.parametrize("n", [2, 3, -1, -2, 0, 1])
@given(x=away_from_zero(100, 1e-2))
def test_pow_int_exponent_matches_torch(n: int, x: float) -> None:
    _check_binary("**", x, n, "vn")


@pytest.mark.parametrize(
    "base, exponent",
    [(0.0, 0.5), (0.0, 1.5), (0.0, 2), (0.0, 0), (0.0, 1), (2.0, 0), (-3.0, 0)],
)
def test_pow_special_points_match_torch(base: float, exponent: float) -> None:
    _check_binary("**", base, exponent, "vn")
    _check_binary("**", base, float(exponent), "vv")


@given(x=finite(-1e3, 1e3), y=finite(-1e3, 1e3))
def test_literals_on_both_sides_build_the_same_value(x: float, y: float) -> None:
    # __radd__, __rsub__, __rmul__ against their left-hand twins.
    a = Value(x)
    assert (y + a).data == (a + y).data == x + y
    assert (y * a).data == (a * y).data == x * y
    assert (y - a).data == y - x
    assert (a - y).data == x - y
    assert (-a).data == -x


# ------------------------------------------------------------------------ finite differences


def central_difference(f, x: float) -> float:
    h = 1e-6 * max(1.0, abs(x))
    return (f(x + h) - f(x - h)) / (2 * h)


FD_UNARY = {
    "neg": (lambda v: -v, finite(-10, 10)),
    "relu": (lambda v: v.relu(), away_from_zero(10, 1e-3)),
    "tanh": (lambda v: v.tanh(), finite(-4, 4)),
    "exp": (lambda v: v.exp(), finite(-10, 10)),
    "log": (lambda v: v.log(), finite(0.1, 100)),
    "sigmoid": (lambda v: v.sigmoid(), finite(-10, 10)),
    "square": (lambda v: v**2, finite(-10, 10)),
    "cube": (lambda v: v**3, finite(-10, 10)),
    "sqrt": (lambda v: v**0.5, finite(0.1, 100)),
    "reciprocal": (lambda v: v**-1, finite(0.1, 10)),
    "2**x": (lambda v: 2**v, finite(-5, 5)),
    "1/x": (lambda v: 1 / v, finite(0.1, 10)),
    "3-x": (lambda v: 3 - v, finite(-10, 10)),
}


@pytest.mark.parametrize("name", FD_UNARY)
@given(data=st.data())
def test_unary_gradient_matches_finite_differences(name: str, data: st.DataObject) -> None:
    f, domain = FD_UNARY[name]
    x = data.draw(domain, label="x")
    a = Value(x)
    f(a).backward()
    numeric = central_difference(lambda t: f(Value(t)).data, x)
    assert math.isclose(a.grad, numeric, rel_tol=1e-5, abs_tol=1e-6), (name, x, a.grad, numeric)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
@given(x=finite(0.2, 5), y=finite(0.2, 5))
def test_binary_gradients_match_finite_differences(op: str, x: float, y: float) -> None:
    f = _binary(op)
    a, b = Value(x), Value(y)
    f(a, b).backward()
    dx = central_difference(lambda t: f(Value(t), Value(y)).data, x)
    dy = central_difference(lambda t: f(Value(x), Value(t)).data, y)
    assert math.isclose(a.grad, dx, rel_tol=1e-5, abs_tol=1e-6), (op, x, y, a.grad, dx)
    assert math.isclose(b.grad, dy, rel_tol=1e-5, abs_tol=1e-6), (op, x, y, b.grad, dy)


# ------------------------------------------------------------------------ the original README


def test_original_readme_example() -> None:
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    # The numbers the original README prints.
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"

    # ... and the same program in PyTorch, to full precision.
    ta, tb = leaf(-4.0), leaf(2.0)
    tc = ta + tb
    td = ta * tb + tb**3
    tc = tc + tc + 1
    tc = tc + 1 + tc + (-ta)
    td = td + td * 2 + (tb + ta).relu()
    td = td + 3 * td + (tb - ta).relu()
    te = tc - td
    tf = te**2
    tg = tf / 2.0
    tg = tg + 10.0 / tf
    tg.backward()
    assert_close(g.data, tg.item(), "g")
    assert_close(a.grad, tgrad(ta), "dg/da")
    assert_close(b.grad, tgrad(tb), "dg/db")


# ------------------------------------------------------------------------ what a node exposes


def test_package_exports_the_engine_value() -> None:
    assert Value is EngineValue


def test_repr_format() -> None:
    a = Value(2.0)
    assert repr(a) == "Value(data=2.0, grad=0.0)"
    b = a * 3
    b.backward()
    assert repr(a) == "Value(data=2.0, grad=3.0)"
    assert repr(b) == "Value(data=6.0, grad=1.0)"


def test_data_grad_label_defaults_and_settable() -> None:
    a = Value(1.5)
    assert a.data == 1.5 and a.grad == 0.0 and a.label == ""
    assert Value(1.0, label="x").label == "x"
    a.label = "a"
    a.data = 2.5
    a.grad = 4.0
    assert (a.label, a.data, a.grad) == ("a", 2.5, 4.0)
    assert a._prev == () or list(a._prev) == []
    assert a._op == ""


def test_op_strings() -> None:
    a, b = Value(2.0), Value(3.0)
    assert (a + b)._op == "+"
    assert (a * b)._op == "*"
    assert (a**2)._op == "**2"  # the original's label for a number exponent
    assert (a**-1)._op == "**-1"
    assert a.relu()._op == "ReLU"
    assert a.tanh()._op == "tanh"
    assert a.exp()._op == "exp"
    assert a.log()._op == "log"
    assert a.sigmoid()._op == "sigmoid"
    assert (a**b)._op == "**"


def test_prev_keeps_order_and_multiplicity() -> None:
    a, b = Value(2.0), Value(3.0)
    assert list((a * b)._prev) == [a, b]
    assert list((b * a)._prev) == [b, a]
    assert list((a + a)._prev) == [a, a]
    assert list((a * a)._prev) == [a, a]
    assert list((a**b)._prev) == [a, b]
    assert list(a.tanh()._prev) == [a]
    literal = (a + 5)._prev
    assert len(literal) == 2 and literal[0] is a and literal[1].data == 5.0


def test_prev_compares_like_the_originals_set() -> None:
    # Code and test suites written for the original compare _prev with sets.
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert c._prev == {a, b} and {a, b} == c._prev and c._prev == frozenset({b, a})
    assert a._prev == set() and not a._prev and (a + a)._prev == {a}
    assert c._prev != {a} and c._prev != set() and c._prev != {a, b, Value(2.0)}
    assert c._prev == (a, b) and c._prev != (b, a) and hash(c._prev) == hash((a, b))
    assert a in c._prev and len(c._prev) == 2
    assert c._prev - {a} == {b} and {a, b} - c._prev == set()
    assert c._prev & {a} == {a} and c._prev | {c} == {a, b, c} and c._prev ^ {a} == {b}


def test_values_hash_by_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert len({a, b, a}) == 2
    assert a in {a} and b not in {a}
    assert {a: "a"}[a] == "a"


def test_node_backward_pushes_one_step_of_the_chain_rule() -> None:
    # The lecture calls node._backward() by hand: it must read only node.grad.
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    c.grad = 5.0
    c._backward()
    assert (a.grad, b.grad) == (-15.0, 10.0)
    Value(1.0)._backward()  # a leaf's _backward does nothing


# ------------------------------------------------------------------------ nodes built by hand


def cube(x: Value) -> Value:
    """A new operation written the lecture's way: Value(data, children, op) plus a closure."""
    out = Value(x.data**3, (x,), "cube")

    def _backward():
        x.grad += 3 * x.data**2 * out.grad

    out._backward = _backward
    return out


def test_hand_built_op_with_its_own_backward_takes_part_in_backward() -> None:
    x = Value(1.5)
    y = (cube(x * 2.0) + x).tanh()
    y.backward()
    xt = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    yt = ((xt * 2.0) ** 3 + xt).tanh()
    yt.backward()
    assert y.data == pytest.approx(yt.item(), rel=1e-12)
    assert x.grad == pytest.approx(xt.grad.item(), rel=1e-12)
    assert cube(x)._op == "cube" and cube(x)._prev == (x,)


def test_hand_built_node_with_three_operands() -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b  # an interior operand: backward must reach it and run its chain rule
    d = Value(a.data + b.data + c.data, (a, b, c), "sum3")

    def _backward():
        for operand in (a, b, c):
            operand.grad += d.grad

    d._backward = _backward
    assert d._prev == (a, b, c)
    (d * 2.0).backward()
    assert (c.grad, a.grad, b.grad) == (2.0, 2.0 + 2.0 * 3.0, 2.0 + 2.0 * 2.0)


def test_hand_built_node_without_a_backward_passes_no_gradient() -> None:
    # As in the original, where a node's _backward defaults to doing nothing.
    a = Value(2.0)
    d = Value(4.0, (a, a), "mystery")
    (d * 3.0).backward()
    assert a.grad == 0.0 and d.grad == 3.0


def test_children_may_be_any_iterable_and_prev_is_settable() -> None:
    a, b = Value(1.0), Value(2.0)
    assert Value(0.0, {a})._prev == (a,)  # the original stored a set
    assert Value(0.0, [a, b, a, b])._prev == (a, b, a, b)
    c = a * b
    c._prev = ()  # now a leaf: backward stops at it
    (c + a).backward()
    assert (c.grad, a.grad, b.grad) == (1.0, 1.0, 0.0)
    c._prev = (a, b)  # put back: the local derivatives were kept
    a.grad = 0.0
    c.backward()
    assert (a.grad, b.grad) == (2.0, 1.0)


def test_operands_must_be_values() -> None:
    with pytest.raises(TypeError, match="operands must be Values, got int"):
        Value(3.0, (Value(1.0), 2), "+")
    v = Value(1.0)
    with pytest.raises(TypeError, match="got str"):
        v._prev = ("a",)
    assert v._prev == ()  # unchanged


def test_subclass_overriding_backward_is_called() -> None:
    calls = []

    class Traced(Value):
        def _backward(self) -> None:
            calls.append(self._op)
            super()._backward()

    a = Value(2.0)
    t = Traced(a.data, (a,), "id")
    t._da = None  # no derivative rule: backward must call Traced._backward
    (t * 3.0).backward()
    assert calls == ["id"] and a.grad == 0.0  # Value._backward does nothing without a rule
    calls.clear()
    t._da = 1.0  # a local derivative given by hand: d t / d a = 1
    t.backward()
    assert a.grad == 1.0


def test_hand_built_node_with_local_derivatives_set_by_hand() -> None:
    a, b = Value(2.0), Value(5.0)
    c = Value(a.data * b.data, (a, b), "mul by hand")
    c._da, c._db = b.data, a.data
    (c + a).backward()
    assert (a.grad, b.grad) == (6.0, 2.0)
    c._backward()  # and by hand, once more
    assert (a.grad, b.grad) == (11.0, 4.0)


# ------------------------------------------------------------------------ inputs and errors


@pytest.mark.parametrize(
    "bad, type_name",
    [("a", "str"), (None, "NoneType"), ([1], "list"), (Value(1), "Value"), (1 + 2j, "complex")],
)
def test_non_number_data_raises_type_error_naming_the_type(bad: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        Value(bad)


@pytest.mark.parametrize(
    "scalar", [np.float32(1.5), np.float64(-2.25), np.int64(3), np.int32(-7), np.float16(0.5), 7]
)
def test_numpy_scalars_and_ints_are_stored_as_float(scalar: object) -> None:
    v = Value(scalar)
    assert type(v.data) is float
    assert v.data == float(scalar)


@pytest.mark.parametrize(
    "op, scalar",
    [
        (op, scalar)
        for op in ["+", "-", "*", "/", "**"]
        for scalar in [np.float64(2.0), np.float32(2.0), np.int64(2), 2]
    ],
)
def test_numpy_scalars_as_operands(op: str, scalar: object) -> None:
    _check_numpy_operand(scalar, op)


# Regression: __truediv__ once computed other**-1 on the raw operand, which NumPy integers refuse.
@pytest.mark.parametrize("scalar", [np.int64(2), np.int32(-4), np.uint8(5)])
def test_division_by_numpy_integer(scalar: object) -> None:
    _check_numpy_operand(scalar, "/")


def _check_numpy_operand(scalar: object, op: str) -> None:
    f = _binary(op)
    x = 3.0
    a = Value(x)
    out = f(a, scalar)
    assert isinstance(out, Value)
    out.backward()
    ta = leaf(x)
    f(ta, float(scalar)).backward()
    assert_close(out.data, f(x, float(scalar)), f"{x} {op} {scalar!r}")
    assert_close(a.grad, tgrad(ta), f"d/dx of {x} {op} {scalar!r}")


@pytest.mark.parametrize("scalar", [np.float64(2.0), np.int64(2)])
@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_numpy_scalar_on_the_left(scalar: object, op: str) -> None:
    f = _binary(op)
    b = Value(3.0)
    out = f(scalar, b)
    assert isinstance(out, Value), type(out)
    out.backward()
    tb = leaf(3.0)
    f(float(scalar), tb).backward()
    assert_close(out.data, f(float(scalar), 3.0))
    assert_close(b.grad, tgrad(tb))


@pytest.mark.parametrize("bad", ["2", None, [2], 1 + 1j])
def test_pow_with_non_number_exponent_raises_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        Value(2.0) ** bad


@pytest.mark.parametrize("base, exponent", [(-2.0, 0.5), (-8.0, 1 / 3), (-1e-3, 2.5)])
def test_negative_base_fractional_exponent_raises_value_error(base: float, exponent: float) -> None:
    with pytest.raises(ValueError):
        Value(base) ** exponent
    with pytest.raises(ValueError):
        Value(base) ** Value(exponent)
    with pytest.raises(ValueError):
        base ** Value(exponent)


def _failing_ops():
    # (description, exception, text the message names the operation by, the failing call)
    return [
        ("log(0)", ValueError, "log", lambda v: (v * 0).log()),
        ("log(-1)", ValueError, "log", lambda v: (v * 0 - 1).log()),
        ("Value / 0", ZeroDivisionError, "divi|/", lambda v: v / 0),
        ("Value / 0.0", ZeroDivisionError, "divi|/", lambda v: v / 0.0),
        ("Value / Value(0)", ZeroDivisionError, "divi|/", lambda v: v / Value(0.0)),
        ("1 / Value(0)", ZeroDivisionError, "divi|/", lambda v: 1 / (v * 0)),
        ("Value(0) ** -1", ZeroDivisionError, r"pow|\*\*", lambda v: (v * 0) ** -1),
        ("exp(1000)", OverflowError, "exp", lambda v: (v * 0 + 1000).exp()),
    ]


@pytest.mark.parametrize(
    "exc, names, call", [f[1:] for f in _failing_ops()], ids=[f[0] for f in _failing_ops()]
)
def test_domain_error_names_the_operation_and_the_graph_stays_usable(exc, names, call) -> None:
    a, b = Value(2.0), Value(-3.0)
    g = a * b + a.tanh()
    with pytest.raises(exc, match=names):
        call(g)
    # Nothing built so far was changed, and backward through it still works.
    assert (a.data, b.data, a.grad, b.grad, g.grad) == (2.0, -3.0, 0.0, 0.0, 0.0)
    h = g * 2
    h.backward()
    ta, tb = leaf(2.0), leaf(-3.0)
    ((ta * tb + ta.tanh()) * 2).backward()
    assert_close(h.data, 2 * (2.0 * -3.0 + math.tanh(2.0)))
    assert_close(a.grad, tgrad(ta))
    assert_close(b.grad, tgrad(tb))


@pytest.mark.parametrize("x", [1e3, 1e6, -1e3, -1e6, 1e308, -1e308])
@pytest.mark.parametrize("op", ["tanh", "sigmoid"])
def test_tanh_and_sigmoid_are_stable_for_huge_inputs(op: str, x: float) -> None:
    a = Value(x)
    out = getattr(a, op)()
    out.backward()
    limit = math.copysign(1.0, x) if op == "tanh" else (1.0 if x > 0 else 0.0)
    assert out.data == limit
    assert a.grad == 0.0
    ta = leaf(x)
    tout = getattr(ta, op)()
    tout.backward()
    assert out.data == tout.item() and a.grad == tgrad(ta)


@pytest.mark.parametrize("x", [-700.0, -100.0, 36.0, 40.0, 300.0])
def test_sigmoid_tails_match_torch(x: float) -> None:
    a = Value(x)
    out = a.sigmoid()
    out.backward()
    ta = leaf(x)
    tout = ta.sigmoid()
    tout.backward()
    assert_close(out.data, tout.item(), f"sigmoid({x})", abs_tol=0.0)
    assert_close(a.grad, tgrad(ta), f"sigmoid'({x})", abs_tol=1e-300)


def test_exp_just_below_overflow() -> None:
    a = Value(709.0)
    out = a.exp()
    out.backward()
    assert_close(out.data, math.exp(709.0))
    assert_close(a.grad, math.exp(709.0))


# Regression: the derivative -1 * x**-2 once raised OverflowError for |x| < ~7.5e-155.
@pytest.mark.parametrize("tiny", [1e-170, 1e-200, -1e-250])
def test_reciprocal_of_a_tiny_number_is_finite_like_python_floats(tiny: float) -> None:
    # Python: 1.0 / 1e-170 == 1e170, finite. The derivative -1/x**2 overflows to -inf (PyTorch
    # agrees), but the forward result must not raise.
    a = Value(tiny)
    out = 1 / a
    assert_close(out.data, 1.0 / tiny)
    out.backward()
    ta = leaf(tiny)
    (1 / ta).backward()
    assert a.grad == tgrad(ta) == -math.inf


# ------------------------------------------------------------------------ deep graphs


def test_deep_chain_backward_without_recursion_error() -> None:
    n = 200_000
    assert n > 100 * sys.getrecursionlimit()
    c = 1.000001
    a = Value(0.5)
    x = a
    for _ in range(n):
        x = x * c  # a chain 200,000 operations deep (400,000 nodes with the literals)
    x.backward()
    assert_close(x.data, 0.5 * c**n, rel=1e-9)
    assert_close(a.grad, c**n, rel=1e-9)
    del x  # freeing the chain by reference counting must not overflow the C stack either


def test_deep_additive_chain_exact() -> None:
    n = 200_000
    a = Value(1.0)
    x = a
    for _ in range(n):
        x = 1.0 + x
    x.backward()
    assert x.data == 1.0 + n
    assert a.grad == 1.0


# ------------------------------------------------------------------------ no reference cycles


def _value_count() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Value)


def _build_use_and_drop() -> None:
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = (c - d) ** 2 / 2.0
    e = e + 10.0 / e + e.tanh() + e.sigmoid() + (a * a).exp().log() + b**a
    e.backward()
    e.backward()
    assert a.grad != 0.0


def test_dropped_graphs_are_freed_by_reference_counting() -> None:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = _value_count()
        for _ in range(3):
            _build_use_and_drop()
        leftover = _value_count() - before
        found = gc.collect()
    finally:
        if was_enabled:
            gc.enable()
    assert leftover == 0, f"{leftover} Values outlived their graph"
    assert found == 0, f"the cyclic collector found {found} unreachable objects"


def test_dropped_graph_after_domain_error_is_freed() -> None:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = _value_count()
        for call in [f[3] for f in _failing_ops()]:
            g = Value(2.0) * Value(3.0)
            try:
                call(g)
            except (ValueError, ZeroDivisionError, OverflowError):
                pass
            g.backward()
            del g
        leftover = _value_count() - before
        found = gc.collect()
    finally:
        if was_enabled:
            gc.enable()
    assert leftover == 0
    assert found == 0


# ------------------------------------------------------------------------ repeated backward


def test_backward_twice_accumulates_like_torch_retain_graph() -> None:
    # x is used by y, and y twice by z: the original micrograd counted y's grad twice on the
    # second call, so x.grad came out more than doubled.
    x = Value(1.5)
    w = Value(-0.7)
    y = x * x * w
    z = y * y + y.tanh() + x
    z.backward()
    first_y = y.grad
    z.backward()

    tx, tw = leaf(1.5), leaf(-0.7)
    ty = tx * tx * tw
    ty.retain_grad()
    tz = ty * ty + ty.tanh() + tx
    tz.backward(retain_graph=True)
    ty_once, tx_once = ty.grad.item(), tx.grad.item()
    tz.backward()
    assert_close(x.grad, tgrad(tx), "x.grad after two backward calls")
    assert_close(w.grad, tgrad(tw), "w.grad after two backward calls")
    assert_close(x.grad, 2 * tx_once, "leaf grads double")
    # Intermediate nodes are recomputed, not accumulated.
    assert_close(y.grad, ty_once, "intermediate grad")
    assert y.grad == first_y
    assert z.grad == 1.0


def test_backward_on_a_leaf_accumulates_like_torch() -> None:
    a = Value(3.0)
    a.backward()
    a.backward()
    ta = leaf(3.0)
    ta.backward()
    ta.backward()
    assert a.grad == tgrad(ta) == 2.0


def test_backward_from_two_roots_sharing_a_subgraph() -> None:
    a, b = Value(0.3), Value(-1.2)
    shared = a * b + a
    r1 = shared.tanh()
    r2 = shared * shared
    r1.backward()
    r2.backward()
    ta, tb = leaf(0.3), leaf(-1.2)
    ts = ta * tb + ta
    ts.tanh().backward(retain_graph=True)
    (ts * ts).backward()
    assert_close(a.grad, tgrad(ta))
    assert_close(b.grad, tgrad(tb))


def test_relu_of_nan_is_nan_like_torch() -> None:
    # Regression: relu once mapped NaN to 0.0, silently hiding it.
    a = Value(math.nan)
    out = a.relu()
    out.backward()
    t = torch.relu(torch.tensor(math.nan, dtype=torch.float64))
    assert math.isnan(out.data) and math.isnan(t.item())
    assert a.grad == 0.0


# ------------------------------------------------------------------------ numbers beyond floats


# Regression (issue 12): Python's own "int too large to convert to float" named no culprit.
@pytest.mark.parametrize(
    "call",
    [
        lambda: Value(10**400),
        lambda: Value(2.0) * 10**400,
        lambda: 10**400 * Value(2.0),
        lambda: Value(2.0) + 10**400,
        lambda: Value(2.0) - 10**400,
        lambda: Value(2.0) / 10**400,
        lambda: 10**400 / Value(2.0),
        lambda: Value(2.0) ** 10**400,
        lambda: Value(1.0, (Value(2.0),), (10**400,)),
    ],
    ids=["Value()", "v*", "*v", "v+", "v-", "v/", "/v", "v**", "local grad"],
)
def test_int_too_large_for_a_float_raises_a_clear_error(call) -> None:
    with pytest.raises(OverflowError, match=r"int of 1329 bits is too large for a float"):
        call()


def test_graph_stays_usable_after_an_int_too_large() -> None:
    a = Value(2.0)
    b = a * 3.0
    with pytest.raises(OverflowError):
        b * 10**400
    b.backward()
    assert (a.grad, b.data) == (3.0, 6.0)
