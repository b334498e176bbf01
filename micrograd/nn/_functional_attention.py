"""Scaled dot-product attention for ``nn.functional`` (exported there): the checks of
query, key, value and mask, then one fused primitive of ``tensors.attention``. A file of
its own, as the losses have, so that each of ``nn.functional``'s concerns sits in one
file, matching the tensor engine's.

>>> import numpy as np
>>> from micrograd import Tensor
>>> q = Tensor(np.ones((2, 3, 4)))
>>> scaled_dot_product_attention(q, q, Tensor(np.ones((2, 3, 5))), is_causal=True).shape
(2, 3, 5)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from micrograd.nn._functional_util import _uniform
from micrograd.nn._functional_util import tensor_arg as _tensor
from micrograd.tensors import Tensor

__all__ = ["scaled_dot_product_attention"]


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
