"""``LayerNorm`` and ``BatchNorm1d``, as PyTorch's.

>>> import numpy as np
>>> from micrograd.tensors import Tensor
>>> bn = BatchNorm1d(3)
>>> [name for name in bn.state_dict()]
['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
>>> bn
BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
>>> LayerNorm(4)
LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from micrograd.nn import functional as F
from micrograd.nn import init
from micrograd.nn.module import Module
from micrograd.nn.parameter import new_tensor, positive_int
from micrograd.tensors import Tensor
from micrograd.tensors.dtypes import as_device

__all__ = ["BatchNorm1d", "LayerNorm"]


class LayerNorm(Module):
    """Normalise over the last ``len(normalized_shape)`` dims: (x - mean) / sqrt(var + eps),
    with the biased variance, then ``* weight + bias`` (shape ``normalized_shape``; ones and
    zeros at first) when ``elementwise_affine`` (``bias=False``: no bias)."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(positive_int("normalized_shape", n) for n in normalized_shape)
        as_device(device)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = new_tensor(self.normalized_shape, dtype, 1.0, True)
            if bias:
                self.bias = new_tensor(self.normalized_shape, dtype, 0.0, True)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Weight back to ones, bias to zeros."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class _BatchNorm(Module):
    """What the BatchNorm layers share: per-channel statistics over (N, C, *) inputs.

    In training, each channel is normalised with its batch mean and biased batch variance,
    and (with ``track_running_stats``) the running statistics move towards the batch's:
    ``running = (1 - momentum) * running + momentum * batch``, the variance's unbiased
    (``momentum=None``: a cumulative average over ``num_batches_tracked`` batches). In
    evaluation the running statistics are used instead. ``affine``: then ``* weight +
    bias`` per channel (ones and zeros at first; ``bias=False``: no bias).

    A state dict without ``num_batches_tracked`` loads (the count is left as it is), as
    PyTorch loads one saved before that buffer existed.
    """

    _optional_state = ("num_batches_tracked",)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = positive_int("num_features", num_features)
        as_device(device)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = new_tensor((num_features,), dtype, 1.0, True)
            if bias:
                self.bias = new_tensor((num_features,), dtype, 0.0, True)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", new_tensor((num_features,), dtype, 0.0, False))
            self.register_buffer("running_var", new_tensor((num_features,), dtype, 1.0, False))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean to zeros, variance to ones, the batch count to zero."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """The running statistics reset, weight back to ones, bias to zeros."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)  # in place: state_dict and optimizers see it
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        # Batch statistics in training, and in evaluation too when there are no running ones.
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        # F.batch_norm updates the running statistics in place when it gets them in training.
        keep_running = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if keep_running else None,
            self.running_var if keep_running else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel C, over N (and L);
    the output has the input's shape. Statistics, train and eval as ``_BatchNorm`` says:
    batch statistics in training (running ones updated), running ones in evaluation."""

    def _check_input_dim(self, input: Tensor) -> None:
        if not isinstance(input, Tensor):
            raise TypeError(f"BatchNorm1d expects a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(
                f"BatchNorm1d expects a 2-D (N, C) or 3-D (N, C, L) input, got shape {input.shape}"
            )
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}) expects {self.num_features} channels in "
                f"dim 1, got shape {input.shape}"
            )
