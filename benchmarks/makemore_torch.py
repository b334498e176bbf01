"""``micrograd makemore``'s default Transformer beside the same training in PyTorch, one run.

    .venv/bin/python benchmarks/makemore_torch.py                  # 2,000 steps, float32
    .venv/bin/python benchmarks/makemore_torch.py --max-steps 500 --dtype float64

Quality, not speed: does our command reach the test loss that PyTorch reaches with the same
model and the same training? "ours" is the command itself (``micrograd.cli.main``, in this
process, ``--json``); "torch" is makemore's Transformer written in ``torch.nn`` (below; the
same architecture and parameter names) trained by the same loop:

* the same initial weights: the ones ``micrograd makemore --seed S`` draws, copied into the
  PyTorch model through its ``state_dict``;
* the same data: names split by ``micrograd.chardata`` with seed S, and the same batches
  (``micrograd.cli.makemore_evaluate.batch_generator``);
* the same optimizer: AdamW, lr 5e-4, betas (0.9, 0.99), eps 1e-8, weight decay 0.01;
* the same evaluation: the mean loss per character over the whole test set and over the same
  sample of training words (``micrograd.cli.makemore_evaluate.evaluation_rows``).

Both run on one thread (set before NumPy and PyTorch load). The runs start from the same
numbers but float rounding differs, so the trajectories drift apart slowly; the target is
test losses within 0.02. Times are whole-run seconds on a shared machine (evaluations
included): a rough indication, the speed benchmark is another script.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy/torch are imported: their BLAS reads it at load time

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

import micrograd  # noqa: E402
from micrograd import chardata, data  # noqa: E402
from micrograd.cli import MAKEMORE_STEPS, main  # noqa: E402
from micrograd.cli.makemore import BETAS, EPS  # noqa: E402
from micrograd.cli.makemore_evaluate import batch_generator, evaluation_rows  # noqa: E402
from micrograd.models import ModelConfig, build_model  # noqa: E402

torch.set_num_threads(1)


# --------------------------------------------------------------------- the model in PyTorch


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd: int, n_head: int, block_size: int) -> None:
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        mask = torch.tril(torch.ones(block_size, block_size))
        self.register_buffer("bias", mask.view(1, 1, block_size, block_size))
        self.n_head, self.n_embd = n_head, n_embd

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q, k, v = (z.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = F.softmax(att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf")), dim=-1)
        return self.c_proj((att @ v).transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    def __init__(self, n_embd: int, n_head: int, block_size: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.ModuleDict(
            dict(
                c_fc=nn.Linear(n_embd, 4 * n_embd),
                c_proj=nn.Linear(4 * n_embd, n_embd),
                act=nn.GELU(approximate="tanh"),
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp.c_proj(self.mlp.act(self.mlp.c_fc(self.ln_2(x))))


class Transformer(nn.Module):
    def __init__(self, c: ModelConfig) -> None:
        super().__init__()
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(c.vocab_size, c.n_embd),
                wpe=nn.Embedding(c.block_size, c.n_embd),
                h=nn.ModuleList(
                    [Block(c.n_embd, c.n_head, c.block_size) for _ in range(c.n_layer)]
                ),
                ln_f=nn.LayerNorm(c.n_embd),
            )
        )
        self.lm_head = nn.Linear(c.n_embd, c.vocab_size, bias=False)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(idx.size(1)).unsqueeze(0)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)


# --------------------------------------------------------------------- the two runs


def run_ours(args: argparse.Namespace, folder: str) -> dict:
    argv = ["makemore", "--out", folder, "--json", "--num-samples", "0"]
    argv += ["--max-steps", str(args.max_steps), "--eval-interval", str(args.eval_interval)]
    argv += ["--seed", str(args.seed), "--dtype", args.dtype]
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(argv)
    if status != 0:
        raise SystemExit(f"micrograd makemore exited with {status}")
    return json.loads(stdout.getvalue().strip().splitlines()[-1])


def _array(value: object) -> np.ndarray:
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


def run_torch(args: argparse.Namespace) -> dict:
    train, test = chardata.create_datasets(data.names(), seed=args.seed)
    config = ModelConfig(train.vocab_size, train.block_size)
    # the initial weights `micrograd makemore --seed S` draws
    micrograd.manual_seed(args.seed)
    ours = build_model("transformer", config).to(getattr(micrograd, args.dtype))
    model = Transformer(config).to(getattr(torch, args.dtype))
    model.load_state_dict(
        {k: torch.from_numpy(_array(v).copy()) for k, v in ours.state_dict().items()}
    )
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=5e-4, betas=BETAS, eps=EPS, weight_decay=0.01
    )
    batches = batch_generator(args.seed, 0)
    train_rows, test_rows = evaluation_rows(train, test, args.seed)

    @torch.no_grad()
    def evaluate(dataset: chardata.CharDataset, rows: np.ndarray) -> float:
        total, count = 0.0, 0
        for start in range(0, len(rows), 500):
            index = rows[start : start + 500]
            loss = model(torch.from_numpy(dataset.X[index]), torch.from_numpy(dataset.Y[index]))
            n = int(np.count_nonzero(dataset.Y[index] != -1))
            total, count = total + loss.item() * n, count + n
        return total / count

    history: dict[str, list] = {"step": [], "train_loss": [], "test_loss": []}
    start = time.perf_counter()
    for step in range(1, args.max_steps + 1):
        X, Y = train.random_batch(args.batch_size, batches)
        loss = model(torch.from_numpy(_array(X)), torch.from_numpy(_array(Y)))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % args.eval_interval == 0 or step == args.max_steps:
            history["step"].append(step)
            history["train_loss"].append(evaluate(train, train_rows))
            history["test_loss"].append(evaluate(test, test_rows))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "test_loss": history["test_loss"][-1],
        "train_loss": history["train_loss"][-1],
        "evaluations": history,
    }


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-steps", type=int, default=MAKEMORE_STEPS)
    parser.add_argument("--eval-interval", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=3407)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        ours = run_ours(args, folder)
    theirs = run_torch(args)
    print(
        f"makemore Transformer (4 layers, 4 heads, n_embd 64), {args.max_steps} steps of batch "
        f"{args.batch_size}, {args.dtype}, seed {args.seed}, one thread"
    )
    print(
        f"{'step':>6} {'ours train':>11} {'ours test':>10} {'torch train':>12} {'torch test':>11}"
    )
    h, t = ours["evaluations"], theirs["evaluations"]
    for i, step in enumerate(t["step"]):
        print(
            f"{step:>6} {h['train_loss'][i]:>11.6f} {h['test_loss'][i]:>10.6f} "
            f"{t['train_loss'][i]:>12.6f} {t['test_loss'][i]:>11.6f}"
        )
    diff = ours["test_loss"] - theirs["test_loss"]
    print(
        f"final test loss: ours {ours['test_loss']:.6f}, torch {theirs['test_loss']:.6f}, "
        f"difference {diff:+.6f} (target within 0.02)"
    )
    print(
        f"time: ours {ours['seconds']:.1f} s, torch {theirs['seconds']:.1f} s "
        f"({ours['seconds'] / theirs['seconds']:.2f}x), evaluations included"
    )


if __name__ == "__main__":
    main_()
