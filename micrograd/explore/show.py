"""A rule's text written for the tensor page, with the graph's own names and shapes.

``show(node, i, ...)`` takes operand ``i``'s text of ``node``'s op (``rules.text_of``) and
writes ``operand.grad += expression``: the variant that applies (``X if flag else Y``), the
tensors' names put in (``a`` becomes ``h``, ``grad`` becomes ``logits.grad``), numbers and
dims written out, a few spellings made the lecture's (``x.swapaxes(-1, -2)`` of a matrix is
``x.T``, ``x ** 1`` is ``x``), the sum that undoes broadcasting and a dtype cast added as
``accumulate`` applies them; and the shapes (``(32×27) @ (27×64) → (32×64)``), worked out
from the names' shapes alone. It works on the expression's syntax tree and evaluates nothing
but the named flags that pick a variant.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from micrograd.explore.rules import LETTERS, NAMESPACE, bindings, lone, text_of

ndarray = np.ndarray

# What an array constant is, said below a rule that shows it (the others are numbers, dims and
# indices, written out, or the user's own tensors, named).
NOTES = {
    "xhat": "xhat: the normalized input, (x - mean) * rstd",
    "rstd": "rstd: 1 / sqrt(var + eps), of each normalized group",
    "weights": "weights: the attention weights, softmax(q @ k.T * scale + mask)",
    "keep": "keep: dropout's mask, 0 or 1 / (1 - p)",
    "mask": "mask: where the values were replaced (or dropout's 0 or 1 / (1 - p))",
    "picked": "picked: where the max (or min) was along the dim",
    "y": "y: the target distribution, one-hot (smoothed, weighted) per row",
    "yw": "yw: the target probabilities, smoothed and weighted",
    "t": "t: tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)), GELU's tanh form",
    "linear": "linear: where beta * x passed the threshold (softplus is x there)",
    "order": "order: where each sorted entry came from",
}

# Constants that hold the user's own index or mask data: shown by the user's variable name
# when one holds the same values.
USER_DATA = {"index", "cond", "mask", "target"}


@dataclass
class Shown:
    """One contribution as the page writes it: ``text`` (``h.grad += logits.grad @ W2.T``),
    ``shapes`` (``(32×27) @ (27×64) → (32×64)``) and ``notes`` on the constants it shows."""

    text: str
    shapes: str
    notes: list[str] = field(default_factory=list)


def shape_text(shape: tuple[int, ...]) -> str:
    """``(32×64)``; ``(27)`` for a vector, ``()`` for a scalar."""
    return "(" + "×".join(str(n) for n in shape) + ")"


def show(
    node: Any,
    i: int,
    grad: ndarray,
    raw: ndarray,
    names: dict[str, str],
    name_of_array: Callable[[str, Any], str | None],
) -> Shown:
    """Operand ``i``'s rule of ``node`` written for the page: ``operand.grad += expression``.

    ``grad`` is the node's gradient and ``raw`` what the rule returned for it; ``names``
    gives each tensor name the text reads (``grad``, ``out``, ``a``, ...) its display name;
    ``name_of_array(constant, value)`` names an array constant after the user's variable
    holding it, or None. The sum back to the operand's shape and the cast to its dtype are
    added as ``accumulate`` applies them.
    """
    values = bindings(node, grad, i)
    operand = node._prev[i]
    tree = ast.parse(text_of(node._op, i), mode="eval").body
    view = _View(values, names, name_of_array)
    tree = view.choose(tree)
    tree = view.literals(tree)
    tree = view.simplify(tree)
    shapes = view.annotate(tree, raw.shape)
    target = operand._data.shape
    if raw.shape != target:
        lead = raw.ndim - len(target)
        keep = tuple(lead + d for d, n in enumerate(target) if n == 1 and raw.shape[lead + d] != 1)
        if lead:
            tree = _call(tree, "sum", [_literal(lone(tuple(range(lead))))])
        if keep:
            kept = tuple(d - lead for d in keep)
            tree = _call(tree, "sum", [_literal(lone(kept))], keepdims=True)
        shapes += f" → {shape_text(target)}"
    if raw.dtype != operand._data.dtype:
        tree = _call(tree, "astype", [_dotted(f"np.{operand._data.dtype}")])
        shapes += f", as {operand._data.dtype}"
    tree = view.rename(tree)
    statement = ast.AugAssign(
        target=ast.Attribute(ast.Name(names[LETTERS[i]]), "grad"), op=ast.Add(), value=tree
    )
    return Shown(ast.unparse(statement), shapes, view.notes)


def literal_text(value: Any) -> str:
    """A number, None, tuple or dtype as code: ``-0.5``, ``(0, 2)``, ``np.float32``."""
    return ast.unparse(_literal(value))


def subscript_text(name: str, index: Any, name_of_array: Callable[[str, Any], str | None]) -> str:
    """``name[index]`` as code: ``C[Xb]``, ``logprobs[range(32), Yb]``, ``x[:, 0:10]``."""
    view = _View({"index": index}, {}, name_of_array)
    return ast.unparse(ast.Subscript(ast.Name(name), view.index("index", inside=True)))


def _call(obj: ast.expr, method: str, args: list[ast.expr], **keywords: Any) -> ast.Call:
    return ast.Call(
        ast.Attribute(obj, method),
        args,
        [ast.keyword(k, ast.Constant(v)) for k, v in keywords.items()],
    )


def _dotted(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _number(node: ast.expr) -> int | float | None:
    """The number a literal node holds (``2``, ``-0.5``), else None."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    return None


def _literal(value: Any) -> ast.expr:
    """A number, None, bool, tuple, dtype or range as the code that writes it."""
    if isinstance(value, (np.generic,)) and not isinstance(value, np.bool_):
        value = float(str(value)) if isinstance(value, np.floating) else value.item()
    if isinstance(value, np.bool_):
        value = bool(value)
    if isinstance(value, tuple):
        return ast.Tuple([_literal(v) for v in value])
    if isinstance(value, np.dtype):
        return _dotted(f"np.{value}")
    if isinstance(value, range):
        args = [value.stop] if value.start == 0 and value.step == 1 else [value.start, value.stop]
        if value.step != 1:
            args.append(value.step)
        return ast.Call(ast.Name("range"), [_literal(a) for a in args], [])
    return ast.Constant(value)


def _is_literal(value: Any) -> bool:
    simple = (type(None), bool, int, float, np.generic, np.dtype, range)
    if isinstance(value, tuple):
        return all(_is_literal(v) for v in value)
    return isinstance(value, simple)


_ELEMENTWISE = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.BitAnd, ast.BitOr)
_SAME_SHAPE = {
    "exp", "log", "log1p", "sign", "abs", "sqrt", "tanh", "negative", "tril", "triu", "roll",
    "ones_like", "zeros_like", "sigmoid", "softplus", "Phi", "softmax", "log_softmax",
    "prod_of_others", "add_at", "index_put", "scatter",
}  # fmt: skip
_BROADCASTING = {"where", "maximum", "minimum", "softmax_backward", "floor_divide"}


class _View:
    """The steps of ``show`` over one expression's syntax tree."""

    def __init__(
        self,
        values: dict[str, Any],
        names: dict[str, str],
        name_of_array: Callable[[str, Any], str | None],
    ) -> None:
        self.values, self.names, self.name_of_array = values, names, name_of_array
        self.notes: list[str] = []

    # -- the variant that applies

    def flag(self, test: ast.expr) -> bool:
        """A variant's test: a named flag, or ``not``/``and``/``or`` of them."""
        if isinstance(test, ast.Name):
            return bool(self.values[test.id])
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return not self.flag(test.operand)
        if isinstance(test, ast.BoolOp):
            results = [self.flag(v) for v in test.values]
            return all(results) if isinstance(test.op, ast.And) else any(results)
        raise ValueError(f"a rule's variant must be chosen by named flags: {ast.unparse(test)}")

    def choose(self, tree: ast.expr) -> ast.expr:
        while isinstance(tree, ast.IfExp):
            tree = tree.body if self.flag(tree.test) else tree.orelse
        return tree

    # -- numbers and dims written out

    def literals(self, tree: ast.expr) -> ast.expr:
        view = self

        class Literals(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.expr:
                value = view.values.get(node.id)
                if node.id in NAMESPACE or node.id in ("grad", "out") or node.id in view.names:
                    return node
                if node.id in view.values and _is_literal(value) and not _is_index(value):
                    return _literal(value)
                return node

        return Literals().visit(tree)

    # -- shapes, from the names' shapes

    def shape(self, node: ast.expr) -> tuple[int, ...] | None:
        """The shape ``node`` evaluates to, from the names' shapes alone; None if unsure."""
        if isinstance(node, ast.Name):
            value = self.values.get(node.id)
            return np.shape(value) if isinstance(value, (ndarray, np.generic)) else None
        if _number(node) is not None or isinstance(node, ast.Constant):
            return ()
        if isinstance(node, ast.UnaryOp):
            return self.shape(node.operand)
        if isinstance(node, ast.BinOp):
            left, right = self.shape(node.left), self.shape(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.MatMult):
                return _matmul_shape(left, right)
            return _broadcast(left, right)
        if isinstance(node, ast.Compare) and len(node.comparators) == 1:
            return _broadcast(self.shape(node.left), self.shape(node.comparators[0]))
        if isinstance(node, ast.Attribute) and node.attr == "T":
            inner = self.shape(node.value)
            return None if inner is None else inner[::-1]
        if isinstance(node, ast.Call):
            return self.call_shape(node)
        return None

    def call_shape(self, node: ast.Call) -> tuple[int, ...] | None:
        func = node.func
        args = node.args
        if isinstance(func, ast.Attribute) and not (
            isinstance(func.value, ast.Name) and func.value.id == "np"
        ):
            inner = self.shape(func.value)
            if inner is None:
                return None
            numbers = [_constant_value(a) for a in args]
            if func.attr in ("astype", "copy"):
                return inner
            if func.attr == "swapaxes" and len(numbers) == 2 and None not in numbers:
                dims = list(inner)
                i, j = numbers
                dims[i], dims[j] = dims[j], dims[i]
                return tuple(dims)
            if func.attr in ("sum", "mean"):
                axis = numbers[0] if numbers else None
                keep = any(k.arg == "keepdims" and _constant_value(k.value) for k in node.keywords)
                return _reduced(inner, axis, keep)
            return None
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if not args:
            return None
        if name in _SAME_SHAPE:
            return self.shape(args[0])
        if name in _BROADCASTING:
            shapes = [self.shape(a) for a in args if not isinstance(a, ast.Constant)]
            return None if None in shapes else _broadcast(*shapes)
        if name == "one_hot" and len(args) >= 2:
            inner, n = self.shape(args[0]), _constant_value(args[1])
            dim = _constant_value(args[2]) if len(args) > 2 else -1
            if inner is None or not isinstance(n, int) or not isinstance(dim, int):
                return None
            out = list(inner)
            out.insert(dim % (len(inner) + 1), n)
            return tuple(out)
        if name == "expand_dims" and len(args) == 2:
            inner, axis = self.shape(args[0]), _constant_value(args[1])
            if inner is None or axis is None:
                return None
            axes = axis if isinstance(axis, tuple) else (axis,)
            out = list(inner)
            for d in sorted(a % (len(inner) + len(axes)) for a in axes):
                out.insert(d, 1)
            return tuple(out)
        return None

    # -- the lecture's spellings

    def simplify(self, tree: ast.expr) -> ast.expr:
        view = self

        class Simplify(ast.NodeTransformer):
            def visit_Call(self, node: ast.Call) -> ast.expr:
                self.generic_visit(node)
                func = node.func
                if not isinstance(func, ast.Attribute):
                    return node
                numbers = [_constant_value(a) for a in node.args]
                two_d = view.shape(func.value) is not None and len(view.shape(func.value)) == 2
                if func.attr == "swapaxes" and numbers in ([-1, -2], [-2, -1]) and two_d:
                    return ast.Attribute(func.value, "T")
                none = [isinstance(a, ast.Constant) and a.value is None for a in node.args]
                if func.attr == "transpose" and none == [True]:  # every dim reversed
                    return ast.Attribute(func.value, "T")
                return node

            def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
                self.generic_visit(node)
                left, right = _number(node.left), _number(node.right)
                op = type(node.op)
                if left is not None and right is not None and op in _FOLD:
                    return _literal(_FOLD[op](left, right))
                if right == 1 and op in (ast.Mult, ast.Div, ast.Pow):
                    return node.left
                if left == 1 and op is ast.Mult:
                    return node.right
                if isinstance(node.op, _ELEMENTWISE):
                    node.left, node.right = view.unreshape(node.left), view.unreshape(node.right)
                if op is ast.Pow and left is not None and left < 0:  # (-2) ** x, not -2 ** x
                    node.left = ast.UnaryOp(ast.USub(), ast.Constant(-left))
                return node

        return Simplify().visit(tree)

    def unreshape(self, node: ast.expr) -> ast.expr:
        """``x.reshape(1, C)`` of a vector x is x itself where broadcasting reads it."""
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "reshape"
            and len(node.args) == 1
        ):
            inner, target = self.shape(node.func.value), _constant_value(node.args[0])
            if inner is not None and isinstance(target, tuple):
                lead = len(target) - len(inner)
                if lead >= 0 and target == (1,) * lead + tuple(inner):
                    return node.func.value
        return node

    def annotate(self, tree: ast.expr, result: tuple[int, ...]) -> str:
        """``(32×64) * (32×64)``, ``(64×32) @ (32×27) → (64×27)``, ``(32×30) → (32×3×10)``."""
        if isinstance(tree, ast.BinOp):
            symbol = _SYMBOLS.get(type(tree.op))
            sides = [self.shape(s) for s in (tree.left, tree.right) if _number(s) is None]
            if symbol and sides and None not in sides:
                text = f" {symbol} ".join(shape_text(s) for s in sides)
                if isinstance(tree.op, ast.MatMult) or tuple(result) not in sides:
                    text += f" → {shape_text(result)}"
                return text
        inputs = [self.shape(n) for n in ast.walk(tree) if isinstance(n, ast.Name)]
        first = next((s for s in inputs if s), None)
        if first is not None and tuple(first) != tuple(result):
            return f"{shape_text(first)} → {shape_text(result)}"
        return shape_text(result)

    # -- the graph's names put in

    def rename(self, tree: ast.expr) -> ast.expr:
        view = self

        class Rename(ast.NodeTransformer):
            def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
                node.value = self.visit(node.value)
                if isinstance(node.slice, ast.Name) and _is_index(view.values.get(node.slice.id)):
                    node.slice = view.index(node.slice.id, inside=True)
                else:
                    node.slice = self.visit(node.slice)
                return node

            def visit_Name(self, node: ast.Name) -> ast.expr:
                if node.id == "grad":
                    return ast.Attribute(ast.Name(view.names["out"]), "grad")
                if node.id in view.names:
                    return ast.Name(view.names[node.id])
                if node.id in NAMESPACE or node.id not in view.values:
                    return node
                value = view.values[node.id]
                if _is_index(value):
                    return view.index(node.id, inside=False)
                return ast.Name(view.array(node.id, value))

        return Rename().visit(tree)

    def array(self, constant: str, value: Any) -> str:
        """An array constant's name: the user's variable holding it, or the constant's own
        name (noted), or for an operand letter that is a constant, ``array(shape)``."""
        found = self.name_of_array(constant, value) if constant in USER_DATA else None
        if found is None and isinstance(value, ndarray):
            found = self.name_of_array("", value)  # the very array the user passed
        if found is not None:
            return found
        if constant in LETTERS:
            return f"array{shape_text(np.shape(value))}"
        note = NOTES.get(constant)
        if note and note not in self.notes:
            self.notes.append(note)
        return constant

    def index(self, constant: str, inside: bool) -> ast.expr:
        """An index as code: ``Xb``, ``(range(32), Yb)``, or ``np.s_[:, 0:10]`` (bare
        ``:, 0:10`` inside brackets)."""
        value = self.values[constant]
        items = value if isinstance(value, tuple) else (value,)
        nodes = [self.index_item(constant, item) for item in items]
        if inside:
            return nodes[0] if not isinstance(value, tuple) else ast.Tuple(nodes)
        body = nodes[0] if not isinstance(value, tuple) else ast.Tuple(nodes)
        if any(isinstance(item, slice) or item is Ellipsis or item is None for item in items):
            return ast.Subscript(_dotted("np.s_"), body)
        return body

    def index_item(self, constant: str, item: Any) -> ast.expr:
        if isinstance(item, slice):
            parts = (item.start, item.stop, item.step)
            lower, upper, step = (None if p is None else _literal(p) for p in parts)
            return ast.Slice(lower, upper, step)
        if isinstance(item, (ndarray, list)):
            array = np.asarray(item)
            if array.ndim == 1 and np.array_equal(array, np.arange(len(array))):
                return _dotted(f"np.arange({len(array)})")
            return ast.Name(self.array(constant, array))
        return _literal(item)


_FOLD = {
    ast.Add: lambda x, y: x + y,
    ast.Sub: lambda x, y: x - y,
    ast.Mult: lambda x, y: x * y,
}
_SYMBOLS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.MatMult: "@",
    ast.Pow: "**",
}


def _is_index(value: Any) -> bool:
    """An index that is written as one (slices, ``...``, arrays of indices, ranges)."""
    items = value if isinstance(value, tuple) else (value,)
    return any(
        isinstance(i, (slice, range)) or i is Ellipsis
        or (isinstance(i, ndarray) and i.dtype.kind in "biu")
        for i in items
    ) and not all(isinstance(i, (int, type(None))) for i in items)  # fmt: skip


def _constant_value(node: ast.expr) -> Any:
    """The value of a literal node (numbers, None, tuples of them), else None."""
    number = _number(node)
    if number is not None:
        return number
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        items = [_constant_value(e) for e in node.elts]
        return None if None in items else tuple(items)
    return None


def _broadcast(*shapes: tuple[int, ...] | None) -> tuple[int, ...] | None:
    if any(s is None for s in shapes):
        return None
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    if not a or not b:
        return None
    a2, b2 = (a if len(a) > 1 else (1,) + a), (b if len(b) > 1 else b + (1,))
    lead = _broadcast(a2[:-2], b2[:-2])
    if lead is None or a2[-1] != b2[-2]:
        return None
    out = lead + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def _reduced(shape: tuple[int, ...], axis: Any, keep: bool) -> tuple[int, ...]:
    axes = range(len(shape)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    axes = {a % len(shape) for a in axes} if shape else set()
    if keep:
        return tuple(1 if d in axes else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axes)
