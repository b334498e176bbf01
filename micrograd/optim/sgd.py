"""Stochastic gradient descent, with momentum, Nesterov and weight decay, as ``torch.optim.SGD``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from micrograd import _validate
from micrograd.optim.optimizer import IMPLEMENTATION_OPTIONS, Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, as ``torch.optim.SGD``.

    Per parameter, with ``g`` its gradient::

        g = -g                                       (if maximize)
        g = g + weight_decay * p                     (if weight_decay)
        b = g  on the first step, else  momentum * b + (1 - dampening) * g
        g = g + momentum * b  if nesterov  else  b   (if momentum)
        p = p - lr * g

    ``params`` is a list of parameters or of parameter groups (dicts, see
    :class:`~micrograd.optim.optimizer.Optimizer`); the keyword arguments are the defaults.
    ``foreach`` and ``fused`` are accepted and change nothing; ``differentiable`` is refused
    (see ``IMPLEMENTATION_OPTIONS``).

    >>> from micrograd import Value
    >>> w = Value(2.0)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).backward()     # d(w^2)/dw = 4
    >>> opt.step()
    >>> round(w.data, 12)
    1.6
    """

    _checks = {
        "lr": _validate.non_negative,
        "momentum": _validate.non_negative,
        "dampening": _validate.real,
        "weight_decay": _validate.non_negative,
        "nesterov": _validate.flag,
        "maximize": _validate.flag,
        "foreach": IMPLEMENTATION_OPTIONS["foreach"],  # PyTorch's SGD has no capturable
        "differentiable": IMPLEMENTATION_OPTIONS["differentiable"],
        "fused": IMPLEMENTATION_OPTIONS["fused"],
    }
    _option_defaults = {"maximize": False, "foreach": None, "differentiable": False, "fused": None}

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any], where: str) -> None:
        super()._check_group(group, where)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{where}SGD: nesterov=True requires momentum > 0 and dampening == 0")

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = np.copy(grad)  # a copy: backward accumulates into the grad array in place
            else:
                buf = momentum * buf + (1 - group["dampening"]) * grad
            state["momentum_buffer"] = buf
            grad = grad + momentum * buf if group["nesterov"] else buf
        return group["lr"] * grad
