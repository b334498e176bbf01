"""Fused pointwise losses: each entry's loss from that entry of the input and of the target
(``mse``, ``l1``, binary cross-entropy on probabilities or on logits, ``hinge``), one node
each from the input to the reduced loss, its rule right below.

As in ``losses`` (whose docstring says what ``reduction`` and ``scale`` mean, and whose
helpers these share), ``nn.functional`` checks the arguments and calls these with checked
NumPy arguments.
"""

from __future__ import annotations

import numpy as np

from micrograd.tensors.activations import _sigmoid
from micrograd.tensors.core import VJPS, Tensor, _result, method, ndarray
from micrograd.tensors.losses import _needs_grad, _operand, _reduce


@method
def _mse_loss(self, target: Tensor | ndarray, reduction: str) -> Tensor:
    """(self - target)**2 per entry, reduced; the two tensors have the same shape."""
    target = _operand(target)
    diff = self.data - target.data
    out, scale = _reduce(diff * diff, reduction)
    return _result(out, "mse_loss", (self, target), (diff, scale), _needs_grad(self, target))


def _mse_grad(g: ndarray, ans: ndarray, ctx: tuple, sign: float) -> ndarray:
    diff, scale = ctx  # d/dx (x - y)^2 = 2 (x - y); d/dy the negative
    grad = diff * g
    grad *= 2 * sign * scale
    return grad


VJPS["mse_loss"] = (
    lambda g, ans, ctx: _mse_grad(g, ans, ctx, 1.0),
    lambda g, ans, ctx: _mse_grad(g, ans, ctx, -1.0),
)


@method
def _l1_loss(self, target: Tensor | ndarray, reduction: str) -> Tensor:
    """|self - target| per entry, reduced; the derivative at 0 is 0, as PyTorch's sign."""
    target = _operand(target)
    diff = self.data - target.data
    out, scale = _reduce(np.abs(diff), reduction)
    return _result(out, "l1_loss", (self, target), (diff, scale), _needs_grad(self, target))


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


@method
def _binary_cross_entropy(
    self, target: Tensor | ndarray, weight: ndarray | None, reduction: str
) -> Tensor:
    """-w (y log p + (1 - y) log(1 - p)) per entry for probabilities p = self in [0, 1] and
    targets y, each log clamped at -100 as PyTorch (so p = 0 or 1 gives a finite loss)."""
    target = _operand(target)
    p, y = self.data, target.data
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
    return _result(out, "binary_cross_entropy", (self, target), ctx, _needs_grad(self, target))


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


@method
def _bce_with_logits(
    self,
    target: Tensor | ndarray,
    weight: ndarray | None,
    pos_weight: ndarray | None,
    reduction: str,
) -> Tensor:
    """-w (pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))) per entry for logits x = self,
    computed as PyTorch does, (1 - y) x + (1 + (pw - 1) y) softplus(-x), which never
    exponentiates a positive number. The rule is w ((1 - y) - (1 + (pw - 1) y) sigmoid(-x)),
    sigmoid(x) - y without pos_weight.
    """
    target = _operand(target)
    x, y = self.data, target.data
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
    return _result(out, "bce_with_logits", (self, target), ctx, _needs_grad(self, target))


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


@method
def _hinge(self, labels: Tensor | ndarray) -> Tensor:
    """mean(relu(1 - labels * self)) for ±1 ``labels`` of self's shape, self non-empty
    (``nn.functional.hinge_loss`` checks them, then calls this).

    Fused: the composite (multiply, negate, add, relu, sum, scale) takes six nodes and about
    a sixth of the original demo's step; this rule is -labels * [margin > 0] / n.
    """
    labels = _operand(labels)
    y, s = labels.data, self.data
    margin = 1 - y * s
    loss = np.maximum(margin, 0).sum() / margin.size  # .mean()'s arithmetic, not its overhead
    return _result(
        loss,
        "hinge",
        (self, labels),
        (margin, y, s),
        self.requires_grad or labels.requires_grad,
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
