"""PyTorch's function forms of tensor methods: ``micrograd.exp(t)`` is ``t.exp()``,
``micrograd.sum(t, dim)`` is ``t.sum(dim)``, and so on, so that code written as
``torch.tanh(x)`` runs with ``import micrograd as torch``.

Each passes its arguments on to the method of the same name, which holds the op, its
checks and its derivative rule; the arguments are the method's (PyTorch's).
"""

from __future__ import annotations

from typing import Any

from micrograd.tensors.core import Tensor

__all__ = [
    "abs",
    "argmax",
    "chunk",
    "clamp",
    "clip",
    "exp",
    "flatten",
    "log",
    "masked_fill",
    "matmul",
    "max",
    "mean",
    "min",
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
    "unsqueeze",
    "var",
]


def _tensor(input: Any, name: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a tensor, not {type(input).__name__}")
    return input


def numel(input: Tensor) -> int:
    """The number of entries of ``input``."""
    return int(_tensor(input, "numel").data.size)


# --------------------------------------------------------------------- elementwise


def exp(input: Tensor) -> Tensor:
    """``input.exp()``."""
    return _tensor(input, "exp").exp()


def log(input: Tensor) -> Tensor:
    """``input.log()``."""
    return _tensor(input, "log").log()


def sqrt(input: Tensor) -> Tensor:
    """``input.sqrt()``."""
    return _tensor(input, "sqrt").sqrt()


def abs(input: Tensor) -> Tensor:
    """``input.abs()``."""
    return _tensor(input, "abs").abs()


def tanh(input: Tensor) -> Tensor:
    """``input.tanh()``."""
    return _tensor(input, "tanh").tanh()


def sigmoid(input: Tensor) -> Tensor:
    """``input.sigmoid()``."""
    return _tensor(input, "sigmoid").sigmoid()


def relu(input: Tensor) -> Tensor:
    """``input.relu()``."""
    return _tensor(input, "relu").relu()


def pow(input: Tensor | float, exponent: Tensor | float) -> Tensor:
    """``input ** exponent``; one of the two may be a number."""
    if not isinstance(input, Tensor) and isinstance(exponent, Tensor):
        return input**exponent
    return _tensor(input, "pow") ** exponent


def clamp(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``input.clamp(min=None, max=None)``."""
    return _tensor(input, "clamp").clamp(*args, **kwargs)


clip = clamp  # PyTorch's alias


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """``input @ other``."""
    return _tensor(input, "matmul") @ other


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``input.masked_fill(mask, value)``."""
    return _tensor(input, "masked_fill").masked_fill(mask, value)


# --------------------------------------------------------------------- reductions


def sum(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``input.sum(dim=None, keepdim=False)``."""
    return _tensor(input, "sum").sum(*args, **kwargs)


def mean(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``input.mean(dim=None, keepdim=False)``."""
    return _tensor(input, "mean").mean(*args, **kwargs)


def max(input: Tensor, *args: Any, **kwargs: Any) -> Any:
    """``input.max()``, ``input.max(dim, keepdim=False)`` (values and indices) or
    ``input.max(other)`` (elementwise), as the method."""
    return _tensor(input, "max").max(*args, **kwargs)


def min(input: Tensor, *args: Any, **kwargs: Any) -> Any:
    """``input.min(...)``, as ``max``."""
    return _tensor(input, "min").min(*args, **kwargs)


def argmax(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``input.argmax(dim=None, keepdim=False)``."""
    return _tensor(input, "argmax").argmax(*args, **kwargs)


def var(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``input.var(dim=None, *, correction=1, keepdim=False)``."""
    return _tensor(input, "var").var(*args, **kwargs)


def std(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``input.std(dim=None, *, correction=1, keepdim=False)``."""
    return _tensor(input, "std").std(*args, **kwargs)


def prod(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``input.prod(dim=None, keepdim=False)``."""
    return _tensor(input, "prod").prod(*args, **kwargs)


# --------------------------------------------------------------------- shapes


def reshape(input: Tensor, shape: Any) -> Tensor:
    """``input.reshape(shape)``."""
    return _tensor(input, "reshape").reshape(shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """``input.flatten(start_dim, end_dim)``."""
    return _tensor(input, "flatten").flatten(start_dim, end_dim)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """``input.transpose(dim0, dim1)``: the two dimensions swapped."""
    return _tensor(input, "transpose").transpose(dim0, dim1)


def t(input: Tensor) -> Tensor:
    """``input.t()``: a 2-D tensor transposed."""
    return _tensor(input, "t").t()


def permute(input: Tensor, dims: Any) -> Tensor:
    """``input.permute(dims)``."""
    return _tensor(input, "permute").permute(dims)


def squeeze(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``input.squeeze(dim=None)``."""
    return _tensor(input, "squeeze").squeeze(*args, **kwargs)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """``input.unsqueeze(dim)``."""
    return _tensor(input, "unsqueeze").unsqueeze(dim)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """``tensor.split(split_size_or_sections, dim)``."""
    return _tensor(tensor, "split").split(split_size_or_sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``input.chunk(chunks, dim)``."""
    return _tensor(input, "chunk").chunk(chunks, dim)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """``input.roll(shifts, dims)``."""
    return _tensor(input, "roll").roll(shifts, dims)
