"""``Linear`` and ``Identity``, as PyTorch's.

>>> import numpy as np
>>> from micrograd.tensors import Tensor
>>> layer = Linear(3, 2)
>>> layer(Tensor(np.ones((4, 3)))).shape
Size([4, 2])
>>> layer
Linear(in_features=3, out_features=2, bias=True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from micrograd.nn import functional as F
from micrograd.nn import init
from micrograd.nn.module import Module
from micrograd.nn.parameter import new_tensor, positive_int
from micrograd.tensors import Tensor
from micrograd.tensors.dtypes import as_device

__all__ = ["Identity", "Linear"]


class Identity(Module):
    """Returns its input; any arguments are accepted and ignored (a placeholder layer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``: (..., in_features) -> (..., out_features).

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,), both
    drawn from U(-1/sqrt(in_features), 1/sqrt(in_features)) as PyTorch's default init
    (``kaiming_uniform_`` with a = sqrt(5) for the weight). ``dtype``: the default dtype
    (float32 unless ``set_default_dtype`` changed it) unless given.
    The init draws from micrograd's default generator (``micrograd.manual_seed``), or from
    ``generator`` (keyword only, not in PyTorch): a ``micrograd.Generator`` or a
    ``numpy.random.Generator``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        generator: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = positive_int("in_features", in_features)
        self.out_features = positive_int("out_features", out_features)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {bias!r}")
        as_device(device)
        self.weight = new_tensor((self.out_features, self.in_features), dtype, 0.0, True)
        if bias:
            self.bias = new_tensor((self.out_features,), dtype, 0.0, True)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Any = None) -> None:
        """Draw the weight and bias again, as at construction."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)  # it checks the shapes

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
