"""PyTorch-style layers on ``Tensor``: Linear, Sequential and the activation modules.

>>> import numpy as np
>>> from micrograd.tensors import Tensor
>>> np.random.seed(0)
>>> model = Sequential(Linear(2, 16), ReLU(), Linear(16, 1))
>>> model(Tensor(np.ones((5, 2)))).shape    # a batch of 5 inputs -> 5 outputs
(5, 1)
>>> [name for name, _ in model.named_parameters()]   # the names PyTorch gives them
['0.weight', '0.bias', '2.weight', '2.bias']
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from micrograd.engine import Value
from micrograd.nn import functional as F
from micrograd.nn.module import Module
from micrograd.tensors import Tensor


class Linear(Module):
    """``y = x @ weight.T + bias``: (..., in_features) -> (..., out_features).

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,), both drawn
    uniformly from (-1/sqrt(in_features), 1/sqrt(in_features)) as PyTorch's default init does
    (Kaiming-uniform with a = sqrt(5) for the weight). Draws come from ``generator`` (a
    ``np.random.Generator``) when given, else from NumPy's global state (``np.random.seed``).
    ``dtype`` is float64 unless given (float32 for speed).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        self.in_features = _size("in_features", in_features)
        self.out_features = _size("out_features", out_features)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {bias!r}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(
                f"generator must be a numpy.random.Generator, got {type(generator).__name__}"
            )
        rng = np.random if generator is None else generator
        bound = 1.0 / math.sqrt(in_features)
        self.weight = Tensor(
            rng.uniform(-bound, bound, (out_features, in_features)),
            requires_grad=True,
            dtype=dtype,
        )
        self.bias = (
            Tensor(rng.uniform(-bound, bound, (out_features,)), requires_grad=True, dtype=dtype)
            if bias
            else None
        )

    def __call__(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)  # it checks the shapes

    def __repr__(self) -> str:
        return (
            f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None})"
        )


class Sequential(Module):
    """Modules applied one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Like PyTorch's: ``len``, iteration, ``model[i]`` (negative too), ``model[i:j]`` (a new
    Sequential sharing the same modules) and ``append``. Its parameters are named by position,
    ``"0.weight"``, ``"2.bias"``, so state dicts line up with PyTorch's.
    """

    def __init__(self, *modules: Module) -> None:
        for i, module in enumerate(modules):
            _check_module(module, f"Sequential argument {i}")
        self._modules = list(modules)

    def __call__(self, x: Any) -> Any:
        for module in self._modules:
            x = module(x)
        return x

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns this Sequential."""
        self._modules.append(_check_module(module, "Sequential.append"))
        return self

    def _named_children(self) -> list[tuple[str, Any]]:
        return [(str(i), module) for i, module in enumerate(self._modules)]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self._modules[index])
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(
                f"Sequential indices must be integers or slices, got {type(index).__name__}"
            )
        if not -len(self._modules) <= index < len(self._modules):
            raise IndexError(f"index {index} is out of range for a Sequential of {len(self)}")
        return self._modules[index]

    def __repr__(self) -> str:
        if not self._modules:
            return "Sequential()"
        lines = [f"  ({i}): " + repr(m).replace("\n", "\n  ") for i, m in enumerate(self._modules)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"


class _Activation(Module):
    """An element-wise function as a module, for use in ``Sequential``. Accepts a Tensor or
    a Value (both engines have the method), and returns the same kind."""

    _method = ""

    def __call__(self, x: Tensor | Value) -> Tensor | Value:
        if not isinstance(x, (Tensor, Value)):
            raise TypeError(
                f"{type(self).__name__} expects a Tensor or a Value, got {type(x).__name__}"
            )
        return getattr(x, self._method)()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(_Activation):
    """``max(x, 0)``, element-wise."""

    _method = "relu"


class Tanh(_Activation):
    """``tanh(x)``, element-wise."""

    _method = "tanh"


class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))``, element-wise."""

    _method = "sigmoid"


def _size(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def _check_module(module: object, where: str) -> Module:
    if isinstance(module, (list, tuple)):
        raise TypeError(
            f"{where} is a {type(module).__name__}; pass modules as separate arguments: "
            "Sequential(*modules)"
        )
    if not isinstance(module, Module):
        raise TypeError(f"{where} must be a Module, got {type(module).__name__}")
    return module
