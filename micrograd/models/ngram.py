"""makemore's two window models: the Bigram table and Bengio et al.'s MLP.

Both predict the next character from a fixed window of the ones before it: the Bigram from
one, the MLP from ``block_size`` (earlier positions read as a special blank token).
"""

from __future__ import annotations

import micrograd
from micrograd import nn
from micrograd.models.base import ModelConfig, next_token_loss
from micrograd.tensors import Tensor


class Bigram(nn.Module):
    """A (vocab_size, vocab_size) table of logits: row ``i`` scores the token after ``i``.

    ``forward(idx, targets=None) -> (logits, loss)``: (B, T) indices to (B, T, vocab_size)
    logits. The table starts at zero (every next token equally likely), as in makemore.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        n = config.vocab_size
        self.logits = nn.Parameter(micrograd.zeros((n, n)))

    def get_block_size(self) -> int:
        return 1  # one previous token is all it reads

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        logits = self.logits[idx]
        return logits, next_token_loss(logits, targets)


class MLP(nn.Module):
    """Bengio et al. (2003): the embeddings of the last ``block_size`` tokens, concatenated,
    through one tanh hidden layer of ``n_embd2`` units.

    ``forward(idx, targets=None) -> (logits, loss)``, (B, T) to (B, T, vocab_size). Positions
    before the start of ``idx`` read the extra token ``vocab_size`` (a learned "blank"), so
    the embedding table has ``vocab_size + 1`` rows.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.block_size = config.block_size
        self.vocab_size = config.vocab_size
        self.wte = nn.Embedding(config.vocab_size + 1, config.n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(self.block_size * config.n_embd, config.n_embd2),
            nn.Tanh(),
            nn.Linear(config.n_embd2, self.vocab_size),
        )

    def get_block_size(self) -> int:
        return self.block_size

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        b, t = idx.size()
        # Left-pad with blanks so that position j of `padded` is token j - (block_size - 1):
        # then the token k steps before position i of idx is padded[:, i + block_size-1 - k].
        blanks = micrograd.full((b, self.block_size - 1), self.vocab_size, dtype=micrograd.long)
        padded = micrograd.cat([blanks, idx], dim=1)
        start = self.block_size - 1
        # the current token first, then the one before it, ... (makemore's order)
        embs = [self.wte(padded[:, start - k : start - k + t]) for k in range(self.block_size)]
        x = micrograd.cat(embs, -1)  # (b, t, block_size * n_embd)
        logits = self.mlp(x)
        return logits, next_token_loss(logits, targets)
