"""Module containers, as PyTorch's: ``Sequential``, ``ModuleList``, ``ModuleDict`` (for
parameters: ``parameter_container``). Each registers what it holds, so ``parameters()``
and ``state_dict()`` see it under PyTorch's names (``"0.weight"``, ``"h.1.attn.bias"``).

>>> import numpy as np
>>> from micrograd.nn import Linear, ReLU
>>> from micrograd.tensors import Tensor
>>> model = Sequential(Linear(2, 16), ReLU(), Linear(16, 1))
>>> model(Tensor(np.ones((5, 2)))).shape    # a batch of 5 inputs -> 5 outputs
Size([5, 1])
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from micrograd.nn.module import Module, _indent

__all__ = ["ModuleDict", "ModuleList", "Sequential"]


def _position(container: Any, index: Any) -> int:
    """``index`` as a position in ``container``, negative ones counted from the end."""
    kind = type(container).__name__
    try:
        i = operator.index(index)
    except TypeError:
        raise TypeError(
            f"{kind} indices must be integers or slices, got {type(index).__name__}"
        ) from None
    n = len(container)
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of range for a {kind} of {n}")
    return i % n


def _module(module: Any, where: str) -> Module:
    if isinstance(module, (list, tuple)):
        raise TypeError(
            f"{where} is a {type(module).__name__}; pass modules as separate arguments: "
            "Sequential(*modules)"
        )
    if not isinstance(module, Module):
        raise TypeError(f"{where} must be a Module, got {type(module).__name__}")
    return module


def _renumber(container: Module) -> None:
    """Name the modules 0, 1, ... again after one was removed."""
    modules = list(container._modules.values())
    container._modules.clear()
    container._modules.update((str(i), m) for i, m in enumerate(modules))


class Sequential(Module):
    """Modules applied one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Built from modules (named 0, 1, ...) or from an ``OrderedDict`` of named modules.
    ``len``, iteration, ``model[i]`` (negative too), ``model[i:j]`` (a Sequential sharing
    the modules, under their names), ``append``, ``insert``, ``extend``, ``pop``, ``+``.
    Empty, it returns its input.
    """

    def __init__(self, *args: Module | OrderedDict[str, Module]) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, _module(module, f"Sequential entry {key!r}"))
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), _module(module, f"Sequential argument {i}"))

    def forward(self, input: Any) -> Any:
        for module in self._modules.values():
            input = module(input)
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_position(self, index)]

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[_position(self, index)]
        self._modules[key] = _module(module, f"Sequential[{index}]")

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)
        for key in keys[index] if isinstance(index, slice) else [keys[_position(self, index)]]:
            del self._modules[key]
        _renumber(self)

    def pop(self, index: int) -> Module:
        """Remove the module at ``index`` and return it."""
        module = self[index]
        del self[index]
        return module

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns this Sequential."""
        self.add_module(str(len(self)), _module(module, "Sequential.append"))
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Put ``module`` before position ``index``; returns this Sequential."""
        _module(module, "Sequential.insert")
        modules = list(self._modules.values())
        n = len(modules)
        if not -n <= index <= n:
            raise IndexError(f"index {index} is out of range for inserting into {n} modules")
        modules.insert(index, module)
        self._modules.clear()
        self._modules.update((str(i), m) for i, m in enumerate(modules))
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """``append`` each of ``modules``; returns this Sequential."""
        for module in modules:
            self.append(module)
        return self

    def __add__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise TypeError(
                f"can only add a Sequential to a Sequential, got {type(other).__name__}"
            )
        return Sequential(*self, *other)

    def __iadd__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise TypeError(
                f"can only add a Sequential to a Sequential, got {type(other).__name__}"
            )
        return self.extend(list(other))

    def __dir__(self) -> list[str]:
        return [key for key in super().__dir__() if not key.isdigit()]


class ModuleList(Module):
    """A list of modules, registered (named 0, 1, ...) so that the owner's ``parameters()``,
    ``to()``, ``train()`` and ``state_dict()`` reach them. Indexing, slicing (a new
    ModuleList), iteration, ``len``, ``append``, ``extend``, ``insert``, ``pop``, ``+=``.
    It has no ``forward``: the owner decides how to call its modules."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[str(_position(self, index))]

    def __setitem__(self, index: int, module: Module) -> None:
        key = str(_position(self, index))
        self._modules[key] = _module(module, f"ModuleList[{index}]")

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)
        for key in keys[index] if isinstance(index, slice) else [str(_position(self, index))]:
            del self._modules[key]
        _renumber(self)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns this ModuleList."""
        self.add_module(str(len(self)), _module(module, "ModuleList.append"))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append each of ``modules``; returns this ModuleList."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError("ModuleList.extend expects an iterable of modules, got a single Module")
        if not isinstance(modules, Iterable):
            raise TypeError(
                f"ModuleList.extend expects an iterable of modules, got {type(modules).__name__}"
            )
        new = [_module(m, f"ModuleList item {len(self) + i}") for i, m in enumerate(modules)]
        for module in new:  # all checked first: a bad item leaves the list as it was
            self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index``."""
        _module(module, "ModuleList.insert")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        self._modules.update((str(i), m) for i, m in enumerate(modules))

    def pop(self, index: int = -1) -> Module:
        """Remove the module at ``index`` and return it."""
        module = self[index]
        del self[index]
        return module

    def __repr__(self) -> str:
        """As PyTorch's: runs of equal modules shown once, ``(0-3): 4 x Block(...)``."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return f"{self._get_name()}()"
        runs: list[list[Any]] = []  # [first index, last index, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = [
            _indent(f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}", 2)
            for a, b, r in runs
        ]
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self) -> list[str]:
        return [key for key in super().__dir__() if not key.isdigit()]


class ModuleDict(Module):
    """An ordered dict of modules, registered under their keys: ``d["wte"]`` or ``d.wte``,
    ``in``, ``len``, iteration over keys, ``keys/items/values``, ``update``, ``pop``."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[Any] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"{key!r} is not in this ModuleDict (keys: {list(self._modules)})")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, _module(module, f"ModuleDict[{key!r}]"))

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Any:
        return self._modules.keys()

    def items(self) -> Any:
        return self._modules.items()

    def values(self) -> Any:
        return self._modules.values()

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove ``key`` and return its module."""
        module = self[key]
        del self[key]
        return module

    def update(self, modules: Mapping[str, Module] | Iterable[Any]) -> None:
        """Add (or replace) the modules of a mapping, or of an iterable of (key, module) pairs,
        in their order."""
        if isinstance(modules, Mapping) or isinstance(modules, ModuleDict):
            pairs = list(modules.items())
        elif isinstance(modules, Iterable) and not isinstance(modules, (str, Module)):
            pairs = []
            for j, pair in enumerate(modules):
                if not isinstance(pair, Iterable) or len(pair) != 2:  # type: ignore[arg-type]
                    raise ValueError(f"ModuleDict update sequence element #{j} is not a pair")
                pairs.append(tuple(pair))
        else:
            raise TypeError(
                "ModuleDict.update expects a mapping or an iterable of (key, module) pairs, "
                f"got {type(modules).__name__}"
            )
        for key, module in pairs:
            self[key] = module
