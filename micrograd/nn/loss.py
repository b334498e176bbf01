"""Losses as modules, as PyTorch's: ``CrossEntropyLoss``, ``NLLLoss``, ``MSELoss``,
``L1Loss``, ``BCELoss``, ``BCEWithLogitsLoss``. Each holds its settings and calls the
``nn.functional`` loss of the same name; ``loss_fn(input, target)``.

Class weights (``weight``, ``pos_weight``) are registered as buffers, as PyTorch does, so
they are saved in ``state_dict`` and converted by ``to()``.

>>> CrossEntropyLoss(ignore_index=-1), CrossEntropyLoss().reduction
(CrossEntropyLoss(), 'mean')
"""

from __future__ import annotations

import warnings
from typing import Any

from micrograd.nn import functional as F
from micrograd.nn.module import Module
from micrograd.tensors import Tensor

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
]

REDUCTIONS = ("none", "mean", "sum")


class _Loss(Module):
    """What the losses share: ``reduction`` ("mean", "sum" or "none"), or PyTorch's older
    ``size_average``/``reduce`` flags, read as PyTorch reads them (with its warning)."""

    def __init__(
        self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            warnings.warn(
                "size_average and reduce args will be deprecated, please use reduction="
                f"{_legacy_reduction(size_average, reduce)!r} instead.",
                stacklevel=3,
            )
            reduction = _legacy_reduction(size_average, reduce)
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction


def _legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


class _WeightedLoss(_Loss):
    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """``F.cross_entropy``: logits (N, C) or (N, C, d...) against class indices (N,) or
    (N, d...), or class probabilities of the logits' shape; ``ignore_index`` targets are
    left out, ``label_smoothing`` mixes in the uniform distribution."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """``F.nll_loss``: -input[i, target[i]] for log-probabilities ``input``."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class MSELoss(_Loss):
    """``F.mse_loss``: (input - target)**2, reduced."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """``F.l1_loss``: |input - target|, reduced."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """``F.binary_cross_entropy``: for probabilities ``input`` in [0, 1]."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``F.binary_cross_entropy_with_logits``: sigmoid and binary cross-entropy in one,
    stable for any logits; ``pos_weight`` weighs the positive targets."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, pos_weight=self.pos_weight, reduction=self.reduction
        )
