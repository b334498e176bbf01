"""Layers, activations and losses on ``Tensor``s with the names, signatures and semantics of
PyTorch's ``torch.nn.functional`` (import as F).

Each function here checks its arguments (a clear error naming the problem and the shapes
involved), then calls one fused primitive of the tensor engine (``tensors.nn_ops``,
``normalization``, ``attention``, ``losses``), whose derivative rule sits beside it, or
composes primitives. The losses are in ``_functional_losses`` and exported here.

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

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from micrograd.nn._functional_losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)
from micrograd.nn._functional_util import index_array, tensor_arg
from micrograd.tensors import Tensor
from micrograd.tensors._shapes import normalize_dim
from micrograd.tensors.generator import numpy_generator

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


def _uniform(shape: tuple[int, ...]) -> np.ndarray:
    """Uniform draws in [0, 1) for dropout's masks, from micrograd's default generator (so
    ``manual_seed`` makes them repeat); float32, as only their comparison with p is used."""
    return numpy_generator(None).random(shape, dtype=np.float32)


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


# --------------------------------------------------------------------- normalization


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the last len(normalized_shape) dims (mean 0, biased variance 1, eps
    added to the variance), then ``* weight + bias`` (both of shape normalized_shape).
    One fused node with the exact rule.

    >>> layer_norm(Tensor([[1.0, 3.0]]), (2,)).data.round(4)
    array([[-1.,  1.]])
    """
    _tensor(input, "layer_norm input")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.shape[input.ndim - k :] != shape or k > input.ndim:
        raise ValueError(
            f"layer_norm: normalized_shape={list(shape)} expects an input of shape "
            f"(*, {', '.join(map(str, shape))}), got {input.shape}"
        )
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and _tensor(t, f"layer_norm {name}").shape != shape:
            raise ValueError(
                f"layer_norm {name} must have shape normalized_shape={shape}, got {t.shape}"
            )
    return input._layer_norm(k, weight, bias, float(eps))


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (dim 1) of input (N, C, ...) over every other dim, then
    ``* weight + bias`` (C,). Training: with the batch's statistics, updating the running
    ones in place (momentum, unbiased variance) as PyTorch; evaluation: with the running ones.
    """
    _tensor(input, "batch_norm input")
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects an input of shape (N, C, ...), got {input.shape}")
    channels = input.shape[1]
    stats = []
    for t, name in (
        (running_mean, "running_mean"),
        (running_var, "running_var"),
        (weight, "weight"),
        (bias, "bias"),
    ):
        if t is not None and _tensor(t, f"batch_norm {name}").shape != (channels,):
            raise ValueError(
                f"batch_norm {name} must have shape ({channels},) for an input of shape "
                f"{input.shape}, got {t.shape}"
            )
        stats.append(None if t is None else t.data)
    if training:
        if input.data.size // channels <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{input.shape}"
            )
    elif running_mean is None or running_var is None:
        raise ValueError("batch_norm needs running_mean and running_var in evaluation mode")
    return input._batch_norm(
        stats[0], stats[1], weight, bias, bool(training), float(momentum), float(eps)
    )


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None
) -> Tensor:
    """input / max(||input||_p, eps) along ``dim``: unit p-norm vectors (p >= 1, finite)."""
    _tensor(input, "normalize input")
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    if not (math.isfinite(p) and p >= 1):
        raise ValueError(f"normalize supports finite p >= 1, got p={p}")
    return input._normalize(float(p), normalize_dim(dim, input.ndim), float(eps))


# --------------------------------------------------------------------- attention


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, as PyTorch's: one fused node.

    query (..., L, E), key (..., S, E), value (..., S, Ev) give (..., L, Ev), leading dims
    broadcast. ``scale`` defaults to 1/sqrt(E). ``attn_mask``: boolean (True takes part) or
    float (added to the scores), broadcastable to (..., L, S); ``is_causal`` masks the
    upper triangle (query i sees keys 0..i). A query that sees no key gets zeros. Dropout
    with probability ``dropout_p`` applies to the weights whenever it is nonzero (pass 0.0
    in evaluation, as PyTorch's modules do).
    """
    for t, name in ((query, "query"), (key, "key"), (value, "value")):
        if _tensor(t, f"scaled_dot_product_attention {name}").ndim < 2:
            raise ValueError(
                f"scaled_dot_product_attention {name} needs at least 2 dims (..., L, E), "
                f"got {t.shape}"
            )
    q, k, v = query.shape, key.shape, value.shape
    if q[-1] != k[-1] or k[-2] != v[-2]:
        raise ValueError(
            f"scaled_dot_product_attention: query {q}, key {k} and value {v} do not fit: "
            "query and key need the same last dim, key and value the same second-to-last"
        )
    if enable_gqa and len(q) >= 3 and len(k) >= 3 and q[-3] != k[-3]:
        raise NotImplementedError(
            "scaled_dot_product_attention: enable_gqa (fewer key/value heads than query "
            "heads) is not supported; repeat key and value along dim -3 first"
        )
    try:
        lead = np.broadcast_shapes(q[:-2], k[:-2], v[:-2])
    except ValueError:
        raise ValueError(
            f"scaled_dot_product_attention: the leading dims of query {q}, key {k} and "
            f"value {v} do not broadcast"
        ) from None
    if not 0 <= dropout_p < 1:
        raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p}")
    mask = _attention_mask(attn_mask, is_causal, (*lead, q[-2], k[-2]), query.dtype)
    keep = None
    if dropout_p > 0:
        keep = _uniform((*lead, q[-2], k[-2])) >= dropout_p
    factor = 1 / math.sqrt(q[-1]) if scale is None else float(scale)
    return query._attention(key, value, mask, keep, float(dropout_p), factor)


def _attention_mask(mask: Any, is_causal: bool, shape: tuple[int, ...], dtype: Any) -> Any:
    """The mask as the primitive takes it: None, a boolean array, a float array, or a float
    Tensor that requires grad (whose gradient is then computed)."""
    if is_causal:
        if mask is not None:
            raise ValueError("scaled_dot_product_attention: pass attn_mask or is_causal, not both")
        return np.tri(shape[-2], shape[-1], dtype=bool)
    if mask is None:
        return None
    if isinstance(mask, Tensor) and mask.requires_grad:
        array, keep_tensor = mask.data, True
    else:
        array, keep_tensor = np.asarray(mask.data if isinstance(mask, Tensor) else mask), False
    if array.dtype.kind not in "bf":
        raise TypeError(f"attn_mask must be boolean or floating point, got dtype {array.dtype}")
    try:
        np.broadcast_shapes(array.shape, shape)
    except ValueError:
        raise ValueError(
            f"attn_mask of shape {array.shape} does not broadcast to the attention weights' "
            f"shape {shape}"
        ) from None
    if keep_tensor:
        return mask
    return array if array.dtype.kind == "b" else array.astype(dtype, copy=False)


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
