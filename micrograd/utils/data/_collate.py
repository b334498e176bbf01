"""How a list of examples becomes one batch: ``default_collate`` (and ``default_convert``, for
a loader without batches), with PyTorch's input and output types.

``default_collate([ex_1, ..., ex_B])`` stacks along a new first dimension of size B:

- tensors -> ``micrograd.stack(batch)``; NumPy arrays -> tensors of their dtype, stacked
- Python ints -> an int64 tensor (bools -> bool); Python floats -> a float64 tensor (PyTorch's
  choice, whatever the default dtype); NumPy scalars -> a tensor of their dtype
- strings and bytes -> left as they are (the batch's sequence of them)
- dicts -> a dict of collated values; named tuples -> the named tuple of collated fields;
  tuples and lists -> a *list* of collated fields (PyTorch returns a list for tuples too)

>>> x, y = default_collate([(1, 0.5), (2, 1.5)])
>>> x.tolist(), x.dtype, y.dtype
([1, 2], dtype('int64'), dtype('float64'))
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

import numpy as np

from micrograd.tensors import Tensor
from micrograd.tensors.creation import as_tensor, tensor
from micrograd.tensors.dtypes import float64
from micrograd.tensors.joining import stack

__all__ = ["default_collate", "default_convert"]

# NumPy dtype kinds that hold no numbers: bytes, str, object (as PyTorch's collate checks)
_NOT_NUMBERS = "SUO"


def _error(found: object) -> TypeError:
    return TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {found}"
    )


def default_collate(batch: Sequence[Any]) -> Any:
    """One batch from a list of examples; see the module's docstring for the types."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in _NOT_NUMBERS:
            raise _error(elem.dtype)
        return default_collate([as_tensor(array) for array in batch])
    # before float: NumPy's float64 is a Python float too. One array first, so the scalars'
    # dtype is kept (float32 scalars give a float32 tensor, as in PyTorch).
    if isinstance(elem, (np.bool_, np.number)):
        return as_tensor(np.asarray(batch))
    if isinstance(elem, float):
        return tensor(list(batch), dtype=float64)
    if isinstance(elem, int):  # bools too: they give a bool tensor
        return tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        collated = {key: default_collate([example[key] for example in batch]) for key in elem}
        return _same_mapping(elem, collated)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        if any(len(example) != len(elem) for example in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(field) for field in zip(*batch)]
    raise _error(type(elem))


def default_convert(data: Any) -> Any:
    """One example as a loader with ``batch_size=None`` gives it: NumPy arrays and scalars
    become tensors (inside dicts, tuples and lists too); everything else is left as it is."""
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in _NOT_NUMBERS else as_tensor(data)
    if isinstance(data, (np.bool_, np.number)):
        return as_tensor(data)
    if isinstance(data, Mapping):
        return _same_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(field) for field in data))
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(field) for field in data]
    return data


def _same_mapping(original: Mapping, values: dict) -> Mapping:
    """``values`` in a mapping of ``original``'s type where it can be copied (an OrderedDict
    stays one), else in a dict."""
    if isinstance(original, MutableMapping):
        try:
            clone = copy.copy(original)
            clone.update(values)
            return clone
        except TypeError:
            pass
    return values
