"""``Module``: the base every network in micrograd shares, scalar or tensor, as PyTorch's.

One class, read from the top: how a module registers its parameters, buffers and
sub-modules; calling it; the walks over them (``parameters``, ``named_parameters``,
``modules``, ...); what acts on the whole network through those walks (``zero_grad``,
``train``/``eval``, ``state_dict``/``load_state_dict``, ``to``/``float``/``double``); and
its printing.

Assigning a ``Parameter`` or a ``Module`` as an attribute registers it (in ``_parameters``
and ``_modules``, in the order assigned); ``register_buffer`` registers state that is saved
but not learned. Every walk reads those registries in that order, so names and order are
PyTorch's.

The original micrograd's modules (``nn.scalar``) hold ``Value``s, and lists of ``Value``s
or of modules, in plain attributes, and never call ``super().__init__()``. So the
registries are made in ``__new__``, and public plain attributes holding ``Value``s or
lists and tuples of ``Value``s and modules are walked too: after a module's own registered
entries, named by attribute and position (``"w.2"``, ``"layers.0"``).

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
>>> m(Tensor([1.0, 2.0])).tolist()
[1.0, 2.0]
>>> m.double().eval().training
False
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar

import numpy as np

from micrograd.engine import Value
from micrograd.nn.parameter import Parameter, parse_to_args
from micrograd.tensors import Tensor, dtypes
from micrograd.tensors.dtypes import is_float
from micrograd.tensors.grad_mode import no_grad

__all__ = ["IncompatibleKeys", "Module", "StateDictError"]

M = TypeVar("M", bound="Module")


class Module:
    """Base class for networks: holds parameters, buffers and sub-modules, and walks them.

    Subclasses set their layers as attributes in ``__init__`` and write ``forward``;
    ``module(x)`` calls ``forward(x)``. ``training`` is True until ``eval()``.
    """

    training: bool
    _parameters: dict[str, Any]
    _buffers: dict[str, Any]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Any]

    # Names a state dict may leave out, for loading older ones (BatchNorm's batch count).
    _optional_state: tuple[str, ...] = ()

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

    # ----------------------------------------------------------------- calling

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """What the module computes; every subclass defines its own."""
        raise NotImplementedError(
            f'Module [{self._get_name()}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ----------------------------------------------------------------- walks

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

    def _own_members(self, registry: str) -> list[tuple[str, Any]]:
        """This module's registered entries of ``registry`` (None skipped), then, for
        parameters, the ``Value``s its plain attributes hold; for modules, the modules."""
        found = [(k, v) for k, v in self.__dict__[registry].items() if v is not None]
        if registry != "_buffers":
            kind = Value if registry == "_parameters" else Module
            found += [(k, v) for k, v in _plain_members(self) if isinstance(v, kind)]
        return found

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

    # ----------------------------------------------------------------- gradients and modes

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: a Tensor's to None (or zeros in place with
        ``set_to_none=False``), a Value's to 0.0 (as the original micrograd)."""
        for p in self.parameters():
            if isinstance(p, Value):
                p.grad = 0.0
            elif p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    grad = p._grad
                    if grad.flags.writeable:
                        grad[...] = 0
                    else:
                        p._grad = np.zeros_like(grad)

    def requires_grad_(self: M, requires_grad: bool = True) -> M:
        """Set ``requires_grad`` of every tensor parameter (to freeze or unfreeze them)."""
        for p in self.parameters():
            if isinstance(p, Tensor):
                p.requires_grad_(requires_grad)
        return self

    def train(self: M, mode: bool = True) -> M:
        """Set ``training`` to ``mode`` here and in every sub-module (Dropout and BatchNorm
        behave differently in training); returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {mode!r}")
        self.training = mode
        for module in self.children():  # through each child's train(), which it may override
            module.train(mode)
        return self

    def eval(self: M) -> M:
        """``train(False)``: evaluation mode."""
        return self.train(False)

    # ----------------------------------------------------------------- state dicts
    # A state dict's names and order are PyTorch's: module by module (parents first, a shared
    # module under every name it has), each module's parameters, then its persistent buffers.

    def state_dict(
        self,
        *,
        destination: dict[str, Any] | None = None,
        prefix: str = "",
        keep_vars: bool = False,
    ) -> dict[str, Any]:
        """``{name: tensor}`` for every parameter and persistent buffer, with PyTorch's names
        and order (``"0.weight"``, ``"bn.running_mean"``, ``"bn.num_batches_tracked"``).

        As PyTorch's, the tensors are detached from the module's but share their memory: a
        state dict follows later training steps (save it, or ``clone()`` what you keep), and a
        write into it is a write into the module. A Value gives a 0-d float64 array (a
        copy). ``keep_vars=True`` gives the Parameters, buffers and Values themselves.

        >>> from micrograd.nn import Neuron
        >>> sd = Neuron(2).state_dict()
        >>> list(sd), sd["b"].shape, sd["b"].dtype
        (['w.0', 'w.1', 'b'], (), dtype('float64'))
        """
        destination = {} if destination is None else destination
        for name, p in self._state_entries(prefix).items():
            if keep_vars:
                destination[name] = p
            elif isinstance(p, Value):
                destination[name] = np.array(p.data, dtype=np.float64)
            else:
                destination[name] = p.detach()
        return destination

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> IncompatibleKeys:
        """Copy the arrays in ``state_dict`` into this module's parameters and persistent
        buffers, by name (values are cast to each one's dtype and copied in place, so
        optimizers holding them stay in step, and a graph built before refuses to
        backpropagate, as PyTorch's; ``assign=True`` makes each tensor take the loaded array
        and its dtype instead).

        Every entry is checked before anything changes, so a failed load leaves the module
        as it was. ``strict=True``: the names must match ``state_dict()``'s exactly
        (StateDictError, a ValueError and RuntimeError, listing the missing and unexpected
        ones); ``strict=False`` loads the common names and returns the others. Shapes must
        always match. Accepts ndarrays, Tensors, PyTorch tensors and numbers.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                "load_state_dict expects a mapping of name -> array, "
                f"got {type(state_dict).__name__}"
            )
        entries = self._state_entries()
        optional = {  # names a module lets a state dict leave out (BatchNorm's batch count)
            f"{prefix}.{key}" if prefix else key
            for prefix, sub in self.named_modules(remove_duplicate=False)
            for key in sub._optional_state
        }
        missing = [name for name in entries if name not in state_dict and name not in optional]
        unexpected = sorted(name for name in state_dict if name not in entries)
        if strict and (missing or unexpected):
            problems = []
            if missing:
                problems.append(f"missing keys {missing}")
            if unexpected:
                problems.append(f"unexpected keys {unexpected}")
            raise StateDictError(
                f"state_dict does not match {self._get_name()}: {'; '.join(problems)}"
            )
        updates = [
            (target, _checked_value(name, state_dict[name], target))
            for name, target in entries.items()
            if name in state_dict
        ]
        for target, value in updates:  # only once every entry passed
            if isinstance(target, Value):
                target.data = float(value)
            elif assign:
                target._data = np.array(value)
            else:
                with no_grad():  # in place: optimizers holding the array stay in step
                    target.copy_(value)
        return IncompatibleKeys(missing, unexpected)

    def _state_entries(self, prefix: str = "") -> dict[str, Any]:
        """``{name: parameter (Tensor or Value) or persistent buffer}`` in PyTorch's order."""
        entries: dict[str, Any] = {}
        for module_prefix, sub in self.named_modules(remove_duplicate=False):
            dot = f"{prefix}{module_prefix}." if module_prefix else prefix
            for key, p in sub._own_members("_parameters"):
                entries[dot + key] = p
            skip = sub._non_persistent_buffers_set
            for key, b in sub._own_members("_buffers"):
                if key not in skip:
                    entries[dot + key] = b
        return entries

    # ----------------------------------------------------------------- conversions

    def to(self: M, *args: Any, **kwargs: Any) -> M:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``: convert the
        floating-point parameters and buffers to ``dtype`` (in place: the same Parameter
        objects), integer buffers stay. The only device is the CPU. Returns self."""
        dtype = parse_to_args(args, kwargs)
        if dtype is not None:
            self._cast(dtype)
        return self

    def float(self: M) -> M:
        """Floating-point parameters and buffers to float32."""
        return self._cast(np.dtype(np.float32))

    def double(self: M) -> M:
        """Floating-point parameters and buffers to float64."""
        return self._cast(np.dtype(np.float64))

    def half(self: M) -> M:
        """Floating-point parameters and buffers to float16."""
        return self._cast(np.dtype(np.float16))

    def bfloat16(self: M) -> M:
        """Floating-point parameters and buffers to bfloat16 (see ``Tensor.bfloat16``)."""
        return self._cast(dtypes.bfloat16)

    def cpu(self: M) -> M:
        """Already there: micrograd runs on the CPU."""
        return self

    def _cast(self: M, dtype: np.dtype) -> M:
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for t in registry.values():
                    if t is not None and is_float(t.dtype):
                        t._data = t._data.astype(dtype, copy=False)
                        if t._grad is not None:
                            t._grad = t._grad.astype(dtype, copy=False)
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


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` skipped, as PyTorch reports it."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class StateDictError(ValueError, RuntimeError):
    """A state dict that does not fit the module. A ValueError, and a RuntimeError as
    PyTorch raises, so code catching either catches it."""


# --------------------------------------------------------------------- helpers


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


def _checked_value(name: str, value: Any, target: Any) -> np.ndarray:
    """``value`` as an ndarray that fits ``target`` (its shape; real numbers, or booleans
    for a boolean buffer); TypeError or StateDictError naming the entry otherwise."""
    if isinstance(value, Value):
        value = value.data
    elif isinstance(value, Tensor):
        value = value._data
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, RuntimeError) as e:
        raise TypeError(f"state_dict[{name!r}] is not an array of numbers: {e}") from None
    is_bool = isinstance(target, Tensor) and target.dtype == np.bool_
    if is_bool:
        ok = array.dtype == np.bool_
    else:
        ok = array.dtype != np.bool_ and (array.dtype.kind in "iu" or is_float(array.dtype))
    if not ok:
        wanted = "booleans" if is_bool else "real numbers"
        raise TypeError(
            f"state_dict[{name!r}] must hold {wanted}, got an array of dtype {array.dtype}"
        )
    shape = () if isinstance(target, Value) else target.shape
    if array.shape != shape:
        kind = "parameter" if isinstance(target, (Value, Parameter)) else "buffer"
        raise StateDictError(
            f"state_dict[{name!r}] has shape {array.shape}, but the {kind} has shape {shape}"
        )
    return array


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
