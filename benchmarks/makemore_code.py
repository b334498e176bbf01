"""makemore's models and its training step, written once against a torch-like module.

The user's code for the makemore benchmarks (bench_makemore.py, makemore_alone.py,
profile_makemore.py): the classes are written the way karpathy/makemore's ``makemore.py``
writes them, in a function that takes the engine (``micrograd`` or ``torch``) as its
argument, so one source text runs on both. This module imports neither engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any


@dataclass
class Config:
    vocab_size: int = 27
    block_size: int = 16
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 64
    n_embd2: int = 64
    tuned: bool = False  # F.gelu and F.scaled_dot_product_attention instead of makemore's


# --------------------------------------------------------------------- the user's code


def makemore_models(torch: Any) -> SimpleNamespace:
    """makemore's Transformer, MLP and GRU written in its style against ``torch``, which is
    either PyTorch or micrograd: one source text for both engines."""
    nn = torch.nn
    F = torch.nn.functional

    class NewGELU(nn.Module):
        """GPT-2's GELU, as makemore composes it."""

        def forward(self, x):
            return (
                0.5
                * x
                * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
            )

    class CausalSelfAttention(nn.Module):
        def __init__(self, config):
            super().__init__()
            assert config.n_embd % config.n_head == 0
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)  # q, k, v of all heads
            self.c_proj = nn.Linear(config.n_embd, config.n_embd)
            mask = torch.tril(torch.ones(config.block_size, config.block_size))
            self.register_buffer("bias", mask.view(1, 1, config.block_size, config.block_size))
            self.n_head = config.n_head
            self.n_embd = config.n_embd
            self.tuned = config.tuned

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            if self.tuned:
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
                att = F.softmax(att, dim=-1)
                y = att @ v  # (B, nh, T, T) x (B, nh, T, hs) -> (B, nh, T, hs)
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class Block(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.ln_1 = nn.LayerNorm(config.n_embd)
            self.attn = CausalSelfAttention(config)
            self.ln_2 = nn.LayerNorm(config.n_embd)
            act = nn.GELU(approximate="tanh") if config.tuned else NewGELU()
            self.mlp = nn.ModuleDict(
                dict(
                    c_fc=nn.Linear(config.n_embd, 4 * config.n_embd),
                    c_proj=nn.Linear(4 * config.n_embd, config.n_embd),
                    act=act,
                )
            )
            m = self.mlp
            self.mlpf = lambda x: m.c_proj(m.act(m.c_fc(x)))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            x = x + self.mlpf(self.ln_2(x))
            return x

    class Transformer(nn.Module):
        def __init__(self, config):
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

        def forward(self, idx, targets=None):
            b, t = idx.size()
            pos = torch.arange(0, t, dtype=torch.long).unsqueeze(0)  # (1, t)
            tok_emb = self.transformer.wte(idx)  # (b, t, n_embd)
            pos_emb = self.transformer.wpe(pos)  # (1, t, n_embd)
            x = tok_emb + pos_emb
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            logits = self.lm_head(x)
            loss = None
            if targets is not None:
                loss = F.cross_entropy(
                    logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
                )
            return logits, loss

    class MLP(nn.Module):
        """Bengio et al. 2003 over the last block_size tokens, as makemore writes it."""

        def __init__(self, config):
            super().__init__()
            self.block_size = config.block_size
            self.vocab_size = config.vocab_size
            self.wte = nn.Embedding(config.vocab_size + 1, config.n_embd)  # +1: <BLANK>
            self.mlp = nn.Sequential(
                nn.Linear(self.block_size * config.n_embd, config.n_embd2),
                nn.Tanh(),
                nn.Linear(config.n_embd2, self.vocab_size),
            )

        def forward(self, idx, targets=None):
            embs = []
            for _ in range(self.block_size):
                tok_emb = self.wte(idx)  # (b, t, n_embd)
                idx = torch.roll(idx, 1, 1)
                idx[:, 0] = self.vocab_size  # the blank token before the word starts
                embs.append(tok_emb)
            x = torch.cat(embs, -1)  # (b, t, n_embd * block_size)
            logits = self.mlp(x)
            loss = None
            if targets is not None:
                loss = F.cross_entropy(
                    logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
                )
            return logits, loss

    class GRUCell(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.xh_to_z = nn.Linear(config.n_embd + config.n_embd2, config.n_embd2)
            self.xh_to_r = nn.Linear(config.n_embd + config.n_embd2, config.n_embd2)
            self.xh_to_hbar = nn.Linear(config.n_embd + config.n_embd2, config.n_embd2)

        def forward(self, xt, hprev):
            xh = torch.cat([xt, hprev], dim=1)
            r = F.sigmoid(self.xh_to_r(xh))
            hprev_reset = r * hprev
            xhr = torch.cat([xt, hprev_reset], dim=1)
            hbar = F.tanh(self.xh_to_hbar(xhr))
            z = F.sigmoid(self.xh_to_z(xh))
            hnext = (1 - z) * hprev + z * hbar
            return hnext

    class GRU(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.block_size = config.block_size
            self.vocab_size = config.vocab_size
            self.start = nn.Parameter(torch.zeros(1, config.n_embd2))  # the first hidden state
            self.wte = nn.Embedding(config.vocab_size, config.n_embd)
            self.cell = GRUCell(config)
            self.lm_head = nn.Linear(config.n_embd2, self.vocab_size)

        def forward(self, idx, targets=None):
            b, t = idx.size()
            emb = self.wte(idx)  # (b, t, n_embd)
            hprev = self.start.expand((b, -1))
            hiddens = []
            for i in range(t):
                xt = emb[:, i, :]  # (b, n_embd)
                ht = self.cell(xt, hprev)  # (b, n_embd2)
                hprev = ht
                hiddens.append(ht)
            hidden = torch.stack(hiddens, 1)  # (b, t, n_embd2)
            logits = self.lm_head(hidden)
            loss = None
            if targets is not None:
                loss = F.cross_entropy(
                    logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
                )
            return logits, loss

    return SimpleNamespace(Transformer=Transformer, MLP=MLP, GRU=GRU)


def train_step(model: Any, optimizer: Any, X: Any, Y: Any) -> Any:
    """One step of makemore's training loop."""
    logits, loss = model(X, Y)
    model.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss
