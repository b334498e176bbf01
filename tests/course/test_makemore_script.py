"""makemore.py (karpathy/makemore) as a script on micrograd, end to end: its datasets and
infinite loader (Dataset, DataLoader with a RandomSampler of 1e10 samples, pin_memory and
workers), TensorBoard logging, its Transformer, AdamW with betas, eps and weight decay,
evaluate(), saving the best model's state_dict, resuming from it (--resume / --sample-only),
and sampling names.

The code below is this test's own, in makemore.py's shape (its classes, its calls, its loop)
at a tiny size, with ``torch`` spelled ``micrograd``; run with argparse as the script is.
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import struct
import time
from dataclasses import dataclass

import pytest

import micrograd as torch
import micrograd.nn as nn
from micrograd.data import names
from micrograd.nn import functional as F
from micrograd.utils.data import Dataset
from micrograd.utils.data.dataloader import DataLoader
from micrograd.utils.tensorboard import SummaryWriter

# --------------------------------------------------------------------- the model


@dataclass
class ModelConfig:
    block_size: int = None
    vocab_size: int = None
    n_layer: int = 4
    n_embd: int = 64
    n_embd2: int = 64
    n_head: int = 4


class NewGELU(nn.Module):
    """GELU's tanh form written out, as makemore.py writes it (with torch.pow)."""

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
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        mask = torch.tril(torch.ones(config.block_size, config.block_size))
        self.register_buffer("bias", mask.view(1, 1, config.block_size, config.block_size))
        self.n_head, self.n_embd = config.n_head, config.n_embd

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = nn.ModuleDict(
            dict(
                c_fc=nn.Linear(config.n_embd, 4 * config.n_embd),
                c_proj=nn.Linear(4 * config.n_embd, config.n_embd),
                act=NewGELU(),
            )
        )
        m = self.mlp
        self.mlpf = lambda x: m.c_proj(m.act(m.c_fc(x)))  # a plain attribute: no parameters

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlpf(self.ln_2(x))


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

    def get_block_size(self):
        return self.block_size

    def forward(self, idx, targets=None):
        b, t = idx.size()
        assert t <= self.block_size
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device).unsqueeze(0)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(
                logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
            )
        return logits, loss


# --------------------------------------------------------------------- sampling and evaluating


@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, do_sample=False, top_k=None):
    block_size = model.get_block_size()
    for _ in range(max_new_tokens):
        idx_cond = idx if idx.size(1) <= block_size else idx[:, -block_size:]
        logits, _ = model(idx_cond)
        logits = logits[:, -1, :] / temperature
        if top_k is not None:
            v, _ = torch.topk(logits, top_k)
            logits[logits < v[:, [-1]]] = -float("Inf")
        probs = F.softmax(logits, dim=-1)
        if do_sample:
            idx_next = torch.multinomial(probs, num_samples=1)
        else:
            _, idx_next = torch.topk(probs, k=1, dim=-1)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx


def print_samples(model, args, train_dataset, test_dataset, num=10):
    """Samples names and sorts them into those in the training set, in the test set, and new
    (returned, where makemore.py prints them)."""
    X_init = torch.zeros(num, 1, dtype=torch.long).to(args.device)
    top_k = args.top_k if args.top_k != -1 else None
    steps = train_dataset.get_output_length() - 1
    X_samp = generate(model, X_init, steps, top_k=top_k, do_sample=True).to("cpu")
    found = {"train": [], "test": [], "new": []}
    for i in range(X_samp.size(0)):
        row = X_samp[i, 1:].tolist()
        crop_index = row.index(0) if 0 in row else len(row)
        word = train_dataset.decode(row[:crop_index])
        where = (
            "train"
            if train_dataset.contains(word)
            else "test"
            if test_dataset.contains(word)
            else "new"
        )
        found[where].append(word)
    return found


@torch.inference_mode()
def evaluate(model, dataset, device, batch_size=50, max_batches=None):
    model.eval()
    loader = DataLoader(dataset, shuffle=True, batch_size=batch_size, num_workers=0)
    losses = []
    for i, batch in enumerate(loader):
        X, Y = [t.to(device) for t in batch]
        logits, loss = model(X, Y)
        losses.append(loss.item())
        if max_batches is not None and i >= max_batches:
            break
    mean_loss = torch.tensor(losses).mean().item()
    model.train()
    return mean_loss


# --------------------------------------------------------------------- the data


class CharDataset(Dataset):
    def __init__(self, words, chars, max_word_length):
        self.words, self.chars, self.max_word_length = words, chars, max_word_length
        self.stoi = {ch: i + 1 for i, ch in enumerate(chars)}
        self.itos = {i: s for s, i in self.stoi.items()}

    def __len__(self):
        return len(self.words)

    def contains(self, word):
        return word in self.words

    def get_vocab_size(self):
        return len(self.chars) + 1  # the characters and the special 0 token

    def get_output_length(self):
        return self.max_word_length + 1  # <START> and the word

    def encode(self, word):
        return torch.tensor([self.stoi[w] for w in word], dtype=torch.long)

    def decode(self, ix):
        return "".join(self.itos[i] for i in ix)

    def __getitem__(self, idx):
        ix = self.encode(self.words[idx])
        x = torch.zeros(self.max_word_length + 1, dtype=torch.long)
        y = torch.zeros(self.max_word_length + 1, dtype=torch.long)
        x[1 : 1 + len(ix)] = ix
        y[: len(ix)] = ix
        y[len(ix) + 1 :] = -1  # -1 masks the loss at the inactive positions
        return x, y


def create_datasets(input_file):
    with open(input_file) as f:
        words = [w.strip() for w in f.read().splitlines()]
    words = [w for w in words if w]
    chars = sorted(list(set("".join(words))))
    max_word_length = max(len(w) for w in words)
    test_set_size = min(1000, int(len(words) * 0.1))
    rp = torch.randperm(len(words)).tolist()
    train_words = [words[i] for i in rp[:-test_set_size]]
    test_words = [words[i] for i in rp[-test_set_size:]]
    return (
        CharDataset(train_words, chars, max_word_length),
        CharDataset(test_words, chars, max_word_length),
    )


class InfiniteDataLoader:
    """A loader that never ends: a RandomSampler with replacement of 1e10 samples (drawn
    lazily: nothing of that size is ever made)."""

    def __init__(self, dataset, **kwargs):
        train_sampler = torch.utils.data.RandomSampler(
            dataset, replacement=True, num_samples=int(1e10)
        )
        self.train_loader = DataLoader(dataset, sampler=train_sampler, **kwargs)
        self.data_iter = iter(self.train_loader)

    def next(self):
        try:
            batch = next(self.data_iter)
        except StopIteration:
            self.data_iter = iter(self.train_loader)
            batch = next(self.data_iter)
        return batch


# --------------------------------------------------------------------- the script


def main(argv, eval_every=500, sample_every=200):
    """makemore.py's main, with its evaluation and sampling intervals as parameters (500 and
    200 in the script) so that a few steps reach them. Returns what it printed, as data."""
    parser = argparse.ArgumentParser(description="Make More")
    parser.add_argument("--input-file", "-i", type=str, default="names.txt")
    parser.add_argument("--work-dir", "-o", type=str, default="out")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--sample-only", action="store_true")
    parser.add_argument("--num-workers", "-n", type=int, default=4)
    parser.add_argument("--max-steps", type=int, default=-1)
    parser.add_argument("--device", type=str, default="cpu")
    parser.add_argument("--seed", type=int, default=3407)
    parser.add_argument("--top-k", type=int, default=-1)
    parser.add_argument("--n-layer", type=int, default=4)
    parser.add_argument("--n-head", type=int, default=4)
    parser.add_argument("--n-embd", type=int, default=64)
    parser.add_argument("--n-embd2", type=int, default=64)
    parser.add_argument("--batch-size", "-b", type=int, default=32)
    parser.add_argument("--learning-rate", "-l", type=float, default=5e-4)
    parser.add_argument("--weight-decay", "-w", type=float, default=0.01)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    torch.cuda.manual_seed_all(args.seed)
    os.makedirs(args.work_dir, exist_ok=True)
    writer = SummaryWriter(log_dir=args.work_dir)

    train_dataset, test_dataset = create_datasets(args.input_file)
    vocab_size = train_dataset.get_vocab_size()
    block_size = train_dataset.get_output_length()
    config = ModelConfig(
        vocab_size=vocab_size, block_size=block_size, n_layer=args.n_layer,
        n_head=args.n_head, n_embd=args.n_embd, n_embd2=args.n_embd2,
    )  # fmt: skip
    model = Transformer(config)
    model.to(args.device)
    out = {
        "losses": [],
        "evals": [],
        "samples": [],
        "params": sum(p.numel() for p in model.parameters()),
    }
    if args.resume or args.sample_only:
        model.load_state_dict(torch.load(os.path.join(args.work_dir, "model.pt")))
    out["model"] = model
    if args.sample_only:
        out["samples"].append(print_samples(model, args, train_dataset, test_dataset, num=50))
        return out

    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=args.learning_rate,
        weight_decay=args.weight_decay,
        betas=(0.9, 0.99),
        eps=1e-8,
    )
    batch_loader = InfiniteDataLoader(
        train_dataset, batch_size=args.batch_size, pin_memory=True, num_workers=args.num_workers
    )
    best_loss = None
    step = 0
    while True:
        t0 = time.time()
        batch = batch_loader.next()
        X, Y = [t.to(args.device) for t in batch]
        logits, loss = model(X, Y)
        model.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        t1 = time.time()
        out["losses"].append((loss.item(), (t1 - t0) * 1000))
        if step > 0 and step % eval_every == 0:
            train_loss = evaluate(model, train_dataset, args.device, batch_size=100, max_batches=10)
            test_loss = evaluate(model, test_dataset, args.device, batch_size=100, max_batches=10)
            writer.add_scalar("Loss/train", train_loss, step)
            writer.add_scalar("Loss/test", test_loss, step)
            writer.flush()
            out["evals"].append((step, train_loss, test_loss))
            if best_loss is None or test_loss < best_loss:
                torch.save(model.state_dict(), os.path.join(args.work_dir, "model.pt"))
                best_loss = test_loss
        if step > 0 and step % sample_every == 0:
            out["samples"].append(print_samples(model, args, train_dataset, test_dataset, num=10))
        step += 1
        if args.max_steps >= 0 and step >= args.max_steps:
            break
    writer.close()
    return out


# --------------------------------------------------------------------- the tests


def logged_scalars(log_dir):
    """{tag: [(step, value), ...]} from the TensorBoard event file in ``log_dir``: records of
    an 8-byte length, its 4-byte CRC, an Event, and the Event's CRC (tests/utils/
    test_tensorboard.py checks the framing and the CRCs)."""
    from tensorboardX.proto.event_pb2 import Event

    (path,) = pathlib.Path(log_dir).glob("events.out.tfevents.*")
    data, at, found = path.read_bytes(), 0, {}
    while at < len(data):
        (length,) = struct.unpack("<Q", data[at : at + 8])
        event = Event.FromString(data[at + 12 : at + 12 + length])
        for value in event.summary.value:
            found.setdefault(value.tag, []).append((event.step, value.simple_value))
        at += 16 + length
    return found


@pytest.fixture(autouse=True)
def pytorch_defaults():
    """PyTorch's default dtype, float32, as the script assumes (a no-op once it is micrograd's
    default too); restored afterwards."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    yield
    torch.set_default_dtype(before)


@pytest.fixture
def names_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "names.txt").write_text("\n".join(names()[:2000]) + "\n")
    return "names.txt"


SMALL = [
    "--n-layer",
    "2",
    "--n-head",
    "2",
    "--n-embd",
    "32",
    "--batch-size",
    "16",
    "--learning-rate",
    "1e-2",
]


def test_train_evaluate_log_save_resume_and_sample(names_file):
    argv = ["-i", names_file, "-o", "out", *SMALL, "--top-k", "5"]
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true"):
        run = main([*argv, "--max-steps", "41"], eval_every=20, sample_every=40)
    first_loss = run["losses"][0][0]
    assert first_loss == pytest.approx(math.log(27), rel=0.15)  # about uniform over 27 tokens
    assert [step for step, _, _ in run["evals"]] == [20, 40]
    assert run["evals"][-1][2] < first_loss - 0.5  # the test loss fell
    assert all(ms >= 0 for _, ms in run["losses"])

    # TensorBoard's event file holds the two losses of each evaluation
    logged = logged_scalars("out")
    assert [step for step, _ in logged["Loss/test"]] == [20, 40]
    assert logged["Loss/test"][-1][1] == pytest.approx(run["evals"][-1][2], rel=1e-6)

    # samples: ten names per round of the vocabulary's letters, sorted three ways
    (found,) = run["samples"]
    words = found["train"] + found["test"] + found["new"]
    assert len(words) == 10 and all(set(w) <= set("abcdefghijklmnopqrstuvwxyz") for w in words)

    # the best model was saved as a state_dict; --sample-only and --resume load it
    saved = torch.load("out/model.pt")
    assert list(saved) == list(run["model"].state_dict())
    sampled = main([*argv, "--sample-only"])
    assert sum(len(v) for v in sampled["samples"][0].values()) == 50
    for name, value in sampled["model"].state_dict().items():
        assert (value == saved[name]).all(), name
    with pytest.warns(UserWarning, match="pin_memory"):
        resumed = main([*argv, "--resume", "--max-steps", "1"])
    assert resumed["losses"][0][0] < first_loss - 0.5  # it starts from the trained model


def test_workers_change_nothing_but_the_warning(names_file):
    """num_workers=4 (the script's default) and 0 give the same batches: micrograd makes them
    in the training process (see micrograd.utils.data.dataloader)."""
    runs = []
    for workers in ("0", "4"):
        with pytest.warns(UserWarning, match="pin_memory"):
            run = main(
                ["-i", names_file, "-o", f"out{workers}", *SMALL, "--max-steps", "3", "-n", workers]
            )
        runs.append([loss for loss, _ in run["losses"]])
    assert runs[0] == runs[1]
