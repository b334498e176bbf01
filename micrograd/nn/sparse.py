"""``Embedding``: a lookup table of learned vectors, as PyTorch's.

>>> import numpy as np
>>> from micrograd.tensors import Tensor
>>> table = Embedding(27, 10)              # 27 characters, 10 numbers each
>>> table.weight.shape
Size([27, 10])
>>> table
Embedding(27, 10)
"""

from __future__ import annotations

from typing import Any

from micrograd.nn import functional as F
from micrograd.nn import init
from micrograd.nn.module import Module
from micrograd.nn.parameter import Parameter, new_tensor, positive_int
from micrograd.tensors import Tensor, no_grad
from micrograd.tensors.dtypes import as_device

__all__ = ["Embedding"]


class Embedding(Module):
    """Row ``i`` of ``weight`` (num_embeddings, embedding_dim) for each index ``i`` of the
    input: integer indices of any shape (...) -> (..., embedding_dim).

    ``weight`` starts as draws from N(0, 1), as PyTorch's. ``padding_idx`` (negative counts
    from the end): that row starts at zero and gets no gradient. ``max_norm``,
    ``norm_type`` and ``scale_grad_by_freq`` are passed to ``F.embedding``; sparse
    gradients are not supported. The init draws from micrograd's default generator, or from
    ``generator`` (keyword only, not in PyTorch; as ``Linear``'s).
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        generator: Any = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = positive_int("num_embeddings", num_embeddings)
        self.embedding_dim = positive_int("embedding_dim", embedding_dim)
        as_device(device)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"padding_idx {padding_idx} is out of range for {num_embeddings} embeddings"
                )
            padding_idx %= num_embeddings
        if sparse:
            raise ValueError("Embedding(sparse=True) is not supported: gradients are dense")
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = new_tensor((num_embeddings, embedding_dim), dtype, 0.0, True)
            self.reset_parameters(generator)
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"the weight has shape {tuple(_weight.shape)}, but num_embeddings and "
                    f"embedding_dim ask for {(num_embeddings, embedding_dim)}"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self, generator: Any = None) -> None:
        """Draw the weight again from N(0, 1); the padding row (if any) to zero."""
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (2-D, shared), frozen unless
        ``freeze=False``."""
        if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
            raise ValueError("Embedding.from_pretrained expects a 2-D Tensor of embeddings")
        rows, cols = embeddings.shape
        return cls(
            rows,
            cols,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=embeddings,
            _freeze=freeze,
        )
