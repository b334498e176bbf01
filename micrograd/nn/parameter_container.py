"""Parameter containers, as PyTorch's: ``ParameterList`` and ``ParameterDict`` register the
tensors they hold as parameters (named by position or key), turning plain Tensors into
``Parameter``s that share their data.

>>> import numpy as np
>>> from micrograd.tensors import Tensor
>>> from micrograd.nn import Module
>>> m = Module()
>>> m.scales = ParameterList([Tensor(np.ones(2)), Tensor(np.ones(3))])
>>> list(m.state_dict())
['scales.0', 'scales.1']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from micrograd.nn.container import _position
from micrograd.nn.module import Module
from micrograd.nn.parameter import Parameter
from micrograd.tensors import Tensor

__all__ = ["ParameterDict", "ParameterList"]


class ParameterList(Module):
    """A list of parameters, registered (named 0, 1, ...); Tensors put in become Parameters
    (sharing their data). Indexing, iteration, ``len``, ``append``, ``extend``, ``+=``."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)([self[i] for i in range(len(self))[index]])
        return getattr(self, str(_position(self, index)))

    def __setitem__(self, index: int, value: Any) -> None:
        key = str(_position(self, index))
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, key, value)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def append(self, value: Any) -> ParameterList:
        """Add ``value`` (a Tensor becomes a Parameter) at the end; returns this list."""
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append each of ``values``; returns this list."""
        if isinstance(values, Tensor) or not isinstance(values, Iterable):
            raise TypeError(
                f"ParameterList.extend expects an iterable of tensors, got {type(values).__name__}"
            )
        for value in values:
            self.append(value)
        return self

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterList should not be called")

    def extra_repr(self) -> str:
        return "\n".join(f"  ({i}): {_describe(p)}" for i, p in enumerate(self))


class ParameterDict(Module):
    """An ordered dict of parameters, registered under their keys; Tensors put in become
    Parameters. ``d[key]``, ``in``, ``len``, iteration over keys, ``keys/items/values``,
    ``update``, ``pop``, ``get``."""

    def __init__(self, parameters: Mapping[str, Any] | Iterable[Any] | None = None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(f"{key!r} is not in this ParameterDict (keys: {list(self._keys)})")
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {type(key).__name__}")
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, key, value)
        self._keys[key] = None

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def keys(self) -> Any:
        return self._keys.keys()

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self[k]) for k in self._keys]

    def values(self) -> list[Any]:
        return [self[k] for k in self._keys]

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def pop(self, key: str) -> Any:
        """Remove ``key`` and return its parameter."""
        value = self[key]
        del self[key]
        return value

    def update(self, parameters: Mapping[str, Any] | Iterable[Any]) -> None:
        """Add (or replace) the entries of a mapping or of (key, value) pairs, in order."""
        pairs = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in pairs:
            self[key] = value

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterDict should not be called")

    def extra_repr(self) -> str:
        return "\n".join(f"  ({k}): {_describe(p)}" for k, p in self.items())


def _describe(p: Any) -> str:
    """One line for a ParameterList or ParameterDict entry, as PyTorch prints them."""
    if isinstance(p, Tensor):
        kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
        size = "x".join(str(n) for n in p.shape)
        return f"{kind} containing: [{p.dtype} of size {size}]"
    return f"Object of type: {type(p).__name__}"
