"""``micrograd.amp``: mixed precision, as ``torch.amp``: ``autocast``, ops in bfloat16 (or
float16) on the CPU following PyTorch's op lists (:mod:`micrograd.amp.autocast_mode`), and
``GradScaler``, the loss scaling float16 training needs (:mod:`micrograd.amp.grad_scaler`)."""

from micrograd.amp.autocast_mode import autocast
from micrograd.amp.grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast"]
