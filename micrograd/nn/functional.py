"""Linear, activations and losses on ``Tensor``s, as PyTorch's ``torch.nn.functional`` (import
as F).

Everything here is written through the tensor engine's primitives, so none of it needs a
derivative rule of its own; linear, ``log_softmax``, cross-entropy and the hinge loss are
fused primitives there (for speed, and stability at logits of ±1000). Losses average over
every element and return a 0-d tensor.

>>> import numpy as np
>>> from micrograd import Tensor
>>> logits = Tensor([[2.0, 0.0, -1.0], [0.0, 1000.0, -1000.0]], requires_grad=True)
>>> loss = cross_entropy(logits, np.array([0, 1]))
>>> loss.backward()
>>> round(loss.item(), 4), logits.grad.shape
(0.0849, (2, 3))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.tensors import Tensor

__all__ = [
    "linear",
    "relu",
    "tanh",
    "sigmoid",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "mse_loss",
    "binary_cross_entropy_with_logits",
    "hinge_loss",
]


def _tensor(x: Any, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(x).__name__}")
    return x


def _target(target: Any, name: str, like: Tensor) -> Tensor | np.ndarray:
    """A target as a Tensor (kept, so it may be differentiable) or a float ndarray of
    ``like``'s shape; shapes must match exactly, since broadcasting (N, 1) against (N,) would
    silently compute an (N, N) loss."""
    if not isinstance(target, Tensor):
        try:
            target = np.asarray(target, dtype=like.dtype)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be a Tensor or an array of numbers, got {type(target).__name__}"
            ) from None
    if target.shape != like.shape:
        raise ValueError(
            f"{name} has shape {tuple(target.shape)} but the input has shape {like.shape}; "
            "they must match (reshape one of them)"
        )
    return target


# --------------------------------------------------------------------- layers


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias``, as ``torch.nn.functional.linear``: one fused primitive.

    ``x`` has shape (..., in), ``weight`` (out, in), ``bias`` (out,) or None; the result has
    shape (..., out), so a 1-D input (in,) gives (out,).

    >>> x = Tensor([[1.0, 2.0]])
    >>> linear(x, Tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]]), Tensor([0.0, 0.5, 1.0])).data
    array([[ 1. ,  3.5, -1. ]])
    """
    if not isinstance(x, Tensor):
        raise TypeError(
            f"linear expects a Tensor input, got {type(x).__name__}; wrap it: Tensor(x)"
        )
    _tensor(weight, "linear weight")
    x_shape, w_shape = x.data.shape, weight.data.shape  # .data's: cheaper than the properties
    if len(w_shape) != 2:
        raise ValueError(f"linear weight must have shape (out, in), got {w_shape}")
    if not x_shape or x_shape[-1] != w_shape[1]:
        raise ValueError(
            f"linear with a weight of shape {w_shape} expects inputs of shape "
            f"(..., {w_shape[1]}), got {x_shape}"
        )
    if bias is not None and _tensor(bias, "linear bias").data.shape != w_shape[:1]:
        raise ValueError(
            f"linear bias must have shape ({w_shape[0]},) for a weight of shape {w_shape}, "
            f"got {bias.shape}"
        )
    return x._linear(weight, bias)


# --------------------------------------------------------------------- activations


def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise."""
    return _tensor(x, "relu input").relu()


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise."""
    return _tensor(x, "tanh input").tanh()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise, stable for any x."""
    return _tensor(x, "sigmoid input").sigmoid()


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / exp(x).sum(axis), computed as exp(log_softmax(x)): stable for any logits."""
    return _tensor(x, "softmax input").softmax(axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x, axis): the log of softmax, without ever forming exp of a large number."""
    return _tensor(x, "log_softmax input").log_softmax(axis)


# --------------------------------------------------------------------- losses


def cross_entropy(logits: Tensor, targets: Any) -> Tensor:
    """Mean over the batch of -log softmax(logits)[i, targets[i]].

    ``logits`` has shape (N, C); ``targets`` holds N class indices in [0, C) (an integer
    array, list or Tensor). Stable for logits of any size.
    """
    _tensor(logits, "cross_entropy logits")
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, C), got {logits.shape}")
    n, classes = logits.shape
    t = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    if t.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy targets must be integer class indices, got dtype {t.dtype}")
    if t.shape != (n,):
        raise ValueError(f"cross_entropy targets must have shape ({n},), got {t.shape}")
    if n == 0:
        raise ValueError("cross_entropy of an empty batch")
    if np.minimum.reduce(t) < 0 or np.maximum.reduce(t) >= classes:  # t.min(), t.max(), faster
        bad = t[(t < 0) | (t >= classes)][0]
        raise ValueError(f"cross_entropy target {bad} is out of range for {classes} classes")
    return logits._cross_entropy(t)


def mse_loss(input: Tensor, target: Any) -> Tensor:
    """Mean of (input - target)**2 over every element; shapes must match."""
    _tensor(input, "mse_loss input")
    diff = input - _target(target, "mse_loss target", input)
    return (diff * diff).mean()


def binary_cross_entropy_with_logits(input: Tensor, target: Any) -> Tensor:
    """Mean of -[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] for logits x, targets y.

    Written as max(x, 0) - x*y + log(1 + exp(-|x|)), which never exponentiates a positive
    number. The branch of max and |.| is read off x's data once (a constant mask), taking
    x >= 0 as the positive side for both, so the gradient is sigmoid(x) - y everywhere,
    x = 0 included.
    """
    x = _tensor(input, "binary_cross_entropy_with_logits input")
    y = _target(target, "binary_cross_entropy_with_logits target", x)
    positive = (x.data >= 0).astype(x.dtype)  # constant: 1 where x >= 0
    sign = 2 * positive - 1  # constant: +1 / -1
    softplus_rest = ((x * -sign).exp() + 1).log()  # log(1 + exp(-|x|))
    return (x * positive - x * y + softplus_rest).mean()


def hinge_loss(scores: Tensor, y: Any) -> Tensor:
    """The original micrograd demo's max-margin loss: mean of relu(1 - y * scores).

    ``y`` holds labels -1 or +1, of the same shape as ``scores``.
    """
    _tensor(scores, "hinge_loss scores")
    labels = _target(y, "hinge_loss labels", scores)
    if scores.numel() == 0:
        raise ValueError("hinge_loss of an empty batch")
    return scores._hinge(labels)
