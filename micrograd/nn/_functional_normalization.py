"""The normalizations of ``nn.functional`` (exported there): ``layer_norm``, ``batch_norm``
and ``normalize``. Each checks its arguments, then calls one fused primitive of
``tensors.normalization``. A file of its own, as the losses have, so that each of
``nn.functional``'s concerns sits in one file, matching the tensor engine's.

>>> from micrograd import Tensor
>>> normalize(Tensor([[3.0, 4.0]])).data
array([[0.6, 0.8]])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from micrograd.nn._functional_util import tensor_arg as _tensor
from micrograd.tensors import Tensor
from micrograd.tensors._shapes import normalize_dim

__all__ = ["layer_norm", "batch_norm", "normalize"]


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

    >>> layer_norm(Tensor([[1.0, 3.0]]), (2,)).data.round(4)
    array([[-1.,  1.]])
    """
    _tensor(input, "layer_norm input")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.shape[input.ndim - k :] != shape or k > input.ndim:
        raise ValueError(
            f"layer_norm: normalized_shape={list(shape)} expects an input of shape "
            f"(*, {', '.join(map(str, shape))}), got {input.shape}"
        )
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and _tensor(t, f"layer_norm {name}").shape != shape:
            raise ValueError(
                f"layer_norm {name} must have shape normalized_shape={shape}, got {t.shape}"
            )
    return input._layer_norm(k, weight, bias, float(eps))


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
    _tensor(input, "batch_norm input")
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects an input of shape (N, C, ...), got {input.shape}")
    channels = input.shape[1]
    stats = []
    for t, name in (
        (running_mean, "running_mean"),
        (running_var, "running_var"),
        (weight, "weight"),
        (bias, "bias"),
    ):
        if t is not None and _tensor(t, f"batch_norm {name}").shape != (channels,):
            raise ValueError(
                f"batch_norm {name} must have shape ({channels},) for an input of shape "
                f"{input.shape}, got {t.shape}"
            )
        stats.append(None if t is None else t.data)
    if training:
        if input.data.size // channels <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{input.shape}"
            )
    elif running_mean is None or running_var is None:
        raise ValueError("batch_norm needs running_mean and running_var in evaluation mode")
    return input._batch_norm(
        stats[0], stats[1], weight, bias, bool(training), float(momentum), float(eps)
    )


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None
) -> Tensor:
    """input / max(||input||_p, eps) along ``dim``: unit p-norm vectors (p >= 1, finite)."""
    _tensor(input, "normalize input")
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    if not (math.isfinite(p) and p >= 1):
        raise ValueError(f"normalize supports finite p >= 1, got p={p}")
    return input._normalize(float(p), normalize_dim(dim, input.ndim), float(eps))
