"""``linear``: ``input @ weight.T + bias``, the affine map of ``nn.Linear``.

One node with its own rule, where the composite (transpose, matmul, add) takes three.
"""

from __future__ import annotations

from micrograd.nn.functional._args import tensor_arg
from micrograd.tensors import RULE_TEXT, VJPS, Tensor
from micrograd.tensors.conversion import in_float32
from micrograd.tensors.core import _result, ndarray
from micrograd.tensors.errors import ShapeError
from micrograd.tensors.grad_mode import _autocast, lower_precision

_tensor = tensor_arg


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``, as ``torch.nn.functional.linear``: one fused primitive.

    ``input`` has shape (..., in), ``weight`` (out, in), ``bias`` (out,) or None; the result
    has shape (..., out), so a 1-D input (in,) gives (out,). Under autocast, and on bfloat16
    operands, it runs in 16 bits as PyTorch's CPU does (``in_float32``).

    >>> x = Tensor([[1.0, 2.0]])
    >>> linear(x, Tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]]), Tensor([0.0, 0.5, 1.0])).tolist()
    [[1.0, 3.5, -1.0]]
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"linear expects a Tensor input, got {type(input).__name__}; wrap it: Tensor(x)"
        )
    _tensor(weight, "linear weight")
    x_shape, w_shape = input._data.shape, weight._data.shape  # the arrays': cheaper than properties
    if len(w_shape) != 2:
        raise ShapeError(f"linear weight must have shape (out, in), got {w_shape}")
    if not x_shape or x_shape[-1] != w_shape[1]:
        raise ShapeError(
            f"linear with a weight of shape {w_shape} expects inputs of shape "
            f"(..., {w_shape[1]}), got {x_shape}"
        )
    if bias is not None and _tensor(bias, "linear bias")._data.shape != w_shape[:1]:
        raise ShapeError(
            f"linear bias must have shape ({w_shape[0]},) for a weight of shape {w_shape}, "
            f"got {bias.shape}"
        )
    # kind "V" is bfloat16's (dtypes.is_bfloat16, read inline: this runs once per layer)
    if _autocast.enabled or input._data.dtype.kind == "V" or weight._data.dtype.kind == "V":
        low = lower_precision(input._data, weight._data, None if bias is None else bias._data)
        if low is not None:
            return in_float32(_linear, low, input, weight, bias)
    return _linear(input, weight, bias)


def _linear(input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``input @ weight.T + bias`` for input (..., in), weight (out, in), bias (out,) or None
    (``nn.functional.linear`` checks the shapes, then calls this).

    One node where the composite (transpose, matmul, add) takes three per layer.
    """
    x, w = input._data, weight._data
    # BLAS reads the transposed view as it is: no copy. ndarray.dot rather than @: the same
    # product without matmul's ufunc machinery. Past 2-D, the leading axes are folded into
    # one (a view of a contiguous x), so the product is one BLAS call where matmul would
    # make one per leading index.
    if x.ndim <= 2:
        data = x.dot(w.T)
    else:
        data = x.reshape(-1, x.shape[-1]).dot(w.T).reshape(*x.shape[:-1], w.shape[0])
    if bias is None:
        return _result(
            data, "linear", (input, weight), (x, w), input.requires_grad or weight.requires_grad
        )
    b = bias._data
    if data.dtype is b.dtype:
        data += b  # in place: the product is a fresh array
    else:
        data = data + b  # mixed dtypes promote, as the composite's + would
    return _result(
        data,
        "linear",
        (input, weight, bias),
        (x, w),
        input.requires_grad or weight.requires_grad or bias.requires_grad,
    )


# The rules, as the forward, fold every leading (batch) axis into one, so each is one
# 2-D BLAS product. The bias's rule hands g on: the walk sums it over the batch (unbroadcast).


def _linear_grad_x(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    w = ctx[1]  # ans = x @ w.T + b, so d/dx = g @ w: (..., out) @ (out, in)
    if g.ndim <= 2:
        return g.dot(w)  # (ndarray.dot: @ without matmul's dispatch)
    return g.reshape(-1, g.shape[-1]).dot(w).reshape(*g.shape[:-1], w.shape[1])


def _linear_grad_w(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    x = ctx[0]  # d/dw = g.T @ x, summed over every batch row: (out, N) @ (N, in)
    return g.reshape(-1, g.shape[-1]).T.dot(x.reshape(-1, x.shape[-1]))


VJPS["linear"] = (_linear_grad_x, _linear_grad_w, lambda g, ans, ctx: g)  # ans = x @ w.T + b
RULE_TEXT["linear"] = (  # (x, W, b): out = x @ W.T + b
    "grad @ b",
    "grad.T @ a if flat else grad.reshape(-1, grad.shape[-1]).T @ a.reshape(-1, a.shape[-1])",
    "grad",
)
