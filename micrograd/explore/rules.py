"""What each derivative rule's text (``micrograd.tensors.RULE_TEXT``) may read.

``RULE_TEXT`` holds, beside each op's ``VJPS`` rules, one Python expression per operand (see
``core``), as a learner writes the rule. An expression reads ``grad`` (the output's
gradient), ``out`` (the output), the operands' data ``a``, ``b``, ``c``, ... in order, and:

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

``bindings(node, grad, i)`` gives all of them their values. The library never evaluates a
text: tests/explore/test_rule_text.py evaluates every one against its rule on random inputs,
and ``show`` writes them for the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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


def norm_backward(
    a: ndarray, out: ndarray, grad: ndarray, p: float, dims: Any, kept: bool
) -> ndarray:
    """The gradient of ``a.norm(p, dims)`` for p other than 2: PyTorch's norm_backward, too
    many cases (p = 0, 1, inf, below 1, zero vectors) for one line, so the page names it and
    the engine's own rule computes it."""
    from micrograd.tensors.norms import _norm_grad

    dims = (dims,) if isinstance(dims, int) else dims
    return _norm_grad(grad, out, (a, p, dims, kept))


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
    "norm_backward": norm_backward,
}

LETTERS = "abcdefghijklmnopqrstuvwxyz"

# --------------------------------------------------------------------- the named constants


def lone(dims: tuple[int, ...] | None) -> Any:
    """Dims as a reduction takes them, written as the lecture writes them: ``0``, not ``(0,)``."""
    return dims[0] if dims is not None and len(dims) == 1 else dims


def _operand_constant(node: Any, i: int) -> dict[str, Any]:
    """``b``: the number (or array) of ``x * 2``, ``x / n``, ``x % m``, which is no operand."""
    return {"b": node._ctx[1]} if len(node._prev) == 1 else {}


def _select(node: Any, i: int) -> dict[str, Any]:
    flat_shape, shape, d, index = node._ctx
    picked = index.reshape(()) if not shape else index.squeeze(d)
    kept = node._data.ndim == len(shape) > 0
    return {"picked": picked, "n": flat_shape[d], "d": d, "kept": kept, "scalar": not shape}


def _gelu(node: Any, i: int) -> dict[str, Any]:
    # The forward kept the derivative, not which formula made it: the closer one says.
    x = node._prev[0]._data.astype(np.float64)
    t = np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))
    tanh_form = 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * math.sqrt(2 / math.pi) * (
        1 + 3 * 0.044715 * x**2
    )
    exact = Phi(x) + x * np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    tanh_closer = np.abs(tanh_form - node._ctx).max(initial=0) < np.abs(exact - node._ctx).max(
        initial=0
    )
    return {"exact": not tanh_closer, "t": t.astype(node._data.dtype)}


def _leaky_relu(node: Any, i: int) -> dict[str, Any]:
    factor, x = node._ctx, node._prev[0]._data
    negative = factor[x <= 0]
    return {"slope": negative.flat[0].item() if negative.size else 0.01}


def _softplus(node: Any, i: int) -> dict[str, Any]:
    z, linear = node._ctx
    x = node._prev[0]._data
    nonzero = np.flatnonzero(x)
    beta = (z.flat[nonzero[0]] / x.flat[nonzero[0]]).item() if nonzero.size else 1.0
    return {"beta": beta, "linear": linear}


def _attention(node: Any, i: int) -> dict[str, Any]:
    ctx = node._ctx
    return {"weights": ctx[3], "keep": ctx[4], "no_dropout": ctx[4] is None, "scale": ctx[6]}


def _layer_norm(node: Any, i: int) -> dict[str, Any]:
    ctx = node._ctx
    x = node._prev[0]._data
    k, lead = len(ctx.shape), x.ndim - len(ctx.shape)
    kept = x.shape[:lead] + (1,) * k
    xhat = ((ctx.x2 - ctx.mean) * ctx.rstd).reshape(x.shape)  # as the rule forms it
    return {
        "xhat": xhat,
        "rstd": ctx.rstd.reshape(kept),
        "dims": lone(tuple(range(-k, 0))),
        "lead": lone(tuple(range(lead))),
    }


def _batch_norm(node: Any, i: int) -> dict[str, Any]:
    xhat, rstd, _, axes, training = node._ctx
    kept = rstd.shape  # (1, C, 1, ...): the weight along the channels
    return {"xhat": xhat, "rstd": rstd, "axes": lone(axes), "training": training, "kept": kept}


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
    per_entry = node._data.ndim > 0 or len(shape) == 1 and node._data.ndim == 0
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
        wt is None and not smoothing and len(shape) == 2 and node._data.ndim == 0
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
    plain = wt is None and len(shape) == 2 and node._data.ndim == 0 and scale == 1 / len(t)
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


def _repeat(node: Any, i: int) -> dict[str, Any]:
    """``tiles``: grad's shape with each dim split into (copies, the operand's length);
    ``copies``: the axes of the copies."""
    reps, shape = node._ctx
    lengths = (1,) * (len(reps) - len(shape)) + shape
    tiles = tuple(n for pair in zip(reps, lengths, strict=True) for n in pair)
    return {"tiles": tiles, "copies": tuple(range(0, len(tiles), 2))}


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
    "sum": lambda n, i: {"dims": lone(n._ctx[1]), "kept": n._ctx[2] or n._ctx[1] is None},
    "select": _select,
    "amax": lambda n, i: {"dims": lone(n._ctx[1]), "kept": n._ctx[2] or n._ctx[1] is None},
    "prod": lambda n, i: {"d": n._ctx[1], "kept": n._ctx[2] or n._ctx[1] is None},
    "transpose": lambda n, i: {"d0": n._ctx[0], "d1": n._ctx[1]},
    "permute": lambda n, i: {"inverse": n._ctx},
    "roll": lambda n, i: {"shifts": n._ctx[0], "dims": n._ctx[1]},
    "repeat": _repeat,
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
    "huber": lambda n, i: {"delta": n._ctx[1], "factor": n._ctx[2], "scale": n._ctx[3]},
    "hardtanh": lambda n, i: {"lo": n._ctx[1], "hi": n._ctx[2]},
    "cumsum": lambda n, i: {"d": n._ctx},
    "logsumexp": lambda n, i: {"dims": lone(n._ctx[1]), "kept": n._ctx[2] or n._ctx[1] is None},
    "norm": lambda n, i: {
        "p": n._ctx[1],
        "two": n._ctx[1] == 2,
        "dims": lone(n._ctx[2]),
        "kept": n._ctx[3] or n._ctx[2] is None,
    },
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


def bindings(node: Any, grad: ndarray, i: int) -> dict[str, Any]:
    """Every name operand ``i``'s text of ``node`` reads, with its value: to evaluate the text
    (in tests) and to show it."""
    values = dict(NAMESPACE)
    values.update(zip(LETTERS, (operand._data for operand in node._prev)))
    values.update(out=node._data, grad=grad)
    constants = CONSTANTS.get(node._op)
    if constants is not None:
        values.update(constants(node, i))
    return values


def text_of(op: str, i: int) -> str:
    """Operand ``i``'s text of ``op`` (ops with any number of operands have one for all)."""
    from micrograd.tensors import RULE_TEXT

    texts = RULE_TEXT[op]
    return texts[0] if len(texts) == 1 else texts[i]
