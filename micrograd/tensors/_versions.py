"""The version counter: PyTorch's check that no rule reads a value written over in place.

In-place writes and the version counter (as PyTorch's): a rule may read, at backward time,
values its forward kept (``*`` keeps both factors, ``exp`` reads its own output). If those
values were overwritten in between, the gradient would be silently wrong, so

* every tensor has a ``_version``, shared with the tensors that view its memory (``view``,
  ``transpose``, basic indexing, ``detach``, ...), and bumped by every in-place write made
  through the API: ``t[i] = v``, the in-place methods (``fill_``, ``masked_fill_``, ``add_``,
  ...) and the optimizers' ``step`` (through ``_bump_version``);
* each write is also stamped with a global count of writes (``write_count``), as is each node
  when it is built; ``backward`` raises PyTorch's RuntimeError when an operand whose values
  the node kept (its ``ctx`` holds them), or the node's own output, carries a later stamp.
  A node built after the last write anywhere, the usual case in a training loop, costs
  backward one comparison;
* a write into a tensor of a graph (``dlogits[range(n), Yb] -= 1``, ``out += bias``) is
  recorded as PyTorch records it: the tensor becomes the output of the write, and operations
  that used it before get their gradients sent to its earlier history (``_versions.Written``).

Stricter than PyTorch, which checks only what the gradients it computes read: here a node
raises if any operand value it kept, or its output, was written (so ``exp`` and ``+`` alike
when their output is written, where PyTorch's ``+`` would not mind).

Not detected, as in PyTorch: writes through ``.data`` (``t.data[0] = 1``, ``t.data -= lr * g``),
which has a version counter of its own, and writes made with NumPy into ``t.numpy()``.
Catching the latter would take a checksum of every saved array, one more pass over the data
for each, on every step; the cost is measured in benchmarks/README.md. Use
``with no_grad(): t[...] = ...`` (or an optimizer, or ``nn.init``) to have a write checked.

The bookkeeping. Each tensor holds a ``_version_cell``, ``[version, stamp of its last write,
stamp of the one before]``, one list shared with the tensors that view the same memory. Each
write through the API takes a stamp from one global count of writes, ``write_count``, which
also stamps each node when it is built (``_built_at``). So ``backward`` can tell, for a node,
whether anything was written since it was built (one comparison, the usual answer being no)
and then which of the values its rule reads were.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

# A core.Tensor. Named, not imported: core imports this module, and an import back, even one
# for type checkers only, would make a circle.
_Tensor = Any

# How many in-place writes (through the API, into any tensor) there have been: the clock that
# stamps each write and each node, so that backward can tell what was written after what.
write_count = [0]


def new_cell() -> list[int]:
    """The version cell of fresh memory: version 0, never written."""
    return [0, 0, 0]


def check_unmodified(node: _Tensor) -> tuple[_Tensor, ...]:
    """Raise PyTorch's error if values ``node``'s rule reads were written in place after the
    node was built: its own output (any rule may read it as ``ans``) or an operand's that its
    ``ctx`` keeps. Return the operands as the node used them (``as_of``)."""
    built = node._built_at
    if node._version_cell[1] > built and node._version_cell is not node._prev[0]._version_cell:
        _modified(node, f", which is output 0 of {node._op!r},", built)  # (not a view's)
    kept = node._ctx if type(node._ctx) is tuple else (node._ctx,)
    operands = node._prev
    if any(type(operand._ctx) is Written for operand in operands):
        operands = tuple(as_of(operand, built) for operand in operands)
    for operand in operands:
        if operand._version_cell[1] > built:
            array = operand._data
            if any(type(k) is np.ndarray and np.may_share_memory(k, array) for k in kept):
                _modified(operand, "", built)
    return operands


class Written(NamedTuple):
    """The ``ctx`` of the node an in-place write into a tensor of a graph makes of it.

    Writing ``t[i] = v`` (or ``t += v``, ...) while ``t`` is part of a graph moves ``t``'s
    history (the node that made it, and its values' memory) to a new tensor, ``old``; ``t``
    gets new memory and becomes the node "``old`` with ``v`` written at ``index``" (None:
    everywhere; see ``inplace._record``). A node built before the write (its ``_built_at`` is
    at most ``stamp``, the write count then) used ``old``'s values, so its gradient goes to
    ``old`` (``as_of``): the graph PyTorch would have built.
    """

    old: _Tensor
    stamp: int  # write_count[0] just before the write
    index: Any


def as_of(tensor: _Tensor, built: int) -> _Tensor:
    """``tensor`` as a node built at write count ``built`` used it: its history from before
    the in-place writes recorded since (``Written``), or ``tensor`` itself if none was."""
    while type(tensor._ctx) is Written and tensor._ctx.stamp >= built:
        tensor = tensor._ctx.old
    return tensor


def _modified(tensor: _Tensor, whose: str, built: int) -> None:
    version, _, previous = tensor._version_cell
    # the version the node saw: one write ago, unless the write before was also after it
    expected = f"{version - 1}" if previous <= built else f"{version - 2} or earlier"
    if version == 2 and previous > built:
        expected = "0"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [Tensor of shape {tensor.shape}, {tensor.dtype}]{whose} is at "
        f"version {version}; expected version {expected} instead. It was written "
        "(t[...] = ..., an in-place method such as fill_, or an optimizer's step) after the "
        "operation that needs it ran: recompute the forward pass after the write"
    )
