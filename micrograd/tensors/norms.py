"""``norm``: a vector p-norm over some dims, as ``torch.norm`` and ``Tensor.norm`` compute
it (through ``torch.linalg.vector_norm``), its forward and then its rule.

A primitive rather than a composite: ``sqrt((x * x).sum())`` has an infinite slope at a zero
vector, where PyTorch takes the norm's gradient as 0 (the rule below follows PyTorch's
``norm_backward`` case by case), and one node does in one pass what the composite does in
three.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from micrograd.tensors._shapes import kept_shape, reduce_dims
from micrograd.tensors.conversion import in_float32
from micrograd.tensors.core import RULE_TEXT, VJPS, Tensor, _result, method, ndarray
from micrograd.tensors.dtypes import as_dtype, is_bfloat16
from micrograd.tensors.errors import DTypeError
from micrograd.tensors.ops import _quiet

Dim = int | tuple[int, ...] | list[int] | None


def _order(p: Any) -> float:
    """``p`` as a number: 'fro' (the Frobenius norm of the entries) is the 2-norm."""
    if p == "fro":
        return 2.0
    if isinstance(p, str):
        raise RuntimeError(
            f"norm(): p={p!r} (a matrix norm) is not supported; micrograd has the vector "
            "norms: a number p, inf, -inf, or 'fro'"
        )
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"norm(): p must be a number or 'fro', got {type(p).__name__}: {p!r}")
    return float(p)


@method
def norm(
    self, p: float | str = "fro", dim: Dim = None, keepdim: bool = False, dtype: Any = None
) -> Tensor:
    """The p-norm of the entries over ``dim`` (every entry if None): (sum |x|**p)**(1/p);
    p = inf is the largest |x|, -inf the smallest, 0 the count of nonzero entries, and
    'fro' (the default) the 2-norm. ``dtype`` casts the input first. Floating-point tensors
    only, as PyTorch. The gradient at a zero vector is 0, as PyTorch's.

    >>> Tensor([[3.0, 4.0], [0.0, 1.0]]).norm(dim=1).tolist()
    [5.0, 1.0]
    """
    order = _order(p)
    if dtype is not None:
        return self.to(as_dtype(dtype)).norm(p, dim, keepdim)
    x = self._data
    if is_bfloat16(x.dtype):  # summed in float32 and rounded once, as PyTorch's CPU does
        return in_float32(Tensor.norm, x.dtype, self, p, dim, keepdim)
    if x.dtype.kind != "f":
        raise DTypeError(
            f"norm() needs a floating-point tensor, got {x.dtype} (PyTorch refuses it too): "
            "convert it first with .float() or .double()"
        )
    dims = reduce_dims(dim, x.ndim)
    if p == "fro" and dims is not None and len(dims) > 2:
        raise RuntimeError(f"norm(): p='fro' takes at most 2 dims, got {dim}; use p=2")
    if math.isinf(order) and x.size == 0:
        raise RuntimeError("norm(): the inf norm of an empty tensor is not defined (no entries)")
    a = np.abs(x)
    if order == math.inf:
        out = np.max(a, axis=dims, keepdims=keepdim)
    elif order == -math.inf:
        out = np.min(a, axis=dims, keepdims=keepdim)
    elif order == 0:
        out = np.sum(x != 0, axis=dims, keepdims=keepdim, dtype=x.dtype)
    elif order == 1:
        out = np.sum(a, axis=dims, keepdims=keepdim)
    elif order == 2:
        out = np.sqrt(np.sum(x * x, axis=dims, keepdims=keepdim))
    else:
        with _quiet():  # 0 ** p for p < 0 is inf, as PyTorch's
            out = np.sum(a**order, axis=dims, keepdims=keepdim) ** (1 / order)
    return _result(out, "norm", (self,), (x, order, dims, keepdim), self.requires_grad)


def _norm_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    """PyTorch's norm_backward: with n the norm, sign(x) g for p = 1; x / n g for p = 2;
    for inf norms g shared among the entries whose |x| is the norm; otherwise
    sign(x) |x|**(p-1) g / n**(p-1). Where n is 0 (a zero vector) the gradient is 0."""
    x, order, dims, keepdim = ctx
    if not (keepdim or dims is None):
        kept = kept_shape(x.shape, dims)
        g, ans = g.reshape(kept), ans.reshape(kept)
    if order == 0:
        return np.zeros_like(x)
    if order == 1:
        return np.sign(x) * g
    with _quiet():  # 0 / 0 at a zero vector: replaced by 0 below, as PyTorch does
        if order == 2:
            return g * np.where(ans == 0, 0, x / ans)
        a = np.abs(x)
        if math.isinf(order):
            winners = (a == ans) | np.isnan(a)
            return np.sign(x) * (g / winners.sum(axis=dims, keepdims=True) * winners)
        if order < 1:
            scaled = np.sign(x) * np.where(x == 0, 0, a ** (order - 1))
            return scaled * g * ans ** (1 - order)
        scale = np.where(ans == 0, 0, g / ans ** (order - 1))
        if order < 2:
            return np.sign(x) * a ** (order - 1) * scale
        return x * a ** (order - 2) * scale


VJPS["norm"] = (_norm_grad,)
RULE_TEXT["norm"] = (  # the 2-norm as the lecture would write it; other p as PyTorch's rule
    "a / out * grad if two and kept"
    " else a / np.expand_dims(out, dims) * np.expand_dims(grad, dims) if two"
    " else norm_backward(a, out, grad, p, dims, kept)",
)
