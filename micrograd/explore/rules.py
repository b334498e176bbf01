"""Each derivative rule as a learner writes it: what ``RULE_TEXT``'s expressions may read, and how
the tensor page shows one with the graph's own names and shapes.

``micrograd.tensors.RULE_TEXT`` holds, beside each op's ``VJPS`` rules, one Python expression
per operand (see ``core``). An expression reads ``grad`` (the output's gradient), ``out`` (the
output), the operands' data ``a``, ``b``, ``c``, ... in order, and the names below:

* ``NAMESPACE``: NumPy as ``np``, ``math``, and a few helpers that write in one expression
  what NumPy spells as a statement or a loop: ``add_at`` (the lecture's
  ``for k ...: dC[ix] += demb[k, j]``), ``index_put``, ``scatter``, ``one_hot``,
  ``softmax``, ``log_softmax``, ``softmax_backward``, ``sigmoid``, ``softplus``, ``Phi``
  (the normal CDF), ``prod_of_others``, ``unpad`` and ``no_derivative``;
* ``CONSTANTS[op](node, i)``: what the forward kept that the rule needs and the operands
  cannot tell, by name: a sum's ``dims``, an index, ``1 / n`` as ``scale``, a batch norm's
  normalized input ``xhat`` and ``rstd``, ...; and flags that pick a variant (``kept``,
  ``training``, ...), read by ``X if flag else Y`` (``i`` is the operand's position, for
  ``cat`` and ``stack``, whose one text serves every operand).

The library never evaluates these expressions; tests/explore/test_rule_text.py evaluates
every one against its rule on random inputs. ``show`` writes one for the page: the variant
that applies, the tensors' names put in (``a`` becomes ``h``, ``grad`` becomes
``logits.grad``), numbers and dims written out, a few spellings made the lecture's
(``x.swapaxes(-1, -2)`` of a matrix is ``x.T``, ``x ** 1`` is ``x``), the sum that undoes
broadcasting and a dtype cast added as the engine applies them, and the shapes
(``(32×64) @ (64×27) → (32×27)``) worked out from the names' shapes alone.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from micrograd.nn.functional.losses import _classes_back
from micrograd.nn.functional.pointwise_losses import _BCE_EPS

ndarray = np.ndarray

# --------------------------------------------------------------------- the helpers


def add_at(target: ndarray, index: Any, values: ndarray) -> ndarray:
    """``target`` with ``values`` added at ``index``, repeats adding up (``np.add.at``, which
    returns nothing): the gradient of ``x[index]``."""
    np.add.at(target, index, values)
    return target


def index_put(x: ndarray, index: Any, value: Any) -> ndarray:
    """A copy of ``x`` with ``value`` written at ``index`` (PyTorch's ``index_put``)."""
    out = np.array(x, copy=True)
    out[index] = value
    return out


def scatter(input: ndarray, dim: int, index: ndarray, src: ndarray) -> ndarray:
    """A copy of ``input`` with ``src`` written along ``dim`` at ``index`` (PyTorch's
    ``scatter``)."""
    out = np.array(input, copy=True)
    np.put_along_axis(out, index, src, axis=dim)
    return out


def one_hot(index: ndarray, num_classes: int, dim: int = -1) -> ndarray:
    """1 where a new dim ``dim`` of length ``num_classes`` equals ``index``, else 0
    (``F.one_hot`` puts it last; here any dim can hold the classes)."""
    index = np.asarray(index)
    d = dim % (index.ndim + 1)
    classes = np.arange(num_classes).reshape((num_classes,) + (1,) * (index.ndim - d))
    return (np.expand_dims(index, d) == classes).astype(np.int64)


def softmax(x: ndarray, dim: int) -> ndarray:
    e = np.exp(x - x.max(dim, keepdims=True))
    return e / e.sum(dim, keepdims=True)


def log_softmax(x: ndarray, dim: int) -> ndarray:
    shifted = x - x.max(dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(dim, keepdims=True))


def softmax_backward(p: ndarray, dp: ndarray) -> ndarray:
    """The gradient of softmax's input along the last dim, given its output ``p`` and the
    output's gradient ``dp``: p * (dp - sum(dp * p))."""
    return p * (dp - (dp * p).sum(-1, keepdims=True))


def sigmoid(x: ndarray) -> ndarray:
    with np.errstate(over="ignore"):  # exp(-x) overflows to inf for very negative x: 1/inf = 0
        return 1 / (1 + np.exp(-x))


def softplus(x: ndarray) -> ndarray:
    return np.logaddexp(0, x)


def Phi(x: ndarray) -> ndarray:  # noqa: N802 (the CDF's usual name)
    """The standard normal CDF (scipy's ``ndtr``, imported only when a GELU is shown)."""
    from scipy.special import ndtr

    return ndtr(x)


def prod_of_others(a: ndarray, dim: int | None) -> ndarray:
    """For each entry of ``a``, the product of the other entries along ``dim`` (all of them
    if None): the derivative of ``a.prod(dim)``, exact where entries are 0 (no division)."""
    x = a.reshape(-1, 1) if dim is None else np.moveaxis(a, dim, 0)
    before, after = np.ones_like(x), np.ones_like(x)
    before[1:] = np.cumprod(x[:-1], axis=0)
    after[:-1] = np.cumprod(x[:0:-1], axis=0)[::-1]
    others = before * after
    return others.reshape(a.shape) if dim is None else np.moveaxis(others, 0, dim)


def unpad(grad: ndarray, maps: Sequence[tuple[int, ndarray]], shape: tuple[int, ...]) -> ndarray:
    """The gradient of ``np.pad``'s copying modes: each entry's gradient added back to the
    entry it was copied from; ``maps`` holds, per padded dim, where each entry came from."""
    for d, index in reversed(maps):
        moved = np.moveaxis(grad, d, 0)
        back = add_at(np.zeros((shape[d], *moved.shape[1:]), grad.dtype), index, moved)
        grad = np.moveaxis(back, 0, d)
    return grad


def no_derivative(op: str) -> ndarray:
    raise RuntimeError(f"the derivative of {op} is not implemented, as in PyTorch")


NAMESPACE: dict[str, Any] = {
    "np": np,
    "math": math,
    "add_at": add_at,
    "index_put": index_put,
    "scatter": scatter,
    "one_hot": one_hot,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "softmax_backward": softmax_backward,
    "sigmoid": sigmoid,
    "softplus": softplus,
    "Phi": Phi,
    "prod_of_others": prod_of_others,
    "unpad": unpad,
    "no_derivative": no_derivative,
}

LETTERS = "abcdefghijklmnopqrstuvwxyz"

# --------------------------------------------------------------------- the named constants


def _lone(dims: tuple[int, ...] | None) -> Any:
    """Dims as a reduction takes them, written as the lecture writes them: ``0``, not ``(0,)``."""
    return dims[0] if dims is not None and len(dims) == 1 else dims


def _operand_constant(node: Any, i: int) -> dict[str, Any]:
    """``b``: the number (or array) of ``x * 2``, ``x / n``, ``x % m``, which is no operand."""
    return {"b": node._ctx[1]} if len(node._prev) == 1 else {}


def _select(node: Any, i: int) -> dict[str, Any]:
    flat_shape, shape, d, index = node._ctx
    picked = index.reshape(()) if not shape else index.squeeze(d)
    kept = node.data.ndim == len(shape) > 0
    return {"picked": picked, "n": flat_shape[d], "d": d, "kept": kept, "scalar": not shape}


def _gelu(node: Any, i: int) -> dict[str, Any]:
    # The forward kept the derivative, not which formula made it: the closer one says.
    x = node._prev[0].data.astype(np.float64)
    t = np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))
    tanh_form = 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * math.sqrt(2 / math.pi) * (
        1 + 3 * 0.044715 * x**2
    )
    exact = Phi(x) + x * np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    tanh_closer = np.abs(tanh_form - node._ctx).max(initial=0) < np.abs(exact - node._ctx).max(
        initial=0
    )
    return {"exact": not tanh_closer, "t": t.astype(node.data.dtype)}


def _leaky_relu(node: Any, i: int) -> dict[str, Any]:
    factor, x = node._ctx, node._prev[0].data
    negative = factor[x <= 0]
    return {"slope": negative.flat[0].item() if negative.size else 0.01}


def _softplus(node: Any, i: int) -> dict[str, Any]:
    z, linear = node._ctx
    x = node._prev[0].data
    nonzero = np.flatnonzero(x)
    beta = (z.flat[nonzero[0]] / x.flat[nonzero[0]]).item() if nonzero.size else 1.0
    return {"beta": beta, "linear": linear}


def _attention(node: Any, i: int) -> dict[str, Any]:
    ctx = node._ctx
    return {"weights": ctx[3], "keep": ctx[4], "no_dropout": ctx[4] is None, "scale": ctx[6]}


def _layer_norm(node: Any, i: int) -> dict[str, Any]:
    ctx = node._ctx
    x = node._prev[0].data
    k, lead = len(ctx.shape), x.ndim - len(ctx.shape)
    kept = x.shape[:lead] + (1,) * k
    xhat = ((ctx.x2 - ctx.mean) * ctx.rstd).reshape(x.shape)  # as the rule forms it
    return {
        "xhat": xhat,
        "rstd": ctx.rstd.reshape(kept),
        "dims": _lone(tuple(range(-k, 0))),
        "lead": _lone(tuple(range(lead))),
    }


def _batch_norm(node: Any, i: int) -> dict[str, Any]:
    xhat, rstd, _, axes, training = node._ctx
    kept = rstd.shape  # (1, C, 1, ...): the weight along the channels
    return {"xhat": xhat, "rstd": rstd, "axes": _lone(axes), "training": training, "kept": kept}


def _normalize(node: Any, i: int) -> dict[str, Any]:
    _, norm, denom, p, dim, eps = node._ctx
    return {
        "norm": norm,
        "denom": denom,
        "p": p,
        "dim": dim,
        "eps": eps,
        "p_is_2": p == 2,
        "p_is_1": p == 1,
    }


def _embedding(node: Any, i: int) -> dict[str, Any]:
    indices, shape, padding_idx, by_freq = node._ctx
    freq = 1
    if by_freq:
        freq = np.bincount(indices.reshape(-1), minlength=shape[0])[indices][..., None]
    return {
        "index": indices,
        "padding_idx": padding_idx,
        "freq": freq,
        "plain": padding_idx is None and not by_freq,
        "padded": padding_idx is not None,
    }


def _class_layout(node: Any, shape: tuple[int, ...]) -> dict[str, Any]:
    """Where the classes are in scores of ``shape`` (dim 1, or 0 for one row (C,)) and the
    shape the loss's gradient takes to broadcast against the scores: () for a reduced loss."""
    cdim = 1 if len(shape) > 1 else 0
    per_entry = node.data.ndim > 0 or len(shape) == 1 and node.data.ndim == 0
    gshape = tuple(1 if d == cdim else n for d, n in enumerate(shape)) if per_entry else ()
    if len(shape) == 1:
        gshape = ()
    return {"cdim": cdim, "gshape": gshape}


def _cross_entropy(node: Any, i: int) -> dict[str, Any]:
    e, s, rows, t, wt, valid, weight, smoothing, scale, shape = node._ctx
    classes = e.shape[1]
    y = np.zeros(e.shape, e.dtype)  # what each row is pulled towards, as softmax's partner
    y[rows, t] = 1 - smoothing
    if wt is not None:
        y *= wt[:, None]
    if smoothing:
        spread = np.full(len(t), smoothing / classes, e.dtype)
        if valid is not None:
            spread *= valid
        y += np.multiply.outer(spread, weight if weight is not None else np.ones(classes, e.dtype))
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    plain = (
        wt is None and not smoothing and len(shape) == 2 and node.data.ndim == 0
    ) and scale == 1 / len(t)
    return {
        "target": t.reshape(target_shape),
        "classes": classes,
        "n": len(t),
        "plain": plain,
        "y": _classes_back(y, shape),
        "scale": scale,
        **_class_layout(node, shape),
    }


def _cross_entropy_probs(node: Any, i: int) -> dict[str, Any]:
    _, yw, weight, smoothing, scale, shape = node._ctx
    layout = _class_layout(node, shape)
    w = 1
    if weight is not None:
        w = weight.reshape(tuple(-1 if d == layout["cdim"] else 1 for d in range(len(shape))))
    return {
        "yw": _classes_back(yw, shape),
        "plain": weight is None and not smoothing,
        "no_smoothing": not smoothing,
        "smoothing": smoothing,
        "weight": w,
        "scale": scale,
        **layout,
    }


def _nll_loss(node: Any, i: int) -> dict[str, Any]:
    t, wt, scale, rows_shape, shape = node._ctx
    layout = _class_layout(node, shape)
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    plain = wt is None and len(shape) == 2 and node.data.ndim == 0 and scale == 1 / len(t)
    kept = tuple(1 if d == layout["cdim"] else n for d, n in enumerate(shape))
    return {
        "target": t.reshape(target_shape),
        "classes": rows_shape[1],
        "n": len(t),
        "plain": plain,
        "wt": 1 if wt is None else wt.reshape(kept if len(shape) > 1 else ()),
        "scale": scale,
        **layout,
    }


def _cat(node: Any, i: int) -> dict[str, Any]:
    d, spans = node._ctx
    span = None if spans[i] is None else (slice(None),) * d + (slice(*spans[i]),)
    return {"span": span, "skipped": spans[i] is None}


Constants = Callable[[Any, int], dict[str, Any]]

# What each op's text reads beyond its operands, from the node (its ctx above all); ops that
# need nothing have no entry.
CONSTANTS: dict[str, Constants] = {
    "*": _operand_constant,
    "/": _operand_constant,
    "mod": _operand_constant,
    "@": lambda n, i: {"a_vector": n._ctx[0].ndim == 1, "b_vector": n._ctx[1].ndim == 1},
    "**": lambda n, i: {"n": n._ctx[1], "zero_exponent": n._ctx[1] == 0},
    "rpow": lambda n, i: {"base": n._ctx, "zero_base": n._ctx == 0},
    "clamp": lambda n, i: {
        "lo": n._ctx[1],
        "hi": n._ctx[2],
        "no_min": n._ctx[1] is None,
        "no_max": n._ctx[2] is None,
    },
    "sum": lambda n, i: {"dims": _lone(n._ctx[1]), "kept": n._ctx[2] or n._ctx[1] is None},
    "select": _select,
    "amax": lambda n, i: {"dims": _lone(n._ctx[1]), "kept": n._ctx[2] or n._ctx[1] is None},
    "prod": lambda n, i: {"d": n._ctx[1], "kept": n._ctx[2] or n._ctx[1] is None},
    "transpose": lambda n, i: {"d0": n._ctx[0], "d1": n._ctx[1]},
    "permute": lambda n, i: {"inverse": n._ctx},
    "roll": lambda n, i: {"shifts": n._ctx[0], "dims": n._ctx[1]},
    "to": lambda n, i: {"dtype": n._ctx},
    "cat": _cat,
    "stack": lambda n, i: {"span": (slice(None),) * n._ctx + (i,)},
    "where": lambda n, i: {"cond": n._ctx},
    "where_input": lambda n, i: {"cond": n._ctx},
    "where_other": lambda n, i: {"cond": n._ctx},
    "tril": lambda n, i: {"k": n._ctx},
    "triu": lambda n, i: {"k": n._ctx},
    "topk": lambda n, i: {"order": n._ctx[1], "d": n._ctx[2], "scalar": not n._ctx[0]},
    "sort": lambda n, i: {"order": n._ctx[1], "d": n._ctx[2], "scalar": not n._ctx[0]},
    "index": lambda n, i: {"index": n._ctx[1]},
    "masked_fill": lambda n, i: {"mask": n._ctx},
    "setitem": lambda n, i: {"index": n._ctx.index},
    "softmax": lambda n, i: {"d": n._ctx},
    "log_softmax": lambda n, i: {"d": n._ctx},
    "embedding": _embedding,
    "mse_loss": lambda n, i: {"scale": n._ctx[1]},
    "l1_loss": lambda n, i: {"scale": n._ctx[1]},
    "binary_cross_entropy": lambda n, i: {
        "eps": _BCE_EPS,
        "weight": 1 if n._ctx[4] is None else n._ctx[4],
        "scale": n._ctx[5],
    },
    "bce_with_logits": lambda n, i: {
        "weight": 1 if n._ctx[3] is None else n._ctx[3],
        "pos_weight": n._ctx[4],
        "no_pos_weight": n._ctx[4] is None,
        "scale": n._ctx[5],
    },
    "gelu": _gelu,
    "leaky_relu": _leaky_relu,
    "elu": lambda n, i: {"alpha": n._ctx[2]},
    "softplus": _softplus,
    "linear": lambda n, i: {"flat": n._ctx[0].ndim == 2},
    "attention": _attention,
    "attention_mask": _attention,
    "normalize": _normalize,
    "pad": lambda n, i: {"src": n._ctx[1], "dst": n._ctx[2]},
    "pad_gather": lambda n, i: {"maps": n._ctx[1]},
    "dropout": lambda n, i: {"mask": n._ctx},
    "cross_entropy": _cross_entropy,
    "cross_entropy_probs": _cross_entropy_probs,
    "nll_loss": _nll_loss,
}
for _op in ("layer_norm", "layer_norm_w", "layer_norm_b", "layer_norm_wb"):
    CONSTANTS[_op] = _layer_norm
for _op in ("batch_norm", "batch_norm_w", "batch_norm_b", "batch_norm_wb"):
    CONSTANTS[_op] = _batch_norm

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


def bindings(node: Any, grad: ndarray, i: int) -> dict[str, Any]:
    """Every name operand ``i``'s text of ``node`` reads, with its value: to evaluate the text
    (in tests) and to show it."""
    values = dict(NAMESPACE)
    values.update(zip(LETTERS, (operand.data for operand in node._prev)))
    values.update(out=node.data, grad=grad)
    constants = CONSTANTS.get(node._op)
    if constants is not None:
        values.update(constants(node, i))
    return values


def text_of(op: str, i: int) -> str:
    """Operand ``i``'s text of ``op`` (ops with any number of operands have one for all)."""
    from micrograd.tensors import RULE_TEXT

    texts = RULE_TEXT[op]
    return texts[0] if len(texts) == 1 else texts[i]


# --------------------------------------------------------------------- showing a rule


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
    target = operand.data.shape
    if raw.shape != target:
        lead = raw.ndim - len(target)
        keep = tuple(lead + d for d, n in enumerate(target) if n == 1 and raw.shape[lead + d] != 1)
        if lead:
            tree = _call(tree, "sum", [_literal(_lone(tuple(range(lead))))])
        if keep:
            kept = tuple(d - lead for d in keep)
            tree = _call(tree, "sum", [_literal(_lone(kept))], keepdims=True)
        shapes += f" → {shape_text(target)}"
    if raw.dtype != operand.data.dtype:
        tree = _call(tree, "astype", [_dotted(f"np.{operand.data.dtype}")])
        shapes += f", as {operand.data.dtype}"
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

    # -- the lecture's spellings

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
                if func.attr == "transpose" and numbers == [None] and node.args:
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

        return ast.fix_missing_locations(Simplify().visit(tree))

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

    # -- shapes

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
