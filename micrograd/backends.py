"""``micrograd.backends``: PyTorch's switches for GPU libraries, answered as PyTorch answers
them on a machine without CUDA, so that scripts which set them (nanoGPT's
``torch.backends.cuda.matmul.allow_tf32 = True``) or ask about them (build-nanogpt's
``torch.backends.mps.is_available()``) run unchanged.

``set_float32_matmul_precision`` (``'highest'``, ``'high'`` or ``'medium'``) lives here too,
with ``cuda.matmul.allow_tf32`` as another view of it, as in PyTorch: ``'highest'`` is
``allow_tf32 == False``. None of these change micrograd's numbers: NumPy multiplies float32
matrices at full float32 precision whatever they say. They keep what they are set to, so
code that reads them back sees what it set.
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["cuda", "cudnn", "get_float32_matmul_precision", "mps", "set_float32_matmul_precision"]

_PRECISIONS = ("highest", "high", "medium")
_matmul = {"precision": "highest"}  # PyTorch's default


class SettingError(TypeError, RuntimeError):
    """A setting of the wrong type: a TypeError, and the RuntimeError PyTorch raises."""


def set_float32_matmul_precision(precision: str) -> None:
    """Set the precision float32 matrix products may use, as PyTorch's (here: recorded only;
    see the module). An unknown name warns and changes nothing, as in PyTorch."""
    if not isinstance(precision, str):
        raise SettingError(
            f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}"
        )
    if precision not in _PRECISIONS:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; "
            "set_float32_matmul_precision has no effect",
            UserWarning,
            stacklevel=2,
        )
        return
    _matmul["precision"] = precision


def get_float32_matmul_precision() -> str:
    """``'highest'`` unless ``set_float32_matmul_precision`` (or ``allow_tf32``) changed it."""
    return _matmul["precision"]


class _Switches:
    """On/off settings read and set as attributes, bools only, as PyTorch's backend flags.
    An unknown name is an AttributeError (a typo is never silently a new setting)."""

    def __init__(self, where: str, **defaults: bool) -> None:
        object.__setattr__(self, "_where", where)
        object.__setattr__(self, "_values", defaults)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{self._where} has no setting {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._values:
            raise AttributeError(f"{self._where} has no setting {name!r}")
        self._values[name] = _bool(f"{self._where}.{name}", value)


def _bool(name: str, value: Any) -> bool:
    if type(value) is not bool:
        raise SettingError(f"{name} expects a bool, but got {type(value).__name__}")
    return value


class _CudaMatmul(_Switches):
    """``backends.cuda.matmul``; ``allow_tf32`` reads and sets the float32 matmul precision."""

    def __getattr__(self, name: str) -> Any:
        if name == "allow_tf32":
            return _matmul["precision"] != "highest"
        return super().__getattr__(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "allow_tf32":
            _matmul["precision"] = "high" if _bool(f"{self._where}.{name}", value) else "highest"
        else:
            super().__setattr__(name, value)


class _Cuda:
    """``backends.cuda``: its ``matmul`` settings; PyTorch's CUDA is not built in."""

    matmul = _CudaMatmul(
        "backends.cuda.matmul",
        allow_fp16_reduced_precision_reduction=True,
        allow_bf16_reduced_precision_reduction=True,
    )

    @staticmethod
    def is_built() -> bool:
        return False


class _Cudnn(_Switches):
    """``backends.cudnn``: cuDNN's settings, with PyTorch's defaults; cuDNN is not here."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def version() -> None:
        return None


class _Mps:
    """``backends.mps``: Apple's GPU, neither available nor built in."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def is_built() -> bool:
        return False


cuda = _Cuda()
cudnn = _Cudnn(
    "backends.cudnn", allow_tf32=True, enabled=True, benchmark=False, deterministic=False
)
mps = _Mps()
