"""PyTorch's top-level functions that are not the function form of one Tensor method:
``is_tensor``, ``result_type``, ``allclose``, ``isclose``, ``equal``; and ``softmax`` /
``log_softmax`` (methods from ``tensors.softmax``) in function form.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.tensors.core import Tensor, _result
from micrograd.tensors.dtypes import result_type as _result_type

__all__ = ["allclose", "equal", "is_tensor", "isclose", "log_softmax", "result_type", "softmax"]


def _tensor(input: Any, name: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a tensor, not {type(input).__name__}")
    return input


def is_tensor(obj: Any) -> bool:
    """True if ``obj`` is a micrograd ``Tensor``."""
    return isinstance(obj, Tensor)


def result_type(tensor1: Any, tensor2: Any) -> np.dtype:
    """The dtype PyTorch's promotion gives an op on the two (tensors or numbers)."""
    return _result_type(*(x._data if isinstance(x, Tensor) else x for x in (tensor1, tensor2)))


def softmax(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``input.softmax(dim)``."""
    return _tensor(input, "softmax").softmax(*args, **kwargs)


def log_softmax(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``input.log_softmax(dim)``."""
    return _tensor(input, "log_softmax").log_softmax(*args, **kwargs)


# --------------------------------------------------------------------- comparisons


def _arrays(input: Any, other: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The two operands' data. A NumPy array is taken as a tensor: a micrograd ``grad`` is
    one, and the lectures check gradients with ``torch.allclose(dt, t.grad)``."""
    return tuple(x if isinstance(x, np.ndarray) else _tensor(x, name)._data for x in (input, other))


def isclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """Entry by entry, ``|input - other| <= atol + rtol * |other|`` (a bool tensor)."""
    a, b = _arrays(input, other, "isclose")
    return _result(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan), "", (), None, False)


def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """True if every entry is close (``isclose``); the shapes must broadcast."""
    a, b = _arrays(input, other, "allclose")
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Tensor, other: Tensor) -> bool:
    """True if the two have the same shape and the same values."""
    a, b = _arrays(input, other, "equal")
    return a.shape == b.shape and bool((a == b).all())
