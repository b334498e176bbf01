"""``micrograd.cuda.amp``: PyTorch's older spelling of the GPU's mixed precision tools.

``autocast()`` is ``micrograd.amp.autocast('cuda', ...)``: with no GPU it warns and changes
nothing. nanoGPT's ``train.py`` makes ``torch.cuda.amp.GradScaler(enabled=(dtype ==
'float16'))``, and on a machine without a GPU its ``dtype`` is ``'float16'``: the scaler is
asked for, and PyTorch warns and disables it. micrograd does the same
(:mod:`micrograd.amp.grad_scaler`). (PyTorch also deprecates this spelling with a
FutureWarning; micrograd keeps it, quietly.)
"""

from __future__ import annotations

from typing import Any

from micrograd.amp import autocast_mode, grad_scaler
from micrograd.tensors.dtypes import float16

__all__ = ["GradScaler", "autocast"]


class autocast(autocast_mode.autocast):
    """``torch.cuda.amp.autocast``: ``micrograd.amp.autocast('cuda', ...)``, which on
    micrograd (no GPU) warns if it is enabled, and changes nothing."""

    def __init__(self, enabled: bool = True, dtype: Any = float16, cache_enabled: bool = True):
        super().__init__("cuda", dtype, enabled, cache_enabled)


class GradScaler(grad_scaler.GradScaler):
    """``torch.cuda.amp.GradScaler``: ``micrograd.amp.GradScaler('cuda', ...)``, which on
    micrograd (no GPU) disables itself, warning if it was asked to be enabled."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        super().__init__(
            "cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled
        )
