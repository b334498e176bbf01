"""Layers, activations and losses on ``Tensor``s with the names, signatures and semantics of
PyTorch's ``torch.nn.functional`` (import as F).

Each function checks its arguments (a clear error naming the problem and the shapes
involved), then either composes the engine's primitives or, for the fused network ops only
``torch.nn.functional`` has, builds its one result node itself, with its derivative rule
entered in the engine's rule table ``VJPS`` right below it. One file per kind:

- ``linear``: ``linear``
- ``activations``: ``relu tanh sigmoid softmax log_softmax`` (the engine's, checked) and the
  fused ``gelu silu leaky_relu elu softplus hardtanh``
- ``dropout``: ``dropout``
- ``sparse``: ``embedding one_hot``
- ``padding``: ``pad``
- ``normalization``: ``layer_norm batch_norm normalize``
- ``attention``: ``scaled_dot_product_attention``
- ``distance``: ``cosine_similarity``
- ``losses``: ``cross_entropy nll_loss``; ``pointwise_losses``: ``mse_loss l1_loss
  smooth_l1_loss huber_loss binary_cross_entropy binary_cross_entropy_with_logits
  hinge_loss``
- ``_args``: the argument checks they share

Where PyTorch would modify a tensor in place (``inplace=True``), the result is the same
values in a new tensor: returning it is what the course's code uses.

>>> import numpy as np
>>> from micrograd import Tensor
>>> logits = Tensor([[2.0, 0.0, -1.0], [0.0, 1000.0, -1000.0]], requires_grad=True)
>>> loss = cross_entropy(logits, np.array([0, 1]))
>>> loss.backward()
>>> round(loss.item(), 4), logits.grad.shape
(0.0849, Size([2, 3]))
"""

from micrograd.nn.functional.activations import (
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from micrograd.nn.functional.attention import scaled_dot_product_attention
from micrograd.nn.functional.distance import cosine_similarity
from micrograd.nn.functional.dropout import dropout
from micrograd.nn.functional.linear import linear
from micrograd.nn.functional.losses import cross_entropy, nll_loss
from micrograd.nn.functional.normalization import batch_norm, layer_norm, normalize
from micrograd.nn.functional.padding import pad
from micrograd.nn.functional.pointwise_losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    hinge_loss,
    huber_loss,
    l1_loss,
    mse_loss,
    smooth_l1_loss,
)
from micrograd.nn.functional.sparse import embedding, one_hot

__all__ = [
    "linear",
    "relu",
    "tanh",
    "sigmoid",
    "gelu",
    "silu",
    "leaky_relu",
    "elu",
    "softplus",
    "hardtanh",
    "softmax",
    "log_softmax",
    "dropout",
    "embedding",
    "one_hot",
    "layer_norm",
    "batch_norm",
    "normalize",
    "scaled_dot_product_attention",
    "pad",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cosine_similarity",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "hinge_loss",
]
