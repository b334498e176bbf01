"""``Parameter``: a tensor a ``Module`` learns; and what layers and ``Module.to`` share to
make and convert tensors (dtypes, the device, sizes).

>>> import numpy as np
>>> from micrograd.tensors import Tensor
>>> data = Tensor(np.zeros(3))
>>> p = Parameter(data)
>>> isinstance(p, Tensor), p.requires_grad, np.shares_memory(p, data)   # shares data's array
(True, True, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd._validate import positive_int
from micrograd.tensors import Tensor
from micrograd.tensors.dtypes import as_device, as_dtype, device, get_default_dtype, is_float

__all__ = [
    "Parameter",
    "new_tensor",
    "parse_to_args",
    "positive_int",
    "resolve_dtype",
]


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
            array = np.empty(0, dtype=get_default_dtype())
        elif isinstance(data, Tensor):
            array = data._data
        elif isinstance(data, np.ndarray):
            array = data
        else:
            array = Tensor(data)._data
        # Tensor's constructor checks the data (numeric) and sets every slot; the array it
        # copied is then swapped for the shared one, as PyTorch's Parameter shares storage.
        super().__init__(array, requires_grad=False)
        self._data = array
        if requires_grad:
            self.requires_grad_()

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def resolve_dtype(dtype: Any) -> np.dtype:
    """``dtype`` (any form ``micrograd.tensor`` takes) as a floating NumPy dtype; the default
    dtype for None. TypeError naming it otherwise: layers hold learnable, floating, tensors."""
    resolved = get_default_dtype() if dtype is None else as_dtype(dtype)
    if not is_float(resolved):
        raise TypeError(f"a layer's dtype must be a floating-point dtype, got {resolved}")
    return resolved


def new_tensor(shape: tuple[int, ...], dtype: Any, fill: float, parameter: bool) -> Tensor:
    """A ``shape`` tensor of ``dtype`` filled with ``fill``: a Parameter, or a plain
    Tensor (for buffers). Layers make theirs here, then initialise them with ``nn.init``."""
    array = np.full(shape, fill, dtype=resolve_dtype(dtype))
    return Parameter(array) if parameter else Tensor(array)


def parse_to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> np.dtype | None:
    """The dtype ``Module.to(*args, **kwargs)`` asks for (None if none), read as
    ``Tensor.to`` reads its arguments: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
    ``to(tensor)``. The device must be the CPU; the dtype a floating-point one."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "memory_format"}
    if unknown:
        raise TypeError(f"to() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    dtype, place = kwargs.get("dtype"), kwargs.get("device")
    positional = list(args)
    if positional and isinstance(positional[0], Tensor):
        dtype = positional.pop(0).dtype
    if positional and isinstance(positional[0], (str, device)):
        place = positional.pop(0)
    if positional and not isinstance(positional[0], bool):
        dtype = positional.pop(0)
    if not all(isinstance(a, bool) for a in positional):  # what is left: non_blocking
        raise TypeError(f"to() takes a dtype, a device, both, or a tensor, got {args!r}")
    as_device(place)
    if dtype is None:
        return None
    resolved = as_dtype(dtype)
    if not is_float(resolved):
        raise TypeError(f"Module.to only accepts floating-point dtypes, got {resolved}")
    return resolved
