"""``scaled_dot_product_attention``: softmax(q @ k^T * scale + mask) @ v as one node.

As a composite (transpose, matmul, scale, masked_fill, softmax, matmul) attention takes six
nodes and keeps five (B, H, L, S) arrays alive; fused it keeps the attention weights only,
and its rule derives every operand's gradient from one shared softmax gradient.

The checks of query, key, value and mask, the forward and the rule, in one place.

>>> import numpy as np
>>> from micrograd import Tensor
>>> q = Tensor(np.ones((2, 3, 4)))
>>> scaled_dot_product_attention(q, q, Tensor(np.ones((2, 3, 5))), is_causal=True).shape
Size([2, 3, 5])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from micrograd.nn.functional._args import _uniform
from micrograd.nn.functional._args import tensor_arg as _tensor
from micrograd.tensors import RULE_TEXT, VJPS, Tensor
from micrograd.tensors._rows import as_rows, row_dot, row_max, row_sum
from micrograd.tensors.conversion import in_float32
from micrograd.tensors.core import _result, ndarray
from micrograd.tensors.dtypes import is_bfloat16
from micrograd.tensors.errors import DTypeError, ShapeError
from micrograd.tensors.grad_mode import _autocast, lower_precision


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, as PyTorch's: one fused node.

    query (..., L, E), key (..., S, E), value (..., S, Ev) give (..., L, Ev), leading dims
    broadcast. ``scale`` defaults to 1/sqrt(E). ``attn_mask``: boolean (True takes part) or
    float (added to the scores), broadcastable to (..., L, S); ``is_causal`` masks the
    upper triangle (query i sees keys 0..i). A query that sees no key gets zeros. Dropout
    with probability ``dropout_p`` applies to the weights whenever it is nonzero (pass 0.0
    in evaluation, as PyTorch's modules do). Under autocast, and on bfloat16 operands, it
    runs in 16 bits as PyTorch's CPU does (``in_float32``).
    """
    for t, name in ((query, "query"), (key, "key"), (value, "value")):
        if _tensor(t, f"scaled_dot_product_attention {name}").ndim < 2:
            raise ShapeError(
                f"scaled_dot_product_attention {name} needs at least 2 dims (..., L, E), "
                f"got {t.shape}"
            )
    q, k, v = query.shape, key.shape, value.shape
    if q[-1] != k[-1] or k[-2] != v[-2]:
        raise ShapeError(
            f"scaled_dot_product_attention: query {q}, key {k} and value {v} do not fit: "
            "query and key need the same last dim, key and value the same second-to-last"
        )
    if enable_gqa and len(q) >= 3 and len(k) >= 3 and q[-3] != k[-3]:
        raise NotImplementedError(
            "scaled_dot_product_attention: enable_gqa (fewer key/value heads than query "
            "heads) is not supported; repeat key and value along dim -3 first"
        )
    try:
        lead = np.broadcast_shapes(q[:-2], k[:-2], v[:-2])
    except ValueError:
        raise ShapeError(
            f"scaled_dot_product_attention: the leading dims of query {q}, key {k} and "
            f"value {v} do not broadcast"
        ) from None
    if not 0 <= dropout_p < 1:
        raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p}")
    mask = _attention_mask(attn_mask, is_causal, (*lead, q[-2], k[-2]), query.dtype)
    keep = None
    if dropout_p > 0:
        keep = _uniform((*lead, q[-2], k[-2])) >= dropout_p
    factor = 1 / math.sqrt(q[-1]) if scale is None else float(scale)
    arrays = (query._data, key._data, value._data)
    if _autocast.enabled or any(is_bfloat16(x.dtype) for x in arrays):
        low = lower_precision(*arrays)
        if low is not None:
            return in_float32(
                _attention, low, query, key, value, mask, keep, float(dropout_p), factor
            )
    return _attention(query, key, value, mask, keep, float(dropout_p), factor)


def _attention_mask(mask: Any, is_causal: bool, shape: tuple[int, ...], dtype: Any) -> Any:
    """The mask as the primitive takes it: None, a boolean array, a float array, or a float
    Tensor that requires grad (whose gradient is then computed)."""
    if is_causal:
        if mask is not None:
            raise ValueError("scaled_dot_product_attention: pass attn_mask or is_causal, not both")
        return np.tri(shape[-2], shape[-1], dtype=bool)
    if mask is None:
        return None
    if isinstance(mask, Tensor) and mask.requires_grad:
        array, keep_tensor = mask._data, True
    else:
        array, keep_tensor = np.asarray(mask._data if isinstance(mask, Tensor) else mask), False
    if array.dtype.kind not in "bf" and not is_bfloat16(array.dtype):
        raise DTypeError(f"attn_mask must be boolean or floating point, got dtype {array.dtype}")
    try:
        np.broadcast_shapes(array.shape, shape)
    except ValueError:
        raise ShapeError(
            f"attn_mask of shape {array.shape} does not broadcast to the attention weights' "
            f"shape {shape}"
        ) from None
    if keep_tensor:
        return mask
    return array if array.dtype.kind == "b" else array.astype(dtype, copy=False)


# --------------------------------------------------------------------- the fused node


def _attention(
    input: Tensor,
    key: Tensor,
    value: Tensor,
    mask: ndarray | Tensor | None,
    keep: ndarray | None,
    dropout_p: float,
    scale: float,
) -> Tensor:
    """softmax(input @ key^T * scale + mask) @ value for input (..., L, E), key (..., S, E),
    value (..., S, Ev): shape (..., L, Ev), the leading dims broadcast.

    ``mask``: None, a boolean array (True takes part), or a float array or Tensor added to
    the scores (a Tensor that requires grad gets the scores' gradient). A row of scores
    that is all -inf gives zero weights (not nan), as PyTorch's attention does. ``keep``
    (a boolean array of the weights' shape, or None) drops weights for dropout, the kept ones
    scaled by 1 / (1 - dropout_p).
    """
    q, k, v = input._data, key._data, value._data
    scores = q @ k.swapaxes(-1, -2)
    scores *= scale
    prev: tuple = (input, key, value)
    if isinstance(mask, Tensor):
        prev += (mask,)
        scores = scores + mask._data
    elif mask is not None and mask.dtype == np.bool_:
        shape = np.broadcast_shapes(scores.shape, mask.shape)
        if shape != scores.shape:
            scores = np.broadcast_to(scores, shape).copy()
        np.copyto(scores, -np.inf, where=~mask)
    elif mask is not None:
        scores = scores + mask
    rows = as_rows(scores)  # a view: scores is a fresh C-contiguous array
    top = row_max(rows)
    empty_rows = None
    if mask is not None:
        empty_rows = np.isneginf(top)
        if empty_rows.any():
            top[empty_rows] = 0  # exp(-inf - 0) = 0: the row's weights become zeros
        else:
            empty_rows = None
    rows -= top[:, None]
    np.exp(rows, out=rows)
    total = row_sum(rows)
    if empty_rows is not None:
        total[empty_rows] = 1
    rows *= (1 / total)[:, None]
    weights = scores
    if keep is not None:
        mask_scale = keep.astype(weights.dtype)
        mask_scale *= 1 / (1 - dropout_p)
        dropped = weights * mask_scale
    else:
        mask_scale, dropped = None, weights
    out = dropped @ v
    ctx = [q, k, v, weights, mask_scale, dropped, scale, None, None]
    op = "attention_mask" if len(prev) == 4 else "attention"
    return _result(out, op, prev, ctx, any(t.requires_grad for t in prev))


def _scores_grad(g: ndarray, ctx: list) -> ndarray:
    """d(loss)/d(scores before scaling), shared by the q, k and mask rules: computed by the
    first of them to run for this g and kept with it."""
    if ctx[7] is g:
        return ctx[8]
    _, _, v, weights, mask_scale, _, _, _, _ = ctx
    dweights = g @ v.swapaxes(-1, -2)
    if mask_scale is not None:
        dweights *= mask_scale
    # softmax rule: weights * (dweights - sum(dweights * weights))
    rows = as_rows(dweights)
    rows -= row_dot(rows, as_rows(weights))[:, None]
    dweights *= weights
    ctx[7], ctx[8] = g, dweights
    return dweights


def _attention_grad_q(g: ndarray, ans: ndarray, ctx: list) -> ndarray:
    grad = _scores_grad(g, ctx) @ ctx[1]  # scores = q @ k^T * scale
    grad *= ctx[6]
    return grad


def _attention_grad_k(g: ndarray, ans: ndarray, ctx: list) -> ndarray:
    grad = _scores_grad(g, ctx).swapaxes(-1, -2) @ ctx[0]
    grad *= ctx[6]
    return grad


def _attention_grad_v(g: ndarray, ans: ndarray, ctx: list) -> ndarray:
    return ctx[5].swapaxes(-1, -2) @ g  # out = dropped weights @ v


def _attention_grad_mask(g: ndarray, ans: ndarray, ctx: list) -> ndarray:
    return _scores_grad(g, ctx)


VJPS["attention"] = (_attention_grad_q, _attention_grad_k, _attention_grad_v)
VJPS["attention_mask"] = VJPS["attention"] + (_attention_grad_mask,)
RULE_TEXT["attention"] = (  # (q, k, v): out = softmax(q @ k.T * scale + mask) @ v
    "scale * softmax_backward(weights, grad @ c.swapaxes(-1, -2)) @ b if no_dropout"
    " else scale * softmax_backward(weights, (grad @ c.swapaxes(-1, -2)) * keep) @ b",
    "scale * softmax_backward(weights, grad @ c.swapaxes(-1, -2)).swapaxes(-1, -2) @ a"
    " if no_dropout"
    " else scale * softmax_backward(weights, (grad @ c.swapaxes(-1, -2)) * keep)"
    ".swapaxes(-1, -2) @ a",
    "weights.swapaxes(-1, -2) @ grad if no_dropout else (weights * keep).swapaxes(-1, -2) @ grad",
)
RULE_TEXT["attention_mask"] = RULE_TEXT["attention"] + (  # a float mask, added to the scores
    "softmax_backward(weights, grad @ c.swapaxes(-1, -2)) if no_dropout"
    " else softmax_backward(weights, (grad @ c.swapaxes(-1, -2)) * keep)",
)
