"""The losses over classes: ``cross_entropy`` (against class indices or class probabilities)
and ``nll_loss``, each its argument checks, its forward and its derivative rule in one place;
and the checks and the reduction that every loss shares (``pointwise_losses`` has the losses
taken entry by entry: mse, l1, binary cross-entropy, hinge).

Each takes PyTorch's arguments, in PyTorch's order (the legacy ``size_average`` and
``reduce`` included, with PyTorch's warning), and returns what PyTorch returns: a 0-d
tensor for ``reduction='mean'`` or ``'sum'``, the per-entry losses for ``'none'``.

Each is one fused node. As a composite a loss over many entries takes four to eight nodes
(log_softmax, index, weight, mask, mean, ...) and as many passes over the data; fused, the
forward makes one or two passes and the rule builds the gradient directly (softmax - onehot
for cross-entropy).

``reduction`` is PyTorch's: ``'mean'`` (of the per-entry losses; cross-entropy and
nll_loss with class indices divide by the summed weights of the entries not ignored),
``'sum'`` or ``'none'`` (the per-entry losses). A rule gets g, the gradient of the reduced
loss (0-d for mean and sum, the loss's shape for none), and ``scale`` (1/count for mean,
1 for sum and none), so the per-entry gradient is local * g * scale in all three cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.nn.functional._args import check_reduction, float32_loss, float_arg, needs_float32
from micrograd.tensors import RULE_TEXT, VJPS, Tensor
from micrograd.tensors.core import _result, ndarray
from micrograd.tensors.errors import DTypeError, ShapeError

# --------------------------------------------------------------------- argument checks


def _target(target: Any, name: str, like: Tensor) -> Tensor | np.ndarray:
    """A target of exactly ``like``'s shape: a Tensor as it is (it may require grad), anything
    else as an array in ``like``'s dtype."""
    if not isinstance(target, Tensor):
        try:
            target = np.asarray(target, dtype=like.dtype)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be a Tensor or an array of numbers, got {type(target).__name__}"
            ) from None
    if target.shape != like.shape:
        raise ShapeError(
            f"{name} has shape {tuple(target.shape)} but the input has shape {like.shape}; "
            "they must match (reshape one of them)"
        )
    return target


def _constant(x: Any, name: str, like: Tensor, shape: tuple[int, ...]) -> np.ndarray | None:
    """An optional weight that broadcasts to ``shape``, as an array in ``like``'s dtype."""
    if x is None:
        return None
    if isinstance(x, Tensor):
        if x.requires_grad:
            raise ValueError(f"{name} must not require grad: its gradient is not computed")
        x = x._data
    array = np.asarray(x, dtype=like.dtype)
    try:
        fits = np.broadcast_shapes(array.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"{name} of shape {array.shape} does not broadcast to shape {shape}")
    return array


def _classes(x: Tensor, name: str) -> int:
    if x.ndim == 0:
        raise ShapeError(f"{name} expects an input of shape (N, C, ...) or (C,), got ()")
    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    if classes == 0:
        raise ShapeError(f"{name} input of shape {x.shape} has no classes (dim 1 is empty)")
    return classes


def _class_indices(
    target: Any, x: Tensor, classes: int, ignore_index: int, name: str
) -> tuple[np.ndarray, int | None]:
    """``target`` as an integer array of the input's shape less its class dim, each entry a
    class in [0, classes) or ``ignore_index``; and ``ignore_index`` if some entry holds it,
    None if none does (so the loss can skip masking)."""
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise DTypeError(
            f"{name} target must hold integer class indices (or class probabilities of the "
            f"input's shape {x.shape}), got dtype {t.dtype} and shape {t.shape}"
        )
    expected = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    if t.shape != expected:
        raise ShapeError(
            f"{name}: target of shape {t.shape} does not fit an input of shape {x.shape}: "
            f"expected target shape {expected}"
        )
    if not t.size:
        return t, None
    if np.minimum.reduce(t, axis=None) >= 0 and np.maximum.reduce(t, axis=None) < classes:
        # every entry is a class: ignore_index can only be among them if it is one too
        if 0 <= ignore_index < classes and (t == ignore_index).any():
            return t, ignore_index
        return t, None
    bad = t[((t < 0) | (t >= classes)) & (t != ignore_index)]
    if bad.size:
        raise IndexError(
            f"{name} target {bad[0]} is out of range for {classes} classes (targets must "
            f"be in [0, {classes - 1}], or ignore_index={ignore_index})"
        )
    return t, ignore_index


# --------------------------------------------------------------------- class losses


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of scores ``input`` (N, C), (N, C, d1, ...) or (C,) against
    ``target``: class indices (N,), (N, d1, ...) or () (any integer dtype), or class
    probabilities of the input's shape. As PyTorch's, with ``weight`` per class (C,),
    ``ignore_index`` (those entries count for nothing, also not in the mean), ``reduction``
    and ``label_smoothing``. One fused node whose rule is softmax minus the (smoothed,
    weighted) one-hot; stable for logits of any size.

    >>> round(cross_entropy(Tensor([[0.0, 0.0], [5.0, 0.0]]), [0, -1], ignore_index=-1).item(), 6)
    0.693147
    """
    x = float_arg(input, "cross_entropy input")
    if needs_float32(x):
        return float32_loss(
            cross_entropy,
            x,
            target,
            weight,
            size_average,
            ignore_index,
            reduce,
            reduction,
            label_smoothing,
        )
    reduction = check_reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    classes = _classes(x, "cross_entropy")
    w = _constant(weight, "cross_entropy weight", x, (classes,))
    if w is not None and w.shape != (classes,):
        raise ShapeError(f"cross_entropy weight must have shape ({classes},), got {w.shape}")
    t = target._data if isinstance(target, Tensor) else target
    if getattr(t, "dtype", None) is not None and t.dtype.kind in "fV" and t.shape == x.shape:
        if ignore_index >= 0:
            raise ValueError("cross_entropy: ignore_index is not supported for probability targets")
        probs = _target(target, "cross_entropy target", x)
        return _cross_entropy_probs(x, probs, w, reduction, float(label_smoothing))
    t, ignored = _class_indices(target, x, classes, ignore_index, "cross_entropy")
    return _cross_entropy(x, t, w, ignored, reduction, float(label_smoothing))


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C), (N, C, d1, ...) or (C,)
    at class indices ``target``: -weight[t] * input[t] per entry, as PyTorch's (with
    ``ignore_index`` and ``reduction``; 'mean' divides by the summed weights counted).
    ``nll_loss(log_softmax(x, 1), t)`` equals ``cross_entropy(x, t)``.
    """
    x = float_arg(input, "nll_loss input")
    if needs_float32(x):
        return float32_loss(
            nll_loss, x, target, weight, size_average, ignore_index, reduce, reduction
        )
    reduction = check_reduction(reduction, size_average, reduce)
    classes = _classes(x, "nll_loss")
    w = _constant(weight, "nll_loss weight", x, (classes,))
    if w is not None and w.shape != (classes,):
        raise ShapeError(f"nll_loss weight must have shape ({classes},), got {w.shape}")
    t, ignored = _class_indices(target, x, classes, ignore_index, "nll_loss")
    return _nll_loss(x, t, w, ignored, reduction)


# --------------------------------------------------------------------- reductions


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


# --------------------------------------------------------------------- the fused nodes


def _cross_entropy(
    input: Tensor,
    target: ndarray,
    weight: ndarray | None,
    ignore_index: int | None,
    reduction: str,
    label_smoothing: float,
) -> Tensor:
    """PyTorch's cross-entropy of scores input (N, C, d...), (N, C) or (C,) against class
    indices ``target`` (N, d...), (N,) or (), each in [0, C) or ``ignore_index`` (None:
    the caller found no entry that is ignored).

    Per entry i (t its class, w the class weights, 1 without weight, e the smoothing):
    (1 - e) w[t] (-log p[t]) + e / C sum_c w[c] (-log p[c]), zero where t is ignored, with
    p = softmax over the classes. 'mean' divides the sum by the summed w[t] of the entries
    not ignored (nan if there are none). The rule is softmax minus the smoothed one-hot,
    weighted; the forward computes exp(x - max) once and keeps it for the rule.
    """
    x = _classes_last(input._data)
    t = target.reshape(-1)
    rows = np.arange(len(t))
    valid = None
    if ignore_index is not None:
        ignored = t == ignore_index
        valid = (~ignored).astype(x.dtype)
        t = np.where(ignored, 0, t)  # any class will do: its weight below is 0
    shifted = x - x.max(axis=1, keepdims=True)
    picked = shifted[rows, t]
    if label_smoothing:
        smooth = shifted.dot(weight) if weight is not None else shifted.sum(axis=1)
    e = np.exp(shifted, out=shifted)
    s = e.sum(axis=1)
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
    ctx = (e, s, rows, t, wt, valid, weight, label_smoothing, scale, input._data.shape)
    return _result(out, "cross_entropy", (input,), ctx, input.requires_grad)


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
RULE_TEXT["cross_entropy"] = (  # softmax minus the one-hot of the targets
    "(softmax(a, 1) - one_hot(target, classes)) * grad / n if plain"
    " else (softmax(a, cdim) * y.sum(cdim, keepdims=True) - y) * grad.reshape(gshape) * scale",
)


def _cross_entropy_probs(
    input: Tensor,
    target: Tensor | ndarray,
    weight: ndarray | None,
    reduction: str,
    label_smoothing: float,
) -> Tensor:
    """Cross-entropy against class probabilities ``target`` of input's shape: per entry
    -sum_c w[c] y[c] log p[c], y smoothed to (1 - e) y + e / C; 'mean' divides by the
    number of entries (not by the weights), as PyTorch.
    """
    target = _operand(target)
    x = _classes_last(input._data)
    y = _classes_last(target._data)
    classes = x.shape[1]
    logp = x - x.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    yw = y * (1 - label_smoothing) + label_smoothing / classes if label_smoothing else y
    if weight is not None:
        yw = yw * weight
    loss = -(logp * yw).sum(axis=1)
    lead = input._data.shape[:1] + input._data.shape[2:] if input._data.ndim > 1 else ()
    out, scale = _reduce(_per_row(loss, lead, reduction), reduction)
    ctx = (logp, yw, weight, label_smoothing, scale, input._data.shape)
    return _result(out, "cross_entropy_probs", (input, target), ctx, _needs_grad(input, target))


def _cross_entropy_probs_grad_x(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    logp, yw, _, _, scale, shape = ctx  # d/dx = p * sum_c(yw) - yw, per row
    gi = (g.reshape(-1) if g.ndim else g * scale)[..., None]
    grad = np.exp(logp)
    grad *= yw.sum(axis=1, keepdims=True)
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
RULE_TEXT["cross_entropy_probs"] = (
    "(softmax(a, cdim) * b.sum(cdim, keepdims=True) - b) * grad.reshape(gshape) * scale if plain"
    " else (softmax(a, cdim) * yw.sum(cdim, keepdims=True) - yw) * grad.reshape(gshape) * scale",
    "-log_softmax(a, cdim) * grad.reshape(gshape) * scale * weight if no_smoothing"
    " else -(1 - smoothing) * log_softmax(a, cdim) * grad.reshape(gshape) * scale * weight",
)


def _nll_loss(
    input: Tensor, target: ndarray, weight: ndarray | None, ignore_index: int | None, reduction: str
) -> Tensor:
    """Negative log-likelihood of log-probabilities input (N, C, d...), (N, C) or (C,) at
    class indices ``target``: per entry -w[t] input[t], zero where t is ``ignore_index``;
    'mean' divides by the summed w[t] of the entries not ignored. Its rule scatters -w[t] g
    into zeros.
    """
    x = _classes_last(input._data)
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
    ctx = (t, wt, scale, x.shape, input._data.shape)
    return _result(out, "nll_loss", (input,), ctx, input.requires_grad)


def _nll_loss_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    t, wt, scale, rows_shape, shape = ctx
    gi = g.reshape(-1) if g.ndim else g * scale
    grad = np.zeros(rows_shape, g.dtype)
    grad[np.arange(len(t)), t] = -gi if wt is None else -gi * wt
    return _classes_back(grad, shape)


VJPS["nll_loss"] = (_nll_loss_grad,)
RULE_TEXT["nll_loss"] = (
    "-one_hot(target, classes) * grad / n if plain"
    " else -one_hot(target, classes, cdim) * wt * grad.reshape(gshape) * scale",
)
