"""A multi-layer perceptron on either engine, from one description: :func:`build_mlp`.

The command line and the notebooks ask for "an MLP nin -> hidden... -> nout with this
activation, on this engine"; this is where that becomes the scalar ``nn.MLP`` (the original's
init) or a tensor ``nn.Sequential`` (PyTorch's init), each drawn from a seed without
touching anyone else's random state.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator, Sequence

import numpy as np

from micrograd import _validate
from micrograd.nn.activation import ReLU, Sigmoid, Tanh
from micrograd.nn.container import Sequential
from micrograd.nn.linear import Linear
from micrograd.nn.module import Module
from micrograd.nn.scalar import MLP

__all__ = ["ENGINES", "TENSOR_ACTIVATIONS", "build_mlp", "seeded_random"]

ENGINES = ("value", "tensor")
TENSOR_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


@contextlib.contextmanager
def seeded_random(seed: int | None) -> Iterator[None]:
    """Seed Python's ``random`` for one block, then put its previous state back.

    The scalar ``Neuron`` draws its weights from ``random.uniform``, as the original does; this
    makes those draws reproducible without changing the state anyone else sees. ``None``
    leaves ``random`` as it is.

    >>> state = random.getstate()
    >>> with seeded_random(1337):
    ...     first = random.random()
    >>> random.getstate() == state
    True
    """
    if seed is None:
        yield
        return
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


def build_mlp(
    engine: str,
    nin: int,
    hidden: Sequence[int],
    nout: int,
    activation: str = "relu",
    seed: int | None = None,
) -> Module:
    """A multi-layer perceptron ``nin -> hidden... -> nout``, hidden layers ``activation``.

    ``engine="value"``: the scalar ``MLP(nin, [*hidden, nout], activation)`` with the
    original's init (uniform(-1, 1) weights, zero biases) drawn after ``random.seed(seed)``.
    ``engine="tensor"``: ``Sequential(Linear, act, ..., Linear)`` with PyTorch's init drawn
    from ``np.random.default_rng(seed)``. The last layer is linear on both.

    >>> model = build_mlp("tensor", 2, [16, 16], 1, seed=0)
    >>> [type(m).__name__ for m in model]
    ['Linear', 'ReLU', 'Linear', 'ReLU', 'Linear']
    """
    _validate.choice("engine", engine, ENGINES)
    _validate.choice("activation", activation, tuple(TENSOR_ACTIVATIONS))
    sizes = [nin, *hidden, nout]
    if engine == "value":
        with seeded_random(seed):
            return MLP(nin, sizes[1:], activation=activation)
    rng = np.random.default_rng(seed)
    layers: list[Module] = []
    for i in range(len(sizes) - 1):
        layers.append(Linear(sizes[i], sizes[i + 1], generator=rng))
        if i < len(sizes) - 2:
            layers.append(TENSOR_ACTIVATIONS[activation]())
    return Sequential(*layers)
