"""micrograd: a small autograd engine, scalar (``Value``) and tensor (``Tensor``)."""

from micrograd import optim
from micrograd.draw import draw_dot
from micrograd.engine import Value, paused_gc
from micrograd.explore import explore
from micrograd.gradcheck import gradcheck
from micrograd.serialization import load, save
from micrograd.tensor import Tensor, no_grad

__all__ = [
    "Tensor",
    "Value",
    "draw_dot",
    "explore",
    "gradcheck",
    "load",
    "no_grad",
    "optim",
    "paused_gc",
    "save",
]
__version__ = "1.0.0"
