"""Course-style models written once, run with torch and with micrograd imported as torch:
the same weights (through state_dict), the same batches, the same losses, gradients, AdamW
steps and greedy samples, in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import micrograd
import micrograd.nn as mnn
from micrograd.nn import functional as MF


def make_models(torch, nn, F, vocab=11, block=6, embd=12, heads=3, layers=2):
    """A small GPT (attention with a causal-mask buffer, LayerNorm, GELU, Dropout) and an
    MLP language model with BatchNorm1d, in the course's style, for either library."""

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(embd, 3 * embd)
            self.proj = nn.Linear(embd, embd)
            mask = torch.tril(torch.ones(block, block)).view(1, 1, block, block)
            self.register_buffer("mask", mask)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.qkv(x).split(embd, dim=2)
            q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
            y = F.softmax(att, dim=-1) @ v
            return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(embd), nn.LayerNorm(embd)
            self.attn = SelfAttention()
            self.mlp = nn.Sequential(
                nn.Linear(embd, 4 * embd), nn.GELU(), nn.Linear(4 * embd, embd), nn.Dropout(0.0)
            )

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, embd)
            self.pos = nn.Embedding(block, embd)
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(embd)
            self.head = nn.Linear(embd, vocab, bias=False)

        def forward(self, idx, targets=None):
            t = idx.size(1)
            x = self.tok(idx) + self.pos(torch.arange(0, t, dtype=torch.long).unsqueeze(0))
            for blk in self.blocks:
                x = blk(x)
            logits = self.head(self.ln_f(x))
            if targets is None:
                return logits, None
            loss = F.cross_entropy(
                logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
            )
            return logits, loss

        @torch.no_grad()
        def generate(self, idx, steps):
            for _ in range(steps):
                logits, _ = self(idx[:, -block:])
                _, nxt = torch.topk(F.softmax(logits[:, -1, :], dim=-1), k=1, dim=-1)
                idx = torch.cat((idx, nxt), dim=1)
            return idx

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, 5)
            self.net = nn.Sequential(
                nn.Flatten(),
                nn.Linear(5 * block, 32, bias=False),
                nn.BatchNorm1d(32),
                nn.Tanh(),
                nn.Linear(32, vocab),
            )

        def forward(self, idx, targets):
            return F.cross_entropy(self.net(self.emb(idx)), targets)

    return GPT(), MLP()


def _both():
    torch.manual_seed(0)
    ref = make_models(torch, torch.nn, torch.nn.functional)
    ours = make_models(micrograd, mnn, MF)
    for a, b in zip(ours, ref):
        a.double()  # both built in float32, the default dtype, compared in float64
        b.double()
        assert list(a.state_dict()) == list(b.state_dict()) and repr(a) == repr(b)
        a.load_state_dict({k: v.numpy() for k, v in b.state_dict().items()})
    return ours, ref


def _batches(rng, n, vocab=11, block=6):
    for _ in range(n):
        x = rng.integers(0, vocab, size=(4, block))
        y = rng.integers(0, vocab, size=(4, block))
        y[:, -2:] = -1  # masked out, as makemore pads
        yield x, y


@pytest.mark.parametrize("which", ["gpt", "mlp"])
def test_course_models_train_step_for_step_with_torch(which):
    (gpt, mlp), (ref_gpt, ref_mlp) = _both()
    ours, ref = (gpt, ref_gpt) if which == "gpt" else (mlp, ref_mlp)
    opt = micrograd.optim.AdamW(ours.parameters(), lr=1e-2, weight_decay=0.01)
    ref_opt = torch.optim.AdamW(ref.parameters(), lr=1e-2, weight_decay=0.01)
    rng = np.random.default_rng(0)
    for x, y in _batches(rng, 6):
        if which == "gpt":
            loss = ours(micrograd.tensor(x), micrograd.tensor(y))[1]
            ref_loss = ref(torch.tensor(x), torch.tensor(y))[1]
        else:
            loss = ours(micrograd.tensor(x), micrograd.tensor(y[:, 0] % 11))
            ref_loss = ref(torch.tensor(x), torch.tensor(y[:, 0] % 11))
        assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-9, abs=1e-12)
        opt.zero_grad()
        ref_opt.zero_grad()
        loss.backward()
        ref_loss.backward()
        theirs = dict(ref.named_parameters())
        for name, p in ours.named_parameters():
            np.testing.assert_allclose(p.grad, theirs[name].grad.numpy(), rtol=1e-7, atol=1e-12)
        opt.step()
        ref_opt.step()
    for name, value in ours.state_dict().items():  # running statistics included
        np.testing.assert_allclose(value, ref.state_dict()[name].numpy(), rtol=1e-8, atol=1e-12)


def test_greedy_generation_and_eval_mode_match_torch():
    (gpt, mlp), (ref_gpt, ref_mlp) = _both()
    start = np.zeros((2, 1), dtype=np.int64)
    ours = gpt.eval().generate(micrograd.tensor(start), 8)
    theirs = ref_gpt.eval().generate(torch.tensor(start), 8)
    assert ours.tolist() == theirs.tolist()
    x = next(_batches(np.random.default_rng(1), 1))[0]
    y = np.arange(4)
    for model in (mlp, ref_mlp):
        model.train()  # one batch of statistics, then evaluation uses the running ones
    mlp(micrograd.tensor(x), micrograd.tensor(y))
    ref_mlp(torch.tensor(x), torch.tensor(y))
    mlp.eval()
    ref_mlp.eval()
    np.testing.assert_allclose(
        mlp(micrograd.tensor(x), micrograd.tensor(y)).item(),
        ref_mlp(torch.tensor(x), torch.tensor(y)).item(),
        rtol=1e-12,
    )
