"""nanoGPT's README CPU recipe on micrograd and on PyTorch, side by side, over several seeds.

    .venv/bin/python benchmarks/bench_nanogpt.py                          # 2,000 iters, seeds 0 1 2
    .venv/bin/python benchmarks/bench_nanogpt.py --max-iters 250 --seeds 0   # a quick look

The recipe (nanoGPT's README, "I only have a macbook"): ``train.py
config/train_shakespeare_char.py --device=cpu --compile=False --eval_iters=20
--log_interval=1 --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128
--max_iters=2000 --lr_decay_iters=2000 --dropout=0.0``, here on the 60,000-character
Shakespeare excerpt (micrograd/datasets/shakespeare_60k.txt) prepared as nanoGPT's
``data/shakespeare_char/prepare.py`` prepares the full text. The training code is
nanogpt_code.py: model.py's GPT and train.py's loop written once against a torch-like module,
so the same source runs on both libraries.

Each (library, seed) run is a process of its own on one thread (BLAS and PyTorch's intra-op
threads set to 1 before either loads); the runs of one seed follow each other, in alternating
order from seed to seed, so both libraries meet the same machine. Reported per library:

* time per iteration: the median of train.py's own ``dt`` over the iterations that did not
  evaluate (an evaluation iteration also runs 2 x eval_iters forward passes), and the median
  over seeds of the micrograd / PyTorch ratio;
* the final validation loss (train.py's estimate at the last iteration, 20 batches), per
  seed, and its spread: is micrograd's inside PyTorch's own seed-to-seed range?
* sample.py on the final checkpoint: it loads exactly the saved weights (asserted), and its
  text is scored by a character-bigram model of the corpus (mean negative log-likelihood per
  character, lower is more corpus-like; the corpus itself and uniformly random characters
  give the two ends), with the mean line length beside the corpus's.

``--default-dtype library`` (the default) runs the user's code as written, each library
with its own default dtype: float32 on both, micrograd's default being PyTorch's.
``--default-dtype float32`` has micrograd's run call ``set_default_dtype(float32)`` first
(how the runs made before float32 was micrograd's default were made).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy and torch load: their BLAS reads it at load time
os.environ["PYTHONUNBUFFERED"] = "1"  # progress lines as they come, also through a pipe

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_TEXT = HERE.parent / "micrograd" / "datasets" / "shakespeare_60k.txt"


def worker(args: argparse.Namespace) -> None:
    """One run, in this process: train, sample, print the results as JSON."""
    import numpy as np  # noqa: F401 (loaded here, after the thread settings)

    sys.path.insert(0, str(HERE))
    import nanogpt_code

    if args.lib == "torch":
        import torch

        torch.set_num_threads(1)
    else:
        import micrograd as torch

        if args.default_dtype == "float32":
            torch.set_default_dtype(torch.float32)
    meta = json.loads(Path(args.data_dir, "meta.json").read_text())
    overrides = {"max_iters": args.max_iters, "lr_decay_iters": args.max_iters}
    overrides["eval_interval"] = args.eval_interval
    result = nanogpt_code.train(
        torch, args.data_dir, args.out_dir, meta["vocab_size"], args.seed, overrides
    )
    result["samples"] = nanogpt_code.sample(
        torch, args.out_dir, meta["chars"], seed=1337 + args.seed
    )
    print(json.dumps(result))


def bigram_nll(text: str, corpus: str) -> float:
    """Mean negative log-likelihood per character of ``text`` under the corpus's character
    bigrams (add-one smoothed)."""
    chars = sorted(set(corpus))
    pairs, firsts = Counter(zip(corpus, corpus[1:])), Counter(corpus[:-1])
    total = 0.0
    for a, b in zip(text, text[1:]):
        total -= math.log((pairs[(a, b)] + 1) / (firsts[a] + len(chars)))
    return total / max(len(text) - 1, 1)


def mean_line_length(text: str) -> float:
    lines = [line for line in text.split("\n") if line]
    return sum(map(len, lines)) / max(len(lines), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--libs", nargs="+", default=["torch", "micrograd"], choices=["torch", "micrograd"]
    )
    parser.add_argument("--max-iters", type=int, default=2000)
    parser.add_argument("--eval-interval", type=int, default=250)
    parser.add_argument("--text", type=Path, default=DEFAULT_TEXT)
    parser.add_argument("--default-dtype", choices=["float32", "library"], default="library")
    parser.add_argument("--json", type=Path, help="write every run's results here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--lib", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    sys.path.insert(0, str(HERE))
    import nanogpt_code

    corpus = args.text.read_text(encoding="utf-8")
    runs: dict[str, dict[int, dict]] = {lib: {} for lib in args.libs}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = os.path.join(tmp, "data")
        meta = nanogpt_code.prepare(corpus, data_dir)
        Path(data_dir, "meta.json").write_text(json.dumps(meta))
        print(
            f"{len(corpus):,} characters, vocab {meta['vocab_size']}; {args.max_iters} iterations, "
            f"seeds {args.seeds}, default dtype: {args.default_dtype}",
            flush=True,
        )
        for turn, seed in enumerate(args.seeds):
            order = args.libs if turn % 2 == 0 else args.libs[::-1]
            for lib in order:
                out_dir = os.path.join(tmp, f"out-{lib}-{seed}")
                os.makedirs(out_dir)
                command = [sys.executable, __file__, "--worker", "--lib", lib, "--seed", str(seed)]
                command += [
                    "--data-dir",
                    data_dir,
                    "--out-dir",
                    out_dir,
                    "--max-iters",
                    str(args.max_iters),
                ]
                command += [
                    "--eval-interval",
                    str(args.eval_interval),
                    "--default-dtype",
                    args.default_dtype,
                ]
                done = subprocess.run(command, capture_output=True, text=True)
                if done.returncode:
                    sys.exit(f"{lib} seed {seed} failed:\n{done.stderr}")
                runs[lib][seed] = json.loads(done.stdout.strip().splitlines()[-1])
                r = runs[lib][seed]
                step_ms = 1000 * statistics.median(
                    dt for _, dt, evaluated in r["dt"] if not evaluated
                )
                final = r["evals"][-1][2]
                print(f"  {lib:9s} seed {seed}: {step_ms:6.1f} ms/iter, final val loss {final:.4f}")
    if args.json:
        args.json.write_text(json.dumps(runs))
    report(runs, corpus)


def report(runs: dict[str, dict[int, dict]], corpus: str) -> None:
    def step_ms(r: dict) -> float:
        return 1000 * statistics.median(dt for _, dt, evaluated in r["dt"] if not evaluated)

    print("\n                 ms/iter (median)   final val loss: mean  [min, max]   per seed")
    for lib, by_seed in runs.items():
        times = [step_ms(r) for r in by_seed.values()]
        finals = [r["evals"][-1][2] for r in by_seed.values()]
        per_seed = ", ".join(f"{v:.4f}" for v in finals)
        print(
            f"{lib:12s} {statistics.median(times):10.1f}        {statistics.mean(finals):.4f}  "
            f"[{min(finals):.4f}, {max(finals):.4f}]   {per_seed}"
        )
    if {"torch", "micrograd"} <= set(runs):
        seeds = sorted(set(runs["torch"]) & set(runs["micrograd"]))
        ratios = [step_ms(runs["micrograd"][s]) / step_ms(runs["torch"][s]) for s in seeds]
        print(f"micrograd / torch, time per iteration: {statistics.median(ratios):.2f}x (per seed: "
              + ", ".join(f"{r:.2f}" for r in ratios) + ")")  # fmt: skip
    random_text = "".join(
        sorted(set(corpus))[i % len(set(corpus))] for i in range(0, 7919 * 500, 7919)
    )
    print("\nsamples (sample.py on the final checkpoint, 3 x 500 characters):")
    print(f"  character-bigram NLL per char: corpus {bigram_nll(corpus[:20000], corpus):.2f}, "
          f"uniformly random characters {bigram_nll(random_text, corpus):.2f}")  # fmt: skip
    print(f"  mean line length: corpus {mean_line_length(corpus):.1f}")
    for lib, by_seed in runs.items():
        texts = [t for r in by_seed.values() for t in r["samples"]]
        nll = statistics.mean(bigram_nll(t, corpus) for t in texts)
        lines = statistics.mean(mean_line_length(t) for t in texts)
        foreign = set("".join(texts)) - set(corpus)
        print(
            f"  {lib:9s}: bigram NLL {nll:.2f}, mean line length {lines:.1f}, "
            f"characters not in the corpus: {len(foreign)}"
        )
    first = next(iter(runs["micrograd" if "micrograd" in runs else next(iter(runs))].values()))
    print("\none sample:\n" + first["samples"][0][:300])


if __name__ == "__main__":
    main()
