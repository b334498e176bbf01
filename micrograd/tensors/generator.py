"""Where random numbers come from: ``Generator`` (seedable, as ``torch.Generator``), the
default generator, ``manual_seed``, ``seed``, ``initial_seed`` and the saved states.

A ``Generator`` wraps NumPy's PCG64, not PyTorch's Mersenne Twister: the same seed gives
the same numbers run after run in micrograd, but not PyTorch's numbers (see ``random``).
As in PyTorch 2, a fresh process starts from a seed taken from the operating system.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from micrograd.tensors.core import Tensor, _result
from micrograd.tensors.dtypes import as_device

__all__ = [
    "Generator",
    "default_generator",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "seed",
    "set_rng_state",
]

_SEEDS = 2**64  # seeds are taken modulo 2**64, so -1 is 2**64 - 1, as in PyTorch


def _os_seed() -> int:
    return int.from_bytes(os.urandom(8), "little")


class Generator:
    """A seedable source of random numbers, as ``torch.Generator``: pass it as ``generator=``
    to draw from it instead of the default one.

    >>> from micrograd import randn
    >>> g = Generator().manual_seed(42)
    >>> a = randn(3, generator=g)
    >>> b = randn(3, generator=g.manual_seed(42))
    >>> bool((a == b).all())
    True
    """

    def __init__(self, device: Any = "cpu") -> None:
        self.device = as_device(device)
        self.manual_seed(_os_seed())

    def manual_seed(self, seed: int) -> Generator:
        """Restart from ``seed`` (an int in [-2**63, 2**64)); returns the generator."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed(): seed must be an int, got {type(seed).__name__}")
        seed = int(seed)
        if not -(2**63) <= seed < _SEEDS:
            raise ValueError(f"manual_seed(): seed must be in [-2**63, 2**64), got {seed}")
        self._seed = seed % _SEEDS
        self._numpy = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        """Restart from a seed taken from the operating system, and return that seed."""
        self.manual_seed(_os_seed())
        return self._seed

    def initial_seed(self) -> int:
        """The seed the generator last started from."""
        return self._seed

    def get_state(self) -> Tensor:
        """The generator's state as a uint8 tensor, for ``set_state`` to restore."""
        state = self._numpy.bit_generator.state
        raw = (
            state["state"]["state"].to_bytes(16, "little")
            + state["state"]["inc"].to_bytes(16, "little")
            + state["has_uint32"].to_bytes(1, "little")
            + state["uinteger"].to_bytes(4, "little")
            + self._seed.to_bytes(8, "little")
        )
        return _result(np.frombuffer(raw, np.uint8).copy(), "", (), None, False)

    def set_state(self, new_state: Tensor) -> Generator:
        """Go back to a state ``get_state`` returned; returns the generator."""
        raw = new_state._data if isinstance(new_state, Tensor) else None
        if raw is None or raw.dtype != np.uint8 or raw.shape != (45,):
            raise ValueError(
                "set_state() needs a state from Generator.get_state() (a uint8 tensor of 45 bytes)"
            )
        raw = raw.tobytes()
        bit_generator = np.random.PCG64()
        bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {
                "state": int.from_bytes(raw[:16], "little"),
                "inc": int.from_bytes(raw[16:32], "little"),
            },
            "has_uint32": raw[32],
            "uinteger": int.from_bytes(raw[33:37], "little"),
        }
        self._numpy = np.random.Generator(bit_generator)
        self._seed = int.from_bytes(raw[37:], "little")
        return self

    def __repr__(self) -> str:
        return f"Generator(seed={self._seed})"


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Reseed the default generator: every draw after it repeats run after run. Returns it.
    (Not PyTorch's numbers for the same seed: see the module's docstring.)

    As PyTorch's, ``seed`` is read with ``int()`` first: ``manual_seed(1.5)`` is seed 1,
    ``manual_seed("3")`` seed 3 (``Generator.manual_seed`` takes ints only, as PyTorch's).
    """
    try:
        seed = int(seed)
    except (TypeError, ValueError, OverflowError) as error:
        raise type(error)(f"manual_seed(): {error}") from None
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the default generator from the operating system; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator last started from."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state (a uint8 tensor)."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default generator to a state ``get_rng_state`` returned."""
    default_generator.set_state(new_state)


def numpy_generator(generator: Generator | None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (the default one if None)."""
    if generator is None:
        return default_generator._numpy
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a micrograd.Generator, got {type(generator).__name__}")
    return generator._numpy
