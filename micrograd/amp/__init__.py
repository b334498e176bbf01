"""``micrograd.amp``: mixed precision, as ``torch.amp``: ``GradScaler``, the loss scaling
float16 training needs (:mod:`micrograd.amp.grad_scaler`)."""

from micrograd.amp.grad_scaler import GradScaler

__all__ = ["GradScaler"]
