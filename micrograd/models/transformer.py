"""makemore's Transformer: a GPT-2 style decoder over characters, on micrograd's ``nn``.

The same architecture and parameter names as karpathy/makemore's ``Transformer`` (and so as
minGPT and GPT-2): token and position embeddings, ``n_layer`` pre-LayerNorm blocks of causal
multi-head self-attention and a 4x MLP with GELU, a final LayerNorm and a linear head without
bias. Weights start from the layers' own defaults, as in makemore. A ``state_dict`` saved
here loads into makemore's PyTorch model and back (the causal mask is a buffer, ``bias``,
there as here).
"""

from __future__ import annotations

import math

import micrograd
from micrograd import nn
from micrograd.models.base import ModelConfig, next_token_loss
from micrograd.nn import functional as F
from micrograd.tensors import Tensor


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position ``t`` sees only positions ``0..t``.

    (B, T, n_embd) -> (B, T, n_embd). One linear layer makes the queries, keys and values of
    every head at once; each head works on ``n_embd // n_head`` channels.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(
                f"n_embd ({config.n_embd}) must be a multiple of n_head ({config.n_head})"
            )
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        # 1 where a query may look at a key (the key is not in its future), 0 elsewhere
        mask = micrograd.tril(micrograd.ones(config.block_size, config.block_size))
        self.register_buffer("bias", mask.view(1, 1, config.block_size, config.block_size))
        self.n_head = config.n_head
        self.n_embd = config.n_embd

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        # (B, T, C) -> (B, n_head, T, head_size): the heads become a batch dimension
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))  # (B, nh, T, T)
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # the heads side by side again
        return self.c_proj(y)


class Block(nn.Module):
    """One Transformer block: ``x + attn(ln_1(x))``, then ``x + mlp(ln_2(x))``."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        # GPT-2's GELU is the tanh approximation (makemore's NewGELU)
        self.mlp = nn.ModuleDict(
            dict(
                c_fc=nn.Linear(config.n_embd, 4 * config.n_embd),
                c_proj=nn.Linear(4 * config.n_embd, config.n_embd),
                act=nn.GELU(approximate="tanh"),
            )
        )

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        m = self.mlp
        return x + m.c_proj(m.act(m.c_fc(self.ln_2(x))))


class Transformer(nn.Module):
    """A GPT: ``forward(idx, targets=None) -> (logits, loss)``.

    ``idx`` is (B, T) int64 token indices with ``T <= block_size``; ``logits`` is
    (B, T, vocab_size), the scores for the token after each position; with ``targets``
    (B, T, -1 where nothing is to be predicted) ``loss`` is the mean cross-entropy.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.block_size = config.block_size
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=nn.LayerNorm(config.n_embd),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)

    def get_block_size(self) -> int:
        return self.block_size

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        b, t = idx.size()
        if t > self.block_size:
            raise ValueError(f"cannot read {t} tokens: the block size is {self.block_size}")
        pos = micrograd.arange(0, t, dtype=micrograd.long).unsqueeze(0)  # (1, t)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (b, t, n_embd)
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        return logits, next_token_loss(logits, targets)
