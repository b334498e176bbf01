"""makemore's bag of words: each position averages the embeddings of every position up to it.

The average is attention with all scores equal, so this model reads like a Transformer with
the learned part of attention taken out: compare :mod:`micrograd.models.transformer`.
"""

from __future__ import annotations

import micrograd
from micrograd import nn
from micrograd.models.base import ModelConfig, next_token_loss
from micrograd.nn import functional as F
from micrograd.tensors import Tensor


class CausalBoW(nn.Module):
    """(B, T, C) -> (B, T, C): position ``t`` becomes the mean of positions ``0..t``."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.block_size = config.block_size
        mask = micrograd.tril(micrograd.ones(config.block_size, config.block_size))
        self.register_buffer("bias", mask.view(1, config.block_size, config.block_size))

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.size()
        # makemore takes the softmax of zeros with the future masked to -inf: equal weights
        # over the allowed positions, which is the mask divided by its row sums.
        mask = self.bias[:, :T, :T]
        att = mask / mask.sum(dim=-1, keepdim=True)  # (1, T, T)
        return att @ x  # (B, T, C)


class BoWBlock(nn.Module):
    """``x + cbow(x)``, then ``x + mlp(x)`` with a tanh hidden layer of ``n_embd2`` units."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.cbow = CausalBoW(config)
        self.mlp = nn.ModuleDict(
            dict(
                c_fc=nn.Linear(config.n_embd, config.n_embd2),
                c_proj=nn.Linear(config.n_embd2, config.n_embd),
            )
        )

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.cbow(x)
        return x + self.mlp.c_proj(F.tanh(self.mlp.c_fc(x)))


class BoW(nn.Module):
    """Token and position embeddings, one :class:`BoWBlock`, a linear head.

    ``forward(idx, targets=None) -> (logits, loss)``: (B, T) indices, ``T <= block_size``,
    to (B, T, vocab_size) logits; ``loss`` as in the other models (targets -1 ignored).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.block_size = config.block_size
        self.vocab_size = config.vocab_size
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.context_block = BoWBlock(config)
        self.lm_head = nn.Linear(config.n_embd, self.vocab_size)

    def get_block_size(self) -> int:
        return self.block_size

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        b, t = idx.size()
        if t > self.block_size:
            raise ValueError(f"cannot read {t} tokens: the block size is {self.block_size}")
        pos = micrograd.arange(0, t, dtype=micrograd.long).unsqueeze(0)  # (1, t)
        x = self.wte(idx) + self.wpe(pos)
        logits = self.lm_head(self.context_block(x))
        return logits, next_token_loss(logits, targets)
