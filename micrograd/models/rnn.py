"""makemore's recurrent models: a vanilla RNN and a GRU, one step per character.

A cell maps the input at step ``t`` and the previous hidden state to the next one; the model
runs its cell along the sequence from a learned starting state and reads each hidden state
out through a linear head.
"""

from __future__ import annotations

import micrograd
from micrograd import nn
from micrograd.models.base import ModelConfig, next_token_loss
from micrograd.nn import functional as F
from micrograd.tensors import Tensor


class RNNCell(nn.Module):
    """``h_t = tanh(W [x_t, h_{t-1}] + b)``: (B, n_embd), (B, n_embd2) -> (B, n_embd2)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.xh_to_h = nn.Linear(config.n_embd + config.n_embd2, config.n_embd2)

    def forward(self, xt: Tensor, hprev: Tensor) -> Tensor:
        xh = micrograd.cat([xt, hprev], dim=1)
        return F.tanh(self.xh_to_h(xh))


class GRUCell(nn.Module):
    """A gated recurrent unit, (B, n_embd), (B, n_embd2) -> (B, n_embd2).

    The reset gate ``r`` decides how much of the old state the candidate ``hbar`` sees, the
    update gate ``z`` how far each channel moves from the old state to the candidate.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        width = config.n_embd + config.n_embd2
        self.xh_to_z = nn.Linear(width, config.n_embd2)
        self.xh_to_r = nn.Linear(width, config.n_embd2)
        self.xh_to_hbar = nn.Linear(width, config.n_embd2)

    def forward(self, xt: Tensor, hprev: Tensor) -> Tensor:
        xh = micrograd.cat([xt, hprev], dim=1)
        r = F.sigmoid(self.xh_to_r(xh))
        xhr = micrograd.cat([xt, r * hprev], dim=1)
        hbar = F.tanh(self.xh_to_hbar(xhr))
        z = F.sigmoid(self.xh_to_z(xh))
        return (1 - z) * hprev + z * hbar


class RNN(nn.Module):
    """``cell_type`` "rnn" or "gru": ``forward(idx, targets=None) -> (logits, loss)``.

    (B, T) indices to (B, T, vocab_size) logits; the sequence may be any length (the
    recurrence has no block size, ``get_block_size`` only tells the sampler how much to keep).
    """

    def __init__(self, config: ModelConfig, cell_type: str) -> None:
        super().__init__()
        cells = {"rnn": RNNCell, "gru": GRUCell}
        if cell_type not in cells:
            raise ValueError(f"cell_type must be 'rnn' or 'gru', got {cell_type!r}")
        self.block_size = config.block_size
        self.vocab_size = config.vocab_size
        self.start = nn.Parameter(micrograd.zeros(1, config.n_embd2))  # the first hidden state
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.cell = cells[cell_type](config)
        self.lm_head = nn.Linear(config.n_embd2, self.vocab_size)

    def get_block_size(self) -> int:
        return self.block_size

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        b, t = idx.size()
        emb = self.wte(idx)  # (b, t, n_embd), all positions at once
        hprev = self.start.expand((b, -1))
        hiddens = []
        for i in range(t):
            hprev = self.cell(emb[:, i, :], hprev)  # (b, n_embd2)
            hiddens.append(hprev)
        logits = self.lm_head(micrograd.stack(hiddens, 1))  # (b, t, vocab_size)
        return logits, next_token_loss(logits, targets)
