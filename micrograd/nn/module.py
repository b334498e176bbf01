"""``Module``: the base every network in micrograd shares, scalar or tensor, as PyTorch's.

Assigning a ``Parameter`` or a ``Module`` as an attribute registers it (in ``_parameters``
and ``_modules``, in the order assigned); ``register_buffer`` registers state that is saved
but not learned. Every walk (``parameters``, ``modules``, ``state_dict``, ``train``) reads
those registries in that order, so names and order are PyTorch's.

The original micrograd's modules (``nn.scalar``) hold ``Value``s, and lists of ``Value``s
or of modules, in plain attributes, and never call ``super().__init__()``. So the
registries are made in ``__new__``, and public plain attributes holding ``Value``s or
lists and tuples of ``Value``s and modules are walked too: after a module's own registered
entries, named by attribute and position (``"w.2"``, ``"layers.0"``).

This file holds the registries, the walks over them and the printing. What acts on the
whole network through those walks is mixed in from next door: modes and conversions
(``train``, ``zero_grad``, ``to``, ...) from ``_module_modes``, state dicts from ``state``.

>>> import numpy as np
>>> from micrograd.tensors import Tensor
>>> class Affine(Module):
...     def __init__(self):
...         super().__init__()
...         self.scale = Parameter(Tensor(np.ones(2)))
...         self.register_buffer("shift", Tensor(np.zeros(2)))
...     def forward(self, x):
...         return x * self.scale + self.shift
>>> m = Affine()
>>> [name for name, _ in m.named_parameters()], list(m.state_dict())
(['scale'], ['scale', 'shift'])
>>> m(Tensor([1.0, 2.0])).data
array([1., 2.])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from micrograd.engine import Value
from micrograd.nn._module_modes import ModesMixin
from micrograd.nn.parameter import Parameter
from micrograd.nn.state import StateDictMixin
from micrograd.tensors import Tensor

__all__ = ["Module"]

M = TypeVar("M", bound="Module")


class _ParameterList(list):
    """What ``parameters()`` returns: a list, as the original micrograd's ``parameters()``
    (``len(model.parameters())``, indexing), that is also an iterator, as PyTorch's
    (``next(model.parameters())`` gives the first parameter)."""

    __slots__ = ("_next",)

    def __init__(self, items: Any = ()) -> None:
        super().__init__(items)
        self._next = 0

    def __next__(self) -> Any:
        if self._next >= len(self):
            raise StopIteration
        self._next += 1
        return self[self._next - 1]


def _typename(obj: Any) -> str:
    return type(obj).__name__


def _check_name(kind: str, name: Any) -> None:
    """PyTorch's rules for a registered name: a non-empty string without dots."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {_typename(name)}")
    if "." in name:
        raise KeyError(f'{kind} name cannot contain ".", got: {name!r}')
    if name == "":
        raise KeyError(f"{kind} name cannot be an empty string")


class Module(ModesMixin, StateDictMixin):
    """Base class for networks: holds parameters, buffers and sub-modules, and walks them.

    Subclasses set their layers as attributes in ``__init__`` and write ``forward``;
    ``module(x)`` calls ``forward(x)``. ``training`` is True until ``eval()``.
    """

    training: bool
    _parameters: dict[str, Any]
    _buffers: dict[str, Any]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Any]

    def __new__(cls, *args: Any, **kwargs: Any) -> Module:
        # Here, not in __init__: the original micrograd's modules never call it.
        self = super().__new__(cls)
        for name, value in (
            ("training", True),
            ("_parameters", {}),
            ("_buffers", {}),
            ("_non_persistent_buffers_set", set()),
            ("_modules", {}),
        ):
            object.__setattr__(self, name, value)
        return self

    def __init__(self) -> None:
        """Nothing left to do (``__new__`` made the registries); kept for ``super().__init__()``."""

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """What the module computes; every subclass defines its own."""
        raise NotImplementedError(
            f'Module [{self._get_name()}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ----------------------------------------------------------------- registration

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, Parameter):
            self._forget(name)
            self.register_parameter(name, value)
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {_typename(value)} as parameter {name!r} "
                    "(nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {_typename(value)} as child module {name!r} "
                    "(nn.Module or None expected)"
                )
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {_typename(value)} as buffer {name!r} (Tensor or None expected)"
                )
            buffers[name] = value
        else:
            if isinstance(value, Tensor) and value.requires_grad and not value._prev:
                warnings.warn(
                    f"{self._get_name()}.{name} is a Tensor that requires grad but not a "
                    "Parameter, so it is not a parameter of the module (as in PyTorch): "
                    "parameters() and state_dict() leave it out. Wrap it: nn.Parameter(tensor)",
                    stacklevel=2,
                )
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Remove ``name`` from wherever it is, before it is registered as something else."""
        d = self.__dict__
        d.pop(name, None)
        for registry in (d["_parameters"], d["_buffers"], d["_modules"]):
            registry.pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: registered entries live outside __dict__.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for registry in (d["_parameters"], d["_buffers"], d["_modules"]):
            if name in registry:
                del registry[name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def _check_free(self, kind: str, name: str, registry: dict[str, Any]) -> None:
        if name not in registry and hasattr(self, name):
            raise KeyError(f"attribute {name!r} already exists: cannot register it as a {kind}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a Parameter, or None for "no such parameter") as ``name``."""
        _check_name("parameter", name)
        self._check_free("parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {_typename(param)} object to parameter {name!r} "
                "(nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register ``tensor`` as state that is not learned: saved in ``state_dict`` (unless
        ``persistent=False``), converted by ``to()``, never returned by ``parameters()``.
        Reached as ``self.name``; assigning a Tensor to that name replaces it."""
        _check_name("buffer", name)
        self._check_free("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign {_typename(tensor)} object to buffer {name!r} "
                "(Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` (or None) as the child ``name``: ``self.name = module``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass (adding {name!r})")
        _check_name("module", name)
        self._check_free("module", name, self._modules)
        self._modules[name] = module

    register_module = add_module

    # ----------------------------------------------------------------- walks

    def _own_members(self, registry: str) -> list[tuple[str, Any]]:
        """This module's registered entries of ``registry`` (None skipped), then, for
        parameters, the ``Value``s its plain attributes hold; for modules, the modules."""
        found = [(k, v) for k, v in self.__dict__[registry].items() if v is not None]
        if registry != "_buffers":
            kind = Value if registry == "_parameters" else Module
            found += [(k, v) for k, v in _plain_members(self) if isinstance(v, kind)]
        return found

    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for this module and every module below it, depth first, parents
        before children; a module reachable twice is listed once unless ``remove_duplicate``
        is False."""
        seen: set[int] = set() if memo is None else memo
        # Each entry carries the ids of its ancestors: a module never descends into one of
        # them, so a plain list holding a parent cannot send the walk round in circles.
        stack: list[tuple[str, Module, frozenset[int]]] = [(prefix, self, frozenset())]
        while stack:  # iterative, like every walk in micrograd
            name, module, ancestors = stack.pop()
            if id(module) in seen or id(module) in ancestors:
                continue
            if remove_duplicate:
                seen.add(id(module))
            yield name, module
            below = ancestors | {id(module)}
            children = module._own_members("_modules")
            for key, child in reversed(children):  # reversed: the stack pops them in order
                stack.append((f"{name}.{key}" if name else key, child, below))

    def modules(self) -> Iterator[Module]:
        """This module and every module below it (see ``named_modules``)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for the direct sub-modules, each once."""
        seen: set[int] = set()
        for name, module in self._own_members("_modules"):
            if id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct sub-modules, each once."""
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for key, value in module._own_members(registry):
                if id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (f"{module_prefix}.{key}" if module_prefix else key), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Any]]:
        """``(dotted_name, parameter)`` pairs: each module's own parameters, then its
        children's, e.g. ``("0.weight", Parameter)`` or ``("layers.0.neurons.1.w.2", Value)``.
        A parameter reachable under two names is listed once, under the first."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> list[Any]:
        """Every parameter, each once, in ``named_parameters`` order. A list (as in the
        original micrograd) that ``next()`` also reads (as PyTorch's iterator)."""
        return _ParameterList(p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """``(dotted_name, buffer)`` pairs, persistent or not, in ``named_parameters``' order."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer, each once."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        """The module named ``target`` in ``named_modules`` (``""`` is this module)."""
        for name, module in self.named_modules(remove_duplicate=False):
            if name == target:
                return module
        raise AttributeError(f"{self._get_name()} has no submodule {target!r}")

    def apply(self: M, fn: Callable[[Module], Any]) -> M:
        """Call ``fn`` on every sub-module, then on this one (post-order, as PyTorch: each
        module after its children, children in order). Returns self."""
        stack: list[tuple[Module, bool]] = [(self, False)]
        while stack:
            module, children_done = stack.pop()
            if children_done:
                fn(module)
            else:
                stack.append((module, True))
                stack.extend((child, False) for child in reversed(list(module.children())))
        return self

    # ----------------------------------------------------------------- printing

    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The module's own settings, shown inside its repr's parentheses."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({key}): " + _indent(repr(module), 2) for key, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"

    def __dir__(self) -> list[str]:
        keys = [
            *dir(type(self)),
            *self.__dict__,
            *self._parameters,
            *self._modules,
            *self._buffers,
        ]
        return sorted({key for key in keys if not key[0].isdigit()})


def _indent(text: str, spaces: int) -> str:
    """Every line but the first indented by ``spaces``, as PyTorch's reprs nest."""
    first, *rest = text.split("\n")
    return "\n".join([first, *(" " * spaces + line for line in rest)])


def _plain_members(module: Module) -> list[tuple[str, Any]]:
    """``(name, obj)`` for the ``Value``s and modules held in public plain attributes,
    directly or in (nested) lists and tuples: ``("b", Value)``, ``("w.0", Value)``,
    ``("layers.1", Layer)``. Private ones (``self._parent = [module]``, PyTorch's way to
    keep a module without registering it) are left alone.
    """
    found: list[tuple[str, Any]] = []
    stack = [(k, v) for k, v in reversed(module.__dict__.items()) if not k.startswith("_")]
    while stack:
        name, obj = stack.pop()
        if isinstance(obj, (Value, Module)):
            found.append((name, obj))
        elif isinstance(obj, (list, tuple)):
            stack.extend((f"{name}.{i}", item) for i, item in reversed(list(enumerate(obj))))
    return found
