"""Learning-rate schedules, used as PyTorch's are: ``scheduler.step()`` after ``optimizer.step()``.

A schedule sets ``group["lr"]`` of every parameter group, in place, from the rate the group
started with (``base_lrs``, kept in the group as ``"initial_lr"`` as PyTorch does) and the
number of ``step()`` calls so far (``last_epoch``). Rates are computed in closed form, so none
drifts from its formula however many steps are taken.

The original micrograd demo decays ``lr = 1.0 - 0.9 * k / 100`` over 100 steps; that is
``LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=100)`` with ``lr=1.0``:

>>> from micrograd import Value
>>> from micrograd.optim import SGD
>>> opt = SGD([Value(0.0)], lr=1.0)
>>> schedule = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
>>> for k in range(3):
...     opt.step()
...     schedule.step()
>>> schedule.get_last_lr()[0] == 1.0 - 0.9 * 3 / 100
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from micrograd import _validate
from micrograd.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: ``step()`` advances ``last_epoch`` and writes ``_lr_at(base_lr, epoch)``.

    ``last_epoch=-1`` (the default) starts a schedule: each group's current ``lr`` becomes its
    ``initial_lr``. To resume one, pass the number of the last epoch done; the groups must then
    hold ``initial_lr`` already (the optimizer's ``load_state_dict`` restores it).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__} needs a micrograd optimizer, got {type(optimizer).__name__}"
            )
        last_epoch = _validate.integer("last_epoch", last_epoch, minimum=-1)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                    "a schedule (last_epoch >= 0)"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def step(self) -> None:
        """Move to the next epoch (or iteration) and set every group's learning rate."""
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise RuntimeError(
                f"{type(self).__name__} was made for {len(self.base_lrs)} parameter groups and "
                f"the optimizer now has {len(groups)}; make the schedule after add_param_group"
            )
        self.last_epoch += 1
        for i, (group, base_lr) in enumerate(zip(groups, self.base_lrs, strict=True)):
            group["lr"] = self._lr_at(i, base_lr, self.last_epoch)
        self._last_lr = [group["lr"] for group in groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group, as last set."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (and functions, which PyTorch does not save either)."""
        return {
            key: list(value) if isinstance(value, list) else value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "lr_lambdas")
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (the optimizer's rates come from its own)."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"{type(self).__name__}.load_state_dict expects a dict")
        unknown = sorted(set(state_dict) - set(self.state_dict()))
        if unknown:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: unexpected keys {unknown}; "
                "is it another schedule's state?"
            )
        self.__dict__.update(state_dict)

    def _lr_at(self, group: int, base_lr: float, epoch: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must define _lr_at")


class LinearLR(LRScheduler):
    """Scale the learning rate linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` steps, then hold it, as ``torch.optim.lr_scheduler.LinearLR``::

        lr(k) = base_lr * (start + (end - start) * min(k, total_iters) / total_iters)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        start_factor = _validate.real("start_factor", start_factor)
        if not 0 < start_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor}")
        end_factor = _validate.real("end_factor", end_factor)
        if not 0 <= end_factor <= 1:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = _validate.positive_int("total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, group: int, base_lr: float, epoch: int) -> float:
        progress = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the base rate down to ``eta_min`` over ``T_max`` steps, as
    ``torch.optim.lr_scheduler.CosineAnnealingLR`` (without restarts)::

        lr(k) = eta_min + (base_lr - eta_min) * (1 + cos(pi * k / T_max)) / 2

    Past ``T_max`` the cosine continues, climbing back up, as PyTorch's does.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,  # noqa: N803
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.T_max = _validate.positive_int("T_max", T_max)
        self.eta_min = _validate.non_negative("eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, group: int, base_lr: float, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps, as
    ``torch.optim.lr_scheduler.StepLR``::

        lr(k) = base_lr * gamma ** (k // step_size)
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = _validate.positive_int("step_size", step_size)
        self.gamma = _validate.non_negative("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, group: int, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class LambdaLR(LRScheduler):
    """The base rate times a function of the step, as ``torch.optim.lr_scheduler.LambdaLR``::

        lr(k) = base_lr * lr_lambda(k)

    ``lr_lambda`` is one function for every group, or a list with one per group.

    >>> from micrograd import Value
    >>> from micrograd.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=0.5)
    >>> warmup = LambdaLR(opt, lambda k: min(1.0, (k + 1) / 4))
    >>> rates = []
    >>> for k in range(5):
    ...     rates.append(opt.param_groups[0]["lr"])
    ...     opt.step()
    ...     warmup.step()
    >>> rates
    [0.125, 0.25, 0.375, 0.5, 0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        groups = len(getattr(optimizer, "param_groups", ()))
        if callable(lr_lambda):
            self.lr_lambdas = [lr_lambda] * groups
        else:
            lambdas = list(lr_lambda)
            if len(lambdas) != groups or not all(callable(f) for f in lambdas):
                raise ValueError(f"expected {groups} lr_lambdas (one function per group)")
            self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, group: int, base_lr: float, epoch: int) -> float:
        factor = self.lr_lambdas[group](epoch)
        return base_lr * _validate.real(f"lr_lambda({epoch})", factor)
