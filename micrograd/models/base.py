"""What the makemore models share: their sizes (``ModelConfig``) and their loss."""

from __future__ import annotations

from dataclasses import dataclass

from micrograd._validate import positive_int
from micrograd.nn import functional as F
from micrograd.tensors import Tensor


@dataclass
class ModelConfig:
    """Sizes for the models of :mod:`micrograd.models`, as in makemore.

    ``vocab_size`` counts the special start/end token 0; ``block_size`` is the longest input
    a model reads (for a :class:`~micrograd.chardata.CharDataset`, its ``block_size``). Each
    model reads the widths its own way: ``n_embd`` is the embedding (and, in the Transformer,
    the residual stream) width, ``n_embd2`` the hidden width of the MLP, BoW and recurrent
    models, ``n_layer`` and ``n_head`` the Transformer's blocks and attention heads.
    """

    vocab_size: int
    block_size: int
    n_layer: int = 4
    n_embd: int = 64
    n_embd2: int = 64
    n_head: int = 4

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_embd", "n_embd2", "n_head"):
            setattr(self, name, positive_int(name, getattr(self, name)))


def next_token_loss(logits: Tensor, targets: Tensor | None) -> Tensor | None:
    """The mean cross-entropy of (B, T, vocab_size) ``logits`` against (B, T) ``targets``,
    over the positions whose target is not -1 (the padding after a word's end); None when
    there are no targets (sampling).
    """
    if targets is None:
        return None
    return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
