"""Adam and AdamW, as ``torch.optim.Adam`` and ``torch.optim.AdamW`` (single-tensor path)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from micrograd import _validate
from micrograd.optim.optimizer import IMPLEMENTATION_OPTIONS, Optimizer


def _betas(name: str, betas: object) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"{name} must be a pair (beta1, beta2), got {betas!r}")
    pair = (_validate.real(f"{name}[0]", betas[0]), _validate.real(f"{name}[1]", betas[1]))
    for i, beta in enumerate(pair):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{name}[{i}] must be in [0, 1), got {beta}")
    return pair


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) as ``torch.optim.Adam``; ``weight_decay`` is an L2 term in g
    (with ``decoupled_weight_decay=True`` it shrinks p instead: AdamW).

    Per parameter, at step ``t`` (1, 2, ...)::

        g = -g                                            (if maximize)
        g = g + weight_decay * p                          (if weight_decay)
        m = m + (1 - beta1) * (g - m)                     (torch's lerp, for beta1 > 0.5)
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v), used for v below           (if amsgrad)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    ``params`` is a list of parameters or of parameter groups (dicts, see
    :class:`~micrograd.optim.optimizer.Optimizer`); the keyword arguments are the defaults.
    ``foreach`` and ``fused`` choose PyTorch's kernels, not the numbers: accepted and kept;
    ``capturable`` and ``differentiable`` are refused (see ``IMPLEMENTATION_OPTIONS``).

    >>> from micrograd import Value
    >>> w = Value(1.0)
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad = 3.0
    >>> opt.step()             # Adam's first step moves by lr, whatever the gradient's size
    >>> round(w.data, 6)
    0.9
    """

    _checks = {
        "lr": _validate.non_negative,
        "betas": _betas,
        "eps": _validate.non_negative,
        "weight_decay": _validate.non_negative,
        "amsgrad": _validate.flag,
        "maximize": _validate.flag,
        **IMPLEMENTATION_OPTIONS,
        "decoupled_weight_decay": _validate.flag,
    }
    _option_defaults = {
        "amsgrad": False,
        "maximize": False,
        "foreach": None,
        "capturable": False,
        "differentiable": False,
        "fused": None,
        "decoupled_weight_decay": False,
    }

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] = t = state["step"] + 1
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay  # in place, before the Adam step, as torch does
            else:
                grad = grad + weight_decay * param
        m = state["exp_avg"] = _lerp(state["exp_avg"], grad, 1 - beta1)
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad
        if group["amsgrad"]:  # the largest v so far: steps never grow as v shrinks
            v = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", v), v)
        step_size = lr / (1 - beta1**t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + group["eps"]
        return step_size * (m / denom)


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``start + weight * (end - start)`` computed as ``torch.lerp`` does.

    For weights of 1/2 and more torch starts from ``end``: with beta1 = 0 the average is then
    exactly the gradient, where the naive formula cancels catastrophically.
    """
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``:
    ``Adam(..., decoupled_weight_decay=True)``.

    Each step first shrinks the parameter, ``p = p * (1 - lr * weight_decay)``, then takes
    Adam's step with the plain gradient (no L2 term added to it).
    """

    _option_defaults = {**Adam._option_defaults, "decoupled_weight_decay": True}

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def _check_loaded_group(self, group: dict[str, Any], where: str) -> None:
        group["decoupled_weight_decay"] = True  # whatever was saved, as PyTorch's AdamW
