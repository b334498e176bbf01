"""``micrograd.optim``: optimizers and learning-rate schedules, with PyTorch's API and formulas.

They train ``Value`` parameters (the scalar ``MLP``) and ``Tensor`` parameters alike::

    opt = optim.Adam(model.parameters(), lr=1e-2)
    for step in range(100):
        opt.zero_grad()
        loss = ...
        loss.backward()
        opt.step()
"""

from micrograd.optim import lr_scheduler
from micrograd.optim.lr_scheduler import CosineAnnealingLR, LinearLR, LRScheduler
from micrograd.optim.optimizer import SGD, Adam, AdamW, Optimizer

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "LRScheduler",
    "LinearLR",
    "Optimizer",
    "lr_scheduler",
]
