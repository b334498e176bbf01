"""Expressions typed on the command line, turned into a graph of ``Value``s without eval.

``micrograd graph "tanh(x1*w1 + x2*w2 + b)" --set x1=2 ...`` reads its expression with
Python's ``ast`` parser and then walks the tree itself, building Values node by node. Nothing
the user typed is ever evaluated as Python: only the forms below are accepted, everything
else (attribute access, subscripts, other calls, keywords, lambdas, comprehensions, strings,
comparisons, imports, which are statements and don't parse as an expression) is an
:class:`ExpressionError` naming what was refused.

Accepted: numbers, names, ``+ - * / **``, unary ``-`` and ``+``, parentheses, and calls of
``tanh exp log relu sigmoid`` with exactly one argument.

>>> root, leaves = build("tanh(x*w + b)", {"x": 2.0, "w": -3.0, "b": 6.8813735870195432})
>>> round(root.data, 4), round(leaves["w"].grad, 4)
(0.7071, 1.0)
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize

from micrograd.engine import Value

_FUNCTIONS = {
    "tanh": Value.tanh,
    "exp": Value.exp,
    "log": Value.log,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
}
FUNCTIONS = tuple(_FUNCTIONS)
# Longer or bigger expressions are refused before parsing, with the limit in the message.
# Past MAX_VALUES the drawing holds more values than draw_dot draws by default (1,000), and
# Python's own parser (a recursive one) fails on sums of a few thousand terms.
MAX_LENGTH = 10_000  # characters
MAX_VALUES = 1_000  # the Values it builds: numbers, distinct names and operations

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}
_OTHER_OPERATORS = {
    ast.MatMult: "@",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.Invert: "~",
    ast.Not: "not",
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LABEL_LENGTH = 40  # longer sub-expressions are not used as node labels


class ExpressionError(ValueError):
    """The expression is not one that ``micrograd graph`` accepts; the message says why."""


def _describe(node: ast.AST) -> str:
    """What a refused node is, in words a user recognises."""
    kinds = {
        ast.Attribute: "attribute access",
        ast.Subscript: "subscripts",
        ast.Lambda: "lambdas",
        ast.Compare: "comparisons",
        ast.BoolOp: "and/or",
        ast.IfExp: "if-else",
        ast.NamedExpr: "assignment (:=)",
        ast.ListComp: "comprehensions",
        ast.SetComp: "comprehensions",
        ast.DictComp: "comprehensions",
        ast.GeneratorExp: "comprehensions",
        ast.Starred: "starred arguments",
        ast.JoinedStr: "strings",
        ast.Await: "await",
        ast.Yield: "yield",
        ast.YieldFrom: "yield",
    }
    for kind, words in kinds.items():
        if isinstance(node, kind):
            return words
    if isinstance(node, ast.Constant):
        return f"the constant {node.value!r}" if not isinstance(node.value, str) else "strings"
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        op = type(node.op)
        return f"the operator {_OTHER_OPERATORS.get(op, op.__name__)}"
    return type(node).__name__


def parse(text: str) -> ast.expr:
    """The expression's syntax tree, checked against the whitelist; nothing is evaluated.

    >>> ast.dump(parse("2*x"))
    "BinOp(left=Constant(value=2), op=Mult(), right=Name(id='x', ctx=Load()))"
    >>> parse("x.__class__")
    Traceback (most recent call last):
    ...
    micrograd.cli.expr.ExpressionError: not allowed: attribute access (at column 1)
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be text, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression has {len(text):,} characters; the limit is {MAX_LENGTH:,}"
        )
    values = _count_values(text)
    if values > MAX_VALUES:
        raise ExpressionError(
            f"the expression would build {values:,} values (numbers, names and operations); "
            f"the limit is {MAX_VALUES:,}"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        where = f" at column {e.offset}" if e.offset else ""
        raise ExpressionError(f"not a valid expression{where}: {e.msg}") from None
    except (RecursionError, MemoryError):  # Python's parser recurses on nesting
        raise ExpressionError("the expression is nested too deeply") from None
    except ValueError as e:  # a null byte
        raise ExpressionError(f"not a valid expression: {e}") from None
    stack: list[ast.AST] = [tree.body]
    while stack:  # iterative, however deep the nesting
        node = stack.pop()
        _check(node)
        # A checked call's function is one of FUNCTIONS: only its argument needs checking.
        stack.extend(node.args if isinstance(node, ast.Call) else ast.iter_child_nodes(node))
    return tree.body


_OPERATOR_TOKENS = frozenset({"+", "-", "*", "/", "**"})


def _count_values(text: str) -> int:
    """How many Values ``text`` would build, at most: its numbers, its distinct names, and
    one per operator and function call (unary ``+`` counted though it builds none).

    Counted on Python's tokens, which need no parse: this runs before ``ast.parse`` and so
    also bounds the depth of the tree that builds. Text that does not tokenize counts 0 here
    and gets ``ast.parse``'s syntax error instead.
    """
    count, names = 0, set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.NAME and token.string not in FUNCTIONS:
                names.add(token.string)
            elif token.type in (tokenize.NUMBER, tokenize.NAME) or (
                token.type == tokenize.OP and token.string in _OPERATOR_TOKENS
            ):
                count += 1
    except (tokenize.TokenError, SyntaxError):
        return 0
    return count + len(names)


def _check(node: ast.AST) -> None:
    """Refuse ``node`` unless it is one of the accepted forms (its children are checked too)."""
    where = f" (at column {node.col_offset + 1})" if hasattr(node, "col_offset") else ""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(f"not allowed: {_describe(node)}{where}")
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an int past the largest float, about 1.8e308
            raise ExpressionError(
                f"the number at column {node.col_offset + 1} is too large: "
                "numbers must be below about 1.8e308"
            ) from None
        if not finite:
            raise ExpressionError(f"the number {value!r} is not finite{where}")
    elif isinstance(node, ast.Name):
        if not _NAME.match(node.id) or node.id.startswith("__"):
            raise ExpressionError(f"not allowed: the name {node.id!r}{where}")
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function: call it, as in {node.id}(x){where}")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ExpressionError(f"not allowed: {_describe(node)}{where}")
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise ExpressionError(f"not allowed: {_describe(node)}{where}")
    elif isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            shown = f"{name}()" if name else "this call"
            raise ExpressionError(
                f"not allowed: {shown}{where}; the functions are {', '.join(FUNCTIONS)}"
            )
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise ExpressionError(f"{name}() takes exactly one argument{where}")
    elif isinstance(node, (ast.operator, ast.unaryop, ast.expr_context)):
        pass  # the operator and Load markers of nodes accepted above
    else:
        raise ExpressionError(f"not allowed: {_describe(node)}{where}")


def names(tree: ast.expr) -> list[str]:
    """The variable names in a checked tree, sorted (function names excluded)."""
    found = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS
    }
    return sorted(found)


def build(text: str, values: dict[str, float]) -> tuple[Value, dict[str, Value]]:
    """Parse ``text`` and build it on Values, then run ``backward`` from the result.

    ``values`` gives every name in the expression its number; a missing or unused name is an
    ExpressionError, as is an operation with no real result (``log(0)``, ``1/0``, overflow).
    Returns the root and the leaf Value of each name. Each Value is labelled: a leaf with its
    name or number, an inner node with its (short) sub-expression.
    """
    tree = parse(text)
    wanted = names(tree)
    missing = [n for n in wanted if n not in values]
    if missing:
        raise ExpressionError(
            f"no value for {', '.join(missing)}: give each with --set NAME=NUMBER"
        )
    unused = sorted(set(values) - set(wanted))
    if unused:
        raise ExpressionError(f"--set {', '.join(unused)}: not in the expression")
    leaves = {name: Value(values[name], label=name) for name in wanted}
    try:
        root = _build_values(text, tree, leaves)
        root.backward()
    except (ArithmeticError, ValueError) as e:  # ZeroDivision, Overflow, log domain
        raise ExpressionError(f"cannot compute the expression: {e}") from None
    return root, leaves


def _build_values(text: str, tree: ast.expr, leaves: dict[str, Value]) -> Value:
    """Post-order walk with an explicit stack (no recursion, however deep the nesting)."""
    done: dict[int, Value] = {}  # id(ast node) -> its Value
    stack: list[tuple[ast.expr, bool]] = [(tree, False)]
    while stack:
        node, operands_done = stack.pop()
        operands = _operands(node)
        if not operands_done and operands:
            stack.append((node, True))
            stack.extend((operand, False) for operand in reversed(operands))
            continue
        args = [done[id(operand)] for operand in operands]
        if isinstance(node, ast.Constant):
            value = Value(node.value, label=repr(node.value))
        elif isinstance(node, ast.Name):
            value = leaves[node.id]
        elif isinstance(node, ast.UnaryOp):
            value = -args[0] if isinstance(node.op, ast.USub) else args[0]
        elif isinstance(node, ast.BinOp):
            value = _apply_binary(type(node.op), args[0], args[1])
        else:  # ast.Call of a whitelisted function, checked by parse
            value = _FUNCTIONS[node.func.id](args[0])
        if value.label == "":
            source = ast.get_source_segment(text, node) or ""
            value.label = source if len(source) <= _LABEL_LENGTH else ""
        done[id(node)] = value
    return done[id(tree)]


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _apply_binary(op: type, a: Value, b: Value) -> Value:
    if op is ast.Add:
        return a + b
    if op is ast.Sub:
        return a - b
    if op is ast.Mult:
        return a * b
    if op is ast.Div:
        return a / b
    return a**b  # ast.Pow, the only other operator parse() lets through
