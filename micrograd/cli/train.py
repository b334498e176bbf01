"""``micrograd demo`` and ``micrograd train``: train, report, and write the pictures.

Both check what they were asked before any long work, train with
:func:`micrograd.training.fit` (a tqdm bar on stderr shows loss and accuracy), and write their
files only at the end (:mod:`micrograd.cli.files`: complete or not at all).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from micrograd import data, plots, training
from micrograd.cli.files import prepare_folder, write_atomically
from micrograd.cli.graph import render
from micrograd.cli.output import printable, to_json
from micrograd.cli.usage import MAX_MEMORY, PROG, UsageError
from micrograd.draw import draw_dot
from micrograd.engine import Value
from micrograd.memory import tune_malloc
from micrograd.nn import MLP
from micrograd.nn.build import build_mlp
from micrograd.nn.convert import tensor_copy
from micrograd.optim import SGD, Adam, LinearLR
from micrograd.serialization import save

# The original demo (karpathy/micrograd, demo.ipynb), as it is there.
DEMO_SEED = 1337  # np.random.seed(1337); random.seed(1337)
DEMO_SAMPLES, DEMO_NOISE = 100, 0.1
DEMO_HIDDEN = [16, 16]
DEMO_STEPS = 100
DEMO_L2 = 1e-4

# On the scalar engine a step builds about three Values per multiply-add of the network for
# every row; past this many per epoch, train warns that the run will be slow and suggests
# Tensor. Digits with the default hidden 64: 20 million.
VALUE_WARN_NODES = 5_000_000

# What a network holds (train may plan at most usage.MAX_MEMORY), as measured with
# tracemalloc over whole epochs: the tensor engine keeps four numbers per parameter (data,
# grad, two optimizer buffers) and about six per unit per row of a step (each layer's
# output, its activation, and their gradients), one per unit per row when it only
# evaluates; the scalar engine about 650 bytes per multiply-add per row of a step (the
# Values of a graph live until backward).
TENSOR_NUMBERS_PER_PARAMETER = 4
TENSOR_NUMBERS_PER_UNIT_ROW = 6
TENSOR_NUMBERS_PER_UNIT_ROW_EVALUATED = 1
VALUE_BYTES_PER_MULTIPLY_ADD_ROW = 650


# --------------------------------------------------------------------- progress and output


def _progress(
    total: int, description: str, unit: str = "epoch"
) -> tuple[tqdm, Callable[[training.Epoch], None]]:
    """A progress bar on stderr and the ``on_epoch`` callback that advances it."""
    bar = tqdm(total=total, desc=description, unit=unit, file=sys.stderr, dynamic_ncols=True)

    def on_epoch(e: training.Epoch) -> None:
        shown = {"loss": f"{e.loss:.4f}", "acc": f"{100 * e.train_accuracy:.1f}%"}
        if e.test_accuracy is not None:
            shown["test"] = f"{100 * e.test_accuracy:.1f}%"
        bar.set_postfix(shown, refresh=False)
        bar.update(1)

    return bar, on_epoch


def _report(summary: dict, as_json: bool) -> None:
    """The results: readable lines, or with ``--json`` one JSON object (printed last)."""
    if as_json:
        print(to_json(summary))
        return
    line = f"loss {summary['loss']:.4f}, train accuracy {100 * summary['train_accuracy']:.1f}%"
    if summary.get("test_accuracy") is not None:
        line += f", test accuracy {100 * summary['test_accuracy']:.1f}%"
    print(f"{line} ({summary['seconds']:.1f} s)")
    for path in summary["files"]:
        print(f"wrote {printable(path)}")


def _png(fig: object, path: str, written: list[str]) -> None:
    written.append(write_atomically(path, plots.png_bytes(fig)))


def _boundary_predict(model: object) -> Callable[[np.ndarray], np.ndarray]:
    """Class predictions for a decision-boundary grid (tens of thousands of points).

    A scalar MLP is evaluated through a tensor copy of its weights (the same function,
    ``nn.convert.tensor_copy``): on Values the grid would take far longer than training.
    """
    fast = tensor_copy(model) if isinstance(model, MLP) else model
    return lambda points: training.predict(fast, points)


def _neuron_graph(model: object, x: np.ndarray) -> Value:
    """The lecture's picture of one neuron: the first hidden neuron on one input, labelled.

    Built on fresh Values holding the trained weights (the model's own Values are left
    alone), with backward run so every node shows its gradient.
    """
    if isinstance(model, MLP):
        neuron = model.layers[0].neurons[0]
        weights, bias = [w.data for w in neuron.w], neuron.b.data
        activation = neuron.activation
    else:  # a tensor Sequential: row 0 of the first Linear
        first = model[0]
        weights, bias = first.weight.data[0].tolist(), float(first.bias.data[0])
        activation = type(model[1]).__name__.lower() if len(model) > 1 else "relu"
    xs = [Value(float(v), label=f"x{i + 1}") for i, v in enumerate(x)]
    ws = [Value(w, label=f"w{i + 1}") for i, w in enumerate(weights)]
    n = sum((wi * xi for wi, xi in zip(ws, xs, strict=True)), Value(bias, label="b"))
    n.label = "n"
    out = getattr(n, activation)()
    out.label = "out"
    out.backward()
    return out


# --------------------------------------------------------------------- demo


def demo(args: argparse.Namespace) -> int:
    folder = prepare_folder(args.out)
    X, y = data.moons(n_samples=DEMO_SAMPLES, noise=DEMO_NOISE, seed=DEMO_SEED)
    model = build_mlp("value", 2, DEMO_HIDDEN, 1, "relu", seed=DEMO_SEED)
    if args.engine == "tensor":
        model = tensor_copy(model)  # the same initial weights, on Tensor
    optimizer = SGD(model.parameters(), lr=1.0)
    # lr = 1.0 - 0.9 * k / 100 at step k, the original's decay
    schedule = LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=DEMO_STEPS)

    bar, on_epoch = _progress(DEMO_STEPS, f"demo ({args.engine})", unit="step")
    start = time.perf_counter()
    with bar:
        history = training.fit(
            model,
            X,
            y,
            optimizer,
            loss="hinge",
            epochs=DEMO_STEPS,
            l2=DEMO_L2,
            scheduler=schedule,
            on_epoch=on_epoch,
        )
    seconds = time.perf_counter() - start
    train_accuracy = training.accuracy(model, X, y)

    written: list[str] = []
    _png(
        plots.decision_boundary(
            _boundary_predict(model),
            X,
            y,
            title=f"moons: {100 * train_accuracy:.0f}% after {DEMO_STEPS} steps ({args.engine})",
        ),
        os.path.join(folder, "decision_boundary.png"),
        written,
    )
    _png(
        plots.training_curves(history.loss, history.train_accuracy, xlabel="step"),
        os.path.join(folder, "training_curves.png"),
        written,
    )
    svg = render(draw_dot(_neuron_graph(model, X[0])), "svg")
    written.append(write_atomically(os.path.join(folder, "neuron.svg"), svg))

    _report(
        {
            "command": "demo",
            "engine": args.engine,
            "steps": DEMO_STEPS,
            "loss": history.loss[-1],
            "train_accuracy": train_accuracy,
            "seconds": round(seconds, 3),
            "files": written,
        },
        args.json,
    )
    return 0


# --------------------------------------------------------------------- train


@dataclass
class Defaults:
    """What ``train`` uses for each data set when an option is not given."""

    hidden: list[int]
    lr: float
    epochs: int
    batch_size: int | None


DEFAULTS = {
    "moons": Defaults([16, 16], 0.05, 100, None),
    "circles": Defaults([16, 16], 0.05, 100, None),
    "blobs": Defaults([16, 16], 0.05, 100, None),
    "digits": Defaults([64], 0.01, 20, 32),
}
TOY_SAMPLES = 200
TOY_TEST_FRACTION = 0.25
DIGITS_TEST_FRACTION = 0.2
SGD_MOMENTUM = 0.9


def _load(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    if args.data == "digits":
        if args.samples is not None:
            raise UsageError("--samples applies to the 2-D data sets (moons, circles, blobs)")
        return data.digits(test_fraction=DIGITS_TEST_FRACTION, seed=args.seed)
    X, y = data.TOYS[args.data](n_samples=args.samples or TOY_SAMPLES, seed=args.seed)
    return data.split(X, y, test_fraction=TOY_TEST_FRACTION, seed=args.seed)


def memory_needed(engine: str, sizes: list[int], rows: int) -> int:
    """Bytes that training an MLP of layer ``sizes`` holds at most, ``rows`` rows a step.

    Evaluation (accuracy, the decision-boundary grid) runs ``training.EVAL_ROWS`` rows at a
    time without a graph, so it needs no more than a step of that many rows.
    """
    pairs = list(zip(sizes, sizes[1:]))
    if engine == "value":
        return VALUE_BYTES_PER_MULTIPLY_ADD_ROW * rows * sum(a * b for a, b in pairs)
    parameters = sum((a + 1) * b for a, b in pairs)
    step = TENSOR_NUMBERS_PER_UNIT_ROW * rows * sum(sizes)
    evaluation = TENSOR_NUMBERS_PER_UNIT_ROW_EVALUATED * training.EVAL_ROWS * sum(sizes)
    return 8 * (TENSOR_NUMBERS_PER_PARAMETER * parameters + max(step, evaluation))


def _check_memory(engine: str, sizes: list[int], rows: int) -> None:
    """A UsageError, before anything is built, for a run that would need too much memory."""
    needed = memory_needed(engine, sizes, rows)
    if needed <= MAX_MEMORY:
        return
    hidden = ",".join(map(str, sizes[1:-1]))
    advice = (
        "a smaller --batch-size, or --engine tensor"
        if engine == "value"
        else "a smaller --hidden or --batch-size"
    )
    raise UsageError(
        f"--hidden {hidden} on the {engine} engine with {rows:,} rows per step would need "
        f"about {needed / 2**30:,.1f} GiB; the limit is {MAX_MEMORY / 2**30:.0f} GiB: "
        f"use {advice}"
    )


def train(args: argparse.Namespace) -> int:
    defaults = DEFAULTS[args.data]
    engine = args.engine
    hidden = args.hidden or defaults.hidden
    lr = args.lr if args.lr is not None else defaults.lr
    epochs = args.epochs or defaults.epochs
    batch_size = args.batch_size or defaults.batch_size
    X_train, X_test, y_train, y_test = _load(args)
    if args.save is not None:
        target = os.path.dirname(os.path.abspath(args.save))
        if os.path.isdir(args.save) or not os.path.isdir(target):
            raise UsageError(f"--save {args.save}: not a file path in an existing folder")
    classes = int(max(y_train.max(), y_test.max())) + 1
    loss = "hinge" if classes == 2 else "cross_entropy"
    nout = 1 if loss == "hinge" else classes
    sizes = [X_train.shape[1], *hidden, nout]
    rows = min(batch_size or len(X_train), len(X_train))
    _check_memory(engine, sizes, rows)
    # This process is a training loop: glibc keeps a step's freed arrays for the next step
    # (micrograd.memory says why; MICROGRAD_MALLOC=default leaves glibc's defaults).
    tune_malloc()
    folder = prepare_folder(args.out)
    model = build_mlp(engine, X_train.shape[1], hidden, nout, args.activation, args.seed)
    if engine == "value":
        per_row = 3 * sum(a * b for a, b in zip(sizes, sizes[1:]))
        if per_row * len(X_train) > VALUE_WARN_NODES:
            print(
                f"{PROG}: warning: the scalar engine builds about {per_row * len(X_train):,} "
                "Values per epoch here, a slow run; --engine tensor is far faster",
                file=sys.stderr,
            )
    if args.optimizer == "sgd":
        optimizer = SGD(model.parameters(), lr=lr, momentum=SGD_MOMENTUM)
    else:
        optimizer = Adam(model.parameters(), lr=lr)

    bar, on_epoch = _progress(epochs, f"{args.data} ({engine})")
    start = time.perf_counter()
    with bar:
        history = training.fit(
            model,
            X_train,
            y_train,
            optimizer,
            loss=loss,
            epochs=epochs,
            batch_size=batch_size,
            seed=args.seed,
            X_test=X_test,
            y_test=y_test,
            on_epoch=on_epoch,
        )
    seconds = time.perf_counter() - start
    train_accuracy = training.accuracy(model, X_train, y_train)
    test_predictions = training.predict(model, X_test)
    test_accuracy = float(np.mean(test_predictions == y_test))

    written: list[str] = []
    _png(
        plots.training_curves(history.loss, history.train_accuracy, history.test_accuracy),
        os.path.join(folder, "training_curves.png"),
        written,
    )
    if X_train.shape[1] == 2:
        _png(
            plots.decision_boundary(
                _boundary_predict(model),
                np.concatenate([X_train, X_test]),
                np.concatenate([y_train, y_test]),
                title=f"{args.data}: test accuracy {100 * test_accuracy:.1f}%",
            ),
            os.path.join(folder, "decision_boundary.png"),
            written,
        )
    if args.data == "digits":
        _png(
            plots.confusion_matrix(y_test, test_predictions),
            os.path.join(folder, "confusion_matrix.png"),
            written,
        )
    if args.save is not None:
        save(model, args.save)
        written.append(args.save)

    _report(
        {
            "command": "train",
            "data": args.data,
            "engine": engine,
            "loss_function": loss,
            "epochs": epochs,
            "loss": history.loss[-1],
            "train_accuracy": train_accuracy,
            "test_accuracy": test_accuracy,
            "seconds": round(seconds, 3),
            "files": written,
        },
        args.json,
    )
    return 0
