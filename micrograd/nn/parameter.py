"""``Parameter``: a tensor a ``Module`` learns, and the factory its layers build them with.

>>> import numpy as np
>>> from micrograd.tensors import Tensor
>>> data = Tensor(np.zeros(3))
>>> p = Parameter(data)
>>> isinstance(p, Tensor), p.requires_grad, p.data is data.data   # shares data's array
(True, True, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.tensors import Tensor

__all__ = ["Parameter", "check_device", "new_tensor", "positive_int", "resolve_dtype"]


class Parameter(Tensor):
    """A leaf tensor that a ``Module`` registers as a parameter when assigned as an attribute.

    As PyTorch's ``nn.Parameter(data=None, requires_grad=True)``: it shares ``data``'s array
    (a Tensor's, or an ndarray's; other data is converted as ``Tensor(data)`` would), is a
    ``Tensor`` everywhere (operations on it give plain Tensors), and is always a leaf, even
    when ``data`` was computed from other tensors. ``data=None`` gives an empty float tensor.
    Only floating-point data can require grad.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            array = np.empty(0, dtype=_default_float())
        elif isinstance(data, Tensor):
            array = data.data
        elif isinstance(data, np.ndarray):
            array = data
        else:
            array = Tensor(data).data
        # Tensor's constructor checks the data (numeric) and sets every slot; the array it
        # copied is then swapped for the shared one, as PyTorch's Parameter shares storage.
        super().__init__(array, requires_grad=False)
        self.data = array
        if requires_grad:
            self.requires_grad_()

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _default_float() -> np.dtype:
    """The dtype of new floating-point parameters and buffers when a layer is given none."""
    return np.dtype(np.float64)


def resolve_dtype(dtype: Any) -> np.dtype:
    """``dtype`` (a NumPy dtype, a type or a name) as a NumPy floating dtype; the default
    for None. TypeError naming it if it is not a floating-point type, since layers keep
    learnable (floating) parameters."""
    if dtype is None:
        return _default_float()
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a floating-point dtype, got {dtype!r}") from None
    if resolved.kind != "f":
        raise TypeError(f"dtype must be a floating-point dtype, got {resolved}")
    return resolved


def new_tensor(shape: tuple[int, ...], dtype: Any, fill: float, parameter: bool) -> Tensor:
    """A ``shape`` tensor of ``dtype`` filled with ``fill``: a Parameter, or a plain
    Tensor (for buffers). Layers make theirs here, then initialise them with ``nn.init``."""
    array = np.full(shape, fill, dtype=resolve_dtype(dtype))
    return Parameter(array) if parameter else Tensor(array)


def check_device(device: Any) -> None:
    """Accept None and the CPU (``"cpu"``, or a device object whose ``type`` is "cpu");
    ValueError naming the device otherwise: micrograd computes with NumPy, on the CPU."""
    if device is None:
        return
    name = getattr(device, "type", device)
    if not isinstance(name, str) or name.split(":")[0] != "cpu":
        raise ValueError(
            f"device {str(device)!r} is not available: micrograd runs on the CPU only "
            "(device='cpu')"
        )


def positive_int(name: str, n: object) -> int:
    """``n`` as a layer size: a positive int; ValueError naming ``name`` otherwise."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)
