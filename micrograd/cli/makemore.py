"""``micrograd makemore``: train a character-level model on words, evaluate it, sample from it.

karpathy/makemore's command on micrograd: the same six models (:mod:`micrograd.models`), data
convention and split (:mod:`micrograd.chardata`), optimizer (AdamW, betas (0.9, 0.99), eps
1e-8) and samples sorted into "in train", "in test" and "new". What it adds: a progress bar,
a deterministic evaluation (the whole test set, and a fixed sample of as many training
words), a picture of the loss curves, a description of the saved model (``model.json``) so
that ``--resume`` and ``--sample-only`` rebuild it without being told its sizes, and
``--json``.

Files in ``--out``: ``model.safetensors`` and ``model.json``, the best model so far and its
description (:mod:`micrograd.cli.makemore_files`), and ``loss.png``; each is written complete
or not at all. The optimizer's moments are not saved: a resumed run starts
them afresh, as makemore does.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

import micrograd
from micrograd import chardata, data, plots
from micrograd.cli.files import prepare_folder, write_atomically
from micrograd.cli.makemore_evaluate import (
    EVAL_BATCH,
    batch_generator,
    evaluate,
    evaluation_rows,
    sample_words,
    sampling_seed,
)
from micrograd.cli.makemore_files import (
    DESCRIPTION_FILE,
    FORMAT,
    MODEL_FILE,
    Progress,
    read_description,
    save_best,
)
from micrograd.cli.makemore_sizes import check_memory
from micrograd.cli.output import printable, to_json
from micrograd.cli.usage import PROG, CommandFailed, UsageError
from micrograd.memory import tune_malloc
from micrograd.models import ModelConfig, build_model
from micrograd.nn import Module
from micrograd.optim import AdamW
from micrograd.serialization import load

PLOT_FILE = "loss.png"

# makemore's sizes and optimizer settings
SIZES = {"n_layer": 4, "n_head": 4, "n_embd": 64, "n_embd2": 64}
BETAS = (0.9, 0.99)
EPS = 1e-8
SAMPLES_AFTER_TRAINING = 10  # makemore prints 10 while training, 50 with --sample-only
SAMPLES_ONLY = 50
DEFAULT_SEED = 3407  # makemore's
DTYPES = {"float32": micrograd.float32, "float64": micrograd.float64}


# --------------------------------------------------------------------- settings


def _settings(args: argparse.Namespace, saved: dict | None) -> dict:
    """The model's type and sizes: from the options, or from the saved model when resuming
    (an option that contradicts the saved model is an error, not silently ignored)."""
    given = {"type": args.type, **{k: getattr(args, k) for k in SIZES}}
    if saved is None:
        settings = {"type": args.type or "transformer"}
        settings.update({k: given[k] or default for k, default in SIZES.items()})
    else:
        settings = {k: saved[k] for k in given}
        for key, value in given.items():
            if value is not None and value != saved[key]:
                option = "--" + key.replace("_", "-")
                raise UsageError(
                    f"{option} {value}: the saved model in {args.out} has {key} "
                    f"{saved[key]}; leave {option} out to resume it"
                )
    if settings["type"] == "transformer" and settings["n_embd"] % settings["n_head"]:
        raise UsageError(
            f"--n-embd {settings['n_embd']} must be a multiple of --n-head {settings['n_head']}"
        )
    return settings


def _words(args: argparse.Namespace, saved: dict | None) -> tuple[list[str], str | None, str]:
    """The words, where they came from (None: the shipped names), and how a message names
    that source: ``--input``, or when resuming without it the file ``model.json`` names."""
    if args.input is not None:
        source, named = args.input, "argument --input"
    else:
        source = (saved or {}).get("input")
        named = f"the words file named in {os.path.join(args.out, DESCRIPTION_FILE)}"
    if source is None:
        return data.names(), None, named
    try:
        return chardata.read_words(source), os.path.abspath(source), named
    except OSError as e:
        moved = "" if args.input is not None else "; give it with --input if it moved"
        raise UsageError(f"{named}: cannot read {source}: {e.strerror or e}{moved}") from None
    except ValueError as e:
        raise UsageError(f"{named}: {e}") from None


def _vocabulary(words: list[str], saved: dict | None, named: str) -> tuple[str, int]:
    """The vocabulary and the longest word the model reads: the words' own, or the saved
    model's (which the words must fit)."""
    longest = max(words, key=len)
    if saved is None:
        return "".join(sorted(set("".join(words)))), len(longest)
    limit = saved["block_size"] - 1
    if len(longest) > limit:
        raise UsageError(
            f"{named}: its longest word has {len(longest):,} characters; the saved model "
            f"reads words of at most {limit}"
        )
    return saved["vocabulary"], limit


def _datasets(
    words: list[str], seed: int, chars: str, longest: int, named: str
) -> tuple[chardata.CharDataset, chardata.CharDataset]:
    try:
        return chardata.create_datasets(words, seed=seed, chars=chars, max_word_length=longest)
    except ValueError as e:
        raise UsageError(f"{named}: {e}") from None


def _num_samples(args: argparse.Namespace) -> int:
    if args.num_samples is not None:
        return args.num_samples
    return SAMPLES_ONLY if args.sample_only else SAMPLES_AFTER_TRAINING


# --------------------------------------------------------------------- the command


def run(args: argparse.Namespace) -> int:
    saved = None
    if args.resume or args.sample_only:
        saved = read_description(args.out, "--sample-only" if args.sample_only else "--resume")
    settings = _settings(args, saved)
    if saved is None:
        seed = DEFAULT_SEED if args.seed is None else args.seed
    else:
        seed = saved["seed"]
        if args.seed is not None and args.seed != seed:
            raise UsageError(
                f"--seed {args.seed}: the saved model was trained with seed {seed}, which "
                "fixes its train/test split; leave --seed out to resume it"
            )
    words, source, named = _words(args, saved)
    chars, longest = _vocabulary(words, saved, named)
    config = ModelConfig(len(chars) + 1, longest + 1, **{k: settings[k] for k in SIZES})
    if args.top_k is not None and args.top_k > config.vocab_size:
        raise UsageError(
            f"argument --top-k: {args.top_k} is more than the {config.vocab_size} tokens"
        )
    # Checked before anything is built or trained, so a mistyped size answers at once
    n_test = chardata.split_sizes(len(words))[1]
    check_memory(
        settings["type"],
        config,
        itemsize=DTYPES[args.dtype].itemsize,
        words=len(words),
        batch_size=0 if args.sample_only else args.batch_size,
        eval_rows=0 if args.sample_only else min(EVAL_BATCH, n_test),
        num_samples=_num_samples(args),
    )
    # and not at the first save (nothing is written when only sampling)
    files = (MODEL_FILE, DESCRIPTION_FILE, PLOT_FILE)
    folder = args.out if args.sample_only else prepare_folder(args.out, files=files)
    train, test = _datasets(words, seed, chars, longest, named)
    _note(
        f"{len(words):,} words, longest {longest} characters, vocabulary of {len(chars)} "
        f"({chars}); {len(train):,} to train on, {len(test):,} to test"
    )

    # This process is a training loop: glibc keeps a step's freed arrays for the next step
    # (micrograd.memory says why; MICROGRAD_MALLOC=default leaves glibc's defaults).
    tune_malloc()
    micrograd.manual_seed(seed)
    model = build_model(settings["type"], config)
    description = {
        "format": FORMAT,
        **settings,
        "vocab_size": train.vocab_size,
        "block_size": train.block_size,
        "vocabulary": train.chars,
        "dtype": args.dtype,
        "input": source,
        "seed": seed,
    }
    progress = Progress()
    if saved is not None:
        try:
            load(model.to(DTYPES[saved["dtype"]]), os.path.join(args.out, MODEL_FILE))
        except (OSError, ValueError) as e:
            raise UsageError(f"cannot load the saved model: {e}") from None
        if not all(np.isfinite(p.detach().numpy()).all() for p in model.parameters()):
            raise UsageError(
                f"{os.path.join(args.out, MODEL_FILE)}: the saved weights hold nan or inf "
                "(from a run that diverged); train a new model"
            )
        progress = Progress(saved["step"], saved["history"], saved["best_test_loss"], saved["step"])
    model.to(DTYPES[args.dtype])
    n_params = sum(p.numel() for p in model.parameters())
    _note(f"{settings['type']}: {n_params:,} parameters, {args.dtype}")
    summary: dict = {"command": "makemore", "type": settings["type"], "parameters": n_params}

    # One BLAS thread: these models multiply small matrices, for which a second thread costs
    # more in hand-offs than it saves, and far more when the cores are busy (README, makemore).
    with threadpool_limits(limits=1, user_api="blas"):
        return _run(args, model, train, test, folder, description, progress, summary)


def _run(
    args: argparse.Namespace,
    model: Module,
    train: chardata.CharDataset,
    test: chardata.CharDataset,
    folder: str,
    description: dict,
    progress: Progress,
    summary: dict,
) -> int:
    """Train (unless ``--sample-only``), sample, report."""
    if not args.sample_only:
        # A diverging run overflows inside the products before its loss turns nan: the loop
        # checks the loss at every step and stops saying so (_finite), so NumPy's warnings
        # from deep inside would only print the same news in worse words before it.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            seconds, written = _train(model, train, test, args, folder, description, progress)
        summary.update(
            steps=args.max_steps,
            train_loss=progress.history.train_loss[-1],
            test_loss=progress.history.test_loss[-1],
            evaluations={
                "step": progress.history.eval_step,
                "train_loss": progress.history.train_loss,
                "test_loss": progress.history.test_loss,
            },
            seconds=round(seconds, 3),
            ms_per_step=round(1000 * seconds / args.max_steps, 2),
        )
    else:
        written = []
    summary.update(
        step=progress.step,
        best_test_loss=progress.best,
        best_step=progress.best_step,
        samples=sample_words(
            model,
            train,
            test,
            _num_samples(args),
            top_k=args.top_k,
            temperature=args.temperature,
            generator=micrograd.Generator().manual_seed(
                sampling_seed(description["seed"], progress.step)
            ),
        ),
        files=written,
    )
    _report(summary, args.json)
    return 0


def _train(
    model: Module,
    train: chardata.CharDataset,
    test: chardata.CharDataset,
    args: argparse.Namespace,
    folder: str,
    description: dict,
    progress: Progress,
) -> tuple[float, list[str]]:
    """``args.max_steps`` steps of AdamW from ``progress`` on (which it updates), evaluating
    every ``args.eval_interval`` steps and after the last, saving each new best model; then the
    plot. Returns the seconds it took and the files it wrote."""
    optimizer = AdamW(
        model.parameters(),
        lr=args.learning_rate,
        betas=BETAS,
        eps=EPS,
        weight_decay=args.weight_decay,
    )
    seed, history = description["seed"], progress.history
    batches = batch_generator(seed, progress.step)
    train_rows, test_rows = evaluation_rows(train, test, seed)
    last = progress.step + args.max_steps
    written: list[str] = []
    bar = tqdm(
        total=args.max_steps,
        desc=f"makemore ({description['type']})",
        unit="step",
        file=sys.stderr,
        dynamic_ncols=True,
    )
    start = time.perf_counter()
    with bar:
        for step in range(progress.step + 1, last + 1):
            t0 = time.perf_counter()
            X, Y = train.random_batch(args.batch_size, batches)
            _, loss = model(X, Y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            ms = 1000 * (time.perf_counter() - t0)
            history.loss.append(_finite(loss.item(), step, args.learning_rate, progress))
            progress.step = step
            if step % args.eval_interval == 0 or step == last:
                history.eval_step.append(step)
                for losses, dataset, rows in (
                    (history.train_loss, train, train_rows),
                    (history.test_loss, test, test_rows),
                ):
                    loss_value = evaluate(model, dataset, rows)
                    losses.append(_finite(loss_value, step, args.learning_rate, progress))
                if progress.best is None or history.test_loss[-1] < progress.best:
                    progress.best, progress.best_step = history.test_loss[-1], step
                    written += save_best(model, folder, description, progress)
            shown = {"loss": f"{history.loss[-1]:.4f}", "step": f"{ms:.0f}ms"}
            if history.test_loss:
                shown["test"] = f"{history.test_loss[-1]:.4f}"
            bar.set_postfix(shown, refresh=False)
            bar.update(1)
    seconds = time.perf_counter() - start
    fig = plots.loss_curves(
        history.loss,
        history.eval_step,
        history.train_loss,
        history.test_loss,
        title=f"makemore {description['type']}: test loss {history.test_loss[-1]:.4f}",
    )
    written.append(write_atomically(os.path.join(folder, PLOT_FILE), plots.png_bytes(fig)))
    return seconds, sorted(set(written))


def _finite(loss: float, step: int, learning_rate: float, progress: Progress) -> float:
    """``loss``, if it is a number; else training has diverged, and going on would only
    carry nan into every later step, the saved model and the samples."""
    if math.isfinite(loss):
        return loss
    kept = (
        f"; the best model so far (step {progress.best_step}) stays in --out"
        if progress.best_step is not None
        else ""
    )
    raise CommandFailed(
        f"training diverged: the loss is {loss} at step {step}; try a smaller "
        f"--learning-rate than {learning_rate:g}{kept}"
    )


def _note(text: str) -> None:
    """A line on stderr; it may quote the user's words, so it is made printable."""
    print(f"{PROG}: {printable(text)}", file=sys.stderr)


def _report(summary: dict, as_json: bool) -> None:
    """Results on stdout: readable lines, or with ``--json`` one JSON object alone. The
    samples are made of the input's characters, so they are printed made printable."""
    if as_json:
        print(to_json(summary))
        return
    if "test_loss" in summary:
        print(
            f"step {summary['step']}: train loss {summary['train_loss']:.4f}, test loss "
            f"{summary['test_loss']:.4f} (best {summary['best_test_loss']:.4f} at step "
            f"{summary['best_step']}); {summary['seconds']:.1f} s, "
            f"{summary['ms_per_step']:.1f} ms per step"
        )
    else:
        loss = summary["best_test_loss"]
        shown = "unknown" if loss is None else f"{loss:.4f}"
        print(f"the saved {summary['type']} after {summary['step']} steps, test loss {shown}")
    print("-" * 80)
    for kind, words in summary["samples"].items():
        print(f"{len(words)} samples that are {kind}:")
        for word in words:
            print(printable(word))
    print("-" * 80)
    for path in summary["files"]:
        print(f"wrote {printable(path)}")
