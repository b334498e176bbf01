"""micrograd: a small autograd engine, scalar (``Value``) and tensor (``Tensor``)."""

from micrograd import optim
from micrograd.draw import draw_dot
from micrograd.engine import Value
from micrograd.gradcheck import gradcheck
from micrograd.serialization import load, save
from micrograd.tensor import Tensor, no_grad

__all__ = ["Tensor", "no_grad", "Value", "draw_dot", "gradcheck", "load", "optim", "save"]
__version__ = "1.0.0"
