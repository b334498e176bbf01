"""``micrograd.nn.parallel``: PyTorch's ``DistributedDataParallel``, here so that training
scripts which import it (nanoGPT's ``train.py``) run. It wraps a model for training in several
processes, and micrograd trains in one, so making one is the error that says how to move on.
"""

from __future__ import annotations

from typing import Any

from micrograd.nn.module import Module

__all__ = ["ONE_PROCESS", "DistributedDataParallel"]

# What init_process_group and DistributedDataParallel say (micrograd.distributed too).
ONE_PROCESS = (
    "micrograd trains in one process, so it has no process group and no DistributedDataParallel "
    "(nanoGPT's train.py asks for them when RANK is set, as torchrun sets it: run it with "
    "python instead). To train on several processes or GPUs, move to PyTorch: "
    "micrograd.save(model.state_dict(), 'model.safetensors') here, then "
    "model.load_state_dict(safetensors.torch.load_file('model.safetensors')) there"
)


class DistributedDataParallel(Module):
    """``torch.nn.parallel.DistributedDataParallel``; making one raises (see the module)."""

    def __init__(self, module: Any, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(ONE_PROCESS)
