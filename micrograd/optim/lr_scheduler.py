"""Learning-rate schedules, used as PyTorch's are: ``scheduler.step()`` after ``optimizer.step()``.

A schedule sets ``optimizer.param_groups[...]["lr"]`` from the learning rate the optimizer was
built with (``base_lrs``) and the number of ``step()`` calls so far (``last_epoch``). Rates are
computed in closed form, so none drifts from its formula however many steps are taken.

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

from micrograd.optim.optimizer import Optimizer, _non_negative, _real


class LRScheduler:
    """Base class: ``step()`` advances ``last_epoch`` and writes ``_lr_at(last_epoch)``."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__} needs a micrograd optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def step(self) -> None:
        """Move to the next epoch (or iteration) and set the optimizer's learning rate."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group, as last set."""
        return list(self._last_lr)

    def _apply(self) -> None:
        for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = self._lr_at(base_lr, self.last_epoch)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _lr_at(self, base_lr: float, epoch: int) -> float:
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
    ) -> None:
        start_factor = _real("start_factor", start_factor)
        if not 0 < start_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor}")
        end_factor = _real("end_factor", end_factor)
        if not 0 <= end_factor <= 1:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = _positive_int("total_iters", total_iters)
        super().__init__(optimizer)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        progress = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the base rate down to ``eta_min`` over ``T_max`` steps, as
    ``torch.optim.lr_scheduler.CosineAnnealingLR`` (without restarts)::

        lr(k) = eta_min + (base_lr - eta_min) * (1 + cos(pi * k / T_max)) / 2

    Past ``T_max`` the cosine continues, climbing back up, as PyTorch's does.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        self.T_max = _positive_int("T_max", T_max)
        self.eta_min = _non_negative("eta_min", eta_min)
        super().__init__(optimizer)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


def _positive_int(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return n
