"""micrograd: a small autograd engine, scalar (``Value``) and tensor (``Tensor``)."""

from micrograd import optim
from micrograd.draw import draw_dot
from micrograd.engine import Value, paused_gc
from micrograd.gradcheck import gradcheck
from micrograd.serialization import load, save
from micrograd.tensors import Size, Tensor, functions, no_grad
from micrograd.tensors.functions import *  # noqa: F403  (torch.exp(x), torch.sum(x, 1), ...)

__all__ = [
    "Tensor",
    "Value",
    "draw_dot",
    "gradcheck",
    "load",
    "no_grad",
    "optim",
    "paused_gc",
    "save",
    "Size",
    *functions.__all__,
]
__version__ = "1.0.0"
