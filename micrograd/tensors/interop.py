"""How a tensor meets Python and NumPy: its value as a Python number or list (``item``,
``tolist``, ``float(t)``, ``int(t)``, ``bool(t)``, an index, ``f"{loss:.4f}"``), as an ndarray
(``numpy()``, ``np.asarray(t)``, DLPack), and NumPy's ufuncs with a tensor operand
(``ndarray + t`` is the tensor's reflected operator). None of these records a graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.tensors.core import Scalar, Tensor, _result, method, ndarray


@method
def item(self) -> Scalar:
    """The value of a one-element tensor as a Python number."""
    if self._data.size != 1:
        raise RuntimeError(
            f"a Tensor with {self._data.size} elements cannot be converted to Scalar: item() "
            f"needs a one-element tensor, this one has shape {self.shape}"
        )
    return self._data.item()


@method
def tolist(self) -> Any:
    """The data as nested Python lists of Python numbers (a number for a 0-d tensor)."""
    return self._data.tolist()


@method
def __bool__(self) -> bool:
    if self._data.size != 1:
        amount = "no values" if self._data.size == 0 else "more than one value"
        raise RuntimeError(f"Boolean value of Tensor with {amount} is ambiguous")
    return bool(self._data.item())


@method
def __float__(self) -> float:
    return float(self.item())


@method
def __int__(self) -> int:
    return int(self.item())


@method
def __index__(self) -> int:
    if self._data.dtype.kind not in "iu" or self._data.size != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return int(self._data.item())


@method
def __format__(self, format_spec: str) -> str:
    """A one-element tensor formats as its number (``f"{loss:.4f}"``); others as repr."""
    if self._data.size == 1 and (format_spec or self._data.ndim == 0):
        return format(self._data.item(), format_spec)
    if format_spec:
        raise TypeError(
            f"unsupported format string {format_spec!r} passed to Tensor.__format__: "
            f"only one-element tensors take a format spec, this one has shape {self.shape}"
        )
    return repr(self)


@method
def numpy(self, *, force: bool = False) -> ndarray:
    """The underlying ndarray (shared, not copied); as in PyTorch, a tensor that requires
    grad must be detached first (or pass ``force=True``)."""
    if self.requires_grad and not force:
        raise RuntimeError(
            "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
        )
    return self._data


@method
def __dlpack__(self, **kwargs: Any) -> Any:
    """The DLPack protocol, as PyTorch's tensors speak it: other libraries read the tensor's
    memory without a copy (``np.from_dlpack(t)``, ``torch.from_dlpack(t)``; ``torch.tensor(t)``
    copies it). Like PyTorch, not for a tensor that requires grad."""
    if self.requires_grad:
        raise RuntimeError(
            "Can't export tensors that require gradient, use tensor.detach() (a micrograd tensor)"
        )
    return self._data.__dlpack__(**kwargs)


@method
def __dlpack_device__(self) -> tuple[int, int]:
    return self._data.__dlpack_device__()


@method
def __array__(self, dtype: Any = None, copy: bool | None = None) -> ndarray:
    if copy:
        return np.array(self._data, dtype=dtype)
    return self._data if dtype is None else self._data.astype(dtype, copy=False)


@method
def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """NumPy meeting a Tensor operand. ``ndarray + Tensor`` and ``np.float64 * Tensor``
    are the Tensor's reflected operators (a Tensor out, in the graph). An in-place update
    of an ndarray, ``a += lr * t``, writes the values into the array, outside any graph.
    Any other ufunc (``np.abs(p.grad)``, ``np.isnan(t)``) computes on the arrays and gives
    Tensors, as NumPy does on PyTorch's tensors; like PyTorch, not on a tensor that
    requires grad (its result could not be in the graph)."""
    out = kwargs.pop("out", None)
    if method != "__call__" or kwargs:
        return NotImplemented
    values = [x._data if isinstance(x, Tensor) else x for x in inputs]
    if out is not None:
        if all(type(o) is ndarray for o in out):
            return ufunc(*values, out=out)
        return NotImplemented
    name = _REFLECTED.get(ufunc) if len(inputs) == 2 and inputs[1] is self else None
    if name is not None:
        return getattr(self, name)(inputs[0])
    if any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise RuntimeError(
            f"np.{ufunc.__name__} on a Tensor that requires grad: NumPy's result could not be "
            "in the graph. Use the Tensor's method, or tensor.detach() first"
        )
    result = ufunc(*values)
    if isinstance(result, tuple):
        return tuple(_result(np.asarray(r), "", (), None, False) for r in result)
    return _result(np.asarray(result), "", (), None, False)


# ``x op tensor`` for an ndarray or NumPy scalar x: the tensor's operator that NumPy's ufunc
# stands for, seen from the tensor's side.
_REFLECTED = {
    np.add: "__radd__",
    np.subtract: "__rsub__",
    np.multiply: "__rmul__",
    np.true_divide: "__rtruediv__",
    np.floor_divide: "__rfloordiv__",
    np.remainder: "__rmod__",
    np.power: "__rpow__",
    np.matmul: "__rmatmul__",
    np.bitwise_and: "__rand__",
    np.bitwise_or: "__ror__",
    np.bitwise_xor: "__rxor__",
    np.equal: "__eq__",
    np.not_equal: "__ne__",
    np.less: "__gt__",
    np.less_equal: "__ge__",
    np.greater: "__lt__",
    np.greater_equal: "__le__",
}
