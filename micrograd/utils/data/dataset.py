"""Datasets: what a ``DataLoader`` reads from (PyTorch's ``torch.utils.data.dataset``).

A dataset maps an index to one example: ``dataset[i]`` and ``len(dataset)``. Write your own by
subclassing ``Dataset``, or wrap tensors in ``TensorDataset``; ``random_split`` cuts one into
non-overlapping ``Subset``s.

>>> import micrograd
>>> data = TensorDataset(micrograd.arange(10), micrograd.arange(10) * 2)
>>> x, y = data[3]
>>> x.item(), y.item(), len(data)
(3, 6, 10)
>>> train, test = random_split(data, [0.8, 0.2], generator=micrograd.Generator().manual_seed(0))
>>> len(train), len(test)
(8, 2)
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from micrograd.tensors import Tensor
from micrograd.tensors.generator import Generator
from micrograd.tensors.random import randperm

__all__ = ["Dataset", "Subset", "TensorDataset", "random_split"]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """The base class of map-style datasets: a subclass defines ``__getitem__(index)`` (one
    example) and ``__len__`` (how many), which the default samplers need. It may also define
    ``__getitems__(indices)``, returning a list of examples, to read a batch at once."""

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Example ``i`` is ``(t[i] for t in tensors)``: the tensors are indexed along their first
    dimension, which must have the same size in all of them."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = [t.size(0) for t in tensors]
        if len(set(sizes)) != 1:
            raise ValueError(
                f"Size mismatch between tensors: their first dimensions are {sizes}; "
                "TensorDataset needs them equal"
            )
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)


class Subset(Dataset[T_co]):
    """The examples of ``dataset`` at ``indices``: ``subset[i]`` is
    ``dataset[indices[i]]``."""

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: int | list[int]) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(
    dataset: Dataset[T_co],
    lengths: Sequence[int | float],
    generator: Generator | None = None,
) -> list[Subset[T_co]]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given ``lengths``.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1: then each
    split gets ``floor(fraction * len(dataset))`` and what is left over is handed out one at a
    time, first split first (as PyTorch). The order comes from a permutation drawn from
    ``generator`` (default: micrograd's default generator).
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        counts = [math.floor(n * fraction) for fraction in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=2,
                )
        lengths = counts
    for i, length in enumerate(lengths):
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise ValueError(
                f"random_split(): length at index {i} must be a non-negative int "
                f"(or all lengths fractions summing to 1), got {length!r}"
            )
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = randperm(n, generator=generator).tolist()
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, order[end - length : end]) for end, length in zip(ends, lengths)]
