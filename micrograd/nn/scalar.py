"""The original micrograd's networks, on scalar ``Value``s: Neuron, Layer, MLP.

Code written for the original package runs unchanged; ``activation`` adds tanh and sigmoid.
``lecture=True`` builds the lecture's network instead: tanh on every layer, the output too,
and biases drawn from uniform(-1, 1) like the weights (the original starts them at 0 and
keeps the last layer linear): ``MLP(3, [4, 4, 1], lecture=True)``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from micrograd._validate import positive_int
from micrograd.engine import Value
from micrograd.nn.module import Module

ACTIVATIONS = ("relu", "tanh", "sigmoid")


def _check_activation(activation: str | None, lecture: bool) -> str:
    """The activation to use: the one given, else tanh for the lecture's network, else relu."""
    if activation is None:
        return "tanh" if lecture else "relu"
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if lecture and activation != "tanh":
        raise ValueError(f"lecture=True is the lecture's tanh network, got {activation=}")
    return activation


class Neuron(Module):
    """One neuron: ``activation(w . x + b)``, or just ``w . x + b`` when ``nonlin=False``.

    Weights start uniform in (-1, 1), the bias at 0, as in the original; with
    ``lecture=True`` the bias is drawn from uniform(-1, 1) too, right after the weights (as
    the lecture's ``Neuron`` draws them), and the activation is tanh.
    """

    def __init__(
        self, nin: int, nonlin: bool = True, activation: str | None = None, lecture: bool = False
    ) -> None:
        positive_int("nin", nin)
        activation = _check_activation(activation, lecture)
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1) if lecture else 0)
        self.nonlin = nonlin
        self.activation = activation

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        # The original's sum((wi * xi for ...), self.b), node for node, without a generator.
        act = self.b
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        if not self.nonlin:
            return act
        if self.activation == "relu":
            return act.relu()
        return act.tanh() if self.activation == "tanh" else act.sigmoid()

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        kind = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}[self.activation]
        return f"{kind if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs. Returns the Value itself when ``nout == 1``."""

    def __init__(self, nin: int, nout: int, **kwargs: object) -> None:
        positive_int("nout", nout)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: hidden layers use ``activation``, the last layer is linear.

    ``lecture=True``: the lecture's network, tanh on every layer including the output, and
    every bias drawn from uniform(-1, 1) like the weights.

    >>> model = MLP(3, [4, 4, 1], lecture=True)
    >>> model
    MLP of [Layer of [TanhNeuron(3), ...], Layer of [TanhNeuron(4), ...], Layer of [TanhNeuron(4)]]
    >>> -1 < model([2.0, 3.0, -1.0]).data < 1
    True
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = None,
        lecture: bool = False,
    ) -> None:
        if isinstance(nouts, int) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        activation = _check_activation(activation, lecture)
        sz = [nin] + list(nouts)
        self.layers = [
            Layer(
                sz[i],
                sz[i + 1],
                nonlin=lecture or i != len(nouts) - 1,
                activation=activation,
                lecture=lecture,
            )
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
