"""``Dropout``, as PyTorch's.

>>> drop = Dropout(0.1)
>>> drop, drop.training, drop.eval().training     # eval(): then it returns its input
(Dropout(p=0.1, inplace=False), True, False)
"""

from __future__ import annotations

from micrograd.nn import functional as F
from micrograd.nn.module import Module
from micrograd.tensors import Tensor

__all__ = ["Dropout"]


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the others by
    1 / (1 - p), so the expected value is unchanged; in evaluation, return the input.
    The mask is drawn by ``F.dropout``."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
