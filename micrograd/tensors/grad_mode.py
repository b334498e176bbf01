"""Whether operations record a graph: ``no_grad``, ``enable_grad``, ``inference_mode``; and
whether they autocast (the state ``micrograd.autocast`` sets, read by the ops it changes).

Per thread, as in PyTorch. Each mode is a context manager and a decorator; a decorated
generator function runs its body (every ``next``) in the mode, not only the call that creates
it.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from micrograd.tensors import dtypes
from micrograd.tensors.dtypes import device, float64, is_bfloat16, is_float

__all__ = [
    "no_grad",
    "enable_grad",
    "inference_mode",
    "set_grad_enabled",
    "is_grad_enabled",
    "is_autocast_enabled",
    "get_autocast_dtype",
]

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode(threading.local):
    enabled = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()`` (in this thread)."""
    return _grad_mode.enabled


class _Mode:
    """A grad mode to switch to on entry and back from on exit, usable as a decorator."""

    _enabled = True

    def __init__(self) -> None:
        self._saved: list[bool] = []  # a stack, so one instance can be entered re-entrantly

    def __enter__(self) -> None:
        self._saved.append(_grad_mode.enabled)
        _grad_mode.enabled = self._enabled

    def __exit__(self, *exc_info: object) -> None:
        _grad_mode.enabled = self._saved.pop()

    def _fresh(self) -> _Mode:
        return type(self)()

    def __call__(self, func: F) -> F:
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator_in_mode(*args: Any, **kwargs: Any) -> Any:
                gen = func(*args, **kwargs)
                # Every resumption of the body runs in the mode; the caller's code between
                # them runs in the caller's mode. The body's end (StopIteration) is this
                # generator's end: returned, since raising it here would be a RuntimeError.
                try:
                    with self._fresh():
                        response = gen.send(None)
                    while True:
                        try:
                            request = yield response
                        except GeneratorExit:
                            with self._fresh():
                                gen.close()
                            raise
                        except BaseException as error:  # thrown in: forward to the body
                            with self._fresh():
                                response = gen.throw(error)
                        else:
                            with self._fresh():
                                response = gen.send(request)
                except StopIteration as stop:
                    return stop.value

            return generator_in_mode  # type: ignore[return-value]

        @functools.wraps(func)
        def in_mode(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return in_mode  # type: ignore[return-value]


class no_grad(_Mode):
    """Context manager and decorator: operations inside record no graph.

    Use it for evaluation and for parameter updates done through tensor operations.

    >>> from micrograd import Tensor
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    >>> @no_grad()
    ... def predict(x):
    ...     return x * w
    >>> predict(3.0).requires_grad
    False
    """

    _enabled = False


class enable_grad(_Mode):
    """Record graphs again inside a ``no_grad()`` block (context manager and decorator)."""

    _enabled = True


class inference_mode(_Mode):
    """``inference_mode(mode=True)``: as ``no_grad()`` when ``mode`` is true (PyTorch's
    stricter inference tensors have no counterpart here: the effect on graphs is the same)."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._enabled = not mode

    def _fresh(self) -> _Mode:
        return inference_mode(not self._enabled)


class set_grad_enabled(_Mode):
    """``set_grad_enabled(mode)``: switch recording on or off, as a function call (effective
    at once, as in PyTorch), a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._enabled = bool(mode)
        self._prior = _grad_mode.enabled
        _grad_mode.enabled = self._enabled

    def __enter__(self) -> None:
        self._saved.append(self._prior)

    def __call__(self, func: F) -> F:
        _grad_mode.enabled = self._prior  # as a decorator it changes nothing until called
        return super().__call__(func)

    def _fresh(self) -> _Mode:
        fresh = _Mode()
        fresh._enabled = self._enabled
        return fresh


# --------------------------------------------------------------------- autocast


class _Autocast(threading.local):
    """CPU autocast in this thread, as ``micrograd.autocast`` sets it: whether it is on, and
    the 16-bit dtype (bfloat16 unless asked otherwise) that the ops on PyTorch's CPU list of
    lower-precision ops compute in (None until an ``autocast`` sets it: bfloat16, which is
    made on first use, see dtypes)."""

    enabled = False
    dtype: np.dtype | None = None


_autocast = _Autocast()


def lower_precision(*operands: np.ndarray | None) -> np.dtype | None:
    """The 16-bit dtype an op of PyTorch's lower-precision autocast list (matmul, linear,
    attention) computes in, given its operands' arrays (None for an absent bias): autocast's
    dtype while it is on, unless an operand is float64 or not floating-point (PyTorch's
    autocast leaves those ops alone); else bfloat16 if an operand is stored in it (bfloat16 is
    a storage format: computed in float32 and rounded, as PyTorch's CPU does); else None, and
    the op runs as usual.

    The op's caller checks ``_autocast.enabled`` and the bfloat16 operands first, so that the
    usual path costs one attribute read and two dtype comparisons.
    """
    present = [x for x in operands if x is not None]
    if _autocast.enabled and all(is_float(x.dtype) and x.dtype != float64 for x in present):
        return _autocast.dtype
    for x in present:
        if is_bfloat16(x.dtype):
            return x.dtype
    return None


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on in this thread for ``device_type`` (``'cpu'``; any other device
    type names a device micrograd lacks, so False). Without an argument PyTorch answers for
    CUDA: False here.

    >>> is_autocast_enabled("cpu")
    False
    """
    if device_type is None:
        return False
    return device(device_type).type == "cpu" and _autocast.enabled


# The 16-bit dtype autocast uses on each device type unless told otherwise (PyTorch's;
# float16 for the rest, CUDA's). Names: bfloat16 is made on first use (see dtypes).
_DEFAULT_AUTOCAST_DTYPES = {"cpu": "bfloat16", "hpu": "bfloat16", "xla": "bfloat16"}


def get_autocast_dtype(device_type: str) -> np.dtype:
    """The dtype autocast computes lower-precision ops in on ``device_type``: for ``'cpu'``
    the one set by the innermost ``autocast`` (bfloat16 by default); for other devices
    PyTorch's default (float16 for ``'cuda'``).

    >>> get_autocast_dtype("cpu")
    dtype(bfloat16)
    """
    kind = device(device_type).type
    if kind == "cpu" and _autocast.dtype is not None:
        return _autocast.dtype
    return dtypes.as_dtype(_DEFAULT_AUTOCAST_DTYPES.get(kind, "float16"))
