"""From one engine to the other: the scalar ``nn.MLP`` as a tensor ``nn.Sequential``."""

from __future__ import annotations

import numpy as np

from micrograd.nn.build import TENSOR_ACTIVATIONS
from micrograd.nn.container import Sequential
from micrograd.nn.linear import Linear
from micrograd.nn.module import Module
from micrograd.nn.scalar import MLP
from micrograd.tensors import no_grad

__all__ = ["tensor_copy"]


def tensor_copy(mlp: MLP) -> Sequential:
    """The scalar ``mlp`` as a float64 tensor ``Sequential`` holding the same weights (copies:
    a Value's number is a Python float, a float64).

    Neuron ``j`` of a layer becomes row ``j`` of that ``Linear``'s weight, its bias entry ``j``
    of the bias, so both compute the same function (up to float rounding: sums are taken in
    a different order). Used to train the original demo's exact initial network on Tensors,
    and to evaluate a scalar network quickly on many points (a decision-boundary grid).

    >>> from micrograd.nn.build import build_mlp
    >>> scalar = build_mlp("value", 2, [4], 1, seed=0)
    >>> copy = tensor_copy(scalar)
    >>> neuron = scalar.layers[0].neurons[1]
    >>> copy[0].weight.shape, copy[0].weight[1].tolist() == [w.data for w in neuron.w]
    (Size([4, 2]), True)
    """
    if not isinstance(mlp, MLP):
        raise TypeError(f"tensor_copy expects a scalar nn.MLP, got {type(mlp).__name__}")
    layers: list[Module] = []
    for i, layer in enumerate(mlp.layers):
        neurons = layer.neurons
        rng = np.random.default_rng(0)
        linear = Linear(len(neurons[0].w), len(neurons), generator=rng, dtype=np.float64)
        with no_grad():
            linear.weight.copy_([[w.data for w in n.w] for n in neurons])
            linear.bias.copy_([n.b.data for n in neurons])
        layers.append(linear)
        if i < len(mlp.layers) - 1:
            layers.append(TENSOR_ACTIVATIONS[neurons[0].activation]())
    return Sequential(*layers)
