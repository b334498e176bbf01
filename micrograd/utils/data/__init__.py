"""``micrograd.utils.data``: datasets, samplers and ``DataLoader``, as PyTorch's
``torch.utils.data`` (its submodules spelled the same: ``dataset``, ``sampler``,
``dataloader``), so ``from torch.utils.data.dataloader import DataLoader`` becomes
``from micrograd.utils.data.dataloader import DataLoader``.

Batches are made in the calling process whatever ``num_workers`` is (``dataloader``'s docstring
says why); random orders come from micrograd's generators (NumPy's PCG64), so
``micrograd.manual_seed`` repeats them run after run, though not PyTorch's for the same seed.
"""

from micrograd.utils.data.dataloader import DataLoader, default_collate, default_convert
from micrograd.utils.data.dataset import Dataset, Subset, TensorDataset, random_split
from micrograd.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = [
    "BatchSampler",
    "DataLoader",
    "Dataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "TensorDataset",
    "default_collate",
    "default_convert",
    "random_split",
]
