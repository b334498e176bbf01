"""Samplers: which dataset indices a ``DataLoader`` reads, and in what order (PyTorch's
``torch.utils.data.sampler``).

A sampler is an iterable of indices (``SequentialSampler``, ``RandomSampler``) or of lists of
indices (``BatchSampler``, which groups another sampler's indices into batches).

Random orders come from micrograd's generators (``micrograd.Generator``, reseeded by
``micrograd.manual_seed``), which are NumPy's PCG64: a seeded sampler repeats its order run
after run, but it is not the order PyTorch's generator gives for the same seed.

>>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
>>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True))
[[0, 1, 2], [3, 4, 5], [6, 7, 8]]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sized
from typing import Generic, TypeVar

from micrograd.tensors.generator import Generator
from micrograd.tensors.random import randint, randperm

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler"]

T_co = TypeVar("T_co", covariant=True)

# RandomSampler(replacement=True) draws its indices this many at a time (as PyTorch does), so
# that num_samples=int(1e10) costs no more memory than 10.
_CHUNK = 32


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class Sampler(Generic[T_co]):
    """The base class of samplers: a subclass defines ``__iter__`` (the indices, in order) and
    usually ``__len__`` (how many), which ``len(DataLoader)`` needs."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError("Subclasses of Sampler should implement __iter__.")


class SequentialSampler(Sampler[int]):
    """The indices ``0 .. len(data_source) - 1`` in order, every time."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Random indices into ``data_source``: a fresh permutation per pass (``replacement=False``)
    or independent draws (``replacement=True``); ``num_samples`` of them (default: the
    dataset's length; a multiple of it without replacement makes several passes).

    Lazy: indices are drawn as they are asked for, so ``num_samples=int(1e10)`` (makemore's
    endless training stream) allocates nothing up front.

    Each ``iter()`` starts its own generator: ``generator`` if given (it goes on where the last
    pass left it), else one seeded by a number drawn from micrograd's default generator, so
    ``micrograd.manual_seed`` makes the order repeat run after run, however many other random
    numbers the training loop draws between batches (as in PyTorch; PCG64's numbers, though,
    not PyTorch's).

    >>> g = Generator().manual_seed(0)
    >>> sorted(RandomSampler(range(5), generator=g))
    [0, 1, 2, 3, 4]
    >>> len(RandomSampler(range(5), replacement=True, num_samples=int(1e10)))
    10000000000
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        if not _is_positive_int(self.num_samples):
            raise ValueError(
                "num_samples should be a positive integer value, "
                f"but got num_samples={self.num_samples}"
            )

    @property
    def num_samples(self) -> int:
        # read each time: the dataset may grow or shrink between passes
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            seed = randint(0, 2**63 - 1, (1,)).item()
            generator = Generator().manual_seed(seed)
        if self.replacement:
            full_chunks, rest = divmod(self.num_samples, _CHUNK)
            for size in itertools.chain(itertools.repeat(_CHUNK, full_chunks), [rest]):
                yield from randint(0, n, (size,), generator=generator).tolist()
        else:
            full_passes, rest = divmod(self.num_samples, n)
            for _ in range(full_passes):
                yield from randperm(n, generator=generator).tolist()
            if rest:
                yield from randperm(n, generator=generator).tolist()[:rest]

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Groups the indices of ``sampler`` (any iterable of indices) into lists of
    ``batch_size``; the last, shorter list is dropped if ``drop_last``."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not _is_positive_int(batch_size):
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch

    def __len__(self) -> int:
        # needs len(sampler): a sampler without one gives Python's TypeError, as in PyTorch
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
