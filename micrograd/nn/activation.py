"""Element-wise activations and softmax as modules, as PyTorch's, for ``Sequential`` and
attributes: ``ReLU, Tanh, Sigmoid, GELU, Hardtanh, Softmax, LogSoftmax``.

``ReLU``, ``Tanh`` and ``Sigmoid`` also take a scalar ``Value`` (its engine has the same
methods) and return one.

>>> import numpy as np
>>> from micrograd.tensors import Tensor
>>> ReLU()(Tensor([-1.0, 2.0])).tolist()
[0.0, 2.0]
>>> GELU(approximate="tanh")
GELU(approximate='tanh')
"""

from __future__ import annotations

from typing import Any

from micrograd.engine import Value
from micrograd.nn import functional as F
from micrograd.nn.module import Module
from micrograd.tensors import Tensor

__all__ = ["GELU", "Hardtanh", "LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Tanh"]


def _checked(module: Module, x: Any) -> Any:
    if not isinstance(x, (Tensor, Value)):
        raise TypeError(f"{module._get_name()} expects a Tensor or a Value, got {type(x).__name__}")
    return x


class ReLU(Module):
    """``max(x, 0)``, element-wise."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor | Value) -> Tensor | Value:
        if isinstance(_checked(self, input), Value):
            return input.relu()
        return F.relu(input, inplace=True) if self.inplace else F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    """``tanh(x)``, element-wise."""

    def forward(self, input: Tensor | Value) -> Tensor | Value:
        return _checked(self, input).tanh()


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``, element-wise."""

    def forward(self, input: Tensor | Value) -> Tensor | Value:
        return _checked(self, input).sigmoid()


class GELU(Module):
    """``x * Phi(x)`` (Phi the standard normal CDF), element-wise; ``approximate="tanh"``:
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))), as GPT-2's."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Hardtanh(Module):
    """``x`` clipped to ``[min_val, max_val]`` (-1 and 1 by default), element-wise."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(
                f"Hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})"
            )
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class Softmax(Module):
    """``exp(x) / exp(x).sum(dim)``: along ``dim`` the outputs are positive and sum to 1."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``log(softmax(x, dim))``, computed stably."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
