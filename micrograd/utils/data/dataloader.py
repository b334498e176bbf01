"""``DataLoader``: batches from a dataset, as PyTorch's ``torch.utils.data.DataLoader``.

A loader asks its sampler for indices, reads those examples from the dataset and collates
them into a batch (``default_collate`` unless ``collate_fn``)::

    loader = DataLoader(dataset, batch_size=32, shuffle=True)
    for x, y in loader:     # one pass over the dataset, in a fresh random order
        ...

Workers: micrograd makes every batch in the calling process, one after another, whatever
``num_workers`` is. ``num_workers`` is accepted (so PyTorch code runs unchanged) but starts no
processes: PyTorch's workers exist to overlap loading with GPU compute, and on a CPU they would
compete with the training step for the same cores. So the batches are the same for any
``num_workers``, a dataset need not be picklable, and its ``__getitem__`` runs in your process
(random numbers it draws come from your generators, not a worker's). ``pin_memory`` is accepted
too; with no GPU there is nothing to pin, and iterating warns so, as PyTorch does on a machine
without one. PyTorch's other worker options (``timeout``, ``worker_init_fn``,
``multiprocessing_context``, ``prefetch_factor``, ``persistent_workers``, ...) are not taken, so
``generator``, which PyTorch takes after them, is a keyword here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from micrograd.tensors.generator import Generator
from micrograd.utils.data._collate import default_collate, default_convert
from micrograd.utils.data.dataset import Dataset
from micrograd.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert"]

_NO_PINNING = (
    "'pin_memory' argument is set as true but no accelerator is found, "
    "then device pinned memory won't be used."
)


class DataLoader:
    """Iterates over ``dataset`` in batches.

    - ``batch_size`` examples per batch (``None``: single examples, not collated but passed
      through ``default_convert``); the last batch is shorter unless ``drop_last``.
    - Order: ``shuffle=True`` draws a new random order each pass (a ``RandomSampler`` using
      ``generator``); ``sampler`` gives your own order of indices; ``batch_sampler`` gives
      whole batches of indices (then leave ``batch_size``, ``shuffle``, ``sampler`` and
      ``drop_last`` at their defaults). Default: the dataset's order.
    - ``collate_fn`` turns a list of examples into a batch (default: ``default_collate``).
    - ``num_workers``, ``pin_memory``: accepted; batches are made in this process (see the
      module's docstring).

    ``len(loader)`` is the number of batches (of indices, with ``batch_size=None``).

    >>> loader = DataLoader(list(range(10)), batch_size=4)
    >>> [batch.tolist() for batch in loader], len(loader)
    ([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]], 3)
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler[list] | Iterable[list] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        *,
        generator: Generator | None = None,
    ) -> None:
        if not isinstance(num_workers, int) or isinstance(num_workers, bool):
            raise TypeError(f"num_workers should be an int, got {type(num_workers).__name__}")
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; "
                "use num_workers=0 to disable multiprocessing."
            )
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive "
                "with drop_last"
            )
        if sampler is None and shuffle:
            sampler = RandomSampler(dataset, generator=generator)
        elif sampler is None:
            sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn

    def _indices(self) -> Sampler | Iterable:
        """What the loader iterates: batches of indices, or single indices without batching."""
        return self.sampler if self.batch_sampler is None else self.batch_sampler

    def __iter__(self) -> Iterator[Any]:
        if self.pin_memory:
            warnings.warn(_NO_PINNING, stacklevel=2)
        return _Batches(self)

    def __len__(self) -> int:
        return len(self._indices())


class _Batches:
    """One pass over a loader: ``next()`` gives the next batch (what ``iter(loader)`` is)."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._indices = iter(loader._indices())

    def __iter__(self) -> _Batches:
        return self

    def __next__(self) -> Any:
        index = next(self._indices)  # StopIteration ends the pass
        loader = self._loader
        dataset = loader.dataset
        if loader.batch_sampler is None:
            return loader.collate_fn(dataset[index])
        if hasattr(dataset, "__getitems__"):
            return loader.collate_fn(dataset.__getitems__(index))
        return loader.collate_fn([dataset[i] for i in index])

    def __len__(self) -> int:
        return len(self._loader)
