"""micrograd.utils.data against torch.utils.data: the way makemore.py uses it (a Dataset of
words, an endless RandomSampler, an evaluation loader with shuffle=True), then collate types,
lengths, orders, random_split and the errors for bad arguments, each compared with PyTorch."""

import collections
import itertools
import tracemalloc

import numpy as np
import pytest
import torch
import torch.utils.data as torch_data
from hypothesis import given
from hypothesis import strategies as st

import micrograd
import micrograd.utils.data as mg_data
from micrograd.data import names
from micrograd.utils.data import (
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
    random_split,
)
from micrograd.utils.data.dataloader import DataLoader as DataLoaderFromSubmodule

WORDS = names()[:200]
NO_PINNING = "'pin_memory' argument is set as true but no accelerator is found"


class CharDataset(Dataset):
    """Words as makemore feeds them: x is <start> + the word's characters, y the word then
    <stop>, both padded to the longest word + 1; -1 marks where the loss is masked."""

    def __init__(self, words, lib=micrograd):
        self.words = words
        self.lib = lib
        self.stoi = {ch: i + 1 for i, ch in enumerate(sorted(set("".join(words))))}
        self.max_word_length = max(len(w) for w in words)

    def __len__(self):
        return len(self.words)

    def __getitem__(self, idx):
        lib = self.lib
        ix = lib.tensor([self.stoi[c] for c in self.words[idx]], dtype=lib.long)
        x = lib.zeros(self.max_word_length + 1, dtype=lib.long)
        y = lib.zeros(self.max_word_length + 1, dtype=lib.long)
        x[1 : 1 + len(ix)] = ix
        y[: len(ix)] = ix
        y[len(ix) + 1 :] = -1
        return x, y


def as_lists(batch):
    """A batch as nested Python lists, to compare batches by value."""
    return [t.tolist() for t in batch]


# ---------------------------------------------------------------- makemore's use


def test_import_paths_are_pytorchs():
    assert micrograd.utils.data.DataLoader is DataLoader is DataLoaderFromSubmodule
    assert micrograd.utils.data.dataset.Dataset is Dataset
    assert micrograd.utils.data.sampler.RandomSampler is RandomSampler


def test_makemore_training_loader_gives_word_batches():
    dataset = CharDataset(WORDS)
    sampler = RandomSampler(dataset, replacement=True, num_samples=int(1e10))
    loader = DataLoader(dataset, batch_size=32, pin_memory=True, num_workers=4, sampler=sampler)
    assert len(loader) == len(DataLoader(range(int(1e10)), batch_size=32)) == 312_500_000
    with pytest.warns(UserWarning, match=NO_PINNING):
        data_iter = iter(loader)
    for _ in range(3):
        batch = next(data_iter)
        assert isinstance(batch, list) and len(batch) == 2  # PyTorch gives a list for tuples
        X, Y = batch
        assert X.shape == Y.shape == (32, dataset.max_word_length + 1)
        assert X.dtype == Y.dtype == micrograd.int64
        for x, y in zip(X.tolist(), Y.tolist()):  # x is <start> + y, where y is not masked
            assert x[0] == 0
            assert all(a == b or b == -1 for a, b in zip(x[1:], y[:-1]))


def test_the_same_batches_as_pytorch_gives_in_types_and_shapes():
    def first_batch(lib, data):
        dataset = CharDataset(WORDS, lib)
        sampler = data.RandomSampler(dataset, replacement=True, num_samples=int(1e10))
        return next(iter(data.DataLoader(dataset, batch_size=8, sampler=sampler)))

    ours, theirs = first_batch(micrograd, mg_data), first_batch(torch, torch_data)
    assert type(ours) is type(theirs) is list
    for a, b in zip(ours, theirs):
        assert tuple(a.shape) == tuple(b.shape)
        assert str(a.dtype) == str(b.dtype).removeprefix("torch.")


def test_num_workers_and_pin_memory_do_not_change_the_batches():
    dataset = CharDataset(WORDS)

    def batches(**options):
        g = micrograd.Generator().manual_seed(3407)
        sampler = RandomSampler(dataset, replacement=True, num_samples=int(1e10), generator=g)
        loader = DataLoader(dataset, batch_size=16, sampler=sampler, **options)
        return [as_lists(b) for b in itertools.islice(loader, 4)]

    with pytest.warns(UserWarning, match=NO_PINNING):
        assert batches() == batches(num_workers=4, pin_memory=True) == batches(num_workers=2)


def test_manual_seed_repeats_the_batches():
    dataset = CharDataset(WORDS)

    def batches():
        micrograd.manual_seed(3407)
        sampler = RandomSampler(dataset, replacement=True, num_samples=int(1e10))
        return [as_lists(b) for b in itertools.islice(DataLoader(dataset, 8, sampler=sampler), 3)]

    first = batches()
    assert first == batches()
    micrograd.manual_seed(3408)
    sampler = RandomSampler(dataset, replacement=True, num_samples=int(1e10))
    assert as_lists(next(iter(DataLoader(dataset, 8, sampler=sampler)))) != first[0]


def test_an_endless_sampler_allocates_nothing_up_front():
    sampler = RandomSampler(range(1000), replacement=True, num_samples=int(1e10))
    tracemalloc.start()
    try:
        drawn = list(itertools.islice(sampler, 1000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # 1e10 int64 indices would be 80 GB
    assert all(0 <= i < 1000 for i in drawn) and len(set(drawn)) > 500


def test_makemore_evaluation_loader_covers_the_dataset_once():
    dataset = CharDataset(WORDS)
    loader = DataLoader(dataset, shuffle=True, batch_size=64, num_workers=0)
    assert len(loader) == 4
    seen = []
    for X, _ in loader:  # the words come back in some order: match rows to words
        seen += [tuple(row) for row in X.tolist()]
    assert [len(b) for b in torch_data.DataLoader(range(200), batch_size=64)] == [64, 64, 64, 8]
    assert sorted(seen) == sorted(tuple(dataset[i][0].tolist()) for i in range(len(dataset)))
    first_pass = [as_lists(b) for b in loader]
    assert first_pass != [as_lists(b) for b in loader]  # each pass is a new order


def test_evaluation_stops_after_max_batches_as_makemore_does():
    loader = DataLoader(CharDataset(WORDS), shuffle=True, batch_size=10)
    losses = []
    for i, (X, Y) in enumerate(loader):
        losses.append(float((X != Y).float().mean().item()))
        if i >= 3:
            break
    assert len(losses) == 4


def test_an_infinite_loader_restarts_the_pass_on_stop_iteration():
    # the other version of makemore wraps its loader so next() never runs out
    loader = DataLoader(TensorDataset(micrograd.arange(5)), batch_size=2)
    data_iter = iter(loader)
    seen = []
    for _ in range(5):
        try:
            batch = next(data_iter)
        except StopIteration:
            data_iter = iter(loader)
            batch = next(data_iter)
        seen.append(batch[0].tolist())
    assert seen == [[0, 1], [2, 3], [4], [0, 1], [2, 3]]
    assert len(iter(loader)) == 3


# ---------------------------------------------------------------- collate, against PyTorch

Point = collections.namedtuple("Point", ["x", "y"])


def batches(lib):
    """Batches of examples, one per kind, made with ``lib`` (micrograd or torch)."""
    f32 = np.float32
    return {
        "ints": [1, 2, 3],
        "floats": [0.5, 1.5],
        "bools": [True, False],
        "ints then floats": [1, 2.5],
        "numpy float32 arrays": [np.ones(3, f32), np.zeros(3, f32)],
        "numpy int32 arrays": [np.arange(4, dtype=np.int32).reshape(2, 2)] * 3,
        "numpy float32 scalars": [f32(1), f32(2)],
        "numpy float64 scalars": [np.float64(1), np.float64(2)],
        "numpy int16 scalars": [np.int16(1), np.int16(2)],
        "numpy bool scalars": [np.bool_(True), np.bool_(False)],
        "float32 tensors": [lib.ones(2, 3, dtype=lib.float32), lib.zeros(2, 3, dtype=lib.float32)],
        "int64 tensors": [lib.tensor([1, 2]), lib.tensor([3, 4])],
        "0-d tensors": [lib.tensor(1.0, dtype=lib.float64), lib.tensor(2.0, dtype=lib.float64)],
        "tuples": [(lib.tensor([1, 2]), 0), (lib.tensor([3, 4]), 1)],
        "lists": [[1, 0.5, "a"], [2, 1.5, "b"]],
        "dicts": [{"x": lib.tensor([1.0]), "label": 3}, {"x": lib.tensor([2.0]), "label": 4}],
        "ordered dicts": [collections.OrderedDict(a=1, b=2.0)] * 2,
        "named tuples": [Point(1, np.zeros(2, f32)), Point(2, np.ones(2, f32))],
        "strings": ["emma", "olivia"],
        "bytes": [b"a", b"b"],
        "nested": [{"pair": (1, [2.0, 3.0])}, {"pair": (4, [5.0, 6.0])}],
    }


KINDS = list(batches(micrograd))


def assert_same_structure(ours, theirs, where="batch"):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, micrograd.Tensor), where
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), where
        assert tuple(ours.shape) == tuple(theirs.shape), where
        assert ours.tolist() == theirs.tolist(), where
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs), where
        for key in theirs:
            assert_same_structure(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same_structure(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs and type(ours) is type(theirs), where


@pytest.fixture
def torch_default_dtype_as_ours():
    """PyTorch's default dtype set to micrograd's, where a batch's dtype is the default one."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, str(micrograd.get_default_dtype())))
    yield
    torch.set_default_dtype(before)


@pytest.mark.parametrize("kind", KINDS)
def test_default_collate_gives_pytorchs_types(kind, torch_default_dtype_as_ours):
    ours = mg_data.default_collate(batches(micrograd)[kind])
    theirs = torch_data.default_collate(batches(torch)[kind])
    assert_same_structure(ours, theirs)


def test_python_floats_collate_to_float64_whatever_the_default_dtype():
    before = micrograd.get_default_dtype()
    micrograd.set_default_dtype(micrograd.float32)
    try:
        assert mg_data.default_collate([0.5, 1.5]).dtype == micrograd.float64
        assert mg_data.default_collate([1, 2.5]).dtype == micrograd.float32
    finally:
        micrograd.set_default_dtype(before)
    assert torch_data.default_collate([0.5, 1.5]).dtype == torch.float64


@pytest.mark.parametrize(
    "batch",
    [[object(), object()], [np.array(["a"]), np.array(["b"])], [[1, 2], [3]], [None, None]],
    ids=["objects", "string arrays", "unequal lists", "None"],
)
def test_default_collate_refuses_what_pytorch_refuses(batch):
    with pytest.raises(Exception) as theirs:
        torch_data.default_collate(batch)
    with pytest.raises(type(theirs.value)) as ours:
        mg_data.default_collate(batch)
    assert str(ours.value) == str(theirs.value)


def test_default_convert_is_used_without_batches():
    data = [(np.arange(3), 1.5, "a"), (np.arange(3) + 1, 2.5, "b")]
    ours = list(DataLoader(data, batch_size=None))
    theirs = list(torch_data.DataLoader(data, batch_size=None))
    assert len(ours) == len(theirs) == len(DataLoader(data, batch_size=None)) == 2
    for a, b in zip(ours, theirs):
        assert_same_structure(a, b)


def test_collate_fn_and_getitems_are_used():
    class Batched(Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            raise AssertionError("__getitems__ should have been used")

        def __getitems__(self, indices):
            return [i * 10 for i in indices]

    loader = DataLoader(Batched(), batch_size=4, collate_fn=lambda xs: sum(xs))
    assert list(loader) == [60, 220, 170]


# ---------------------------------------------------------------- orders and lengths


@given(
    n=st.integers(1, 40),
    batch_size=st.integers(1, 12),
    drop_last=st.booleans(),
    shuffle=st.booleans(),
)
def test_batches_partition_the_dataset_and_len_is_pytorchs(n, batch_size, drop_last, shuffle):
    ours = DataLoader(range(n), batch_size=batch_size, drop_last=drop_last, shuffle=shuffle)
    theirs = torch_data.DataLoader(range(n), batch_size, drop_last=drop_last, shuffle=shuffle)
    batches = [b.tolist() for b in ours]
    assert len(ours) == len(theirs) == len(batches)
    assert [len(b) for b in batches] == [len(b) for b in theirs]
    indices = [i for b in batches for i in b]
    assert len(indices) == len(set(indices))
    if not drop_last:
        assert sorted(indices) == list(range(n))
    if not shuffle:
        assert batches == [b.tolist() for b in theirs]


def test_sequential_sampler_and_batch_sampler_match_pytorch():
    assert list(SequentialSampler(range(7))) == list(torch_data.SequentialSampler(range(7)))
    for drop_last in (False, True):
        ours = mg_data.BatchSampler(SequentialSampler(range(10)), 3, drop_last)
        theirs = torch_data.BatchSampler(torch_data.SequentialSampler(range(10)), 3, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_a_batch_sampler_gives_the_batches():
    batches = [[0, 4], [1, 2, 3]]
    ours = DataLoader(TensorDataset(micrograd.arange(5) * 10), batch_sampler=batches)
    assert [b[0].tolist() for b in ours] == [[0, 40], [10, 20, 30]] and len(ours) == 2


@pytest.mark.parametrize("num_samples", [3, 10, 23])
def test_random_sampler_without_replacement_makes_whole_passes(num_samples):
    g = micrograd.Generator().manual_seed(0)
    drawn = list(RandomSampler(range(10), num_samples=num_samples, generator=g))
    assert len(drawn) == num_samples == len(RandomSampler(range(10), num_samples=num_samples))
    for start in range(0, num_samples - 9, 10):  # every full pass is a permutation
        assert sorted(drawn[start : start + 10]) == list(range(10))
    assert len(set(drawn[num_samples - num_samples % 10 :])) == num_samples % 10


def test_a_given_generator_goes_on_and_its_seed_repeats():
    g = micrograd.Generator().manual_seed(1)
    sampler = RandomSampler(range(50), generator=g)
    first, second = list(sampler), list(sampler)
    assert first != second
    g.manual_seed(1)
    assert list(sampler) == first


def test_replacement_draws_repeat_indices():
    g = micrograd.Generator().manual_seed(0)
    drawn = list(RandomSampler(range(5), replacement=True, num_samples=100, generator=g))
    assert len(drawn) == 100 and set(drawn) == set(range(5))


# ---------------------------------------------------------------- datasets and random_split


def test_tensor_dataset_and_subset():
    xs, ys = micrograd.arange(12).view(6, 2), micrograd.arange(6) * 1.5
    dataset = TensorDataset(xs, ys)
    assert len(dataset) == 6
    x, y = dataset[2]
    assert x.tolist() == [4, 5] and y.item() == 3.0
    subset = mg_data.Subset(dataset, [5, 0])
    assert len(subset) == 2 and subset[0][0].tolist() == [10, 11]
    X, Y = next(iter(DataLoader(subset, batch_size=2)))
    assert X.tolist() == [[10, 11], [0, 1]] and Y.tolist() == [7.5, 0.0]


def test_tensor_dataset_refuses_tensors_of_different_lengths():
    with pytest.raises(ValueError, match=r"Size mismatch between tensors.*\[3, 4\]"):
        TensorDataset(micrograd.zeros(3), micrograd.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


@pytest.mark.parametrize(
    "n, lengths",
    [(10, [3, 7]), (10, [0.3, 0.7]), (30, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [1 / 3] * 3)],
)
def test_random_split_sizes_match_pytorch_and_the_splits_are_disjoint(n, lengths):
    ours = random_split(range(n), lengths, generator=micrograd.Generator().manual_seed(0))
    theirs = torch_data.random_split(range(n), lengths, generator=torch.Generator())
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    together = [i for s in ours for i in s]
    assert sorted(together) == list(range(n))
    again = random_split(range(n), lengths, generator=micrograd.Generator().manual_seed(0))
    assert [list(s) for s in again] == [list(s) for s in ours]


def test_random_split_uses_the_default_generator():
    micrograd.manual_seed(5)
    first = [list(s) for s in random_split(range(20), [15, 5])]
    micrograd.manual_seed(5)
    assert [list(s) for s in random_split(range(20), [15, 5])] == first


def test_random_split_warns_of_an_empty_split_as_pytorch():
    with pytest.warns(UserWarning) as theirs:
        torch_data.random_split(range(2), [0.9, 0.05, 0.05])
    with pytest.warns(UserWarning) as ours:
        sizes = [len(s) for s in random_split(range(2), [0.9, 0.05, 0.05])]
    assert sizes == [2, 0, 0]
    assert "Length of split at index 1 is 0" in str(theirs[0].message)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


# ---------------------------------------------------------------- bad arguments, as PyTorch


BAD = {
    "batch_size=0": lambda d: d.DataLoader(range(5), batch_size=0),
    "batch_size=-1": lambda d: d.DataLoader(range(5), batch_size=-1),
    "batch_size=2.0": lambda d: d.DataLoader(range(5), batch_size=2.0),
    "drop_last=1": lambda d: d.DataLoader(range(5), drop_last=1),
    "num_workers=-1": lambda d: d.DataLoader(range(5), num_workers=-1),
    "shuffle and sampler": lambda d: d.DataLoader(range(5), shuffle=True, sampler=[0, 1]),
    "batch_sampler and batch_size": lambda d: d.DataLoader(
        range(5), batch_size=2, batch_sampler=[[0]]
    ),
    "batch_sampler and drop_last": lambda d: d.DataLoader(
        range(5), drop_last=True, batch_sampler=[[0]]
    ),
    "batch_size=None and drop_last": lambda d: d.DataLoader(
        range(5), batch_size=None, drop_last=True
    ),
    "num_samples=0": lambda d: d.RandomSampler(range(5), num_samples=0),
    "num_samples=2.0": lambda d: d.RandomSampler(range(5), num_samples=2.0),
    "replacement=1": lambda d: d.RandomSampler(range(5), replacement=1),
    "an empty dataset to sample": lambda d: d.RandomSampler([]),
    "lengths not summing to the length": lambda d: d.random_split(range(5), [2, 2]),
    "a fraction above 1": lambda d: d.random_split(range(5), [1.5, -0.5]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_arguments_get_pytorchs_error(case):
    with pytest.raises(Exception) as theirs:
        BAD[case](torch_data)
    with pytest.raises(type(theirs.value)) as ours:
        BAD[case](mg_data)
    assert str(ours.value) == str(theirs.value)


def test_bad_arguments_pytorch_takes_without_a_word():
    with pytest.raises(TypeError, match="num_workers should be an int, got float"):
        DataLoader(range(5), num_workers=2.0)
    with pytest.raises(ValueError, match="length at index 1 must be a non-negative int"):
        random_split(range(5), [6, -1])
