"""As ``torch.nn.utils``: gradient clipping (``clip_grad_norm_``, ``clip_grad_value_``) and
parameters as one vector (``parameters_to_vector``, ``vector_to_parameters``).

The clipping functions change the gradients in place, between ``backward()`` and the
optimizer's ``step()``; they take Tensor parameters and the scalar engine's ``Value``s alike.

>>> import numpy as np
>>> from micrograd.tensors import Tensor
>>> w = Tensor([3.0, 4.0], requires_grad=True)
>>> (w * w).sum().backward()                     # grad (6, 8): norm 10
>>> round(clip_grad_norm_([w], max_norm=1.0).item(), 12)
10.0
>>> [round(g, 6) for g in w.grad.tolist()]       # scaled to norm 1
[0.6, 0.8]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from micrograd.engine import Value
from micrograd.tensors import Tensor
from micrograd.tensors.joining import cat

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "vector_to_parameters",
]


def _parameter_list(parameters: Any, where: str) -> list[Any]:
    if isinstance(parameters, (Tensor, Value)):
        return [parameters]
    if not isinstance(parameters, Iterable):
        raise TypeError(
            f"{where} expects a Tensor or an iterable of parameters, "
            f"got {type(parameters).__name__}"
        )
    params = list(parameters)
    for p in params:
        if not isinstance(p, (Tensor, Value)):
            raise TypeError(f"{where} expects Tensors or Values, got {type(p).__name__}")
    return params


def _grad_array(p: Tensor | Value) -> np.ndarray | None:
    """``p``'s gradient as an array that scaling it in place changes (None: no gradient)."""
    if isinstance(p, Value):
        return None  # a float: set back by the caller
    return p._grad


def _norm(g: np.ndarray, norm_type: float) -> np.floating:
    """The ``norm_type`` vector norm of all of ``g``'s elements, in ``g``'s dtype."""
    flat = np.abs(g.reshape(-1))
    if norm_type == math.inf:
        return flat.max(initial=0).astype(g.dtype)
    if norm_type == -math.inf:
        return flat.min().astype(g.dtype)
    if norm_type == 0:
        return np.asarray(np.count_nonzero(flat), dtype=g.dtype)[()]
    if norm_type == 2:
        return np.sqrt(np.dot(flat, flat))
    if norm_type == 1:
        return flat.sum()
    return (flat**norm_type).sum() ** (1.0 / norm_type)


def clip_grad_norm_(
    parameters: Any,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale the gradients so that their norm, taken over all of them together as if they
    were one vector, is at most ``max_norm``; return that total norm (before clipping) as
    a 0-d Tensor. As PyTorch: the total is the ``norm_type`` norm of the per-parameter
    norms (``math.inf``: the largest absolute entry), and every gradient is multiplied by
    min(1, max_norm / (total + 1e-6)). Parameters without a gradient are skipped.
    ``foreach`` is accepted for PyTorch's signature and has no effect.
    """
    params = _parameter_list(parameters, "clip_grad_norm_")
    max_norm, norm_type = float(max_norm), float(norm_type)
    tensors = [(p, g) for p in params if (g := _grad_array(p)) is not None]
    values = [p for p in params if isinstance(p, Value)]
    grads = [g for _, g in tensors] + [np.array(p.grad, dtype=np.float64) for p in values]
    if not grads:
        return Tensor(0.0)
    dtype = np.result_type(*grads)
    norms = np.array([_norm(g, norm_type) for g in grads], dtype=dtype)
    total = _norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    coef = min(max_norm / (total + 1e-6), 1.0)  # always applied, as PyTorch (1.0: no change)
    for p, g in tensors:
        if g.flags.writeable:
            g *= g.dtype.type(coef)
        else:
            p._grad = g * g.dtype.type(coef)
    for p in values:
        p.grad = float(p.grad * coef)
    return Tensor(np.asarray(total, dtype=dtype))


def clip_grad_value_(parameters: Any, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    params = _parameter_list(parameters, "clip_grad_value_")
    clip_value = float(clip_value)
    for p in params:
        if isinstance(p, Value):
            p.grad = min(max(p.grad, -clip_value), clip_value)
        elif (g := _grad_array(p)) is not None:
            if g.flags.writeable:
                np.clip(g, -clip_value, clip_value, out=g)
            else:
                p._grad = np.clip(g, -clip_value, clip_value)


def _tensors(parameters: Any, where: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{where} expects Tensors, got {type(p).__name__}")
    return params


def parameters_to_vector(parameters: Any) -> Tensor:
    """The parameters flattened and joined into one 1-D tensor, in order; differentiable,
    as PyTorch's (``cat`` of each one's ``view(-1)``)."""
    return cat([p.reshape(-1) for p in _tensors(parameters, "parameters_to_vector")])


def vector_to_parameters(vec: Tensor, parameters: Any) -> None:
    """Make each parameter's data the next slice of ``vec`` (1-D), reshaped: the inverse of
    ``parameters_to_vector``. As PyTorch's, the parameters then share ``vec``'s memory."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError(f"vector_to_parameters expects a 1-D Tensor, got {vec!r:.60}")
    params = _tensors(parameters, "vector_to_parameters")
    total = sum(p.numel() for p in params)
    if vec.numel() != total:
        raise ValueError(
            f"vector_to_parameters: the vector has {vec.numel()} elements, the parameters {total}"
        )
    start = 0
    for p in params:
        n = p.numel()
        p._data = vec._data[start : start + n].reshape(p.shape)
        start += n
