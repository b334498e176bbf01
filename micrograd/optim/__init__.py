"""``micrograd.optim``: optimizers and learning-rate schedules, with PyTorch's API and formulas.

They train ``Value`` parameters (the scalar ``MLP``) and ``Tensor`` parameters alike::

    opt = optim.Adam(model.parameters(), lr=1e-2)
    for step in range(100):
        opt.zero_grad()
        loss = ...
        loss.backward()
        opt.step()

Parameter groups, ``state_dict``/``load_state_dict`` and the schedules work as PyTorch's.
"""

from micrograd.optim import lr_scheduler
from micrograd.optim.adam import Adam, AdamW
from micrograd.optim.lr_scheduler import (
    CosineAnnealingLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    StepLR,
)
from micrograd.optim.optimizer import Optimizer
from micrograd.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "Optimizer",
    "StepLR",
    "lr_scheduler",
]
