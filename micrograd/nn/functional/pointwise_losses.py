"""The losses taken entry by entry: each entry's loss from that entry of the input and of the
target (``mse_loss``, ``l1_loss``, ``smooth_l1_loss``, ``huber_loss``, binary cross-entropy
on probabilities or on logits, the original demo's ``hinge_loss``), each its checks, its
forward and its rule in one place.

As in ``losses`` (whose docstring says what ``reduction`` and ``scale`` mean, and whose
checks and reduction these share), each is one fused node from the input to the reduced
loss. Inputs and targets of different shapes are an error naming both, where PyTorch would
broadcast them with a warning: (N, 1) against (N,) silently computes an (N, N) loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.nn.functional._args import (
    check_reduction,
    float32_loss,
    float_arg,
    needs_float32,
    tensor_arg,
)
from micrograd.nn.functional.activations import _sigmoid
from micrograd.nn.functional.losses import _constant, _needs_grad, _operand, _reduce, _target
from micrograd.tensors import RULE_TEXT, VJPS, Tensor
from micrograd.tensors.core import _result, ndarray
from micrograd.tensors.errors import ShapeError

# --------------------------------------------------------------------- pointwise losses


def _weighted_mean(per_entry: Tensor, weight: Any, reduction: str, name: str) -> Tensor:
    """PyTorch's weighted mse/l1: the per-entry losses times ``weight`` (the input's shape),
    then 'mean' divides by weight.sum(); composed, so a weight Tensor gets its gradient."""
    w = weight if isinstance(weight, Tensor) else np.asarray(weight, dtype=per_entry.dtype)
    if tuple(w.shape) != per_entry.shape:
        raise ShapeError(
            f"{name} weight has shape {tuple(w.shape)} but the input has shape "
            f"{per_entry.shape}; they must match"
        )
    weighted = per_entry * w
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / w.sum()


def mse_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """(input - target)**2 per entry, reduced; shapes must match. Both may require grad."""
    x = float_arg(input, "mse_loss input")
    if needs_float32(x):
        return float32_loss(mse_loss, x, target, size_average, reduce, reduction, weight)
    reduction = check_reduction(reduction, size_average, reduce)
    y = _target(target, "mse_loss target", x)
    if weight is not None:
        return _weighted_mean(_mse_loss(x, y, "none"), weight, reduction, "mse_loss")
    return _mse_loss(x, y, reduction)


def l1_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """|input - target| per entry, reduced; shapes must match. Both may require grad."""
    x = float_arg(input, "l1_loss input")
    if needs_float32(x):
        return float32_loss(l1_loss, x, target, size_average, reduce, reduction, weight)
    reduction = check_reduction(reduction, size_average, reduce)
    y = _target(target, "l1_loss target", x)
    if weight is not None:
        return _weighted_mean(_l1_loss(x, y, "none"), weight, reduction, "l1_loss")
    return _l1_loss(x, y, reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Per entry, with d = input - target: 0.5 d**2 / beta where |d| < beta, else
    |d| - 0.5 beta (the l1 loss for beta = 0), reduced; shapes must match.

    >>> smooth_l1_loss(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]), reduction="none").tolist()
    [0.125, 2.5]
    """
    x = float_arg(input, "smooth_l1_loss input")
    if needs_float32(x):
        return float32_loss(smooth_l1_loss, x, target, size_average, reduce, reduction, beta)
    reduction = check_reduction(reduction, size_average, reduce)
    y = _target(target, "smooth_l1_loss target", x)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    if beta == 0:  # PyTorch's choice: no quadratic part left
        return _l1_loss(x, y, reduction)
    return _huber(x, y, reduction, float(beta), 1 / beta, "smooth_l1_loss")


def huber_loss(
    input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0, weight: Any = None
) -> Tensor:
    """Per entry, with d = input - target: 0.5 d**2 where |d| < delta, else
    delta (|d| - 0.5 delta), reduced; shapes must match. It is ``delta`` times
    ``smooth_l1_loss`` with beta = delta.

    >>> huber_loss(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]), reduction="none").tolist()
    [0.125, 2.5]
    """
    x = float_arg(input, "huber_loss input")
    if needs_float32(x):
        return float32_loss(huber_loss, x, target, reduction, delta, weight)
    reduction = check_reduction(reduction, None, None)
    y = _target(target, "huber_loss target", x)
    if not delta > 0:
        raise ValueError(f"huber_loss does not support non-positive values for delta, got {delta}")
    if weight is not None:  # each entry weighed; 'mean' is then the plain mean, as PyTorch's
        per_entry = _huber(x, y, "none", float(delta), 1.0, "huber_loss")
        weighted = _weighted_mean(per_entry, weight, "none", "huber_loss")
        if reduction == "none":
            return weighted
        return weighted.sum() if reduction == "sum" else weighted.mean()
    return _huber(x, y, reduction, float(delta), 1.0, "huber_loss")


def binary_cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """-weight * (y log p + (1 - y) log(1 - p)) per entry for probabilities p = ``input`` in
    [0, 1] and targets y of the same shape; each log is clamped at -100, as PyTorch."""
    x = float_arg(input, "binary_cross_entropy input")
    if needs_float32(x):
        return float32_loss(
            binary_cross_entropy, x, target, weight, size_average, reduce, reduction
        )
    reduction = check_reduction(reduction, size_average, reduce)
    y = _target(target, "binary_cross_entropy target", x)
    p = x._data
    if p.size and not (
        np.minimum.reduce(p, axis=None) >= 0 and np.maximum.reduce(p, axis=None) <= 1
    ):
        raise ValueError(
            "binary_cross_entropy: all elements of input should be between 0 and 1 (pass "
            "probabilities, or use binary_cross_entropy_with_logits on logits)"
        )
    w = _constant(weight, "binary_cross_entropy weight", x, x.shape)
    return _binary_cross_entropy(x, y, w, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Binary cross-entropy of sigmoid(input) against targets y of the same shape, computed
    from the logits so it never overflows: -weight * (pos_weight * y log sigmoid(x) +
    (1 - y) log(1 - sigmoid(x))). ``weight`` broadcasts to the input, ``pos_weight`` (C,)
    along its last dim. One fused node; its rule is sigmoid(x) - y without pos_weight.
    """
    x = float_arg(input, "binary_cross_entropy_with_logits input")
    if needs_float32(x):
        return float32_loss(
            binary_cross_entropy_with_logits,
            x,
            target,
            weight,
            size_average,
            reduce,
            reduction,
            pos_weight,
        )
    reduction = check_reduction(reduction, size_average, reduce)
    y = _target(target, "binary_cross_entropy_with_logits target", x)
    name = "binary_cross_entropy_with_logits"
    w = _constant(weight, f"{name} weight", x, x.shape)
    pw = _constant(pos_weight, f"{name} pos_weight", x, x.shape)
    return _bce_with_logits(x, y, w, pw, reduction)


def hinge_loss(scores: Tensor, y: Any) -> Tensor:
    """The original micrograd demo's max-margin loss: mean of relu(1 - y * scores).

    ``y`` holds labels -1 or +1, of the same shape as ``scores``.
    """
    tensor_arg(scores, "hinge_loss scores")
    labels = _target(y, "hinge_loss labels", scores)
    if scores._data.size == 0:
        raise ValueError("hinge_loss of an empty batch")
    return _hinge(scores, labels)


# --------------------------------------------------------------------- the fused nodes


def _mse_loss(input: Tensor, target: Tensor | ndarray, reduction: str) -> Tensor:
    """(input - target)**2 per entry, reduced; the two tensors have the same shape."""
    target = _operand(target)
    diff = input._data - target._data
    out, scale = _reduce(diff * diff, reduction)
    return _result(out, "mse_loss", (input, target), (diff, scale), _needs_grad(input, target))


def _mse_grad(g: ndarray, ans: ndarray, ctx: tuple, sign: float) -> ndarray:
    diff, scale = ctx  # d/dx (x - y)^2 = 2 (x - y); d/dy the negative
    grad = diff * g
    grad *= 2 * sign * scale
    return grad


VJPS["mse_loss"] = (
    lambda g, ans, ctx: _mse_grad(g, ans, ctx, 1.0),
    lambda g, ans, ctx: _mse_grad(g, ans, ctx, -1.0),
)
RULE_TEXT["mse_loss"] = ("2 * (a - b) * grad * scale", "-2 * (a - b) * grad * scale")


def _l1_loss(input, target: Tensor | ndarray, reduction: str) -> Tensor:
    """|input - target| per entry, reduced; the derivative at 0 is 0, as PyTorch's sign."""
    target = _operand(target)
    diff = input._data - target._data
    out, scale = _reduce(np.abs(diff), reduction)
    return _result(out, "l1_loss", (input, target), (diff, scale), _needs_grad(input, target))


def _l1_grad(g: ndarray, ans: ndarray, ctx: tuple, sign: float) -> ndarray:
    diff, scale = ctx
    grad = np.sign(diff)
    grad *= g
    grad *= sign * scale
    return grad


VJPS["l1_loss"] = (
    lambda g, ans, ctx: _l1_grad(g, ans, ctx, 1.0),
    lambda g, ans, ctx: _l1_grad(g, ans, ctx, -1.0),
)
RULE_TEXT["l1_loss"] = ("np.sign(a - b) * grad * scale", "-np.sign(a - b) * grad * scale")


def _huber(
    input: Tensor, target: Tensor | ndarray, reduction: str, delta: float, factor: float, op: str
) -> Tensor:
    """``factor`` times the Huber loss per entry, reduced: 0.5 d**2 where |d| < delta, else
    delta (|d| - 0.5 delta), d = input - target. huber_loss has factor 1, smooth_l1_loss
    1 / beta (with delta = beta). Its rule is factor * clip(d, -delta, delta): d inside,
    ±delta outside, continuous at |d| = delta."""
    target = _operand(target)
    diff = input._data - target._data
    a = np.abs(diff)
    loss = np.where(a < delta, 0.5 * diff * diff, delta * (a - 0.5 * delta))
    if factor != 1:
        loss *= factor
    out, scale = _reduce(loss, reduction)
    ctx = (diff, delta, factor, scale)
    return _result(out, "huber", (input, target), ctx, _needs_grad(input, target))


def _huber_grad(g: ndarray, ans: ndarray, ctx: tuple, sign: float) -> ndarray:
    diff, delta, factor, scale = ctx
    grad = np.clip(diff, -delta, delta)
    grad *= g
    grad *= sign * factor * scale
    return grad


VJPS["huber"] = (
    lambda g, ans, ctx: _huber_grad(g, ans, ctx, 1.0),
    lambda g, ans, ctx: _huber_grad(g, ans, ctx, -1.0),
)
RULE_TEXT["huber"] = (
    "factor * np.clip(a - b, -delta, delta) * grad * scale",
    "-factor * np.clip(a - b, -delta, delta) * grad * scale",
)


def _binary_cross_entropy(
    input: Tensor, target: Tensor | ndarray, weight: ndarray | None, reduction: str
) -> Tensor:
    """-w (y log p + (1 - y) log(1 - p)) per entry for probabilities p = input in [0, 1] and
    targets y, each log clamped at -100 as PyTorch (so p = 0 or 1 gives a finite loss)."""
    target = _operand(target)
    p, y = input._data, target._data
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100)
        log_q = np.maximum(np.log1p(-p), -100)
    loss = log_p - log_q
    loss *= y
    loss += log_q
    loss *= -1
    if weight is not None:
        loss *= weight
    out, scale = _reduce(loss, reduction)
    ctx = (p, y, log_p, log_q, weight, scale)
    return _result(out, "binary_cross_entropy", (input, target), ctx, _needs_grad(input, target))


def _bce_grad_p(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    p, y, _, _, weight, scale = ctx  # d/dp = w (p - y) / max(p (1 - p), eps), as PyTorch
    grad = p - y
    grad /= np.maximum(p * (1 - p), _BCE_EPS)
    return _weighted(grad, g, weight, scale)


def _bce_grad_y(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    _, _, log_p, log_q, weight, scale = ctx  # d/dy = -w (log p - log(1 - p))
    return _weighted(log_q - log_p, g, weight, scale)


def _weighted(grad: ndarray, g: ndarray, weight: ndarray | None, scale: float) -> ndarray:
    """grad * g * scale * weight, in place on ``grad`` (a fresh array)."""
    grad *= g
    if scale != 1:
        grad *= scale
    if weight is not None:
        grad *= weight
    return grad


_BCE_EPS = float(np.float32(1e-12))  # PyTorch's EPSILON is the float32 nearest 1e-12


VJPS["binary_cross_entropy"] = (_bce_grad_p, _bce_grad_y)
RULE_TEXT["binary_cross_entropy"] = (
    "(a - b) / np.maximum(a * (1 - a), eps) * grad * scale * weight",
    "(np.maximum(np.log1p(-a), -100) - np.maximum(np.log(a), -100)) * grad * scale * weight",
)


def _bce_with_logits(
    input: Tensor,
    target: Tensor | ndarray,
    weight: ndarray | None,
    pos_weight: ndarray | None,
    reduction: str,
) -> Tensor:
    """-w (pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))) per entry for logits x = input,
    computed as PyTorch does, (1 - y) x + (1 + (pw - 1) y) softplus(-x), which never
    exponentiates a positive number. The rule is w ((1 - y) - (1 + (pw - 1) y) sigmoid(-x)),
    sigmoid(x) - y without pos_weight.
    """
    target = _operand(target)
    x, y = input._data, target._data
    softplus = np.log1p(np.exp(-np.abs(x)))  # exp of a non-positive number: never overflows
    softplus += np.maximum(-x, 0)  # softplus(-x)
    loss = (1 - y) * x
    if pos_weight is not None:
        softplus_w = softplus * ((pos_weight - 1) * y + 1)
        loss += softplus_w
    else:
        loss += softplus
    if weight is not None:
        loss *= weight
    out, scale = _reduce(loss, reduction)
    ctx = (x, y, softplus, weight, pos_weight, scale)
    return _result(out, "bce_with_logits", (input, target), ctx, _needs_grad(input, target))


def _bce_logits_grad_x(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    x, y, _, weight, pos_weight, scale = ctx
    sig_neg = _sigmoid(-x)
    if pos_weight is None:
        grad = 1 - y
        grad -= sig_neg
    else:
        grad = (pos_weight - 1) * y + 1
        grad *= -sig_neg
        grad += 1 - y
    return _weighted(grad, g, weight, scale)


def _bce_logits_grad_y(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    x, _, softplus, weight, pos_weight, scale = ctx  # d/dy = w (-x + (pw - 1) softplus(-x))
    grad = -x if pos_weight is None else (pos_weight - 1) * softplus - x
    return _weighted(grad, g, weight, scale)


VJPS["bce_with_logits"] = (_bce_logits_grad_x, _bce_logits_grad_y)
RULE_TEXT["bce_with_logits"] = (
    "(1 - b - sigmoid(-a)) * grad * scale * weight if no_pos_weight"
    " else (1 - b - ((pos_weight - 1) * b + 1) * sigmoid(-a)) * grad * scale * weight",
    "-a * grad * scale * weight if no_pos_weight"
    " else ((pos_weight - 1) * softplus(-a) - a) * grad * scale * weight",
)


def _hinge(input: Tensor, labels: Tensor | ndarray) -> Tensor:
    """mean(relu(1 - labels * input)) for ±1 ``labels`` of input's shape, input non-empty
    (``nn.functional.hinge_loss`` checks them, then calls this).

    Fused: the composite (multiply, negate, add, relu, sum, scale) takes six nodes and about
    a sixth of the original demo's step; this rule is -labels * [margin > 0] / n.
    """
    labels = _operand(labels)
    y, s = labels._data, input._data
    margin = 1 - y * s
    loss = np.maximum(margin, 0).sum() / margin.size  # .mean()'s arithmetic, not its overhead
    return _result(
        loss,
        "hinge",
        (input, labels),
        (margin, y, s),
        input.requires_grad or labels.requires_grad,
    )


def _hinge_grad(g: ndarray, margin: ndarray, factor: ndarray) -> ndarray:
    # ans = mean(max(margin, 0)) with margin = 1 - y * s: d/ds = -y [margin > 0] / n, and
    # d/dy the same with s for y. Built in place on a float mask, as relu's rule, with the
    # 0-d g folded into one number.
    grad = (margin > 0).astype(margin.dtype)
    grad *= factor
    grad *= float(g) * (-1 / margin.size)
    return grad


VJPS["hinge"] = (  # operands (s, y), ctx = (1 - y * s, y, s)
    lambda g, ans, ctx: _hinge_grad(g, ctx[0], ctx[1]),
    lambda g, ans, ctx: _hinge_grad(g, ctx[0], ctx[2]),
)
RULE_TEXT["hinge"] = (
    "(1 - b * a > 0) * b * grad * (-1 / a.size)",
    "(1 - b * a > 0) * a * grad * (-1 / a.size)",
)
