"""Networks: the original micrograd's scalar ``Neuron/Layer/MLP`` and PyTorch-style layers."""

from micrograd.nn import functional
from micrograd.nn.module import Module
from micrograd.nn.scalar import MLP, Layer, Neuron

__all__ = ["MLP", "Layer", "Module", "Neuron", "functional"]
