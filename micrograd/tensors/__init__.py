"""The tensor engine: the scalar engine's autograd over NumPy arrays, with PyTorch's semantics.

``core`` holds the ``Tensor`` and backpropagation; the op modules attach the operations
``Tensor`` has as methods, each with its derivative rule beside it, so importing this package
imports them all. (The fused network ops only ``torch.nn.functional`` has live in
``micrograd.nn.functional``.)
"""

# Importing the op modules attaches their methods to Tensor.
from micrograd.tensors import (  # noqa: F401
    compare,
    conversion,
    elementwise,
    indexing,
    interop,
    joining,
    norms,
    ops,
    power,
    random,
    reductions,
    selection,
    shape_ops,
    softmax,
)
from micrograd.tensors._shapes import Size
from micrograd.tensors.core import RULE_TEXT, VJPS, Tensor
from micrograd.tensors.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "RULE_TEXT",
    "Size",
    "Tensor",
    "VJPS",
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
