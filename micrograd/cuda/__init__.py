"""``micrograd.cuda``: micrograd computes on the CPU only. These answer as PyTorch does on a
machine without a GPU, so ``torch.cuda.is_available()`` checks, seeding and nanoGPT's
``torch.cuda.amp.GradScaler(enabled=...)`` (:mod:`micrograd.cuda.amp`) run unchanged."""

from __future__ import annotations

import numbers

from micrograd.cuda import amp

__all__ = [
    "amp",
    "device_count",
    "is_available",
    "is_bf16_supported",
    "manual_seed",
    "manual_seed_all",
    "set_device",
    "synchronize",
]

_NO_GPU = "micrograd runs on the CPU only: device='cuda' is not available; use 'cpu'"


def is_available() -> bool:
    """False: there is no GPU to use."""
    return False


def device_count() -> int:
    """0 GPUs."""
    return 0


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False, as PyTorch answers without a GPU: there is no GPU to support bfloat16.
    (nanoGPT then picks float16 as its ``dtype``, and its GradScaler disables itself.)"""
    return False


def manual_seed(seed: int) -> None:
    """Seed the GPU's generator: there is none, so nothing to do (as PyTorch without a GPU).
    Seed the CPU's with ``micrograd.manual_seed``."""
    _check_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator: there are none (see ``manual_seed``)."""
    _check_seed(seed)


def _check_seed(seed: object) -> None:
    # Nothing to seed, but a seed that is not an int is still the caller's mistake.
    if isinstance(seed, bool) or not isinstance(seed, (int, numbers.Integral)):
        raise TypeError(f"manual_seed(): seed must be an int, got {type(seed).__name__}")


def set_device(device: object) -> None:
    """Raises, as PyTorch does without a GPU: there is no GPU to make current (and a CPU
    device is not a CUDA one)."""
    if str(device).partition(":")[0] == "cpu":
        raise ValueError(f"Expected a cuda device, but got: {device}")
    raise RuntimeError(_NO_GPU)


def synchronize(device: object = None) -> None:
    """Raises, as PyTorch does without a GPU: there is no GPU to wait for."""
    raise RuntimeError(_NO_GPU)
