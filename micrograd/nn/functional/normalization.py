"""The normalizations: ``layer_norm``, ``batch_norm`` and ``normalize``, each its checks, its
forward and its rule in one place.

Each is one node whose rule is the exact derivative of the whole normalization. As a
composite, layer norm takes eight to nine nodes (mean, subtract, square, mean, add, pow,
multiply, scale, shift) and twice the passes over the data; batch norm the same plus the
running statistics. ``nn.functional`` checks the arguments and calls these.

The normalization rule, shared by layer and batch norm: with xhat = (x - mean) * rstd over
n entries and gx = d(loss)/d(xhat),
d(loss)/dx = rstd * (gx - mean(gx) - xhat * mean(gx * xhat)).

>>> from micrograd import Tensor
>>> [round(v, 6) for v in normalize(Tensor([[3.0, 4.0]]))[0].tolist()]
[0.6, 0.8]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from micrograd.nn.functional._args import float_arg
from micrograd.nn.functional._args import tensor_arg as _tensor
from micrograd.tensors import RULE_TEXT, VJPS, Tensor
from micrograd.tensors._rows import col_sum, row_dot, row_sum
from micrograd.tensors._shapes import normalize_dim
from micrograd.tensors.conversion import in_float32
from micrograd.tensors.core import _result, ndarray
from micrograd.tensors.dtypes import is_bfloat16
from micrograd.tensors.errors import ShapeError


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the last len(normalized_shape) dims (mean 0, biased variance 1, eps
    added to the variance), then ``* weight + bias`` (both of shape normalized_shape).
    One fused node with the exact rule.

    >>> [round(v, 4) for v in layer_norm(Tensor([[1.0, 3.0]]), (2,))[0].tolist()]
    [-1.0, 1.0]
    """
    float_arg(input, "layer_norm input")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.shape[input.ndim - k :] != shape or k > input.ndim:
        raise ShapeError(
            f"layer_norm: normalized_shape={list(shape)} expects an input of shape "
            f"(*, {', '.join(map(str, shape))}), got {input.shape}"
        )
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and _tensor(t, f"layer_norm {name}").shape != shape:
            raise ShapeError(
                f"layer_norm {name} must have shape normalized_shape={shape}, got {t.shape}"
            )
    if is_bfloat16(input._data.dtype):  # in float32, rounded once, as PyTorch's CPU (a float32
        # weight and bias, passed by keyword, are used as they are)
        dtype = input._data.dtype
        return in_float32(_layer_norm, dtype, input, k, weight=weight, bias=bias, eps=eps)
    return _layer_norm(input, k, weight, bias, float(eps))


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (dim 1) of input (N, C, ...) over every other dim, then
    ``* weight + bias`` (C,). Training: with the batch's statistics, updating the running
    ones in place (momentum, unbiased variance) as PyTorch; evaluation: with the running ones.
    """
    float_arg(input, "batch_norm input")
    if input.ndim < 2:
        raise ShapeError(f"batch_norm expects an input of shape (N, C, ...), got {input.shape}")
    channels = input.shape[1]
    stats = []
    for t, name in (
        (running_mean, "running_mean"),
        (running_var, "running_var"),
        (weight, "weight"),
        (bias, "bias"),
    ):
        if t is not None and _tensor(t, f"batch_norm {name}").shape != (channels,):
            raise ShapeError(
                f"batch_norm {name} must have shape ({channels},) for an input of shape "
                f"{input.shape}, got {t.shape}"
            )
        stats.append(None if t is None else t._data)
    if training:
        if input._data.size // channels <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{input.shape}"
            )
    elif running_mean is None or running_var is None:
        raise ValueError("batch_norm needs running_mean and running_var in evaluation mode")
    return _batch_norm(
        input, stats[0], stats[1], weight, bias, bool(training), float(momentum), float(eps)
    )


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None
) -> Tensor:
    """input / max(||input||_p, eps) along ``dim``: unit p-norm vectors (p >= 1, finite)."""
    float_arg(input, "normalize input")
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    if not (math.isfinite(p) and p >= 1):
        raise ValueError(f"normalize supports finite p >= 1, got p={p}")
    return _normalize(input, float(p), normalize_dim(dim, input.ndim), float(eps))


# --------------------------------------------------------------------- the fused nodes


def _sum_over(x: ndarray, axes: tuple[int, ...]) -> ndarray:
    """x summed over ``axes``, kept as size-1 dims; for (N, C), ones @ x through BLAS."""
    if axes == (0,) and x.ndim == 2:
        return col_sum(x)[None, :]
    return np.add.reduce(x, axis=axes, keepdims=True)


def _normalized_grad(gx: ndarray, xhat: ndarray, rstd: ndarray, axes: tuple[int, ...]) -> ndarray:
    """rstd * (gx - mean(gx) - xhat * mean(gx * xhat)) over ``axes``; gx is overwritten."""
    inv_n = 1 / (xhat.size // rstd.size)
    mean_g = _sum_over(gx, axes)
    mean_g *= inv_n
    prod = gx * xhat
    mean_gx = _sum_over(prod, axes)
    mean_gx *= inv_n
    gx -= mean_g
    np.multiply(xhat, mean_gx, out=prod)
    gx -= prod
    gx *= rstd
    return gx


def _scale_shift(xhat: ndarray, w: ndarray | None, b: ndarray | None) -> ndarray:
    """xhat * w + b, with w and b optional; a fresh array (xhat is kept for the rule)."""
    out = xhat * w if w is not None else xhat.copy()
    if b is not None:
        out += b
    return out


def _operands(x: Tensor, weight: Tensor | None, bias: Tensor | None) -> tuple[tuple, bool]:
    """The node's operands (x, then weight and bias where given) and whether it needs grad."""
    prev = (x,) + tuple(t for t in (weight, bias) if t is not None)
    return prev, any(t.requires_grad for t in prev)


# --------------------------------------------------------------------- layer norm


def _layer_norm(
    input: Tensor, k: int, weight: Tensor | None, bias: Tensor | None, eps: float
) -> Tensor:
    """Normalize over the last ``k`` dims to mean 0 and variance 1 (biased), then scale by
    ``weight`` and shift by ``bias`` (both of the last k dims' shape, or None).

    Computed on a (rows, features) view, each row's statistics by the row reductions of
    ``_rows`` (BLAS products), which NumPy's own reductions over short rows are slower than.
    As PyTorch's kernel, it keeps the rows' means and 1/std for the rule, not the normalized
    rows: the output is then the forward's only fresh array (a fresh array is written to
    memory no longer in the cache, which costs more than a pass over data that is), and the
    rule forms the normalized rows again where it writes its own gradients.
    """
    x = input._data
    lead = x.ndim - k
    x2 = x.reshape(math.prod(x.shape[:lead]), math.prod(x.shape[lead:]))
    inv_n = 1 / x2.shape[1] if x2.shape[1] else math.nan
    mean = (row_sum(x2) * inv_n)[:, None]
    out = x2 - mean
    var = row_dot(out, out)
    var *= inv_n
    var += eps
    rstd = np.sqrt(var, out=var)[:, None]
    np.divide(1, rstd, out=rstd)
    out *= rstd
    # The weight in x's dtype, so the output and the rules (which write into float arrays of
    # x's dtype where they can) compute in one dtype whatever the parameters' dtype.
    w = None if weight is None else weight._data.reshape(-1).astype(out.dtype, copy=False)
    if w is not None:
        out *= w
    if bias is not None:
        out += bias._data.reshape(-1)
    prev, needs_grad = _operands(input, weight, bias)
    op = _LAYER_NORM_OPS[weight is not None, bias is not None]
    ctx = _NormRows(x2, mean, rstd, w, x.shape[lead:])
    return _result(out.reshape(x.shape), op, prev, ctx, needs_grad)


class _NormRows:
    """What layer norm's rules need: the input rows, their means and 1/std, the weight
    (flat, or None) and the normalized shape; and the normalized rows once a rule formed
    them, kept for the node's other rules."""

    __slots__ = ("x2", "mean", "rstd", "w", "shape", "xhat")

    def __init__(
        self, x2: ndarray, mean: ndarray, rstd: ndarray, w: ndarray | None, shape: tuple
    ) -> None:
        self.x2, self.mean, self.rstd, self.w, self.shape = x2, mean, rstd, w, shape
        self.xhat = None

    def normalized(self) -> ndarray:
        """(x - mean) * rstd, as the forward formed it (bit for bit); kept once formed."""
        if self.xhat is None:
            self.xhat = self.x2 - self.mean
            self.xhat *= self.rstd
        return self.xhat


def _layer_norm_grad_x(g: ndarray, ans: ndarray, ctx: _NormRows) -> ndarray:
    xhat = ctx.normalized()  # the normalization rule (module docstring), along rows
    w = ctx.w
    gx = np.multiply(g, w.reshape(ctx.shape), order="C") if w is not None else g.copy()
    _layer_norm_rows(gx.reshape(xhat.shape), xhat.copy(), ctx.rstd)  # (a view: into gx)
    return gx


def _layer_norm_rows(gx: ndarray, xhat: ndarray, rstd: ndarray) -> ndarray:
    """rstd * (gx - mean(gx) - xhat * mean(gx * xhat)) along rows, formed in gx; xhat is
    overwritten."""
    inv_n = 1 / xhat.shape[1]
    mean_gx = row_dot(gx, xhat)
    mean_gx *= inv_n
    gx -= (row_sum(gx) * inv_n)[:, None]
    xhat *= mean_gx[:, None]
    gx -= xhat
    gx *= rstd
    return gx


def _layer_norm_grad_w(g: ndarray, ans: ndarray, ctx: _NormRows) -> ndarray:
    xhat = ctx.normalized()  # d/dw = sum over rows of g * xhat
    return np.einsum("ij,ij->j", g.reshape(xhat.shape), xhat).reshape(ctx.shape)


def _layer_norm_grad_b(g: ndarray, ans: ndarray, ctx: _NormRows) -> ndarray:
    return col_sum(g.reshape(ctx.x2.shape)).reshape(ctx.shape)  # d/db = g summed over rows


# One name per combination of operands, since a node's rules follow its operands in order.
_LAYER_NORM_OPS = {
    (False, False): "layer_norm",
    (True, False): "layer_norm_w",
    (False, True): "layer_norm_b",
    (True, True): "layer_norm_wb",
}
VJPS["layer_norm"] = (_layer_norm_grad_x,)
VJPS["layer_norm_w"] = (_layer_norm_grad_x, _layer_norm_grad_w)
VJPS["layer_norm_b"] = (_layer_norm_grad_x, _layer_norm_grad_b)
VJPS["layer_norm_wb"] = (_layer_norm_grad_x, _layer_norm_grad_w, _layer_norm_grad_b)
# The normalization rule (module docstring) with gx the gradient of the normalized input.
_LAYER_NORM_X = (
    "rstd * (grad - grad.mean(dims, keepdims=True)"
    " - xhat * (grad * xhat).mean(dims, keepdims=True))"
)
_LAYER_NORM_WX = (  # gx = grad * weight
    "rstd * (grad * b - (grad * b).mean(dims, keepdims=True)"
    " - xhat * (grad * b * xhat).mean(dims, keepdims=True))"
)
RULE_TEXT["layer_norm"] = (_LAYER_NORM_X,)
RULE_TEXT["layer_norm_w"] = (_LAYER_NORM_WX, "(grad * xhat).sum(lead)")
RULE_TEXT["layer_norm_b"] = (_LAYER_NORM_X, "grad.sum(lead)")
RULE_TEXT["layer_norm_wb"] = (_LAYER_NORM_WX, "(grad * xhat).sum(lead)", "grad.sum(lead)")


# --------------------------------------------------------------------- batch norm


def _batch_norm(
    input: Tensor,
    running_mean: ndarray | None,
    running_var: ndarray | None,
    weight: Tensor | None,
    bias: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
) -> Tensor:
    """Normalize each channel (axis 1) of input (N, C, ...) over every other axis, then scale
    and shift by ``weight`` and ``bias`` (C,).

    Training: with the batch's mean and biased variance, and, where given, the running
    statistics updated in place as PyTorch does: ``running = (1 - momentum) * running +
    momentum * batch``, the variance unbiased (n / (n - 1)). Evaluation: with the running
    statistics, so each channel is one affine map.
    """
    x = input._data
    axes = (0,) + tuple(range(2, x.ndim))
    kept = tuple(n if i == 1 else 1 for i, n in enumerate(x.shape))
    if training:
        n = x.size // x.shape[1]
        mean = _sum_over(x, axes)
        mean *= 1 / n
        xhat = x - mean
        var = _sum_over(xhat * xhat, axes)
        var *= 1 / n
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += (momentum * mean).reshape(-1).astype(running_mean.dtype)
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += (momentum * n / (n - 1) * var).reshape(-1).astype(running_var.dtype)
        var += eps
        rstd = np.sqrt(var, out=var)
    else:
        mean, var = running_mean.reshape(kept), running_var.reshape(kept)
        xhat = x - mean.astype(x.dtype, copy=False)
        rstd = np.sqrt(var + eps).astype(x.dtype, copy=False)
    np.divide(1, rstd, out=rstd)
    xhat *= rstd
    w = None if weight is None else weight._data.reshape(kept)
    b = None if bias is None else bias._data.reshape(kept)
    prev, needs_grad = _operands(input, weight, bias)
    op = _BATCH_NORM_OPS[weight is not None, bias is not None]
    return _result(_scale_shift(xhat, w, b), op, prev, (xhat, rstd, w, axes, training), needs_grad)


def _batch_norm_grad_x(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    xhat, rstd, w, axes, training = ctx
    gx = g * w if w is not None else g.copy()
    if not training:  # the statistics are constants: an affine map per channel
        gx *= rstd
        return gx
    return _normalized_grad(gx, xhat, rstd, axes)


def _batch_norm_grad_w(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    xhat, axes = ctx[0], ctx[3]
    return _sum_over(g * xhat, axes).reshape(-1)


def _batch_norm_grad_b(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    return _sum_over(g, ctx[3]).reshape(-1)


_BATCH_NORM_OPS = {
    (False, False): "batch_norm",
    (True, False): "batch_norm_w",
    (False, True): "batch_norm_b",
    (True, True): "batch_norm_wb",
}
VJPS["batch_norm"] = (_batch_norm_grad_x,)
VJPS["batch_norm_w"] = (_batch_norm_grad_x, _batch_norm_grad_w)
VJPS["batch_norm_b"] = (_batch_norm_grad_x, _batch_norm_grad_b)
VJPS["batch_norm_wb"] = (_batch_norm_grad_x, _batch_norm_grad_w, _batch_norm_grad_b)
# Training: the normalization rule, the batch's statistics depending on x; evaluation: the
# statistics are constants, an affine map. gx = grad * weight, the weight along the channels.
_BATCH_NORM_X = (
    "rstd * (grad - grad.mean(axes, keepdims=True)"
    " - xhat * (grad * xhat).mean(axes, keepdims=True)) if training else grad * rstd"
)
_BATCH_NORM_WX = (
    "rstd * (grad * b.reshape(kept) - (grad * b.reshape(kept)).mean(axes, keepdims=True)"
    " - xhat * (grad * b.reshape(kept) * xhat).mean(axes, keepdims=True))"
    " if training else grad * b.reshape(kept) * rstd"
)
RULE_TEXT["batch_norm"] = (_BATCH_NORM_X,)
RULE_TEXT["batch_norm_w"] = (_BATCH_NORM_WX, "(grad * xhat).sum(axes)")
RULE_TEXT["batch_norm_b"] = (_BATCH_NORM_X, "grad.sum(axes)")
RULE_TEXT["batch_norm_wb"] = (_BATCH_NORM_WX, "(grad * xhat).sum(axes)", "grad.sum(axes)")


# --------------------------------------------------------------------- Lp normalization


def _normalize(input: Tensor, p: float, dim: int, eps: float) -> Tensor:
    """input / max(||input||_p, eps) along ``dim`` (a non-negative int), as PyTorch's
    ``normalize``. One node, where the composite (abs, pow, sum, pow, clamp, divide) takes
    six; p = 2 takes the sum of squares directly.
    """
    x = input._data
    if p == 2:
        norm = np.sqrt(np.add.reduce(x * x, axis=dim, keepdims=True))
    elif p == 1:
        norm = np.add.reduce(np.abs(x), axis=dim, keepdims=True)
    else:
        norm = np.add.reduce(np.abs(x) ** p, axis=dim, keepdims=True) ** (1 / p)
    denom = np.maximum(norm, eps)
    out = x / denom
    return _result(out, "normalize", (input,), (x, norm, denom, p, dim, eps), input.requires_grad)


def _normalize_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    # ans = x / d, d = max(n, eps), n = ||x||_p. Where n >= eps (d = n):
    # d/dx_j = (g_j - sum_k(g_k ans_k) * sign(x_j) |x_j|^(p-1) / n^(p-1)) / d; else g / d.
    x, norm, denom, p, dim, eps = ctx
    dot = np.add.reduce(g * ans, axis=dim, keepdims=True)
    dot *= norm >= eps
    if p == 2:
        dn = ans  # x / n
    elif p == 1:
        dn = np.sign(x)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            dn = np.sign(x) * (np.abs(x) / np.where(norm > 0, norm, 1)) ** (p - 1)
    grad = g - dot * dn
    grad /= denom
    return grad


VJPS["normalize"] = (_normalize_grad,)
RULE_TEXT["normalize"] = (  # d/dx of x / max(||x||_p, eps), by p
    "(grad - (grad * out).sum(dim, keepdims=True) * (norm >= eps) * out) / denom if p_is_2"
    " else (grad - (grad * out).sum(dim, keepdims=True) * (norm >= eps) * np.sign(a)) / denom"
    " if p_is_1"
    " else (grad - (grad * out).sum(dim, keepdims=True) * (norm >= eps) * np.sign(a)"
    " * (np.abs(a) / np.where(norm > 0, norm, 1)) ** (p - 1)) / denom",
)
