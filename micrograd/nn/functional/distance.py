"""``cosine_similarity``: how closely two batches of vectors point the same way. Composed
from the engine's ``norm``, division and ``sum``, in PyTorch's order of operations, so it
needs no rule of its own."""

from __future__ import annotations

import numpy as np

from micrograd.nn.functional._args import float_arg
from micrograd.tensors import Tensor
from micrograd.tensors._shapes import normalize_dim
from micrograd.tensors.errors import broadcast_error


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 · x2 / (||x1|| ||x2||) along ``dim``, the cosine of the angle between the vectors:
    1 for the same direction, -1 for opposite ones. ``x1`` and ``x2`` broadcast; the result
    has their broadcast shape without ``dim``. Each norm is taken as at least ``eps``, so a
    zero vector gives 0. Computed as PyTorch does, ``sum(x1 / ||x1|| * x2 / ||x2||)``.

    >>> x1, x2 = Tensor([[1.0, 0.0], [1.0, 1.0]]), Tensor([[2.0, 0.0], [-1.0, -1.0]])
    >>> [round(c, 6) for c in cosine_similarity(x1, x2).tolist()]
    [1.0, -1.0]
    """
    float_arg(x1, "cosine_similarity x1")
    float_arg(x2, "cosine_similarity x2")
    try:
        shape = np.broadcast_shapes(x1._data.shape, x2._data.shape)
    except ValueError:
        raise broadcast_error("cosine_similarity", x1._data.shape, x2._data.shape) from None
    d = normalize_dim(dim, len(shape))
    x1, x2 = x1.expand(shape), x2.expand(shape)
    # PyTorch clamps the norms without recording it (no_grad): the gradient flows as if the
    # norm were not clamped. That differs from this clamp only where 0 < ||x|| < eps.
    n1 = x1.norm(2, d, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, d, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(d)
