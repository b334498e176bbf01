"""Networks: the original micrograd's scalar ``Neuron/Layer/MLP`` and PyTorch-style layers."""

from micrograd.nn import functional
from micrograd.nn.layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from micrograd.nn.module import Module
from micrograd.nn.scalar import MLP, Layer, Neuron

__all__ = [
    "MLP",
    "Layer",
    "Linear",
    "Module",
    "Neuron",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "functional",
]
