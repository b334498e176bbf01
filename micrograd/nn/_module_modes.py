"""What ``Module`` does to a whole network at once, mixed into it: switch modes
(``train``/``eval``), set gradients (``requires_grad_``, ``zero_grad``) and convert dtypes
and devices (``to``, ``float``, ``double``, ``cpu``).

Each walks the module's parameters, buffers or children through ``Module``'s own walks and
never registers anything, so it stands apart from the registries in ``module.py``, which
inherits it.

>>> import micrograd.nn as nn
>>> net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).double().eval()
>>> net[0].weight.dtype, net[1].training
(dtype('float64'), False)
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from micrograd.engine import Value
from micrograd.nn.parameter import parse_to_args
from micrograd.tensors import Tensor

__all__ = ["ModesMixin"]

M = TypeVar("M", bound="ModesMixin")


class ModesMixin:
    """``Module``'s modes and conversions; they use its walks (``children``, ``modules``,
    ``parameters``), so only ``Module`` inherits this."""

    training: bool

    def train(self: M, mode: bool = True) -> M:
        """Set ``training`` to ``mode`` here and in every sub-module (Dropout and BatchNorm
        behave differently in training); returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {mode!r}")
        self.training = mode
        for module in self.children():  # through each child's train(), which it may override
            module.train(mode)
        return self

    def eval(self: M) -> M:
        """``train(False)``: evaluation mode."""
        return self.train(False)

    def requires_grad_(self: M, requires_grad: bool = True) -> M:
        """Set ``requires_grad`` of every tensor parameter (to freeze or unfreeze them)."""
        for p in self.parameters():
            if isinstance(p, Tensor):
                p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: a Tensor's to None (or zeros in place with
        ``set_to_none=False``), a Value's to 0.0 (as the original micrograd)."""
        for p in self.parameters():
            if isinstance(p, Value):
                p.grad = 0.0
            elif p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    grad = p.grad.data if isinstance(p.grad, Tensor) else p.grad
                    if grad.flags.writeable:
                        grad[...] = 0
                    else:
                        p.grad = np.zeros_like(grad)

    def to(self: M, *args: Any, **kwargs: Any) -> M:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``: convert the
        floating-point parameters and buffers to ``dtype`` (in place: the same Parameter
        objects), integer buffers stay. The only device is the CPU. Returns self."""
        dtype = parse_to_args(args, kwargs)
        if dtype is not None:
            self._cast(dtype)
        return self

    def float(self: M) -> M:
        """Floating-point parameters and buffers to float32."""
        return self._cast(np.dtype(np.float32))

    def double(self: M) -> M:
        """Floating-point parameters and buffers to float64."""
        return self._cast(np.dtype(np.float64))

    def cpu(self: M) -> M:
        """Already there: micrograd runs on the CPU."""
        return self

    def _cast(self: M, dtype: np.dtype) -> M:
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for t in registry.values():
                    if t is not None and t.data.dtype.kind == "f":
                        t.data = t.data.astype(dtype, copy=False)
                        if isinstance(t.grad, np.ndarray):
                            t.grad = t.grad.astype(dtype, copy=False)
        return self
