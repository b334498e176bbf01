"""The expression reader of ``micrograd graph``: accepts arithmetic, refuses everything else."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from micrograd.cli.expr import FUNCTIONS, MAX_VALUES, ExpressionError, build, parse


def test_lecture_neuron():
    root, leaves = build(
        "tanh(x1*w1 + x2*w2 + b)",
        {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432},
    )
    assert root.data == pytest.approx(0.7071, abs=1e-4)
    grads = {name: leaf.grad for name, leaf in leaves.items()}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5})
    assert {leaf.label for leaf in leaves.values()} == set(leaves)
    assert root.label == "tanh(x1*w1 + x2*w2 + b)"


def test_original_readme_example_as_one_expression():
    # micrograd's README: c = a + b; d = a*b + b**3; ... g = f / 2.0 + 10.0 / f,
    # with each step's Python written out in full.
    c = "(a + b)"
    d = "(a*b + b**3)"
    c2 = f"({c} + {c} + 1)"
    c3 = f"({c2} + 1 + {c2} + (-a))"
    d2 = f"({d} + {d}*2 + relu(b + a))"
    d3 = f"({d2} + 3*{d2} + relu(b - a))"
    e = f"({c3} - {d3})"
    f = f"({e}**2)"
    g = f"{f} / 2.0 + 10.0 / {f}"
    root, leaves = build(g, {"a": -4.0, "b": 2.0})
    assert root.data == pytest.approx(24.7041, abs=1e-4)
    assert leaves["a"].grad == pytest.approx(138.8338, abs=1e-4)
    assert leaves["b"].grad == pytest.approx(645.5773, abs=1e-4)


TORCH = {
    "tanh": torch.tanh,
    "exp": torch.exp,
    "log": torch.log,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
}


@given(
    x=st.floats(0.1, 3.0),
    y=st.floats(-3.0, 3.0),
    function=st.sampled_from(FUNCTIONS),
)
def test_every_function_and_operator_against_pytorch(x, y, function):
    text = f"{function}(x) * y - x / (1 + y**2) + 2**x - -y"
    root, leaves = build(text, {"x": x, "y": y})
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    out = TORCH[function](tx) * ty - tx / (1 + ty**2) + 2**tx - -ty
    out.backward()
    assert root.data == pytest.approx(out.item(), rel=1e-9, abs=1e-12)
    assert leaves["x"].grad == pytest.approx(tx.grad.item(), rel=1e-9, abs=1e-12)
    assert leaves["y"].grad == pytest.approx(ty.grad.item(), rel=1e-9, abs=1e-12)


def test_deep_nesting_builds_without_recursion():
    root, leaves = build("+".join(["x"] * 800), {"x": 1.5})
    assert root.data == pytest.approx(1200.0)
    assert leaves["x"].grad == 800.0
    root, _ = build("tanh(" * 150 + "x" + ")" * 150, {"x": 1.0})
    assert 0 < root.data < 1


@pytest.mark.parametrize(
    "text, words",
    [
        ("x.real", "attribute access"),
        ("(x).__class__.__bases__", "attribute access"),
        ("().__class__", "attribute access"),
        ("x[0]", "subscripts"),
        ("__import__('os')", "__import__()"),
        ("open('/etc/passwd')", "open()"),
        ("eval('1')", "eval()"),
        ("exec('1')", "exec()"),
        ("getattr(x, 'y')", "getattr()"),
        ("print(x)", "print()"),
        ("abs(x)", "abs()"),
        ("x.tanh()", "this call"),
        ("(lambda: 0)()", "this call"),
        ("lambda: 0", "lambdas"),
        ("lambda x: __import__('os')", "lambdas"),
        ("[x for x in ()]", "comprehensions"),
        ("{x for x in ()}", "comprehensions"),
        ("(x for x in ())", "comprehensions"),
        ("'text'", "strings"),
        ("f'{x}'", "strings"),
        ("b'x'", "constant"),
        ("tanh(x=1)", "exactly one argument"),
        ("tanh(x, x)", "exactly one argument"),
        ("tanh()", "exactly one argument"),
        ("tanh(*x)", "exactly one argument"),
        ("tanh", "is a function"),
        ("x < 1", "comparisons"),
        ("x and x", "and/or"),
        ("x if x else x", "if-else"),
        ("(y := 1)", "assignment"),
        ("x @ x", "@"),
        ("x // 2", "//"),
        ("x % 2", "%"),
        ("~x", "~"),
        ("not x", "not"),
        ("1j", "constant 1j"),
        ("True", "constant True"),
        ("None", "constant None"),
        ("...", "constant Ellipsis"),
        ("__builtins__", "name '__builtins__'"),
        ("[x]", "List"),
        ("(x, x)", "Tuple"),
        ("{'a': 1}", "Dict"),
        ("1e999", "not finite"),
    ],
)
def test_refused_forms_name_what_was_refused(text, words):
    with pytest.raises(ExpressionError, match="^[^\n]+$") as info:
        parse(text)
    assert words in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "import os",
        "from os import system",
        "x = 1",
        "x; y",
        "def f(): pass",
        "",
        "   ",
        "x +",
        "x\x00",
        "(" * 300 + "x" + ")" * 300,
        "x" * 10_001,
        "+".join(["x"] * 5000),
    ],
)
def test_statements_and_garbage_are_refused(text):
    with pytest.raises(ExpressionError, match="^[^\n]+$"):
        parse(text)


def test_nothing_is_evaluated(monkeypatch):
    # If the reader ever evaluated its input, these would run; they must not.
    import builtins

    def forbidden(*args, **kwargs):
        raise AssertionError("evaluated user text")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    root, _ = build("x * 2 + log(x)", {"x": 3.0})
    assert root.data == pytest.approx(6 + math.log(3))


def test_names_need_values_and_values_need_names():
    with pytest.raises(ExpressionError, match="no value for w, x"):
        build("x * w", {})
    with pytest.raises(ExpressionError, match="--set z: not in the expression"):
        build("x", {"x": 1.0, "z": 2.0})


@pytest.mark.parametrize(
    "text, words",
    [
        ("log(x - 1)", "log"),
        ("1 / (x - 1)", "division"),
        ("exp(x * 1000)", "exp"),
        ("2 ** 2 ** 2 ** 2 ** 2", "too large"),
    ],
)
def test_math_errors_are_expression_errors(text, words):
    values = {"x": 1.0} if "x" in text else {}
    with pytest.raises(ExpressionError, match=words):
        build(text, values)


@pytest.mark.parametrize(
    "text",
    ["1" + "0" * 400 + " * x", "0x" + "f" * 300 + " * x", "0b" + "1" * 1100, "-" + "9" * 309],
)
def test_integers_too_large_for_a_float_are_an_expression_error(text):
    # Regression: OverflowError "int too large to convert to float" from the checker.
    with pytest.raises(ExpressionError, match="too large: numbers must be below about 1.8e308"):
        parse(text)


def test_integers_that_fit_a_float_are_fine():
    root, _ = build("x * " + "9" * 300, {"x": 2.0})
    assert root.data == pytest.approx(2 * float("9" * 300))


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("+".join(["x"] * 3000), "3,000"),  # Regression: "nested too deeply" for a flat sum
        ("+".join(["x"] * 1001), "1,001"),
        ("-" * 1000 + "x", "1,001"),
        ("+".join(f"x{i}" for i in range(501)), "1,001"),  # 501 names, 500 additions
        ("*".join(["2"] * 501), "1,001"),
    ],
)
def test_expressions_past_the_limit_say_how_big_they_are_and_the_limit(text, values):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert str(info.value) == (
        f"the expression would build {values} values (numbers, names and operations); "
        f"the limit is {MAX_VALUES:,}"
    )


def test_expressions_at_the_limit_build():
    root, leaves = build("+".join(["x"] * 1000), {"x": 0.5})  # 1 name + 999 additions
    assert root.data == 500.0 and leaves["x"].grad == 1000.0
    root, _ = build("-" * 999 + "x", {"x": 1.0})
    assert root.data == -1.0
