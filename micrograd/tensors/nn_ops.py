"""Fused network primitives: one node (and one rule) where the composite would take several.

Each is here because it is measurably faster or more stable than the same function written
through the primitives in ``ops`` (the reason is in each docstring). ``nn.functional`` checks
arguments and calls these.
"""

from __future__ import annotations

import numpy as np

from micrograd.tensors._shapes import ones
from micrograd.tensors.core import VJPS, Tensor, _result, method, ndarray


@method
def _linear(self, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``self @ weight.T + bias`` for self (..., in), weight (out, in), bias (out,) or None
    (``nn.functional.linear`` checks the shapes, then calls this).

    Fused: the composite (transpose, matmul, add) takes three nodes per layer; as one node
    the benchmark's demo step takes 123 instead of 139 us (1.72x -> 1.51x the NumPy floor).
    Its rule needs no unbroadcast: the bias gradient is ones @ g, a BLAS matrix-vector
    product over the batch rows, and the weight's is one (out, N) @ (N, in) product.
    """
    x, w = self.data, weight.data
    # BLAS reads the transposed view as it is: no copy. ndarray.dot rather than @ up to
    # 2-D: the same product without matmul's ufunc machinery (0.6-1.5 us less a call on
    # the demo's shapes, 10-40%); past 2-D, dot would leave BLAS, matmul batches.
    data = x.dot(w.T) if x.ndim <= 2 else x @ w.T
    if bias is None:
        return _result(
            data, "linear", (self, weight), (x, w), self.requires_grad or weight.requires_grad
        )
    b = bias.data
    if data.dtype is b.dtype:
        data += b  # in place: the product is a fresh array
    else:
        data = data + b  # mixed dtypes promote, as the composite's + would
    return _result(
        data,
        "linear",
        (self, weight, bias),
        (x, w),
        self.requires_grad or weight.requires_grad or bias.requires_grad,
    )


# The linear rules use ndarray.dot, not @, on 2-D arrays: see Tensor._linear.


def _linear_grad_x(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    w = ctx[1]  # ans = x @ w.T + b: (..., out) @ (out, in)
    return g.dot(w) if g.ndim <= 2 else g @ w


def _linear_grad_w(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    x = ctx[0]  # every leading axis of x and g is a batch axis: one (out, N) @ (N, in) product
    if g.ndim != 2:
        g, x = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
    return g.T.dot(x)


def _linear_grad_b(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    if g.ndim != 2:
        g = g.reshape(-1, g.shape[-1])
    return ones(len(g), g.dtype.char).dot(g)  # g summed over the batch rows, as in unbroadcast


VJPS["linear"] = (_linear_grad_x, _linear_grad_w, _linear_grad_b)  # ans = x @ w.T + b


@method
def log_softmax(self, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, computed as x - max - log(sum(exp(x - max))).

    A fused primitive: stable for any finite logits (±1000 included), and one node where
    the composite would need six.
    """
    x = self.data
    shifted = x - x.max(axis=axis, keepdims=True)
    return _result(
        shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True)),
        "log_softmax",
        (self,),
        axis,
        self.requires_grad,
    )


def _log_softmax_grad(g: ndarray, ans: ndarray, axis: int) -> ndarray:
    return g - np.exp(ans) * g.sum(axis=axis, keepdims=True)  # exp(ans) = softmax


VJPS["log_softmax"] = (_log_softmax_grad,)


@method
def _cross_entropy(self, targets: ndarray) -> Tensor:
    """Mean over rows of -log_softmax(self)[i, targets[i]], for (N, C) logits and N valid
    class indices (``nn.functional.cross_entropy`` checks them, then calls this).

    Fused: the composite (log_softmax, index, mean, negate) takes four nodes and
    twice the time in the MNIST-shaped benchmark; this rule is softmax - onehot.
    """
    x = self.data
    # np.maximum.reduce and np.add.reduce: .max() and .sum() without their Python wrappers
    shifted = x - np.maximum.reduce(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.add.reduce(np.exp(shifted), axis=1, keepdims=True))
    rows = np.arange(len(targets))
    loss = log_probs[rows, targets].sum() / -len(rows)  # -mean, minus np.mean's overhead
    return _result(loss, "cross_entropy", (self,), (log_probs, rows, targets), self.requires_grad)


def _cross_entropy_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    log_probs, rows, targets = ctx  # ans = -mean(log_probs[rows, targets])
    grad = np.exp(log_probs)  # softmax
    grad[rows, targets] -= 1
    grad *= g / len(rows)
    return grad


VJPS["cross_entropy"] = (_cross_entropy_grad,)


@method
def _hinge(self, labels: Tensor | ndarray) -> Tensor:
    """mean(relu(1 - labels * self)) for ±1 ``labels`` of self's shape, self non-empty
    (``nn.functional.hinge_loss`` checks them, then calls this).

    Fused: the composite (multiply, negate, add, relu, sum, scale) takes six nodes and about
    a sixth of the original demo's step; this rule is -labels * [margin > 0] / n.
    """
    if not isinstance(labels, Tensor):
        labels = _result(labels, "", (), None, False)
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
    # 0-d g folded into one number: 2.7 instead of 3.8 us on the demo's (100, 1) scores.
    grad = (margin > 0).astype(margin.dtype)
    grad *= factor
    grad *= float(g) * (-1 / margin.size)
    return grad


VJPS["hinge"] = (  # operands (s, y), ctx = (1 - y * s, y, s)
    lambda g, ans, ctx: _hinge_grad(g, ctx[0], ctx[1]),
    lambda g, ans, ctx: _hinge_grad(g, ctx[0], ctx[2]),
)


@method
def softmax(self, axis: int = -1) -> Tensor:
    """exp(log_softmax(x)): positive, sums to 1 along ``axis``, stable for any logits."""
    return self.log_softmax(axis).exp()
