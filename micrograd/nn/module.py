"""``Module``: the base every network in micrograd shares, scalar or tensor."""

from __future__ import annotations

from typing import Any, Iterator

from micrograd.engine import Value


def _is_parameter(obj: Any) -> bool:
    """What ``named_parameters`` collects: every ``Value`` a module holds."""
    return isinstance(obj, Value)


class Module:
    """Base class for networks: finds its parameters and zeroes their gradients.

    Parameters are found the way PyTorch finds them, by walking the module's attributes
    (sub-modules, and lists or tuples of them, included) in the order they were set. A
    module may override ``parameters()`` instead, as the original micrograd's did.
    """

    def zero_grad(self) -> None:
        """Reset every parameter's gradient before the next ``backward``."""
        for p in self.parameters():
            p.grad = 0.0 if isinstance(p, Value) else None

    def parameters(self) -> list[Any]:
        """Every trainable parameter, each once, in a stable order."""
        return [p for _, p in self.named_parameters()]

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """``(dotted_name, parameter)`` pairs, e.g. ``("layers.0.neurons.1.w.2", Value)``."""
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
                children = list(vars(obj).items())
            elif isinstance(obj, (list, tuple)):
                children = [(str(i), item) for i, item in enumerate(obj)]
            else:
                continue
            for key, child in reversed(children):  # reversed: the stack pops them in order
                stack.append((f"{name}.{key}" if name else key, child))
