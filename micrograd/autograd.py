"""``micrograd.autograd``: PyTorch's function forms of backpropagation, ``backward`` (what
``loss.backward()`` does, for several outputs at once) and ``grad`` (the gradients returned,
the ``.grad`` of every tensor left as it was). Both run ``Tensor.backward``.

>>> from micrograd import tensor
>>> x = tensor([1.0, 2.0], requires_grad=True)
>>> (dx,) = grad((x * x).sum(), x)
>>> dx.tolist(), x.grad
([2.0, 4.0], None)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from micrograd.tensors.core import Tensor, _result

__all__ = ["backward", "grad"]


def _tensors(tensors: Any, name: str) -> list[Tensor]:
    """A tensor or a sequence of tensors as a list; TypeError naming ``name`` otherwise."""
    listed = [tensors] if isinstance(tensors, Tensor) else tensors
    if not isinstance(listed, Sequence) or not all(isinstance(t, Tensor) for t in listed):
        raise TypeError(f"{name} must be a Tensor or a sequence of Tensors, got {tensors!r}")
    return list(listed)


def _gradients(given: Any, count: int) -> list[Any]:
    """``grad_tensors`` (``grad_outputs``): one gradient (or None) per output."""
    if given is None:
        return [None] * count
    listed = [given] if isinstance(given, Tensor) else list(given)
    if len(listed) != count:
        raise RuntimeError(f"got {len(listed)} gradients for {count} outputs: give one each")
    return listed


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """``t.backward(g)`` for each tensor ``t`` of ``tensors`` with its gradient ``g`` of
    ``grad_tensors`` (None for a one-element tensor): their gradients add up in the leaves,
    or only in ``inputs`` if given (see ``Tensor.backward``)."""
    outputs = _tensors(tensors, "backward(): tensors")
    for t, g in zip(outputs, _gradients(grad_tensors, len(outputs)), strict=True):
        t.backward(g, retain_graph, create_graph, inputs)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` (summed, each weighted by its ``grad_outputs`` entry) with
    respect to each of ``inputs``, as a tuple of tensors; no ``.grad`` changes. An input the
    outputs do not depend on is a RuntimeError unless ``allow_unused`` (then its gradient is
    None) or ``materialize_grads`` (then zeros), as in PyTorch."""
    wrt = _tensors(inputs, "grad(): inputs")
    outs = _tensors(outputs, "grad(): outputs")
    saved = [t._grad for t in wrt]  # the arrays behind .grad, put back after
    for t in wrt:
        t._grad = None
    try:
        for out, g in zip(outs, _gradients(grad_outputs, len(outs)), strict=True):
            out.backward(g, retain_graph, create_graph, wrt)
        found = [t._grad for t in wrt]
    finally:
        for t, before in zip(wrt, saved, strict=True):
            t._grad = before
    result: list[Tensor | None] = []
    for i, (t, g) in enumerate(zip(wrt, found, strict=True)):
        if g is None and materialize_grads:
            g = np.zeros_like(t._data)
        elif g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {i} was not used in computing the outputs; pass "
                "allow_unused=True to get None for it (or materialize_grads=True for zeros)"
            )
        if g is not None:
            g = _result(g, "", (), None, False)
        result.append(g)
    return tuple(result)
