"""``Flatten``, as PyTorch's.

>>> Flatten()
Flatten(start_dim=1, end_dim=-1)
"""

from __future__ import annotations

from micrograd.nn.module import Module
from micrograd.tensors import Tensor

__all__ = ["Flatten"]


class Flatten(Module):
    """Merge dims ``start_dim`` .. ``end_dim`` (inclusive; negative count from the end) into
    one: (N, C, L) -> (N, C * L) by default, keeping the batch dim."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"Flatten expects a Tensor, got {type(input).__name__}")
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
