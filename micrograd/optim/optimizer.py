"""Optimizers: SGD (with momentum, Nesterov, weight decay), Adam and AdamW.

Each ``step`` applies PyTorch's update formula (``torch.optim``, the single-tensor code path)
to every parameter that has a gradient. The same code serves both engines:

* a ``Tensor`` parameter's ``.data`` and ``.grad`` are ndarrays; ``.data`` is updated in place,
  so anything holding the array sees the new values, and the dtype (float32 or float64) is kept;
* a ``Value`` parameter's ``.data`` and ``.grad`` are floats. The data is read into a 0-d
  array so the formulas below run unchanged, and written back as a plain float.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from micrograd.engine import Value
from micrograd.tensors import Tensor

Parameter = Value | Tensor


class Optimizer:
    """Base class: holds the parameters, their per-parameter state and the hyper-parameters.

    As in PyTorch, hyper-parameters live in ``param_groups`` (here always one group), so a
    learning-rate schedule changes ``optimizer.param_groups[0]["lr"]`` and the next ``step``
    uses it. ``state`` maps ``id(parameter)`` to that parameter's buffers.
    """

    def __init__(self, params: Iterable[Parameter], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = [
            {"params": _check_params(params, type(self).__name__), **defaults}
        ]
        self.state: dict[int, dict[str, Any]] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient before the next ``backward``.

        A Tensor's grad becomes None (``set_to_none=True``, PyTorch's default) or zeros; a
        Value's grad, a float, becomes 0.0.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if isinstance(p, Value):
                    p.grad = 0.0
                elif set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad[...] = 0

    def step(self) -> None:
        """Update every parameter that has a gradient (a Tensor whose grad is None is skipped)."""
        for group in self.param_groups:
            for p in group["params"]:
                if isinstance(p, Value):  # a 0-d array, so in-place updates work as on a Tensor
                    data, grad = np.array(p.data), np.float64(p.grad)
                elif p.grad is None:
                    continue
                else:
                    data, grad = p.data, p.grad
                    if grad.shape != data.shape:
                        raise ValueError(
                            f"{type(self).__name__}.step: a parameter of shape {data.shape} has "
                            f"a gradient of shape {grad.shape}"
                        )
                state = self.state.setdefault(id(p), {})
                data -= self._update(data, grad, state, group)  # in place: keeps identity, dtype
                if isinstance(p, Value):
                    p.data = float(data)

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        """How much to subtract from ``param`` this step. May update ``param`` in place first."""
        raise NotImplementedError(f"{type(self).__name__} must define _update")

    def __repr__(self) -> str:
        group = self.param_groups[0]
        settings = ", ".join(f"{k}={v!r}" for k, v in group.items() if k != "params")
        return f"{type(self).__name__}({len(group['params'])} parameters, {settings})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, as ``torch.optim.SGD``.

    Per parameter, with ``g`` its gradient::

        g = g + weight_decay * p                     (if weight_decay)
        b = g  on the first step, else  momentum * b + (1 - dampening) * g
        g = g + momentum * b  if nesterov  else  b   (if momentum)
        p = p - lr * g

    >>> w = Value(2.0)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).backward()     # d(w^2)/dw = 4
    >>> opt.step()
    >>> round(w.data, 12)
    1.6
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        defaults = {
            "lr": _non_negative("lr", lr),
            "momentum": _non_negative("momentum", momentum),
            "dampening": _real("dampening", dampening),
            "weight_decay": _non_negative("weight_decay", weight_decay),
            "nesterov": _flag("nesterov", nesterov),
        }
        if nesterov and (defaults["momentum"] <= 0 or defaults["dampening"] != 0):
            raise ValueError("SGD: nesterov=True requires momentum > 0 and dampening == 0")
        super().__init__(params, defaults)

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
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


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) as ``torch.optim.Adam``; ``weight_decay`` is an L2 term in g.

    Per parameter, at step ``t`` (1, 2, ...)::

        g = g + weight_decay * p                          (if weight_decay)
        m = m + (1 - beta1) * (g - m)                     (torch's lerp, for beta1 > 0.5)
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    >>> w = Value(1.0)
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad = 3.0
    >>> opt.step()             # Adam's first step moves by lr, whatever the gradient's size
    >>> round(w.data, 6)
    0.9
    """

    _decoupled_weight_decay = False  # AdamW: shrink p itself instead of adding to g

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = {
            "lr": _non_negative("lr", lr),
            "betas": _betas(betas),
            "eps": _non_negative("eps", eps),
            "weight_decay": _non_negative("weight_decay", weight_decay),
        }
        super().__init__(params, defaults)

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        state["step"] = t = state["step"] + 1
        if weight_decay != 0:
            if self._decoupled_weight_decay:
                param *= 1 - lr * weight_decay  # in place, before the Adam step, as torch does
            else:
                grad = grad + weight_decay * param
        m = state["exp_avg"] = _lerp(state["exp_avg"], grad, 1 - beta1)
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad
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
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    Each step first shrinks the parameter, ``p = p * (1 - lr * weight_decay)``, then takes
    Adam's step with the plain gradient (no L2 term added to it).
    """

    _decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


# --------------------------------------------------------------------- argument checks


def _check_params(params: object, owner: str) -> list[Parameter]:
    """``params`` as a list: a non-empty iterable of distinct trainable Values or leaf Tensors."""
    if isinstance(params, (Value, Tensor)):
        raise TypeError(
            f"{owner}: params must be an iterable of parameters, got a single "
            f"{type(params).__name__}; pass [param] or model.parameters()"
        )
    if hasattr(params, "parameters") and not isinstance(params, (list, tuple)):
        raise TypeError(
            f"{owner}: params must be an iterable of parameters, got a "
            f"{type(params).__name__}; pass model.parameters()"
        )
    try:
        params = list(params)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(
            f"{owner}: params must be an iterable of Value or Tensor parameters, "
            f"got {type(params).__name__}"
        ) from None
    if not params:
        raise ValueError(f"{owner}: got an empty parameter list; nothing to optimize")
    seen: set[int] = set()
    for i, p in enumerate(params):
        if not isinstance(p, (Value, Tensor)):
            raise TypeError(
                f"{owner}: params[{i}] is a {type(p).__name__}; "
                "every parameter must be a Value or a Tensor"
            )
        if isinstance(p, Tensor):
            if p._prev:
                raise ValueError(
                    f"{owner}: params[{i}] is computed from other tensors (op "
                    f"{p._op!r}); only leaf tensors can be optimized"
                )
            if not p.requires_grad:
                raise ValueError(
                    f"{owner}: params[{i}] is a Tensor with requires_grad=False, "
                    "so it would never get a gradient"
                )
            if not np.issubdtype(p.data.dtype, np.floating):
                raise TypeError(f"{owner}: params[{i}] has dtype {p.data.dtype}; it must be float")
        if id(p) in seen:
            raise ValueError(
                f"{owner}: params[{i}] appears more than once; it would be updated twice per step"
            )
        seen.add(id(p))
    return params


def _real(name: str, x: object) -> float:
    """``x`` as a finite float: TypeError for non-numbers and bools, ValueError for nan/inf."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}: {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x}")
    return x


def _non_negative(name: str, x: object) -> float:
    x = _real(name, x)
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {x}")
    return x


def _flag(name: str, x: object) -> bool:
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {x!r}")
    return bool(x)


def _betas(betas: object) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    pair = (_real("betas[0]", betas[0]), _real("betas[1]", betas[1]))
    for i, beta in enumerate(pair):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"betas[{i}] must be in [0, 1), got {beta}")
    return pair
