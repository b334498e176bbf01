"""nanoGPT's scripts (karpathy/nanoGPT: data/shakespeare_char/prepare.py, model.py, train.py,
sample.py), run end to end on micrograd as a learner runs them: prepare the characters of
Shakespeare into uint16 memmaps, train a GPT with evaluation, the cosine schedule, the
GradScaler and the checkpoint dict, resume from it, and sample from it.

The code below is written in those scripts' shape (their globals, their calls, in their order)
at a tiny size, with only ``torch`` spelled ``micrograd``; it is this test's own, not a copy.
Its metadata is JSON where prepare.py pickles it: micrograd never unpickles, and neither need
the script.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pytest

import micrograd as torch
import micrograd.nn as nn
from micrograd.distributed import destroy_process_group, init_process_group
from micrograd.nn import functional as F
from micrograd.nn.parallel import DistributedDataParallel as DDP

SHAKESPEARE = resources.files("micrograd") / "datasets" / "shakespeare_60k.txt"


# --------------------------------------------------------------------- prepare.py


def prepare(data_dir, text):
    """Characters to integers; 90% train, 10% val, each a flat uint16 file; the vocabulary
    as meta (JSON here)."""
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    n = len(text)
    train_ids = np.array([stoi[c] for c in text[: int(n * 0.9)]], dtype=np.uint16)
    val_ids = np.array([stoi[c] for c in text[int(n * 0.9) :]], dtype=np.uint16)
    os.makedirs(data_dir, exist_ok=True)
    train_ids.tofile(os.path.join(data_dir, "train.bin"))
    val_ids.tofile(os.path.join(data_dir, "val.bin"))
    with open(os.path.join(data_dir, "meta.json"), "w") as f:
        json.dump({"vocab_size": len(chars), "chars": chars}, f)
    return len(train_ids), len(val_ids)


# --------------------------------------------------------------------- model.py


class LayerNorm(nn.Module):
    """LayerNorm whose bias may be switched off (nanoGPT's bias=False)."""

    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, input):
        return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout
        self.flash = hasattr(torch.nn.functional, "scaled_dot_product_attention") and config.flash
        if not self.flash:
            mask = torch.tril(torch.ones(config.block_size, config.block_size))
            self.register_buffer("bias", mask.view(1, 1, config.block_size, config.block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        if self.flash:
            y = torch.nn.functional.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=None,
                dropout_p=self.dropout if self.training else 0,
                is_causal=True,
            )
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            att = self.attn_dropout(F.softmax(att, dim=-1))
            y = att @ v
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


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True
    flash: bool = True  # this test's switch, to run the slow attention path too


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
        self.transformer.wte.weight = self.lm_head.weight  # weight tying
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith("c_proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def get_num_params(self, non_embedding=True):
        n_params = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n_params -= self.transformer.wpe.weight.numel()
        return n_params

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        device = idx.device
        b, t = idx.size()
        assert t <= self.config.block_size
        pos = torch.arange(0, t, dtype=torch.long, device=device)
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
            logits = self.lm_head(x[:, [-1], :])  # the last position only, keeping the time dim
            loss = None
        return logits, loss

    def crop_block_size(self, block_size):
        assert block_size <= self.config.block_size
        self.config.block_size = block_size
        self.transformer.wpe.weight = nn.Parameter(self.transformer.wpe.weight[:block_size])
        for block in self.transformer.h:
            if hasattr(block.attn, "bias"):
                block.attn.bias = block.attn.bias[:, :, :block_size, :block_size]

    def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
        param_dict = {pn: p for pn, p in self.named_parameters() if p.requires_grad}
        decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
        nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
        optim_groups = [
            {"params": decay_params, "weight_decay": weight_decay},
            {"params": nodecay_params, "weight_decay": 0.0},
        ]
        fused_available = "fused" in inspect.signature(torch.optim.AdamW).parameters
        use_fused = fused_available and device_type == "cuda"
        extra_args = dict(fused=True) if use_fused else dict()
        return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas, **extra_args)

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
            idx_next = torch.multinomial(probs, num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


# --------------------------------------------------------------------- train.py

DEFAULTS = dict(
    out_dir="out",
    eval_interval=10,
    log_interval=1,
    eval_iters=2,
    always_save_checkpoint=False,
    init_from="scratch",
    data_dir="data/shakespeare_char",
    gradient_accumulation_steps=1,
    batch_size=8,
    block_size=16,
    n_layer=2,
    n_head=2,
    n_embd=32,
    dropout=0.0,
    bias=False,
    learning_rate=1e-2,
    max_iters=30,
    weight_decay=1e-1,
    beta1=0.9,
    beta2=0.99,
    grad_clip=1.0,
    decay_lr=True,
    warmup_iters=5,
    lr_decay_iters=30,
    min_lr=1e-3,
    device="cpu",
    # what train.py picks on a machine without CUDA: float16, with a GradScaler asked for
    dtype="bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float16",
    compile=False,
)


def train(**overrides):
    """train.py's body, configured as its configurator would (the defaults above, then the
    overrides); returns what it logged."""
    config = {**DEFAULTS, **overrides}
    cfg = type("Config", (), config)  # train.py's globals, read as cfg.name
    ddp = int(os.environ.get("RANK", -1)) != -1
    if ddp:
        init_process_group(backend="gloo")
    master_process, seed_offset = True, 0
    os.makedirs(cfg.out_dir, exist_ok=True)
    torch.manual_seed(1337 + seed_offset)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    device_type = "cuda" if "cuda" in cfg.device else "cpu"
    ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[
        cfg.dtype
    ]
    ctx = (
        nullcontext()
        if device_type == "cpu"
        else torch.amp.autocast(device_type=device_type, dtype=ptdtype)
    )

    def get_batch(split):
        # a new memmap each batch, as train.py does (to avoid a memory leak)
        data = np.memmap(os.path.join(cfg.data_dir, f"{split}.bin"), dtype=np.uint16, mode="r")
        ix = torch.randint(len(data) - cfg.block_size, (cfg.batch_size,))
        x = torch.stack(
            [torch.from_numpy((data[i : i + cfg.block_size]).astype(np.int64)) for i in ix]
        )
        y = torch.stack(
            [torch.from_numpy((data[i + 1 : i + 1 + cfg.block_size]).astype(np.int64)) for i in ix]
        )
        if device_type == "cuda":
            x, y = (
                x.pin_memory().to(cfg.device, non_blocking=True),
                y.pin_memory().to(cfg.device, non_blocking=True),
            )
        else:
            x, y = x.to(cfg.device), y.to(cfg.device)
        return x, y

    iter_num, best_val_loss = 0, 1e9
    with open(os.path.join(cfg.data_dir, "meta.json")) as f:
        meta_vocab_size = json.load(f)["vocab_size"]
    model_args = dict(
        n_layer=cfg.n_layer, n_head=cfg.n_head, n_embd=cfg.n_embd, block_size=cfg.block_size,
        bias=cfg.bias, vocab_size=None, dropout=cfg.dropout,
    )  # fmt: skip
    checkpoint = None
    if cfg.init_from == "scratch":
        model_args["vocab_size"] = meta_vocab_size
        model = GPT(GPTConfig(**model_args))
    else:  # resume
        checkpoint = torch.load(os.path.join(cfg.out_dir, "ckpt.pt"), map_location=cfg.device)
        for k in ["n_layer", "n_head", "n_embd", "block_size", "bias", "vocab_size"]:
            model_args[k] = checkpoint["model_args"][k]
        model = GPT(GPTConfig(**model_args))
        state_dict = checkpoint["model"]
        unwanted_prefix = "_orig_mod."
        for k, v in list(state_dict.items()):
            if k.startswith(unwanted_prefix):
                state_dict[k[len(unwanted_prefix) :]] = state_dict.pop(k)
        model.load_state_dict(state_dict)
        iter_num, best_val_loss = checkpoint["iter_num"], checkpoint["best_val_loss"]
    if cfg.block_size < model.config.block_size:
        model.crop_block_size(cfg.block_size)
        model_args["block_size"] = cfg.block_size
    model.to(cfg.device)
    scaler = torch.cuda.amp.GradScaler(enabled=(cfg.dtype == "float16"))
    optimizer = model.configure_optimizers(
        cfg.weight_decay, cfg.learning_rate, (cfg.beta1, cfg.beta2), device_type
    )
    if cfg.init_from == "resume":
        optimizer.load_state_dict(checkpoint["optimizer"])
    checkpoint = None
    if cfg.compile:
        model = torch.compile(model)
    if ddp:
        model = DDP(model, device_ids=[0])

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
            out[split] = losses.mean()
        model.train()
        return out

    def get_lr(it):
        if it < cfg.warmup_iters:
            return cfg.learning_rate * (it + 1) / (cfg.warmup_iters + 1)
        if it > cfg.lr_decay_iters:
            return cfg.min_lr
        decay_ratio = (it - cfg.warmup_iters) / (cfg.lr_decay_iters - cfg.warmup_iters)
        assert 0 <= decay_ratio <= 1
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
        return cfg.min_lr + coeff * (cfg.learning_rate - cfg.min_lr)

    log = {"evals": [], "losses": [], "lrs": [], "saved_at": []}
    X, Y = get_batch("train")
    t0 = time.time()
    raw_model = model.module if ddp else model
    while True:
        lr = get_lr(iter_num) if cfg.decay_lr else cfg.learning_rate
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        if iter_num % cfg.eval_interval == 0 and master_process:
            losses = estimate_loss()
            log["evals"].append((iter_num, float(losses["train"]), float(losses["val"])))
            if losses["val"] < best_val_loss or cfg.always_save_checkpoint:
                best_val_loss = losses["val"]
                if iter_num > 0:
                    checkpoint = {
                        "model": raw_model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "model_args": model_args,
                        "iter_num": iter_num,
                        "best_val_loss": best_val_loss,
                        "config": config,
                    }
                    torch.save(checkpoint, os.path.join(cfg.out_dir, "ckpt.pt"))
                    log["saved_at"].append(iter_num)
        for micro_step in range(cfg.gradient_accumulation_steps):
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
        if iter_num % cfg.log_interval == 0 and master_process:
            log["losses"].append(loss.item() * cfg.gradient_accumulation_steps)
            log["lrs"].append(lr)
            assert dt >= 0
        iter_num += 1
        if iter_num > cfg.max_iters:
            break
    if ddp:
        destroy_process_group()
    log["model"] = raw_model
    return log


# --------------------------------------------------------------------- sample.py


def sample(out_dir, data_dir, start="\n", num_samples=2, max_new_tokens=24, top_k=20, seed=1337):
    """sample.py's body (temperature 0.8, on the CPU), returning the texts and the model."""
    temperature, device = 0.8, "cpu"
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)
    device_type = "cuda" if "cuda" in device else "cpu"
    ctx = (
        nullcontext()
        if device_type == "cpu"
        else torch.amp.autocast(device_type=device_type, dtype=torch.float16)
    )
    checkpoint = torch.load(os.path.join(out_dir, "ckpt.pt"), map_location=device)
    model = GPT(GPTConfig(**checkpoint["model_args"]))
    state_dict = checkpoint["model"]
    unwanted_prefix = "_orig_mod."
    for k, v in list(state_dict.items()):
        if k.startswith(unwanted_prefix):
            state_dict[k[len(unwanted_prefix) :]] = state_dict.pop(k)
    model.load_state_dict(state_dict)
    model.eval()
    model.to(device)
    with open(os.path.join(data_dir, "meta.json")) as f:
        chars = json.load(f)["chars"]
    stoi, itos = {ch: i for i, ch in enumerate(chars)}, dict(enumerate(chars))
    encode = lambda s: [stoi[c] for c in s]  # noqa: E731
    decode = lambda l: "".join([itos[i] for i in l])  # noqa: E731, E741
    x = torch.tensor(encode(start), dtype=torch.long, device=device)[None, ...]
    texts = []
    with torch.no_grad():
        with ctx:
            for k in range(num_samples):
                y = model.generate(x, max_new_tokens, temperature=temperature, top_k=top_k)
                texts.append(decode(y[0].tolist()))
    return texts, model


# --------------------------------------------------------------------- the tests


@pytest.fixture(autouse=True)
def pytorch_defaults():
    """PyTorch's default dtype, float32, as the scripts assume (a no-op once it is
    micrograd's default too); restored afterwards."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    yield
    torch.set_default_dtype(before)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A run's folder, with the data prepared as prepare.py prepares it."""
    monkeypatch.chdir(tmp_path)
    text = SHAKESPEARE.read_text(encoding="utf-8")
    n_train, n_val = prepare("data/shakespeare_char", text)
    assert (n_train, n_val) == (54_000, 6_000)
    return tmp_path


def _values(state_dict):
    return {
        k: np.array(v.detach().numpy() if isinstance(v, torch.Tensor) else v)
        for k, v in state_dict.items()
    }


def test_train_evaluate_checkpoint_resume_and_sample(workdir):
    with pytest.warns(UserWarning, match="GradScaler is enabled, but CUDA is not available"):
        first = train(max_iters=20)
    # trained: the loss fell from the uniform guess, log(vocab), and the schedule warmed up
    evals = first["evals"]
    assert [e[0] for e in evals] == [0, 10, 20]
    assert evals[0][2] == pytest.approx(math.log(59), rel=0.05)
    assert evals[-1][2] < evals[0][2] - 0.3
    assert first["lrs"][0] == pytest.approx(1e-2 / 6) and max(first["lrs"]) == pytest.approx(
        1e-2, rel=0.05
    )
    assert first["saved_at"] == [10, 20]

    # the checkpoint, as train.py's dict
    ckpt = torch.load("out/ckpt.pt", map_location="cpu")
    assert list(ckpt) == ["model", "optimizer", "model_args", "iter_num", "best_val_loss", "config"]
    assert ckpt["iter_num"] == 20 and ckpt["config"]["batch_size"] == 8
    assert ckpt["model_args"] == dict(
        n_layer=2, n_head=2, n_embd=32, block_size=16, bias=False, vocab_size=59, dropout=0.0
    )
    assert float(ckpt["best_val_loss"]) == pytest.approx(evals[-1][2])

    # resume: the iterations go on from the checkpoint
    with pytest.warns(UserWarning, match="GradScaler"):
        second = train(init_from="resume", max_iters=30)
    assert [e[0] for e in second["evals"]] == [20, 30]
    assert second["evals"][0][2] == pytest.approx(evals[-1][2], abs=0.15)  # the same model

    # sample.py: the saved weights, exactly; text in the corpus's characters
    texts, model = sample("out", "data/shakespeare_char")
    final = _values(torch.load("out/ckpt.pt")["model"])
    assert all(np.array_equal(final[k], v) for k, v in _values(model.state_dict()).items())
    assert len(texts) == 2 and all(len(t) == 25 and t[0] == "\n" for t in texts)
    corpus_chars = set(SHAKESPEARE.read_text(encoding="utf-8"))
    assert set("".join(texts)) <= corpus_chars
    assert sample("out", "data/shakespeare_char")[0] == texts  # seeded: the same text again


def test_sampling_a_checkpoint_saved_from_a_compiled_model(workdir):
    """A model compiled by PyTorch saves its keys with the '_orig_mod.' prefix; sample.py
    strips it. (micrograd.compile returns the model itself, whose keys have no prefix.)"""
    with pytest.warns(UserWarning, match="GradScaler"):
        run = train(max_iters=10, compile=True)
    assert torch.compile(run["model"]) is run["model"]
    ckpt = torch.load("out/ckpt.pt")
    ckpt["model"] = {"_orig_mod." + k: v for k, v in ckpt["model"].items()}
    torch.save(ckpt, "out/ckpt.pt")
    texts, model = sample("out", "data/shakespeare_char", num_samples=1, max_new_tokens=5)
    assert list(model.state_dict()) == list(run["model"].state_dict())
    assert len(texts[0]) == 6


def test_the_fast_and_the_slow_attention_agree(workdir):
    """model.py takes F.scaled_dot_product_attention when it exists, else the masked softmax:
    the same model either way."""
    config = GPTConfig(block_size=16, vocab_size=59, n_layer=2, n_head=2, n_embd=32, bias=True)
    torch.manual_seed(0)
    fast = GPT(config)
    slow = GPT(GPTConfig(**{**config.__dict__, "flash": False}))
    slow.load_state_dict(fast.state_dict(), strict=False)  # slow has the mask buffers too
    idx = torch.randint(59, (3, 16))
    (a, la), (b, lb) = fast(idx, idx), slow(idx, idx)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-9)
    assert la.item() == pytest.approx(lb.item(), rel=1e-9)


def test_float32_and_the_bfloat16_context_of_a_gpu_run(workdir):
    """dtype='float32' makes no scaler; on a CUDA machine ctx would be autocast: here the same
    code path runs with autocast on the CPU (what train.py would do with device_type 'cpu' if
    it asked for it), and trains."""
    run = train(max_iters=10, dtype="float32")
    assert run["evals"][-1][2] < run["evals"][0][2]
    ctx = torch.amp.autocast(device_type="cpu", dtype=torch.bfloat16)
    model = run["model"]
    with ctx:
        logits, loss = model(
            torch.zeros(2, 16, dtype=torch.long), torch.zeros(2, 16, dtype=torch.long)
        )
    assert (logits.dtype, loss.dtype) == (torch.bfloat16, torch.float32)


def test_a_ddp_launch_says_micrograd_trains_in_one_process(workdir, monkeypatch):
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(RuntimeError, match="one process"):
        train(max_iters=1)
