"""The losses of ``nn.functional`` (exported there): argument checks, then one fused node.

Each takes PyTorch's arguments, in PyTorch's order (the legacy ``size_average`` and
``reduce`` included, with PyTorch's warning), and returns what PyTorch returns: a 0-d
tensor for ``reduction='mean'`` or ``'sum'``, the per-entry losses for ``'none'``. Inputs
and targets of different shapes are an error naming both, where PyTorch would broadcast
them with a warning: (N, 1) against (N,) silently computes an (N, N) loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.nn._functional_util import check_reduction, tensor_arg
from micrograd.tensors import Tensor

__all__ = [
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "hinge_loss",
]


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
        raise ValueError(
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
        x = x.data
    array = np.asarray(x, dtype=like.dtype)
    try:
        fits = np.broadcast_shapes(array.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name} of shape {array.shape} does not broadcast to shape {shape}")
    return array


def _classes(x: Tensor, name: str) -> int:
    if x.ndim == 0:
        raise ValueError(f"{name} expects an input of shape (N, C, ...) or (C,), got ()")
    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    if classes == 0:
        raise ValueError(f"{name} input of shape {x.shape} has no classes (dim 1 is empty)")
    return classes


def _class_indices(
    target: Any, x: Tensor, classes: int, ignore_index: int, name: str
) -> tuple[np.ndarray, int | None]:
    """``target`` as an integer array of the input's shape less its class dim, each entry a
    class in [0, classes) or ``ignore_index``; and ``ignore_index`` if some entry holds it,
    None if none does (so the loss can skip masking)."""
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"{name} target must hold integer class indices (or class probabilities of the "
            f"input's shape {x.shape}), got dtype {t.dtype} and shape {t.shape}"
        )
    expected = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    if t.shape != expected:
        raise ValueError(
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

    >>> float(cross_entropy(Tensor([[0.0, 0.0], [5.0, 0.0]]), [0, -1], ignore_index=-1).data)
    0.6931471805599453
    """
    x = tensor_arg(input, "cross_entropy input")
    reduction = check_reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    classes = _classes(x, "cross_entropy")
    w = _constant(weight, "cross_entropy weight", x, (classes,))
    if w is not None and w.shape != (classes,):
        raise ValueError(f"cross_entropy weight must have shape ({classes},), got {w.shape}")
    t = target.data if isinstance(target, Tensor) else target
    if getattr(t, "dtype", None) is not None and t.dtype.kind == "f" and t.shape == x.shape:
        if ignore_index >= 0:
            raise ValueError("cross_entropy: ignore_index is not supported for probability targets")
        probs = _target(target, "cross_entropy target", x)
        return x._cross_entropy_probs(probs, w, reduction, float(label_smoothing))
    t, ignored = _class_indices(target, x, classes, ignore_index, "cross_entropy")
    return x._cross_entropy(t, w, ignored, reduction, float(label_smoothing))


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
    x = tensor_arg(input, "nll_loss input")
    reduction = check_reduction(reduction, size_average, reduce)
    classes = _classes(x, "nll_loss")
    w = _constant(weight, "nll_loss weight", x, (classes,))
    if w is not None and w.shape != (classes,):
        raise ValueError(f"nll_loss weight must have shape ({classes},), got {w.shape}")
    t, ignored = _class_indices(target, x, classes, ignore_index, "nll_loss")
    return x._nll_loss(t, w, ignored, reduction)


# --------------------------------------------------------------------- pointwise losses


def _weighted_mean(per_entry: Tensor, weight: Any, reduction: str, name: str) -> Tensor:
    """PyTorch's weighted mse/l1: the per-entry losses times ``weight`` (the input's shape),
    then 'mean' divides by weight.sum(); composed, so a weight Tensor gets its gradient."""
    w = weight if isinstance(weight, Tensor) else np.asarray(weight, dtype=per_entry.dtype)
    if tuple(w.shape) != per_entry.shape:
        raise ValueError(
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
    x = tensor_arg(input, "mse_loss input")
    reduction = check_reduction(reduction, size_average, reduce)
    y = _target(target, "mse_loss target", x)
    if weight is not None:
        return _weighted_mean(x._mse_loss(y, "none"), weight, reduction, "mse_loss")
    return x._mse_loss(y, reduction)


def l1_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """|input - target| per entry, reduced; shapes must match. Both may require grad."""
    x = tensor_arg(input, "l1_loss input")
    reduction = check_reduction(reduction, size_average, reduce)
    y = _target(target, "l1_loss target", x)
    if weight is not None:
        return _weighted_mean(x._l1_loss(y, "none"), weight, reduction, "l1_loss")
    return x._l1_loss(y, reduction)


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
    x = tensor_arg(input, "binary_cross_entropy input")
    reduction = check_reduction(reduction, size_average, reduce)
    y = _target(target, "binary_cross_entropy target", x)
    p = x.data
    if p.size and not (
        np.minimum.reduce(p, axis=None) >= 0 and np.maximum.reduce(p, axis=None) <= 1
    ):
        raise ValueError(
            "binary_cross_entropy: all elements of input should be between 0 and 1 (pass "
            "probabilities, or use binary_cross_entropy_with_logits on logits)"
        )
    w = _constant(weight, "binary_cross_entropy weight", x, x.shape)
    return x._binary_cross_entropy(y, w, reduction)


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
    x = tensor_arg(input, "binary_cross_entropy_with_logits input")
    reduction = check_reduction(reduction, size_average, reduce)
    y = _target(target, "binary_cross_entropy_with_logits target", x)
    name = "binary_cross_entropy_with_logits"
    w = _constant(weight, f"{name} weight", x, x.shape)
    pw = _constant(pos_weight, f"{name} pos_weight", x, x.shape)
    return x._bce_with_logits(y, w, pw, reduction)


def hinge_loss(scores: Tensor, y: Any) -> Tensor:
    """The original micrograd demo's max-margin loss: mean of relu(1 - y * scores).

    ``y`` holds labels -1 or +1, of the same shape as ``scores``.
    """
    tensor_arg(scores, "hinge_loss scores")
    labels = _target(y, "hinge_loss labels", scores)
    if scores.data.size == 0:
        raise ValueError("hinge_loss of an empty batch")
    return scores._hinge(labels)
