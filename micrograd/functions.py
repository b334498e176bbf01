"""The tensor operations as functions of their input, PyTorch's ``torch.exp(x)`` and
``torch.sum(x, dim=1)`` spellings: each calls the Tensor method of the same name. Part of
PyTorch's surface above the engine (``toplevel`` has the functions that are no method).

``pow`` also takes a number as base (``torch.pow(2, t)``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# the modules whose ops these call: imported so that their methods are attached to Tensor
from micrograd.tensors import (  # noqa: F401
    compare,
    elementwise,
    indexing,
    norms,
    ops,
    power,
    reductions,
    shape_ops,
)
from micrograd.tensors.core import Tensor

__all__ = [
    "abs",
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "chunk",
    "clamp",
    "clip",
    "cumsum",
    "eq",
    "exp",
    "flatten",
    "gather",
    "ge",
    "gt",
    "le",
    "log",
    "log10",
    "logical_not",
    "logsumexp",
    "lt",
    "masked_fill",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "ne",
    "norm",
    "numel",
    "permute",
    "pow",
    "prod",
    "relu",
    "reshape",
    "roll",
    "sigmoid",
    "split",
    "sqrt",
    "squeeze",
    "std",
    "sum",
    "t",
    "tanh",
    "transpose",
    "unbind",
    "unsqueeze",
    "var",
]


def _function(name: str) -> Callable[..., Any]:
    """``name(input, *args, **kwargs)``: ``input.name(*args, **kwargs)`` for a Tensor input."""
    tensor_method = getattr(Tensor, name)

    def function(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}"
            )
        return tensor_method(input, *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = tensor_method.__doc__
    return function


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001, A002
    """``input ** exponent``, where either (not both) may be a number."""
    if isinstance(input, Tensor):
        return input**exponent
    if isinstance(exponent, Tensor):
        return exponent.__rpow__(input)
    raise TypeError(
        f"pow(): input or exponent must be a Tensor, got {type(input).__name__} and "
        f"{type(exponent).__name__}"
    )


abs = _function("abs")  # noqa: A001
all = _function("all")  # noqa: A001
amax = _function("amax")
amin = _function("amin")
any = _function("any")  # noqa: A001
argmax = _function("argmax")
argmin = _function("argmin")
chunk = _function("chunk")
clamp = _function("clamp")
clip = _function("clip")
cumsum = _function("cumsum")
eq = _function("eq")
exp = _function("exp")
flatten = _function("flatten")
gather = _function("gather")
ge = _function("ge")
gt = _function("gt")
le = _function("le")
log = _function("log")
log10 = _function("log10")
logical_not = _function("logical_not")
logsumexp = _function("logsumexp")
lt = _function("lt")
masked_fill = _function("masked_fill")
matmul = _function("matmul")
max = _function("max")  # noqa: A001
maximum = _function("maximum")
mean = _function("mean")
min = _function("min")  # noqa: A001
minimum = _function("minimum")
ne = _function("ne")
norm = _function("norm")
numel = _function("numel")
permute = _function("permute")
prod = _function("prod")
relu = _function("relu")
reshape = _function("reshape")
roll = _function("roll")
sigmoid = _function("sigmoid")
split = _function("split")
sqrt = _function("sqrt")
squeeze = _function("squeeze")
std = _function("std")
sum = _function("sum")  # noqa: A001
t = _function("t")
tanh = _function("tanh")
transpose = _function("transpose")
unbind = _function("unbind")
unsqueeze = _function("unsqueeze")
var = _function("var")
