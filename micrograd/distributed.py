"""``micrograd.distributed``: PyTorch's ``torch.distributed``, as a library without distributed
support answers: micrograd trains in one process (rank 0 of 1), with no process group.

``is_available()`` and ``is_initialized()`` are False, so scripts that check first go on in one
process. ``init_process_group`` raises, saying how to move to PyTorch for several processes;
``get_rank``, ``get_world_size``, ``all_reduce`` and ``destroy_process_group`` raise the
ValueError PyTorch raises when no group was started. ``ReduceOp`` names the reductions, as
scripts spell them in code that runs only with a group (``dist.ReduceOp.AVG``).
(``is_available()`` is True in PyTorch's builds for Linux, whose distributed package is
there; it is False in builds without it, as micrograd is.)
"""

from __future__ import annotations

from typing import Any

from micrograd.nn.parallel import ONE_PROCESS

__all__ = [
    "ReduceOp",
    "all_reduce",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
]

_NO_GROUP = (
    "Default process group has not been initialized, please make sure to call "
    "init_process_group (micrograd trains in one process: there is no group to ask)."
)


def is_available() -> bool:
    """False: micrograd has no distributed backend."""
    return False


def is_initialized() -> bool:
    """False: no process group has been, or can be, started."""
    return False


def init_process_group(*args: Any, **kwargs: Any) -> None:
    """Raises RuntimeError: micrograd trains in one process (the message says how to move)."""
    raise RuntimeError(ONE_PROCESS)


def destroy_process_group(group: Any = None) -> None:
    """Raises ValueError: there is no process group to destroy."""
    raise ValueError(_NO_GROUP)


def get_rank(group: Any = None) -> int:
    """Raises ValueError, as PyTorch without a process group."""
    raise ValueError(_NO_GROUP)


def get_world_size(group: Any = None) -> int:
    """Raises ValueError, as PyTorch without a process group."""
    raise ValueError(_NO_GROUP)


class ReduceOp:
    """How ``all_reduce`` combines the processes' tensors: PyTorch's names."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"
    AVG = "avg"
    PREMUL_SUM = "premul_sum"


def all_reduce(tensor: Any, op: Any = ReduceOp.SUM, group: Any = None, async_op: bool = False):
    """Raises ValueError, as PyTorch without a process group (there are no other processes'
    tensors to combine with)."""
    raise ValueError(_NO_GROUP)
