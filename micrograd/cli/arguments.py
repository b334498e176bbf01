"""The types of the command's arguments: each reads one option's text, refuses what is out of
range in one line (argparse shows an ArgumentTypeError as "argument --lr: <message>"), and
leaves the range checks to micrograd._validate, the library's one set of checks."""

from __future__ import annotations

import argparse
import math
import re

from micrograd import _validate
from micrograd.cli.usage import MAKEMORE_SEED_MAX

# Sizes past these are refused before any work, with the limit in the message: a mistyped
# number should not end in a MemoryError after minutes. (cli/train.py also refuses a network
# and batch that together would need too much memory.)
MAX_WIDTH = 4096  # units in one hidden layer
MIN_SAMPLES, MAX_SAMPLES = 8, 100_000  # points in a 2-D data set
# At this temperature a character scored 1 below the best is already e**-100 (1e-44) times as
# likely: sampling takes the likeliest. Lower, the scores divided by it overflow to inf and the
# probabilities become nan.
MIN_TEMPERATURE = 0.01
# Each Transformer block costs Python time, however narrow: about 0.5 ms to build and 1 ms a
# step (measured at n_embd 4), so 100,000 blocks would build for a minute and take minutes a
# step. Past this is a typo (GPT-3 has 96); memory is estimated separately (makemore_sizes).
MAX_N_LAYER = 1000


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def temperature(text: str) -> float:
    value = positive_float(text)
    if value < MIN_TEMPERATURE:
        raise argparse.ArgumentTypeError(
            f"expected a number >= {MIN_TEMPERATURE}, got {text!r} (at {MIN_TEMPERATURE} "
            "sampling already takes the likeliest character; lower, the scores overflow)"
        )
    return value


def n_layer(text: str) -> int:
    return _integer(text, 1, MAX_N_LAYER, f"an integer from 1 to {MAX_N_LAYER:,}")


def makemore_seed(text: str) -> int:
    """A seed as ``micrograd.manual_seed`` takes it, 0 to 2**64 - 1."""
    return _integer(text, 0, MAKEMORE_SEED_MAX, "an integer from 0 to 2**64 - 1")


_INTEGER = re.compile(r"\s*\+?\d+\s*")


def _integer(text: str, minimum: int, maximum: int | None, wanted: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
    try:
        return _validate.integer("value", int(text), minimum=minimum, maximum=maximum)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None


def positive_int(text: str) -> int:
    return _integer(text, 1, None, "a positive integer")


def non_negative_int(text: str) -> int:
    return _integer(text, 0, None, "an integer >= 0")


def seed(text: str) -> int:
    """A seed as scikit-learn takes it: 0 to 2**32 - 1."""
    return _integer(text, 0, _validate.SEED_MAX, f"an integer from 0 to {_validate.SEED_MAX}")


def samples(text: str) -> int:
    return _integer(
        text, MIN_SAMPLES, MAX_SAMPLES, f"an integer from {MIN_SAMPLES} to {MAX_SAMPLES:,}"
    )


def positive_float(text: str) -> float:
    try:
        value = _validate.real("value", float(text))
    except ValueError:  # not a number, or not finite
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def layer_sizes(text: str) -> list[int]:
    """``"16,16"`` -> ``[16, 16]``: one integer from 1 to ``MAX_WIDTH`` per hidden layer."""
    wanted = f"comma-separated integers from 1 to {MAX_WIDTH:,} such as 16,16"
    try:
        return [_integer(part, 1, MAX_WIDTH, wanted) for part in text.split(",")]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None


def assignment(text: str) -> tuple[str, float]:
    """``"x1=2.5"`` -> ``("x1", 2.5)``."""
    name, sep, number = text.partition("=")
    name = name.strip()
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, got {text!r}")
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{name} must be a finite number, got {number!r}")
    return name, value
