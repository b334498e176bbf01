"""Networks, as ``torch.nn``: ``Module`` and ``Parameter``, containers, layers, losses,
``init``, ``utils`` and ``functional``; and the original micrograd's scalar ``Neuron/Layer/MLP``.

``import micrograd.nn as nn`` then reads as PyTorch code: ``nn.Linear``,
``nn.init.normal_``, ``nn.utils.clip_grad_norm_``, ``nn.functional.cross_entropy``.
"""

from micrograd.nn import functional, init, utils
from micrograd.nn.activation import GELU, Hardtanh, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from micrograd.nn.container import ModuleDict, ModuleList, Sequential
from micrograd.nn.dropout import Dropout
from micrograd.nn.flatten import Flatten
from micrograd.nn.linear import Identity, Linear
from micrograd.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from micrograd.nn.module import Module, StateDictError
from micrograd.nn.normalization import BatchNorm1d, LayerNorm
from micrograd.nn.parameter import Parameter
from micrograd.nn.parameter_container import ParameterDict, ParameterList
from micrograd.nn.scalar import MLP, Layer, Neuron
from micrograd.nn.sparse import Embedding

__all__ = [
    "GELU",
    "Hardtanh",
    "MLP",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "L1Loss",
    "Layer",
    "LayerNorm",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Neuron",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "StateDictError",
    "Tanh",
    "functional",
    "init",
    "utils",
]
