"""``Module``: the base every network in micrograd shares, scalar or tensor."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from micrograd.engine import Value
from micrograd.tensors import Tensor


def _is_parameter(obj: Any) -> bool:
    """What ``named_parameters`` collects: every ``Value``, and every Tensor that requires grad."""
    return isinstance(obj, Value) or (isinstance(obj, Tensor) and obj.requires_grad)


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` skipped, as PyTorch reports it."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class for networks: finds its parameters, zeroes their gradients, saves them.

    Parameters are found the way PyTorch finds them, by walking the module's attributes
    (sub-modules, and lists or tuples of them, included) in the order they were set. A
    module may override ``parameters()`` instead, as the original micrograd's did, or
    ``_named_children()`` to name its children differently (``Sequential`` names them 0, 1, ...).
    """

    def zero_grad(self) -> None:
        """Reset every parameter's gradient: a Value's to 0.0, a Tensor's to None."""
        for p in self.parameters():
            p.grad = 0.0 if isinstance(p, Value) else None

    def parameters(self) -> list[Any]:
        """Every trainable parameter, each once, in a stable order."""
        return [p for _, p in self.named_parameters()]

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """``(dotted_name, parameter)`` pairs, e.g. ``("layers.0.neurons.1.w.2", Value)``.

        A parameter reachable under two names is listed once, under the first.
        """
        seen: set[int] = set()
        stack: list[tuple[str, Any]] = [(prefix, self)]
        while stack:  # iterative, like every walk in micrograd
            name, obj = stack.pop()
            if _is_parameter(obj):
                if id(obj) not in seen:
                    seen.add(id(obj))
                    yield name, obj
                continue
            if isinstance(obj, Module):
                children = obj._named_children()
            elif isinstance(obj, (list, tuple)):
                children = [(str(i), item) for i, item in enumerate(obj)]
            else:
                continue
            for key, child in reversed(children):  # reversed: the stack pops them in order
                stack.append((f"{name}.{key}" if name else key, child))

    def _named_children(self) -> list[tuple[str, Any]]:
        """The attributes ``named_parameters`` looks into, with the names it gives them."""
        return list(vars(self).items())

    # ----------------------------------------------------------------- saving and loading

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{name: array}`` for every parameter, in ``named_parameters`` order.

        The arrays are copies: changing them does not change the module. A Tensor parameter
        gives an array of its shape and dtype; a Value gives a 0-d float64 array.

        >>> from micrograd.nn import Neuron
        >>> sd = Neuron(2).state_dict()
        >>> list(sd), sd["b"].shape, sd["b"].dtype
        (['w.0', 'w.1', 'b'], (), dtype('float64'))
        """
        return {
            name: np.array(p.data, dtype=np.float64) if isinstance(p, Value) else p.data.copy()
            for name, p in self.named_parameters()
        }

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy the arrays in ``state_dict`` into this module's parameters, by name.

        Every entry is checked before any parameter changes, so a failed load leaves the
        module as it was. With ``strict=True`` the names must match ``state_dict()``'s exactly
        (ValueError listing the missing and unexpected ones); with ``strict=False`` only the
        common names are loaded, and the others are returned. A shape mismatch is always an
        error. Tensor parameters keep their dtype and array (values are copied in); Value
        parameters take 0-d arrays.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                "load_state_dict expects a mapping of name -> array, "
                f"got {type(state_dict).__name__}"
            )
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state_dict]
        unexpected = sorted(name for name in state_dict if name not in params)
        if strict and (missing or unexpected):
            problems = []
            if missing:
                problems.append(f"missing keys {missing}")
            if unexpected:
                problems.append(f"unexpected keys {unexpected}")
            raise ValueError(
                f"state_dict does not match {type(self).__name__}: {'; '.join(problems)}"
            )
        updates = []
        for name, p in params.items():
            if name not in state_dict:
                continue
            value = _as_real_array(name, state_dict[name])
            shape = () if isinstance(p, Value) else p.data.shape
            if value.shape != shape:
                raise ValueError(
                    f"state_dict[{name!r}] has shape {value.shape}, "
                    f"but the parameter has shape {shape}"
                )
            updates.append((p, value))
        for p, value in updates:
            if isinstance(p, Value):
                p.data = float(value)
            else:
                p.data[...] = value  # in place: optimizers holding the array stay in step
        return IncompatibleKeys(missing, unexpected)


def _as_real_array(name: str, value: Any) -> np.ndarray:
    """``value`` as an ndarray of real numbers; TypeError naming the entry otherwise."""
    if isinstance(value, (Value, Tensor)):
        value = value.data
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as e:
        raise TypeError(f"state_dict[{name!r}] is not an array of numbers: {e}") from None
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise TypeError(
            f"state_dict[{name!r}] must hold real numbers, got an array of dtype {array.dtype}"
        )
    return array
