"""Fused scaled dot-product attention: softmax(q @ k^T * scale + mask) @ v as one node.

As a composite (transpose, matmul, scale, masked_fill, softmax, matmul) attention takes six
nodes and keeps five (B, H, L, S) arrays alive; fused it keeps the attention weights only,
and its rule derives every operand's gradient from one shared softmax gradient.
"""

from __future__ import annotations

import numpy as np

from micrograd.tensors._rows import as_rows, row_dot, row_max, row_sum
from micrograd.tensors.core import VJPS, Tensor, _result, method, ndarray


@method
def _attention(
    self,
    key: Tensor,
    value: Tensor,
    mask: ndarray | Tensor | None,
    keep: ndarray | None,
    dropout_p: float,
    scale: float,
) -> Tensor:
    """softmax(self @ key^T * scale + mask) @ value for self (..., L, E), key (..., S, E),
    value (..., S, Ev): shape (..., L, Ev), the leading dims broadcast.

    ``mask``: None, a boolean array (True takes part), or a float array or Tensor added to
    the scores (a Tensor that requires grad gets the scores' gradient). A row of scores
    that is all -inf gives zero weights (not nan), as PyTorch's attention does. ``keep``
    (a boolean array of the weights' shape, or None) drops weights for dropout, the kept ones
    scaled by 1 / (1 - dropout_p).
    """
    q, k, v = self.data, key.data, value.data
    scores = q @ k.swapaxes(-1, -2)
    scores *= scale
    prev: tuple = (self, key, value)
    if isinstance(mask, Tensor):
        prev += (mask,)
        scores = scores + mask.data
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
