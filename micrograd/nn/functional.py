"""Layers, activations and losses on ``Tensor``s with the names, signatures and semantics of
PyTorch's ``torch.nn.functional`` (import as F).

Each function here checks its arguments (a clear error naming the problem and the shapes
involved), then calls one fused primitive of the tensor engine (``tensors.nn_ops``,
``normalization``, ``attention``, ``losses``, ``pointwise_losses``), whose derivative rule
sits beside it, or composes primitives. The losses, the normalizations and attention are in
``_functional_losses``, ``_functional_normalization`` and ``_functional_attention`` (each
beside the tensor engine's file of the same concern) and exported here.

Where PyTorch would modify a tensor in place (``inplace=True``), the result is the same
values in a new tensor: returning it is what the course's code uses.

>>> import numpy as np
>>> from micrograd import Tensor
>>> logits = Tensor([[2.0, 0.0, -1.0], [0.0, 1000.0, -1000.0]], requires_grad=True)
>>> loss = cross_entropy(logits, np.array([0, 1]))
>>> loss.backward()
>>> round(loss.item(), 4), logits.grad.shape
(0.0849, (2, 3))
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from micrograd.nn._functional_attention import scaled_dot_product_attention
from micrograd.nn._functional_losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)
from micrograd.nn._functional_normalization import batch_norm, layer_norm, normalize
from micrograd.nn._functional_util import _uniform, index_array, tensor_arg
from micrograd.tensors import Tensor

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
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "hinge_loss",
]

_tensor = tensor_arg


# --------------------------------------------------------------------- linear


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``, as ``torch.nn.functional.linear``: one fused primitive.

    ``input`` has shape (..., in), ``weight`` (out, in), ``bias`` (out,) or None; the result
    has shape (..., out), so a 1-D input (in,) gives (out,).

    >>> x = Tensor([[1.0, 2.0]])
    >>> linear(x, Tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]]), Tensor([0.0, 0.5, 1.0])).data
    array([[ 1. ,  3.5, -1. ]])
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"linear expects a Tensor input, got {type(input).__name__}; wrap it: Tensor(x)"
        )
    _tensor(weight, "linear weight")
    x_shape, w_shape = input.data.shape, weight.data.shape  # .data's: cheaper than properties
    if len(w_shape) != 2:
        raise ValueError(f"linear weight must have shape (out, in), got {w_shape}")
    if not x_shape or x_shape[-1] != w_shape[1]:
        raise ValueError(
            f"linear with a weight of shape {w_shape} expects inputs of shape "
            f"(..., {w_shape[1]}), got {x_shape}"
        )
    if bias is not None and _tensor(bias, "linear bias").data.shape != w_shape[:1]:
        raise ValueError(
            f"linear bias must have shape ({w_shape[0]},) for a weight of shape {w_shape}, "
            f"got {bias.shape}"
        )
    return input._linear(weight, bias)


# --------------------------------------------------------------------- activations


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), elementwise; the derivative at 0 is 0."""
    return _tensor(input, "relu input").relu()


def tanh(input: Tensor) -> Tensor:
    """tanh(x), elementwise."""
    return _tensor(input, "tanh input").tanh()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise, stable for any x."""
    return _tensor(input, "sigmoid input").sigmoid()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF (``approximate='none'``), or PyTorch's tanh
    approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (``'tanh'``, the GELU of
    GPT-2 and makemore). One fused node either way.

    >>> gelu(Tensor([-1.0, 0.0, 1.0])).data.round(4)
    array([-0.1587,  0.    ,  0.8413])
    """
    _tensor(input, "gelu input")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    return input._gelu(approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (the swish), elementwise."""
    return _tensor(input, "silu input")._silu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return _tensor(input, "leaky_relu input")._leaky_relu(float(negative_slope))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    return _tensor(input, "elu input")._elu(float(alpha))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    _tensor(input, "softplus input")
    if beta == 0:
        raise ValueError("softplus beta must be nonzero")
    return input._softplus(float(beta), float(threshold))


def _implicit_dim(name: str, ndim: int) -> int:
    """PyTorch's (deprecated) choice when softmax gets no dim, with its warning."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(
    input: Tensor,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
    *,
    axis: int | None = None,
) -> Tensor:
    """exp(x) / exp(x).sum(dim) along ``dim`` (any; negative counts from the end; ``axis``
    is an alias), stable for any logits. ``dtype`` casts the input first. Without a dim,
    PyTorch's deprecated implicit choice (0 for 0-, 1- and 3-D inputs, else 1), with its
    warning."""
    _tensor(input, "softmax input")
    if dim is None and axis is None:
        dim = _implicit_dim("softmax", input.ndim)
    return input.softmax(dim, dtype, axis=axis)


def log_softmax(
    input: Tensor,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
    *,
    axis: int | None = None,
) -> Tensor:
    """x - logsumexp(x, dim): the log of softmax, without ever forming exp of a large number."""
    _tensor(input, "log_softmax input")
    if dim is None and axis is None:
        dim = _implicit_dim("log_softmax", input.ndim)
    return input.log_softmax(dim, dtype, axis=axis)


# --------------------------------------------------------------------- dropout


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each entry with probability ``p`` and scale the rest by 1 / (1 - p) while
    ``training``; the input itself otherwise (and for p = 0)."""
    _tensor(input, "dropout input")
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    return input._dropout(float(p), _uniform(input.shape) >= p)


# --------------------------------------------------------------------- embedding, one_hot


def embedding(
    input: Any,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) at the integer indices ``input``:
    shape input.shape + (embedding_dim,). The row ``padding_idx`` gets no gradient; with
    ``max_norm`` the rows looked up are first rescaled in place to norm <= max_norm (as
    PyTorch); ``sparse=True`` gives the same gradient, dense.

    >>> embedding(Tensor([[0, 2]]), Tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])).shape
    (1, 2, 2)
    """
    _tensor(weight, "embedding weight")
    if weight.ndim != 2:
        raise ValueError(
            f"embedding weight must have shape (num_embeddings, embedding_dim), got {weight.shape}"
        )
    num = weight.shape[0]
    indices = index_array(input, "embedding input")
    if indices.size and (indices.min() < 0 or indices.max() >= num):
        bad = indices[(indices < 0) | (indices >= num)].flat[0]
        raise IndexError(
            f"embedding index {bad} is out of range for a weight of {num} rows "
            f"(indices must be in [0, {num - 1}])"
        )
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding padding_idx {padding_idx} must be within [-{num}, {num})")
        padding_idx = int(padding_idx) % num
    if max_norm is not None:
        _renorm_rows(weight.data, indices, float(max_norm), float(norm_type))
    return weight._embedding(indices, padding_idx, bool(scale_grad_by_freq))


def _renorm_rows(table: np.ndarray, indices: np.ndarray, max_norm: float, p: float) -> None:
    """Scale the rows of ``table`` looked up by ``indices`` whose p-norm exceeds max_norm to
    norm max_norm, in place, as PyTorch's embedding_renorm_ (not recorded in any graph)."""
    rows = np.unique(indices)
    norms = np.linalg.norm(table[rows], ord=p, axis=1)
    big = norms > max_norm
    table[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(table.dtype)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class indices (any shape) as one-hot rows: an int64 tensor of shape
    tensor.shape + (num_classes,); num_classes=-1 takes the largest index + 1.

    >>> one_hot(Tensor([0, 2])).data.tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    indices = index_array(tensor, "one_hot input")
    if num_classes == -1:
        if indices.size == 0:
            raise ValueError("one_hot cannot infer num_classes from an empty tensor; pass it")
        num_classes = int(indices.max()) + 1
    if indices.size and indices.min() < 0:
        raise ValueError(f"one_hot class values must be non-negative, got {indices.min()}")
    if indices.size and indices.max() >= num_classes:
        raise ValueError(
            f"one_hot class values must be smaller than num_classes={num_classes}, "
            f"got {indices.max()}"
        )
    out = np.zeros((*indices.shape, num_classes), np.int64)
    np.put_along_axis(out, indices[..., None].astype(np.intp), 1, axis=-1)
    return Tensor(out)


# --------------------------------------------------------------------- padding


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pad (or, with negative amounts, crop) the last len(pad) // 2 dims: ``pad`` lists
    (before, after) pairs starting from the last dim, as PyTorch. ``mode='constant'`` fills
    with ``value`` (0); 'reflect', 'replicate' and 'circular' repeat the input's own entries.

    >>> pad(Tensor([[1.0, 2.0]]), (1, 2)).data
    array([[0., 1., 2., 0., 0.]])
    """
    _tensor(input, "pad input")
    pad = tuple(int(n) for n in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad must have an even length of at most 2 * {input.ndim} (the input's dims), "
            f"got {len(pad)}"
        )
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ValueError(
            f"pad mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}"
        )
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for d, (before, after) in enumerate(widths):
        n = input.shape[d]
        if n + before + after < 0:
            raise ValueError(f"pad {pad} would leave dim {d} of size {n} with a negative size")
        if mode != "constant" and (before < 0 or after < 0):
            raise ValueError(f"pad mode {mode!r} takes no negative padding, got {pad}")
        if mode == "reflect" and (before >= n or after >= n):
            raise ValueError(
                f"reflect padding must be smaller than the dim it pads: {pad} on {input.shape}"
            )
        if mode == "circular" and (before > n or after > n):
            raise ValueError(f"circular padding must be at most the dim's size: {pad}")
    return input._pad(tuple(widths), mode, 0.0 if value is None else float(value))
