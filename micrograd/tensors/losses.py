"""Fused losses over classes (cross-entropy against class indices or probabilities,
``nll_loss``): each one node from its input to the (reduced) loss, its rule right below; and
the reduction every fused loss shares. The losses taken entry by entry (mse, l1, binary
cross-entropy, hinge) are in ``pointwise_losses``.

A loss over many entries as a composite takes four to eight nodes (log_softmax, index,
weight, mask, mean, ...) and as many passes over the data; fused, the forward makes one or
two passes and the rule builds the gradient directly (softmax - onehot for cross-entropy).
``nn.functional`` checks the arguments (shapes, dtypes, class indices in range) and calls
these, so they take checked NumPy arguments.

``reduction`` is PyTorch's: ``'mean'`` (of the per-entry losses; cross-entropy and
nll_loss with class indices divide by the summed weights of the entries not ignored),
``'sum'`` or ``'none'`` (the per-entry losses). A rule gets g, the gradient of the reduced
loss (0-d for mean and sum, the loss's shape for none), and ``scale`` (1/count for mean,
1 for sum and none), so the per-entry gradient is local * g * scale in all three cases.
"""

from __future__ import annotations

import numpy as np

from micrograd.tensors._rows import row_dot, row_max, row_sum
from micrograd.tensors.core import VJPS, Tensor, _result, method, ndarray


def _reduce(loss: ndarray, reduction: str) -> tuple[ndarray, float]:
    """The per-entry ``loss`` reduced, and the scale its rule multiplies g by."""
    if reduction == "none":
        return loss, 1.0
    total = np.add.reduce(loss, axis=None)
    if reduction == "sum":
        return total, 1.0
    return _mean(total, loss.size)


def _mean(total: ndarray, count: ndarray | int) -> tuple[ndarray, float]:
    """total / count and the rule's scale 1 / count; of nothing, nan with scale 0, as PyTorch
    (a nan loss whose gradient is zero)."""
    if count:
        return total / count, 1 / count
    return total * np.nan, 0.0


def _needs_grad(*tensors: Tensor) -> bool:
    return any(t.requires_grad for t in tensors)


def _operand(target: Tensor | ndarray) -> Tensor:
    """A target as a node's operand: an array becomes a constant (no copy, never a parent
    that needs grad)."""
    return target if isinstance(target, Tensor) else _result(target, "", (), None, False)


def _classes_last(x: ndarray) -> ndarray:
    """Scores (N, C, d1, ...), (N, C) or (C,) as rows of C: a view unless past 2-D."""
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return x[None]
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _classes_back(rows: ndarray, shape: tuple[int, ...]) -> ndarray:
    """The inverse of _classes_last: rows of C back to ``shape``, laid out C-contiguous."""
    if len(shape) == 2:
        return rows
    if len(shape) == 1:
        return rows[0]
    moved = rows.reshape((shape[0], *shape[2:], shape[1]))
    return np.ascontiguousarray(np.moveaxis(moved, -1, 1))


def _per_row(loss: ndarray, target_shape: tuple[int, ...], reduction: str) -> ndarray:
    return loss.reshape(target_shape) if reduction == "none" else loss


# --------------------------------------------------------------------- cross-entropy


@method
def _cross_entropy(
    self,
    target: ndarray,
    weight: ndarray | None,
    ignore_index: int | None,
    reduction: str,
    label_smoothing: float,
) -> Tensor:
    """PyTorch's cross-entropy of scores self (N, C, d...), (N, C) or (C,) against class
    indices ``target`` (N, d...), (N,) or (), each in [0, C) or ``ignore_index`` (None:
    the caller found no entry that is ignored).

    Per entry i (t its class, w the class weights, 1 without weight, e the smoothing):
    (1 - e) w[t] (-log p[t]) + e / C sum_c w[c] (-log p[c]), zero where t is ignored, with
    p = softmax over the classes. 'mean' divides the sum by the summed w[t] of the entries
    not ignored (nan if there are none). The rule is softmax minus the smoothed one-hot,
    weighted; the forward computes exp(x - max) once and keeps it for the rule.
    """
    x = _classes_last(self.data)
    t = target.reshape(-1)
    rows = np.arange(len(t))
    valid = None
    if ignore_index is not None:
        ignored = t == ignore_index
        valid = (~ignored).astype(x.dtype)
        t = np.where(ignored, 0, t)  # any class will do: its weight below is 0
    shifted = x - row_max(x)[:, None]
    picked = shifted[rows, t]
    if label_smoothing:
        smooth = shifted.dot(weight) if weight is not None else row_sum(shifted)
    e = np.exp(shifted, out=shifted)
    s = row_sum(e)
    lse = np.log(s)
    loss = lse - picked  # -log p[t], per row
    wt = weight[t] if weight is not None else None
    if valid is not None:
        wt = valid if wt is None else wt * valid
    if wt is not None:
        loss *= wt
    if label_smoothing:
        total_w = weight.sum() if weight is not None else x.shape[1]
        smooth = total_w * lse - smooth  # -sum_c w[c] log p[c]
        if valid is not None:
            smooth *= valid
        loss *= 1 - label_smoothing
        loss += label_smoothing / x.shape[1] * smooth
    if reduction == "mean":  # divided by the summed weights of the entries counted
        out, scale = _mean(np.add.reduce(loss), wt.sum() if wt is not None else len(t))
    else:
        out, scale = _reduce(_per_row(loss, target.shape, reduction), reduction)
    ctx = (e, s, rows, t, wt, valid, weight, label_smoothing, scale, self.data.shape)
    return _result(out, "cross_entropy", (self,), ctx, self.requires_grad)


def _cross_entropy_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    e, s, rows, t, wt, valid, weight, smoothing, scale, shape = ctx
    gi = g.reshape(-1) if g.ndim else g * scale  # per row, or one number for mean / sum
    pull = gi if wt is None else gi * wt  # the one-hot's weight per row
    if smoothing:  # minus e/C per class, weighted by w[c], on rows not ignored
        pull = pull * (1 - smoothing)
        spread = np.full(len(t), smoothing / e.shape[1], e.dtype) * gi
        if valid is not None:
            spread *= valid
        total_w = weight.sum() if weight is not None else e.shape[1]
        grad = e * ((pull + spread * total_w) / s)[:, None]
        grad -= spread[:, None] if weight is None else np.multiply.outer(spread, weight)
    else:
        grad = e * (pull / s)[:, None]  # softmax, weighted
    grad[rows, t] -= pull
    return _classes_back(grad, shape)


VJPS["cross_entropy"] = (_cross_entropy_grad,)


@method
def _cross_entropy_probs(
    self, target: Tensor | ndarray, weight: ndarray | None, reduction: str, label_smoothing: float
) -> Tensor:
    """Cross-entropy against class probabilities ``target`` of self's shape: per entry
    -sum_c w[c] y[c] log p[c], y smoothed to (1 - e) y + e / C; 'mean' divides by the
    number of entries (not by the weights), as PyTorch.
    """
    target = _operand(target)
    x = _classes_last(self.data)
    y = _classes_last(target.data)
    classes = x.shape[1]
    logp = x - row_max(x)[:, None]
    logp -= np.log(row_sum(np.exp(logp)))[:, None]
    yw = y * (1 - label_smoothing) + label_smoothing / classes if label_smoothing else y
    if weight is not None:
        yw = yw * weight
    loss = -row_dot(logp, yw)
    lead = self.data.shape[:1] + self.data.shape[2:] if self.data.ndim > 1 else ()
    out, scale = _reduce(_per_row(loss, lead, reduction), reduction)
    ctx = (logp, yw, weight, label_smoothing, scale, self.data.shape)
    return _result(out, "cross_entropy_probs", (self, target), ctx, _needs_grad(self, target))


def _cross_entropy_probs_grad_x(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    logp, yw, _, _, scale, shape = ctx  # d/dx = p * sum_c(yw) - yw, per row
    gi = (g.reshape(-1) if g.ndim else g * scale)[..., None]
    grad = np.exp(logp)
    grad *= row_sum(yw)[:, None]
    grad -= yw
    grad *= gi
    return _classes_back(grad, shape)


def _cross_entropy_probs_grad_y(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    logp, _, weight, smoothing, scale, shape = ctx  # d/dy = -(1 - e) w log p
    gi = (g.reshape(-1) if g.ndim else g * scale)[..., None]
    grad = logp * (-(1 - smoothing) * gi)
    if weight is not None:
        grad *= weight
    return _classes_back(grad, shape)


VJPS["cross_entropy_probs"] = (_cross_entropy_probs_grad_x, _cross_entropy_probs_grad_y)


@method
def _nll_loss(
    self, target: ndarray, weight: ndarray | None, ignore_index: int | None, reduction: str
) -> Tensor:
    """Negative log-likelihood of log-probabilities self (N, C, d...), (N, C) or (C,) at
    class indices ``target``: per entry -w[t] self[t], zero where t is ``ignore_index``;
    'mean' divides by the summed w[t] of the entries not ignored. Its rule scatters -w[t] g
    into zeros.
    """
    x = _classes_last(self.data)
    t = target.reshape(-1)
    wt = weight
    if ignore_index is not None:  # as in _cross_entropy
        ignored = t == ignore_index
        t = np.where(ignored, 0, t)
        wt = (~ignored).astype(x.dtype) if weight is None else weight[t] * ~ignored
    elif weight is not None:
        wt = weight[t]
    loss = -x[np.arange(len(t)), t]
    if wt is not None:
        loss *= wt
    if reduction == "mean":  # divided by the summed weights of the entries counted
        out, scale = _mean(np.add.reduce(loss), wt.sum() if wt is not None else len(t))
    else:
        out, scale = _reduce(_per_row(loss, target.shape, reduction), reduction)
    ctx = (t, wt, scale, x.shape, self.data.shape)
    return _result(out, "nll_loss", (self,), ctx, self.requires_grad)


def _nll_loss_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    t, wt, scale, rows_shape, shape = ctx
    gi = g.reshape(-1) if g.ndim else g * scale
    grad = np.zeros(rows_shape, g.dtype)
    grad[np.arange(len(t)), t] = -gi if wt is None else -gi * wt
    return _classes_back(grad, shape)


VJPS["nll_loss"] = (_nll_loss_grad,)
