"""Argument checks shared by the library, so that every bad argument reads the same way.

Each check returns the argument normalised (an ``int``, a ``float``, a ``bool``) or raises with
one line that names the argument and what it got, e.g. ``lr must be >= 0, got -0.1``. A
number of the wrong kind (a string, a bool, None) is a TypeError where the check is about a
real number; the integer checks raise ValueError for anything that is not a fitting integer,
as the layers' size checks always have. NumPy scalars count as numbers (``np.int64(3)``,
``np.float32(0.1)``); bools never do, although Python treats ``True`` as the integer 1.

>>> positive_int("epochs", 3), non_negative("lr", 0.1), choice("engine", "value", ("value",))
(3, 0.1, 'value')
>>> integer("seed", 2**32, minimum=0, maximum=SEED_MAX)
Traceback (most recent call last):
...
ValueError: seed must be an integer from 0 to 4294967295, got 4294967296
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "SEED_MAX",
    "choice",
    "flag",
    "integer",
    "is_integer",
    "non_negative",
    "optional_flag",
    "positive_int",
    "real",
    "seed",
]

SEED_MAX = 2**32 - 1  # scikit-learn's and NumPy's legacy seeds are 32-bit


def is_integer(n: object) -> bool:
    """Whether ``n`` is an integer (Python's or NumPy's), bools excluded."""
    return isinstance(n, numbers.Integral) and not isinstance(n, bool)


def integer(name: str, n: object, minimum: int | None = None, maximum: int | None = None) -> int:
    """``n`` as an ``int`` within ``[minimum, maximum]`` (either bound may be None)."""
    if minimum is not None and maximum is not None:
        wanted = f"an integer from {minimum} to {maximum}"
    elif minimum == 1:
        wanted = "a positive integer"
    elif minimum is not None:
        wanted = f"an integer >= {minimum}"
    elif maximum is not None:
        wanted = f"an integer <= {maximum}"
    else:
        wanted = "an integer"
    if not is_integer(n):
        raise ValueError(f"{name} must be {wanted}, got {n!r}")
    value = int(n)  # type: ignore[call-overload]
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {wanted}, got {n!r}")
    return value


def positive_int(name: str, n: object) -> int:
    """``n`` as an ``int`` >= 1: sizes, counts, epochs, periods."""
    return integer(name, n, minimum=1)


def seed(name: str, s: object) -> int | None:
    """A random seed: None, or an integer from 0 to ``SEED_MAX``."""
    if s is None:
        return None
    return integer(name, s, minimum=0, maximum=SEED_MAX)


def real(name: str, x: object) -> float:
    """``x`` as a finite float: TypeError for non-numbers and bools, ValueError for nan/inf."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}: {x!r}")
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def non_negative(name: str, x: object) -> float:
    """``x`` as a finite float >= 0."""
    value = real(name, x)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def flag(name: str, x: object) -> bool:
    """``x`` as a ``bool``: only True or False (or NumPy's) are accepted, never 0/1 or "yes"."""
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {x!r}")
    return bool(x)


def optional_flag(name: str, x: object) -> bool | None:
    """``x`` as a ``bool``, or None (PyTorch's "let the library choose", as for ``foreach``)."""
    return None if x is None else flag(name, x)


def choice(name: str, x: Any, choices: Sequence[str]) -> str:
    """``x`` if it is one of ``choices``, else a ValueError listing them."""
    if not isinstance(x, str) or x not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {x!r}")
    return x
