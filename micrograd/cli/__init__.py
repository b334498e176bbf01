"""The ``micrograd`` command: ``demo``, ``train`` and ``graph``.

The top room of the package: it imports everything below it and nothing imports it. This
module holds the argument parser and the error handling. The commands live in
:mod:`micrograd.cli.train` (``demo`` and ``train``) and :mod:`micrograd.cli.graph` (which reads
expressions with :mod:`micrograd.cli.expr`), imported only once the arguments are known good,
so a mistyped command answers at once; :mod:`micrograd.cli.files` writes files atomically.

Errors in what the user typed (arguments, values, expressions) print one line,
``micrograd: error: ...``, on stderr and exit with status 2; a file that cannot be written
exits with status 1. No traceback either way. User text in a message (a file name, a word)
is shown with its non-printable characters escaped (:mod:`micrograd.cli.output`). Results
go to stdout (with ``--json``, one JSON object as the last line); the progress bar and notes
go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from micrograd import _validate
from micrograd.cli.arguments import (
    MAX_N_LAYER,
    MAX_SAMPLES,
    MAX_WIDTH,
    MIN_SAMPLES,
    MIN_TEMPERATURE,
    assignment,
    layer_sizes,
    makemore_seed,
    n_layer,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    samples,
    seed,
    temperature,
)
from micrograd.cli.output import printable
from micrograd.cli.usage import DEFAULT_OUT, PROG, CommandFailed, UsageError

__all__ = ["PROG", "CommandFailed", "UsageError", "build_parser", "main"]

DATASETS = ("moons", "circles", "blobs", "digits")
ENGINES = ("value", "tensor")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
OPTIMIZERS = ("sgd", "adam")


class _Parser(argparse.ArgumentParser):
    """argparse, with every error reported as a single ``micrograd: error: ...`` line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {printable(message)}\n")


# --------------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="micrograd: train and draw with a tiny autograd engine.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="the original micrograd demo: a 2-16-16-1 MLP learns the moons",
        description=(
            "The original micrograd demo: 100 moons points (noise 0.1, seed 1337), "
            "MLP(2, [16, 16, 1]) with ReLU, max-margin loss + 1e-4 L2, SGD with the learning "
            "rate decaying linearly from 1.0 to 0.1 over 100 full-batch steps. Writes the "
            "decision boundary and training curves (PNG) and one neuron's graph (SVG)."
        ),
    )
    demo.add_argument(
        "--engine",
        choices=ENGINES,
        default="value",
        help="value: the scalar engine, as the original (default); tensor: the same network "
        "and initial weights on Tensor",
    )
    demo.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    demo.add_argument("--json", action="store_true", help="print a JSON summary last")

    train = commands.add_parser(
        "train",
        help="train an MLP on a data set and report train and test accuracy",
        description=(
            "Train an MLP and report train and test accuracy. Defaults depend on the data: "
            "the 2-D sets (moons, circles, blobs: 200 points, a quarter held out) train full "
            "batch, hidden 16,16, 100 epochs of Adam with lr 0.05; two classes use the demo's "
            "max-margin loss and one output, blobs softmax cross-entropy. digits (1,797 8x8 "
            "images, a fifth held out) trains hidden 64, 20 epochs of Adam with lr 0.01 in "
            "batches of 32, cross-entropy. The tensor engine is the default; --engine value "
            "trains on scalar Values instead, far slower (on digits a warning says so). "
            f"Limits: --hidden {MAX_WIDTH:,} units a layer, --samples {MAX_SAMPLES:,}, and a "
            "network and batch that fit in about 2 GiB."
        ),
    )
    train.add_argument("--data", choices=DATASETS, default="moons", help="default moons")
    train.add_argument(
        "--hidden", type=layer_sizes, help="hidden layer sizes, e.g. 16,16 (default by data)"
    )
    train.add_argument("--activation", choices=ACTIVATIONS, default="relu")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    train.add_argument("--lr", type=positive_float, help="learning rate (default by data)")
    train.add_argument("--epochs", type=positive_int, help="passes over the data (default by data)")
    train.add_argument(
        "--batch-size", type=positive_int, help="rows per step (default: full batch; digits 32)"
    )
    train.add_argument("--engine", choices=ENGINES, default="tensor", help="default tensor")
    train.add_argument(
        "--samples",
        type=samples,
        help=f"points in a 2-D data set, {MIN_SAMPLES} to {MAX_SAMPLES:,} (default 200)",
    )
    train.add_argument(
        "--seed", type=seed, default=1337, help=f"0 to {_validate.SEED_MAX} (default 1337)"
    )
    train.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    train.add_argument("--save", metavar="PATH", help="save the trained model (safetensors)")
    train.add_argument("--json", action="store_true", help="print a JSON summary last")

    graph = commands.add_parser(
        "graph",
        help="draw the graph of an expression after backward",
        description=(
            "Draw the graph of an expression over named numbers, every node showing its "
            "data and its gradient after a backward pass, e.g. "
            "micrograd graph 'tanh(x1*w1 + x2*w2 + b)' --set x1=2 --set x2=0 --set w1=-3 "
            "--set w2=1 --set b=6.88. The expression is parsed, never run: numbers, names, "
            "+ - * / **, unary minus, parentheses and tanh exp log relu sigmoid of one "
            "argument. Every name needs a --set. An expression that starts with - works "
            "as it is (micrograd graph -x --set x=1)."
        ),
    )
    # Optional for argparse only: main() takes an expression such as "-x", which argparse
    # reads as an unknown option, from what it left over, and requires one.
    graph.add_argument("expression", nargs="?", help="the expression, quoted")
    graph.add_argument(
        "--set",
        dest="assignments",
        type=assignment,
        action="append",
        default=[],
        metavar="NAME=NUMBER",
        help="the value of a name in the expression (repeat for each name)",
    )
    graph.add_argument(
        "--out",
        help=f"the drawing, .svg or .png (default {DEFAULT_OUT}/graph.svg; none with --html)",
    )
    graph.add_argument(
        "--html",
        metavar="PATH",
        help="write a page (.html, self-contained) that steps through the backward pass",
    )
    graph.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR")
    _add_makemore(commands)
    return parser


MAKEMORE_STEPS = 2000  # a few minutes for the default Transformer on 2 cores (README)


def _add_makemore(commands: argparse._SubParsersAction) -> None:
    """``micrograd makemore``: its options, named and defaulted as in karpathy/makemore."""
    makemore = commands.add_parser(
        "makemore",
        help="train a character-level language model on words and sample new ones",
        description=(
            "karpathy/makemore on micrograd: train a character-level model (bigram, mlp, rnn, "
            "gru, bow or transformer) on words, one per line (default: 32,033 names, shipped "
            "with micrograd), with AdamW; evaluate the train and test loss every "
            "--eval-interval steps, keep the model with the best test loss in --out "
            "(model.safetensors and model.json), plot the losses (loss.png) and print "
            "samples sorted into those in the training set, in the test set, and new."
        ),
    )
    makemore.add_argument(
        "--type", choices=("bigram", "mlp", "rnn", "gru", "bow", "transformer"),
        help="the model (default transformer)",
    )  # fmt: skip
    makemore.add_argument("--input", metavar="FILE", help="words, one per line (default: names)")
    makemore.add_argument(
        "--out",
        metavar="DIR",
        default=f"{DEFAULT_OUT}/makemore",
        help=f"folder for the model, its description and the plot (default {DEFAULT_OUT}/makemore)",
    )
    makemore.add_argument(
        "--resume", action="store_true", help="continue training the model saved in --out"
    )
    makemore.add_argument(
        "--sample-only", action="store_true", help="only sample from the model saved in --out"
    )
    makemore.add_argument(
        "--max-steps", type=positive_int, default=MAKEMORE_STEPS,
        help=f"optimization steps (default {MAKEMORE_STEPS})",
    )  # fmt: skip
    makemore.add_argument(
        "--eval-interval", type=positive_int, default=500,
        help="steps between evaluations (default 500; the last step is always evaluated)",
    )  # fmt: skip
    makemore.add_argument("--batch-size", type=positive_int, default=32, help="default 32")
    makemore.add_argument("--learning-rate", type=positive_float, default=5e-4, help="default 5e-4")
    makemore.add_argument(
        "--weight-decay", type=non_negative_float, default=0.01, help="AdamW's (default 0.01)"
    )
    makemore.add_argument(
        "--n-layer", type=n_layer, help=f"Transformer blocks, 1 to {MAX_N_LAYER:,} (default 4)"
    )
    for option, what in (
        ("--n-head", "attention heads (default 4)"),
        ("--n-embd", "embedding width (default 64)"),
        ("--n-embd2", "hidden width of the mlp, rnn, gru and bow (default 64)"),
    ):
        makemore.add_argument(option, type=positive_int, help=what)
    makemore.add_argument(
        "--seed", type=makemore_seed, help="0 to 2**64 - 1 (default 3407, as makemore)"
    )
    makemore.add_argument(
        "--dtype", choices=("float32", "float64"), default="float32", help="default float32"
    )
    makemore.add_argument(
        "--num-samples", type=non_negative_int,
        help="words to sample at the end (default 10; 50 with --sample-only)",
    )  # fmt: skip
    makemore.add_argument(
        "--top-k", type=positive_int, help="sample only among the k likeliest (default: all)"
    )
    makemore.add_argument(
        "--temperature",
        type=temperature,
        default=1.0,
        help=f"divides the logits, {MIN_TEMPERATURE} or more (default 1)",
    )
    makemore.add_argument("--json", action="store_true", help="print a JSON summary last")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command given by ``argv`` (default ``sys.argv[1:]``); return the exit status.

    0 on success; 2 for a usage error; 1 when a file cannot be written or the work fails
    (out of memory, no renderer); 130 when interrupted (Ctrl-C), with a one-line message.
    """
    try:
        return _run(argv)
    except KeyboardInterrupt:
        _forget_interrupt()
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = _parse(parser, argv)
    except SystemExit as e:  # --help (0) or a usage error (2), already reported
        return int(e.code or 0)
    try:
        # Imported only now: a mistyped command answers before NumPy and matplotlib load.
        if args.command == "graph":
            from micrograd.cli import graph

            return graph.run(args)
        if args.command == "makemore":
            from micrograd.cli import makemore

            return makemore.run(args)
        from micrograd.cli import train

        return train.demo(args) if args.command == "demo" else train.train(args)
    except UsageError as e:
        _error(str(e))
        return 2
    except CommandFailed as e:
        _error(str(e))
        return 1
    except MemoryError:
        _error("out of memory; try smaller sizes")
        return 1
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        _error(f"cannot write{where}: {e.strerror or e}")
        return 1


def _error(message: str) -> None:
    """The one line an error prints. Messages quote what the user gave (file names, words,
    expressions), so their non-printable characters are shown escaped, never sent raw."""
    print(f"{PROG}: error: {printable(message)}", file=sys.stderr)


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """``parser.parse_args``, except that ``graph``'s expression may start with ``-``.

    argparse reads ``-x`` or ``-2*x`` as an option it does not know; for ``graph`` a single
    such leftover, when no expression was given, is the expression. (``--`` before the
    expression works too, as with any command.)
    """
    args, extras = parser.parse_known_args(argv)
    if args.command == "graph" and args.expression is None:
        if len(extras) == 1 and extras[0].startswith("-") and not extras[0].startswith("--"):
            args.expression = extras.pop()
        elif not extras:
            parser.error("the following arguments are required: expression")
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def _forget_interrupt() -> None:
    """Let an interrupt that was caught end the process with our exit status, 130.

    CPython remembers a KeyboardInterrupt that propagated out of code run from a string
    (``exec("...")``; scipy's imports do that) as unhandled, even when a caller catches it,
    and at exit kills the process with SIGINT instead of returning the status given
    (``run_eval_code_obj`` in Python/pythonrun.c). Running any code from a string resets
    that record, so a caught interrupt no longer ends with a bare -2 and no message.
    """
    exec("None", {})  # a constant: no user text is ever run
