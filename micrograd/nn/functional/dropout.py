"""``dropout``: zero entries at random while training, scaling the rest to keep the mean."""

from __future__ import annotations

from micrograd.nn.functional._args import _uniform, float_arg, tensor_arg
from micrograd.tensors import RULE_TEXT, VJPS, Tensor
from micrograd.tensors.core import _result, ndarray

_tensor = tensor_arg


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each entry with probability ``p`` and scale the rest by 1 / (1 - p) while
    ``training``; the input itself otherwise (and for p = 0)."""
    _tensor(input, "dropout input")
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    float_arg(input, "dropout input")  # only now: PyTorch passes integers through unchanged
    if p == 1:
        return input * 0.0
    return _dropout(input, float(p), _uniform(input.shape) >= p)


def _dropout(input: Tensor, p: float, keep: ndarray) -> Tensor:
    """input * keep / (1 - p) for a boolean ``keep`` mask of input's shape.

    Fused: one node whose rule is g times the same scaled mask, kept in the input's dtype.
    """
    x = input._data
    mask = keep.astype(x.dtype)
    mask *= 1 / (1 - p)
    return _result(x * mask, "dropout", (input,), mask, input.requires_grad)


VJPS["dropout"] = (lambda g, ans, mask: g * mask,)
RULE_TEXT["dropout"] = ("grad * mask",)
