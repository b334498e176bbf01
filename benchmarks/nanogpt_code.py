"""nanoGPT's character-level recipe, written once against a torch-like module.

The user's code for bench_nanogpt.py: a GPT in the shape of karpathy/nanoGPT's ``model.py``
(LayerNorm with an optional bias, fused causal attention, GELU MLP, tied embeddings, GPT-2's
init, decay/no-decay parameter groups), the loop of its ``train.py`` (memmapped uint16 data,
``estimate_loss``, warmup then cosine learning rate, the GradScaler ``train.py`` asks for,
gradient clipping, the checkpoint dict when the validation loss improves) and the sampling of
its ``sample.py``. Each function takes the engine (``micrograd`` or ``torch``) as its argument,
so one source text runs on both; this module imports neither. It is this project's code in
nanoGPT's shape, not a copy of it.
"""

from __future__ import annotations

import inspect
import math
import os
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

# config/train_shakespeare_char.py, then the README's CPU overrides (``--device=cpu
# --compile=False --eval_iters=20 --log_interval=1 --block_size=64 --batch_size=12
# --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0``)
RECIPE = dict(
    eval_interval=250,
    eval_iters=20,
    log_interval=1,
    always_save_checkpoint=False,
    gradient_accumulation_steps=1,
    batch_size=12,
    block_size=64,
    n_layer=4,
    n_head=4,
    n_embd=128,
    dropout=0.0,
    bias=False,
    learning_rate=1e-3,
    max_iters=2000,
    weight_decay=1e-1,
    beta1=0.9,
    beta2=0.99,
    grad_clip=1.0,
    decay_lr=True,
    warmup_iters=100,
    lr_decay_iters=2000,
    min_lr=1e-4,
    device="cpu",
    compile=False,
)


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True


def gpt_model(torch: Any) -> SimpleNamespace:
    """The GPT as nanoGPT's model.py writes it, on ``torch`` (micrograd or PyTorch)."""
    nn, F = torch.nn, torch.nn.functional

    class LayerNorm(nn.Module):
        def __init__(self, ndim, bias):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(ndim))
            self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

        def forward(self, input):
            return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)

    class CausalSelfAttention(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
            self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
            self.attn_dropout = nn.Dropout(config.dropout)
            self.resid_dropout = nn.Dropout(config.dropout)
            self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            y = F.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=None,
                dropout_p=self.dropout if self.training else 0,
                is_causal=True,
            )
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.resid_dropout(self.c_proj(y))

    class MLP(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
            self.dropout = nn.Dropout(config.dropout)

        def forward(self, x):
            return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

    class Block(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
            self.attn = CausalSelfAttention(config)
            self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
            self.mlp = MLP(config)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config
            self.transformer = nn.ModuleDict(
                dict(
                    wte=nn.Embedding(config.vocab_size, config.n_embd),
                    wpe=nn.Embedding(config.block_size, config.n_embd),
                    drop=nn.Dropout(config.dropout),
                    h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                    ln_f=LayerNorm(config.n_embd, bias=config.bias),
                )
            )
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight
            self.apply(self._init_weights)
            for pn, p in self.named_parameters():
                if pn.endswith("c_proj.weight"):
                    torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    torch.nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            b, t = idx.size()
            pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
            x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            if targets is not None:
                logits = self.lm_head(x)
                loss = F.cross_entropy(
                    logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
                )
            else:
                logits, loss = self.lm_head(x[:, [-1], :]), None
            return logits, loss

        def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
            params = {pn: p for pn, p in self.named_parameters() if p.requires_grad}
            groups = [
                {
                    "params": [p for p in params.values() if p.dim() >= 2],
                    "weight_decay": weight_decay,
                },
                {"params": [p for p in params.values() if p.dim() < 2], "weight_decay": 0.0},
            ]
            fused = (
                "fused" in inspect.signature(torch.optim.AdamW).parameters and device_type == "cuda"
            )
            return torch.optim.AdamW(
                groups, lr=learning_rate, betas=betas, **(dict(fused=True) if fused else {})
            )

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
            for _ in range(max_new_tokens):
                bs = self.config.block_size
                idx_cond = idx if idx.size(1) <= bs else idx[:, -bs:]
                logits, _ = self(idx_cond)
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float("Inf")
                probs = F.softmax(logits, dim=-1)
                idx = torch.cat((idx, torch.multinomial(probs, num_samples=1)), dim=1)
            return idx

    return SimpleNamespace(GPT=GPT)


def prepare(text: str, data_dir: str) -> dict:
    """data/shakespeare_char/prepare.py: characters as uint16 ids, the first 90% for training."""
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    n = len(text)
    os.makedirs(data_dir, exist_ok=True)
    for split, part in (("train", text[: int(n * 0.9)]), ("val", text[int(n * 0.9) :])):
        np.array([stoi[c] for c in part], dtype=np.uint16).tofile(
            os.path.join(data_dir, f"{split}.bin")
        )
    return {"vocab_size": len(chars), "chars": chars}


def train(
    torch: Any, data_dir: str, out_dir: str, vocab_size: int, seed: int, overrides: dict
) -> dict:
    """train.py's loop on ``torch``; returns the time of each iteration and the evaluations."""
    cfg = SimpleNamespace(**{**RECIPE, **overrides})
    # what train.py picks without CUDA: 'float16', so it asks for a GradScaler (disabled, warned)
    dtype = (
        "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float16"
    )
    torch.manual_seed(1337 + seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    device_type = "cpu"
    ctx = nullcontext()

    def get_batch(split):
        data = np.memmap(os.path.join(data_dir, f"{split}.bin"), dtype=np.uint16, mode="r")
        ix = torch.randint(len(data) - cfg.block_size, (cfg.batch_size,))
        x = torch.stack(
            [torch.from_numpy((data[i : i + cfg.block_size]).astype(np.int64)) for i in ix]
        )
        y = torch.stack(
            [torch.from_numpy((data[i + 1 : i + 1 + cfg.block_size]).astype(np.int64)) for i in ix]
        )
        return x.to(cfg.device), y.to(cfg.device)

    model_args = dict(
        n_layer=cfg.n_layer, n_head=cfg.n_head, n_embd=cfg.n_embd, block_size=cfg.block_size,
        bias=cfg.bias, vocab_size=vocab_size, dropout=cfg.dropout,
    )  # fmt: skip
    model = gpt_model(torch).GPT(GPTConfig(**model_args))
    model.to(cfg.device)
    with warnings.catch_warnings():  # "GradScaler is enabled, but CUDA is not available"
        warnings.simplefilter("ignore")
        scaler = torch.cuda.amp.GradScaler(enabled=(dtype == "float16"))
    optimizer = model.configure_optimizers(
        cfg.weight_decay, cfg.learning_rate, (cfg.beta1, cfg.beta2), device_type
    )

    @torch.no_grad()
    def estimate_loss():
        out = {}
        model.eval()
        for split in ["train", "val"]:
            losses = torch.zeros(cfg.eval_iters)
            for k in range(cfg.eval_iters):
                X, Y = get_batch(split)
                with ctx:
                    logits, loss = model(X, Y)
                losses[k] = loss.item()
            out[split] = losses.mean().item()
        model.train()
        return out

    def get_lr(it):
        if it < cfg.warmup_iters:
            return cfg.learning_rate * (it + 1) / (cfg.warmup_iters + 1)
        if it > cfg.lr_decay_iters:
            return cfg.min_lr
        decay_ratio = (it - cfg.warmup_iters) / (cfg.lr_decay_iters - cfg.warmup_iters)
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
        return cfg.min_lr + coeff * (cfg.learning_rate - cfg.min_lr)

    iter_num, best_val_loss = 0, 1e9
    result: dict[str, Any] = {"dt": [], "evals": [], "losses": []}
    X, Y = get_batch("train")
    t0 = time.time()
    while True:
        lr = get_lr(iter_num) if cfg.decay_lr else cfg.learning_rate
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        evaluated = iter_num % cfg.eval_interval == 0
        if evaluated:
            losses = estimate_loss()
            result["evals"].append((iter_num, losses["train"], losses["val"]))
            if losses["val"] < best_val_loss or cfg.always_save_checkpoint:
                best_val_loss = losses["val"]
                if iter_num > 0:
                    checkpoint = {
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "model_args": model_args,
                        "iter_num": iter_num,
                        "best_val_loss": best_val_loss,
                        "config": vars(cfg),
                    }
                    torch.save(checkpoint, os.path.join(out_dir, "ckpt.pt"))
        for _ in range(cfg.gradient_accumulation_steps):
            with ctx:
                logits, loss = model(X, Y)
                loss = loss / cfg.gradient_accumulation_steps
            X, Y = get_batch("train")
            scaler.scale(loss).backward()
        if cfg.grad_clip != 0.0:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        t1 = time.time()
        dt, t0 = t1 - t0, t1
        if iter_num % cfg.log_interval == 0:
            result["losses"].append(loss.item() * cfg.gradient_accumulation_steps)
            result["dt"].append((iter_num, dt, evaluated))
        iter_num += 1
        if iter_num > cfg.max_iters:
            break
    return result


def sample(
    torch: Any, out_dir: str, chars: list[str], seed: int = 1337, num_samples: int = 3
) -> list[str]:
    """sample.py: the checkpoint's weights, exactly, and text from them (500 characters each,
    temperature 0.8, top_k 200, starting from a newline)."""
    torch.manual_seed(seed)
    checkpoint = torch.load(os.path.join(out_dir, "ckpt.pt"), map_location="cpu")
    model = gpt_model(torch).GPT(GPTConfig(**checkpoint["model_args"]))
    state_dict = checkpoint["model"]
    for k in list(state_dict):
        if k.startswith("_orig_mod."):
            state_dict[k[len("_orig_mod.") :]] = state_dict.pop(k)
    model.load_state_dict(state_dict)
    model.eval()
    for name, value in model.state_dict().items():  # exactly the saved weights
        assert np.array_equal(np.asarray(value), np.asarray(state_dict[name])), name
    stoi, itos = {ch: i for i, ch in enumerate(chars)}, dict(enumerate(chars))
    x = torch.tensor([stoi["\n"]], dtype=torch.long, device="cpu")[None, ...]
    texts = []
    with torch.no_grad():
        for _ in range(num_samples):
            y = model.generate(x, 500, temperature=0.8, top_k=200)
            texts.append("".join(itos[i] for i in y[0].tolist()))
    return texts
