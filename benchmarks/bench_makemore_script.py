"""makemore.py as a script, defaults and all, on micrograd and on PyTorch, over several seeds.

    .venv/bin/python benchmarks/bench_makemore_script.py                   # 500 steps, 5 seeds
    .venv/bin/python benchmarks/bench_makemore_script.py --steps 100 --seeds 0

What ``python makemore.py -i names.txt`` does up to its first evaluation, at its defaults: the
names split by ``torch.randperm`` (1,000 test words), its CharDataset, its InfiniteDataLoader
(``RandomSampler(replacement=True, num_samples=int(1e10))``, batch 32, ``pin_memory=True``,
``num_workers=4``), the Transformer (4 layers, 4 heads, n_embd 64; makemore_code.py writes it
once for both libraries), ``AdamW(lr=5e-4, weight_decay=0.01, betas=(0.9, 0.99), eps=1e-8)``,
``model.zero_grad(set_to_none=True)``, and at step 500 ``evaluate`` (10 batches of 100 test
words, ``DataLoader(shuffle=True)``, under ``torch.inference_mode()``).

Each (library, seed) run is a process of its own on one thread; the seeds alternate the order
of the two. Reported: the median of makemore's own step time (``t1 - t0`` around loading the
batch, forward, backward and the step; the first 10 steps left out as warm-up), the
micrograd / PyTorch ratio per seed, and the step-500 test loss per seed with each library's
seed-to-seed spread. ``--default-dtype library`` (the default) leaves each library its own
default dtype (float32 on both); ``float32`` has micrograd's run set it explicitly first.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy and torch load: their BLAS reads it at load time

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
NAMES = HERE.parent / "micrograd" / "datasets" / "names.txt"


WARMUP = 10  # steps left out of the step time


def run(torch, steps: int, seed: int) -> dict:
    """makemore.py's main at its defaults, up to the evaluation at step ``steps``."""
    sys.path.insert(0, str(HERE))
    from makemore_code import Config, makemore_models

    DataLoader = torch.utils.data.DataLoader

    class CharDataset(torch.utils.data.Dataset):
        def __init__(self, words, chars, max_word_length):
            self.words, self.max_word_length = words, max_word_length
            self.stoi = {ch: i + 1 for i, ch in enumerate(chars)}

        def __len__(self):
            return len(self.words)

        def __getitem__(self, idx):
            ix = torch.tensor([self.stoi[w] for w in self.words[idx]], dtype=torch.long)
            x = torch.zeros(self.max_word_length + 1, dtype=torch.long)
            y = torch.zeros(self.max_word_length + 1, dtype=torch.long)
            x[1 : 1 + len(ix)] = ix
            y[: len(ix)] = ix
            y[len(ix) + 1 :] = -1
            return x, y

    @torch.inference_mode()
    def evaluate(model, dataset, batch_size=50, max_batches=None):
        model.eval()
        losses = []
        for i, (X, Y) in enumerate(
            DataLoader(dataset, shuffle=True, batch_size=batch_size, num_workers=0)
        ):
            losses.append(model(X, Y)[1].item())
            if max_batches is not None and i >= max_batches:
                break
        model.train()
        return torch.tensor(losses).mean().item()

    torch.manual_seed(seed)
    words = [w.strip() for w in NAMES.read_text().splitlines() if w.strip()]
    chars = sorted(set("".join(words)))
    max_word_length = max(len(w) for w in words)
    rp = torch.randperm(len(words)).tolist()
    test_size = min(1000, int(len(words) * 0.1))
    train_set = CharDataset([words[i] for i in rp[:-test_size]], chars, max_word_length)
    test_set = CharDataset([words[i] for i in rp[-test_size:]], chars, max_word_length)
    config = Config(vocab_size=len(chars) + 1, block_size=max_word_length + 1)
    model = makemore_models(torch).Transformer(config)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=5e-4, weight_decay=0.01, betas=(0.9, 0.99), eps=1e-8
    )
    sampler = torch.utils.data.RandomSampler(train_set, replacement=True, num_samples=int(1e10))
    loader = DataLoader(train_set, sampler=sampler, batch_size=32, pin_memory=True, num_workers=4)
    with warnings.catch_warnings():  # "'pin_memory' argument is set as true but no accelerator"
        warnings.simplefilter("ignore")
        batches = iter(loader)
        step_times = []
        for step in range(steps + 1):
            t0 = time.time()
            X, Y = next(batches)
            logits, loss = model(X, Y)
            model.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step_times.append(time.time() - t0)
    return {
        "step_times": step_times,
        "train_loss": evaluate(model, train_set, batch_size=100, max_batches=10),
        "test_loss": evaluate(model, test_set, batch_size=100, max_batches=10),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[3407, 0, 1, 2, 3])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--default-dtype", choices=["float32", "library"], default="library")
    parser.add_argument("--worker", choices=["torch", "micrograd"], help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps <= WARMUP:
        parser.error(f"--steps must be more than {WARMUP}: the first {WARMUP} are warm-up")
    if args.worker:
        if args.worker == "torch":
            import torch

            torch.set_num_threads(1)
        else:
            import micrograd as torch

            if args.default_dtype == "float32":
                torch.set_default_dtype(torch.float32)
        print(json.dumps(run(torch, args.steps, args.seed)))
        return

    print(
        f"makemore.py, {args.steps} steps, seeds {args.seeds}, default dtype: {args.default_dtype}"
    )
    results: dict[str, dict[int, dict]] = {"torch": {}, "micrograd": {}}
    for turn, seed in enumerate(args.seeds):
        for lib in ("torch", "micrograd") if turn % 2 == 0 else ("micrograd", "torch"):
            command = [sys.executable, __file__, "--worker", lib, "--seed", str(seed)]
            command += ["--steps", str(args.steps), "--default-dtype", args.default_dtype]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"{lib} seed {seed} failed:\n{done.stderr}")
            r = results[lib][seed] = json.loads(done.stdout.strip().splitlines()[-1])
            ms = 1000 * statistics.median(r["step_times"][WARMUP:])
            loss, at = r["test_loss"], f"step-{args.steps}"
            print(f"  {lib:9s} seed {seed:4d}: {ms:5.2f} ms/step, {at} test loss {loss:.4f}")

    print("\n            ms/step (median)   test loss: mean  [min, max]")
    for lib, by_seed in results.items():
        ms = statistics.median(
            1000 * statistics.median(r["step_times"][WARMUP:]) for r in by_seed.values()
        )
        losses = [r["test_loss"] for r in by_seed.values()]
        spread = f"[{min(losses):.4f}, {max(losses):.4f}]"
        print(f"{lib:10s} {ms:10.2f}          {statistics.mean(losses):.4f}  {spread}")
    ratios = [
        statistics.median(results["micrograd"][s]["step_times"][WARMUP:])
        / statistics.median(results["torch"][s]["step_times"][WARMUP:])
        for s in args.seeds
    ]
    print(f"micrograd / torch, step time: {statistics.median(ratios):.2f}x (per seed: "
          + ", ".join(f"{r:.2f}" for r in ratios) + ")")  # fmt: skip


if __name__ == "__main__":
    main()
