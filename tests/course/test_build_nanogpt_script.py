"""build-nanogpt's train_gpt2.py ("Let's reproduce GPT-2", karpathy/build-nanogpt) on micrograd,
as far as it runs offline: its GPT (NANOGPT_SCALE_INIT, weight tying), configure_optimizers
with the fused check, a DataLoaderLite over token shards in fineweb.py's .npy format (written
here), gradient accumulation under ``torch.autocast(device_type='cpu', dtype=torch.bfloat16)``,
clipping, the cosine schedule, evaluation, the checkpoint dict with its GPTConfig dataclass,
the sampling loop (topk 50, multinomial with a generator, gather) and hellaswag.py's scoring
(render_example, get_most_likely_row) on examples made here.

The script downloads FineWeb and HellaSwag and trains 124M parameters at 524,288 tokens a
step; here the same body runs at n_layer 2, n_embd 32, T 16, on bytes as tokens (GPT-2's BPE,
tiktoken, would download its vocabulary). The code is this test's own, in the script's shape,
with ``torch`` spelled ``micrograd``.
"""

from __future__ import annotations

import inspect
import math
import os
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pytest

import micrograd as torch
import micrograd.distributed as dist
import micrograd.nn as nn
from micrograd.distributed import destroy_process_group, init_process_group
from micrograd.nn import functional as F
from micrograd.nn.parallel import DistributedDataParallel as DDP
from micrograd.serialization import add_safe_globals, clear_safe_globals, get_safe_globals

master_process = True  # the script's global, read by configure_optimizers

# --------------------------------------------------------------------- the model


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.c_proj.NANOGPT_SCALE_INIT = 1
        self.n_head, self.n_embd = config.n_head, config.n_embd

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)
        self.c_proj.NANOGPT_SCALE_INIT = 1

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=nn.LayerNorm(config.n_embd),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight sharing
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            std = 0.02
            if hasattr(module, "NANOGPT_SCALE_INIT"):
                std *= (2 * self.config.n_layer) ** -0.5
            torch.nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        B, T = idx.size()
        assert T <= self.config.block_size
        pos = torch.arange(0, T, dtype=torch.long, device=idx.device)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    def configure_optimizers(self, weight_decay, learning_rate, device_type):
        param_dict = {pn: p for pn, p in self.named_parameters() if p.requires_grad}
        decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
        nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
        optim_groups = [
            {"params": decay_params, "weight_decay": weight_decay},
            {"params": nodecay_params, "weight_decay": 0.0},
        ]
        fused_available = "fused" in inspect.signature(torch.optim.AdamW).parameters
        use_fused = fused_available and device_type == "cuda"
        return torch.optim.AdamW(
            optim_groups, lr=learning_rate, betas=(0.9, 0.95), eps=1e-8, fused=use_fused
        )


# --------------------------------------------------------------------- data


def load_tokens(filename):
    npt = np.load(filename)
    npt = npt.astype(np.int32)
    return torch.tensor(npt, dtype=torch.long)


class DataLoaderLite:
    def __init__(self, B, T, process_rank, num_processes, split, data_root):
        self.B, self.T = B, T
        self.process_rank, self.num_processes = process_rank, num_processes
        assert split in {"train", "val"}
        shards = sorted(s for s in os.listdir(data_root) if split in s)
        self.shards = [os.path.join(data_root, s) for s in shards]
        assert len(shards) > 0, f"no shards found for split {split}"
        self.reset()

    def reset(self):
        self.current_shard = 0
        self.tokens = load_tokens(self.shards[self.current_shard])
        self.current_position = self.B * self.T * self.process_rank

    def next_batch(self):
        B, T = self.B, self.T
        buf = self.tokens[self.current_position : self.current_position + B * T + 1]
        x, y = (buf[:-1]).view(B, T), (buf[1:]).view(B, T)
        self.current_position += B * T * self.num_processes
        if self.current_position + (B * T * self.num_processes + 1) > len(self.tokens):
            self.current_shard = (self.current_shard + 1) % len(self.shards)
            self.tokens = load_tokens(self.shards[self.current_shard])
            self.current_position = B * T * self.process_rank
        return x, y


def write_shards(data_root, text, shard_size=8192):
    """fineweb.py's output: uint16 token arrays saved with np.save, the first shard 'val', the
    rest 'train' (tokens here are the text's bytes, with 256 as the end-of-text token)."""
    os.makedirs(data_root, exist_ok=True)
    tokens = np.array([256] + list(text.encode("utf-8")), dtype=np.uint16)
    for index, start in enumerate(range(0, len(tokens), shard_size)):
        split = "val" if index == 0 else "train"
        np.save(
            os.path.join(data_root, f"edufineweb_{split}_{index:06d}"),
            tokens[start : start + shard_size],
        )


# --------------------------------------------------------------------- hellaswag.py


def render_example(example, encode):
    """The context followed by each of the 4 endings, as rows of tokens (padded with 0), and a
    mask that is 1 over each ending."""
    ctx_tokens = encode(example["ctx"])
    tok_rows, mask_rows = [], []
    for end in example["endings"]:
        end_tokens = encode(" " + end)
        tok_rows.append(ctx_tokens + end_tokens)
        mask_rows.append([0] * len(ctx_tokens) + [1] * len(end_tokens))
    max_len = max(len(row) for row in tok_rows)
    tokens = torch.zeros((4, max_len), dtype=torch.long)
    mask = torch.zeros((4, max_len), dtype=torch.long)
    for i, (tok_row, mask_row) in enumerate(zip(tok_rows, mask_rows)):
        tokens[i, : len(tok_row)] = torch.tensor(tok_row)
        mask[i, : len(mask_row)] = torch.tensor(mask_row)
    return tokens, mask, example["label"]


def get_most_likely_row(tokens, mask, logits):
    """The row whose ending has the lowest mean loss per token."""
    shift_logits = (logits[..., :-1, :]).contiguous()
    shift_tokens = (tokens[..., 1:]).contiguous()
    flat_shift_logits = shift_logits.view(-1, shift_logits.size(-1))
    flat_shift_tokens = shift_tokens.view(-1)
    shift_losses = F.cross_entropy(flat_shift_logits, flat_shift_tokens, reduction="none")
    shift_losses = shift_losses.view(tokens.size(0), -1)
    shift_mask = (mask[..., 1:]).contiguous()
    masked_shift_losses = shift_losses * shift_mask
    sum_loss = masked_shift_losses.sum(dim=1)
    avg_loss = sum_loss / shift_mask.sum(dim=1)
    return avg_loss.argmin().item(), avg_loss


# --------------------------------------------------------------------- train_gpt2.py


def run(data_root, log_dir, examples, max_steps=8, eval_every=4):
    """train_gpt2.py's body at a tiny size; returns what it logged."""
    ddp = int(os.environ.get("RANK", -1)) != -1
    if ddp:
        init_process_group(backend="nccl")
    ddp_rank, ddp_world_size = 0, 1
    device = "cpu"
    if torch.cuda.is_available():
        device = "cuda"
    elif hasattr(torch.backends, "mps") and torch.backends.mps.is_available():
        device = "mps"
    device_type = "cuda" if device.startswith("cuda") else "cpu"
    torch.manual_seed(1337)
    if torch.cuda.is_available():
        torch.cuda.manual_seed(1337)
    encode = lambda s: list(s.encode("utf-8"))  # noqa: E731
    decode = lambda tokens: bytes(t for t in tokens if t < 256).decode("utf-8", "replace")  # noqa: E731

    total_batch_size, B, T = 128, 4, 16
    assert total_batch_size % (B * T * ddp_world_size) == 0
    grad_accum_steps = total_batch_size // (B * T * ddp_world_size)
    train_loader = DataLoaderLite(B, T, ddp_rank, ddp_world_size, "train", data_root)
    val_loader = DataLoaderLite(B, T, ddp_rank, ddp_world_size, "val", data_root)
    torch.set_float32_matmul_precision("high")

    model = GPT(GPTConfig(block_size=32, vocab_size=320, n_layer=2, n_head=2, n_embd=32))
    model.to(device)
    if ddp:
        model = DDP(model, device_ids=[0])
    raw_model = model.module if ddp else model

    max_lr, warmup_steps = 3e-3, 2
    min_lr = max_lr * 0.1

    def get_lr(it):
        if it < warmup_steps:
            return max_lr * (it + 1) / warmup_steps
        if it > max_steps:
            return min_lr
        decay_ratio = (it - warmup_steps) / (max_steps - warmup_steps)
        assert 0 <= decay_ratio <= 1
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
        return min_lr + coeff * (max_lr - min_lr)

    optimizer = raw_model.configure_optimizers(
        weight_decay=0.1, learning_rate=6e-4, device_type=device_type
    )
    os.makedirs(log_dir, exist_ok=True)
    log = {"val": [], "train": [], "hella": [], "samples": [], "norms": [], "checkpoints": []}
    for step in range(max_steps):
        last_step = step == max_steps - 1
        if step % eval_every == 0 or last_step:
            model.eval()
            val_loader.reset()
            with torch.no_grad():
                val_loss_accum = 0.0
                val_loss_steps = 2
                for _ in range(val_loss_steps):
                    x, y = val_loader.next_batch()
                    x, y = x.to(device), y.to(device)
                    with torch.autocast(device_type=device_type, dtype=torch.bfloat16):
                        logits, loss = model(x, y)
                    loss = loss / val_loss_steps
                    val_loss_accum += loss.detach()
            if ddp:
                dist.all_reduce(val_loss_accum, op=dist.ReduceOp.AVG)
            log["val"].append((step, val_loss_accum.item()))
            if step > 0 and last_step:
                checkpoint_path = os.path.join(log_dir, f"model_{step:05d}.pt")
                checkpoint = {
                    "model": raw_model.state_dict(),
                    "config": raw_model.config,
                    "step": step,
                    "val_loss": val_loss_accum.item(),
                }
                torch.save(checkpoint, checkpoint_path)
                log["checkpoints"].append(checkpoint_path)

        if step % eval_every == 0 or last_step:
            num_correct_norm, num_total = 0, 0
            for i, example in enumerate(examples):
                if i % ddp_world_size != ddp_rank:
                    continue
                tokens, mask, label = render_example(example, encode)
                tokens, mask = tokens.to(device), mask.to(device)
                with torch.no_grad():
                    with torch.autocast(device_type=device_type, dtype=torch.bfloat16):
                        logits, loss = model(tokens)
                    pred_norm, _ = get_most_likely_row(tokens, mask, logits)
                num_total += 1
                num_correct_norm += int(pred_norm == label)
            log["hella"].append((step, num_correct_norm, num_total))

        if (step > 0 and step % eval_every == 0) or last_step:
            model.eval()
            num_return_sequences, max_length = 4, 20
            tokens = torch.tensor(encode("First Citizen:"), dtype=torch.long)
            xgen = tokens.unsqueeze(0).repeat(num_return_sequences, 1).to(device)
            sample_rng = torch.Generator(device=device)
            sample_rng.manual_seed(42 + ddp_rank)
            while xgen.size(1) < max_length:
                with torch.no_grad():
                    with torch.autocast(device_type=device_type, dtype=torch.bfloat16):
                        logits, loss = model(xgen)
                    logits = logits[:, -1, :]
                    probs = F.softmax(logits, dim=-1)
                    topk_probs, topk_indices = torch.topk(probs, 50, dim=-1)
                    ix = torch.multinomial(topk_probs, 1, generator=sample_rng)
                    xcol = torch.gather(topk_indices, -1, ix)
                    xgen = torch.cat((xgen, xcol), dim=1)
            log["samples"].append(
                [decode(xgen[i, :max_length].tolist()) for i in range(num_return_sequences)]
            )

        model.train()
        optimizer.zero_grad()
        loss_accum = 0.0
        for micro_step in range(grad_accum_steps):
            x, y = train_loader.next_batch()
            x, y = x.to(device), y.to(device)
            if ddp:
                model.require_backward_grad_sync = micro_step == grad_accum_steps - 1
            with torch.autocast(device_type=device_type, dtype=torch.bfloat16):
                logits, loss = model(x, y)
            loss = loss / grad_accum_steps
            loss_accum += loss.detach()
            loss.backward()
        if ddp:
            dist.all_reduce(loss_accum, op=dist.ReduceOp.AVG)
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        lr = get_lr(step)
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        optimizer.step()
        if device_type == "cuda":
            torch.cuda.synchronize()
        log["train"].append((step, loss_accum.item(), lr))
        log["norms"].append(f"{norm:.4f}")
    if ddp:
        destroy_process_group()
    log["model"] = raw_model
    return log


# --------------------------------------------------------------------- the tests


@pytest.fixture(autouse=True)
def pytorch_defaults():
    """PyTorch's default dtype, float32, and no class allowed in checkpoints; both restored."""
    before, allowed = torch.get_default_dtype(), get_safe_globals()
    torch.set_default_dtype(torch.float32)
    clear_safe_globals()
    yield
    torch.set_default_dtype(before)
    clear_safe_globals()
    add_safe_globals(allowed)


EXAMPLES = [
    {
        "ctx": "First Citizen:",
        "label": 0,
        "endings": ["Before we proceed", "xq zv", "qqqq", "zzzz"],
    },
    {"ctx": "All:", "label": 2, "endings": ["kkkk", "vxvx", "Speak, speak.", "jjjj"]},
]


@pytest.fixture
def shards(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (resources.files("micrograd") / "datasets" / "shakespeare_60k.txt").read_text("utf-8")
    write_shards("edu_fineweb10B", text[:24_000])
    return "edu_fineweb10B"


def test_train_with_bfloat16_autocast_evaluate_checkpoint_sample_and_score(shards):
    log = run(shards, "log", EXAMPLES)
    # trained in bfloat16 autocast with gradient accumulation: the loss fell from log(320)
    assert log["val"][0][1] == pytest.approx(math.log(320), rel=0.05)
    assert log["val"][-1][1] < log["val"][0][1] - 0.5
    assert [lr for _, _, lr in log["train"]][:2] == [1.5e-3, 3e-3]
    assert all(float(n) > 0 for n in log["norms"])
    model = log["model"]
    assert all(
        p.dtype == torch.float32 and p.grad.dtype == torch.float32 for p in model.parameters()
    )
    assert model.transformer.wte.weight is model.lm_head.weight
    # the sampling loop: 4 sequences of 20 tokens from the prompt, drawn from the top 50
    for samples in log["samples"]:
        assert len(samples) == 4 and all(s.startswith("First Citizen:") for s in samples)
    # HellaSwag: every example scored at each evaluation
    assert [(step, total) for step, _, total in log["hella"]] == [(0, 2), (4, 2), (7, 2)]


def test_the_checkpoint_with_its_dataclass_config_loads_once_the_class_is_allowed(shards):
    log = run(shards, "log", EXAMPLES, max_steps=2, eval_every=10)
    (path,) = log["checkpoints"]
    assert path == os.path.join("log", "model_00001.pt")
    with pytest.raises(ValueError, match=r"add_safe_globals\(\[GPTConfig\]\)"):  # says how
        torch.load(path)
    add_safe_globals([GPTConfig])
    checkpoint = torch.load(path, map_location="cpu")
    assert checkpoint["config"] == GPTConfig(
        block_size=32, vocab_size=320, n_layer=2, n_head=2, n_embd=32
    )
    assert checkpoint["step"] == 1 and isinstance(checkpoint["val_loss"], float)
    fresh = GPT(checkpoint["config"])
    fresh.load_state_dict(checkpoint["model"])  # strict: every name and shape fits
    for name, value in fresh.state_dict().items():
        np.testing.assert_array_equal(np.asarray(value), np.asarray(checkpoint["model"][name]))
    # saved at the last step's evaluation, before its update: a further step from it runs
    logits, loss = fresh(torch.randint(320, (2, 16)), torch.randint(320, (2, 16)))
    loss.backward()
    assert logits.shape == (2, 16, 320) and fresh.lm_head.weight.grad is not None


def test_the_scale_init_flag_shrinks_the_residual_projections():
    torch.manual_seed(0)
    model = GPT(GPTConfig(block_size=8, vocab_size=64, n_layer=8, n_head=2, n_embd=64))
    stds = {
        n: float(p.detach().numpy().std())
        for n, p in model.named_parameters()
        if n.endswith("weight")
    }
    assert stds["transformer.h.0.attn.c_attn.weight"] == pytest.approx(0.02, rel=0.1)
    assert stds["transformer.h.0.mlp.c_proj.weight"] == pytest.approx(0.02 / 4, rel=0.1)
    assert stds["transformer.h.0.attn.c_proj.weight"] == pytest.approx(0.02 / 4, rel=0.1)


def test_hellaswag_scoring_picks_the_ending_with_the_lowest_mean_loss():
    """get_most_likely_row on bfloat16 logits (the model's output under autocast), against
    the same arithmetic in float64 on the same logits."""
    rng = np.random.default_rng(0)
    tokens, mask, label = render_example(EXAMPLES[1], lambda s: list(s.encode("utf-8")))
    logits = torch.tensor(rng.standard_normal((4, tokens.size(1), 320)), dtype=torch.float32).to(
        torch.bfloat16
    )
    pred, avg_loss = get_most_likely_row(tokens, mask, logits)
    assert avg_loss.dtype == torch.bfloat16
    x = logits.to(torch.float64).detach().numpy()[:, :-1]
    log_probs = x - np.log(np.exp(x).sum(-1, keepdims=True))
    picked = -np.take_along_axis(log_probs, tokens.numpy()[:, 1:, None], -1)[..., 0]
    m = mask.numpy()[:, 1:]
    expected = (picked * m).sum(1) / m.sum(1)
    np.testing.assert_allclose(avg_loss.to(torch.float32).detach().numpy(), expected, rtol=2**-7)
    assert pred == int(np.argmin(expected))


def test_a_ddp_launch_says_micrograd_trains_in_one_process(shards, monkeypatch):
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(RuntimeError, match="one process"):
        run(shards, "log", EXAMPLES)
