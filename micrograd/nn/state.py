"""State dicts: a module's parameters and persistent buffers as ``{name: array}``, and back.

``Module.state_dict`` and ``Module.load_state_dict`` are written here, in ``StateDictMixin``,
which ``Module`` inherits. The names and their
order are PyTorch's: module by module (parents first, a shared module under every name it
has), each module's parameters, then its persistent buffers. Loading checks every entry
before it changes anything, so a failed load leaves the module as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from micrograd.engine import Value
from micrograd.nn.parameter import Parameter
from micrograd.tensors import Tensor

__all__ = ["IncompatibleKeys", "StateDictError", "StateDictMixin", "load_state", "save_state"]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` skipped, as PyTorch reports it."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class StateDictError(ValueError, RuntimeError):
    """A state dict that does not fit the module. A ValueError, and a RuntimeError as
    PyTorch raises, so code catching either catches it."""


class StateDictMixin:
    """``Module.state_dict`` and ``Module.load_state_dict``, mixed into ``Module``: they walk
    its registries (``named_modules``, ``_own_members``), so only ``Module`` inherits this."""

    # Names a state dict may leave out, for loading older ones (BatchNorm's batch count).
    _optional_state: tuple[str, ...] = ()

    def state_dict(
        self,
        *,
        destination: dict[str, Any] | None = None,
        prefix: str = "",
        keep_vars: bool = False,
    ) -> dict[str, Any]:
        """``{name: array}`` for every parameter and persistent buffer, with PyTorch's names
        and order (``"0.weight"``, ``"bn.running_mean"``, ``"bn.num_batches_tracked"``).

        The arrays are copies: changing them does not change the module (PyTorch returns
        tensors sharing storage). A Tensor gives an array of its shape and dtype, a Value a
        0-d float64 array. ``keep_vars=True`` gives the Parameters, buffers and Values
        themselves.

        >>> from micrograd.nn import Neuron
        >>> sd = Neuron(2).state_dict()
        >>> list(sd), sd["b"].shape, sd["b"].dtype
        (['w.0', 'w.1', 'b'], (), dtype('float64'))
        """
        return save_state(self, {} if destination is None else destination, prefix, keep_vars)

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> IncompatibleKeys:
        """Copy the arrays in ``state_dict`` into this module's parameters and persistent
        buffers, by name (values are cast to each one's dtype and copied in place, so
        optimizers holding them stay in step; ``assign=True`` makes each tensor take the
        loaded array and its dtype instead).

        Every entry is checked before anything changes, so a failed load leaves the module
        as it was. ``strict=True``: the names must match ``state_dict()``'s exactly
        (StateDictError, a ValueError and RuntimeError, listing the missing and unexpected
        ones); ``strict=False`` loads the common names and returns the others. Shapes must
        always match. Accepts ndarrays, Tensors, PyTorch tensors and numbers.
        """
        return load_state(self, state_dict, strict, assign)


def _entries(module: Any, prefix: str = "") -> dict[str, Any]:
    """``{name: parameter (Tensor or Value) or persistent buffer}`` in PyTorch's order."""
    entries: dict[str, Any] = {}
    for module_prefix, sub in module.named_modules(remove_duplicate=False):
        dot = f"{prefix}{module_prefix}." if module_prefix else prefix
        for key, p in sub._own_members("_parameters"):
            entries[dot + key] = p
        skip = sub._non_persistent_buffers_set
        for key, b in sub._own_members("_buffers"):
            if key not in skip:
                entries[dot + key] = b
    return entries


def save_state(module: Any, destination: dict[str, Any], prefix: str, keep_vars: bool) -> Any:
    """Fill ``destination`` as ``Module.state_dict`` documents; return it."""
    for name, p in _entries(module, prefix).items():
        if keep_vars:
            destination[name] = p
        elif isinstance(p, Value):
            destination[name] = np.array(p.data, dtype=np.float64)
        else:
            destination[name] = p.data.copy()
    return destination


def load_state(
    module: Any, state_dict: Mapping[str, Any], strict: bool, assign: bool
) -> IncompatibleKeys:
    """Load ``state_dict`` into ``module`` as ``Module.load_state_dict`` documents."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"load_state_dict expects a mapping of name -> array, got {type(state_dict).__name__}"
        )
    entries = _entries(module)
    optional = {  # names a module lets a state dict leave out (BatchNorm's batch count)
        f"{prefix}.{key}" if prefix else key
        for prefix, sub in module.named_modules(remove_duplicate=False)
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
            f"state_dict does not match {module._get_name()}: {'; '.join(problems)}"
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
            target.data = np.array(value)
        else:
            target.data[...] = value  # in place: optimizers holding the array stay in step
    return IncompatibleKeys(missing, unexpected)


def _checked_value(name: str, value: Any, target: Any) -> np.ndarray:
    """``value`` as an ndarray that fits ``target`` (its shape; real numbers, or booleans
    for a boolean buffer); TypeError or StateDictError naming the entry otherwise."""
    if isinstance(value, (Value, Tensor)):
        value = value.data
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, RuntimeError) as e:
        raise TypeError(f"state_dict[{name!r}] is not an array of numbers: {e}") from None
    is_bool = isinstance(target, Tensor) and target.data.dtype == np.bool_
    if is_bool:
        ok = array.dtype == np.bool_
    else:
        ok = array.dtype != np.bool_ and array.dtype.kind in "iuf"
    if not ok:
        wanted = "booleans" if is_bool else "real numbers"
        raise TypeError(
            f"state_dict[{name!r}] must hold {wanted}, got an array of dtype {array.dtype}"
        )
    shape = () if isinstance(target, Value) else target.data.shape
    if array.shape != shape:
        kind = "parameter" if isinstance(target, (Value, Parameter)) else "buffer"
        raise StateDictError(
            f"state_dict[{name!r}] has shape {array.shape}, but the {kind} has shape {shape}"
        )
    return array
