"""What ``micrograd makemore`` does with a model besides training it: the batches it draws,
the rows it evaluates, the loss over them, and the words it samples, sorted as makemore sorts
them ("in train", "in test", "new")."""

from __future__ import annotations

import numpy as np

import micrograd
from micrograd import chardata
from micrograd.cli.usage import MAKEMORE_SEED_MAX
from micrograd.models import generate
from micrograd.nn import Module

EVAL_BATCH = 500  # rows per forward pass when evaluating


def batch_generator(seed: int, step: int) -> np.random.Generator:
    """What draws the training batches after ``step`` steps (a resumed run draws other
    batches than the steps before it did)."""
    return np.random.default_rng([seed, step])


def sampling_seed(seed: int, step: int) -> int:
    """The seed of the samples drawn after ``step`` steps: ``seed + step``, wrapped to stay
    a seed (below 2**64) whatever the seed and step."""
    return (seed + step) % (MAKEMORE_SEED_MAX + 1)


def evaluation_rows(
    train: chardata.CharDataset, test: chardata.CharDataset, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The rows evaluated: the whole test set, and a fixed sample of as many training words."""
    n = min(len(train), len(test))
    return np.sort(np.random.default_rng(seed).permutation(len(train))[:n]), np.arange(len(test))


@micrograd.no_grad()
def evaluate(model: Module, dataset: chardata.CharDataset, rows: np.ndarray) -> float:
    """The mean loss per predicted character over ``rows`` of ``dataset`` (padding left out)."""
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(rows), EVAL_BATCH):
        index = rows[start : start + EVAL_BATCH]
        X, Y = dataset.batch(index)
        _, loss = model(X, Y)
        n = int(np.count_nonzero(dataset.Y[index] != chardata.IGNORE))
        total += loss.item() * n
        count += n
    model.train()
    return total / count


@micrograd.no_grad()
def sample_words(
    model: Module,
    train: chardata.CharDataset,
    test: chardata.CharDataset,
    num: int,
    *,
    top_k: int | None,
    temperature: float,
    generator: micrograd.Generator,
) -> dict[str, list[str]]:
    """``num`` words sampled from ``model``, sorted as makemore sorts them."""
    found: dict[str, list[str]] = {"in train": [], "in test": [], "new": []}
    if num == 0:
        return found
    model.eval()
    start = micrograd.zeros(num, 1, dtype=micrograd.long)
    rows = generate(
        model,
        start,
        train.block_size - 1,
        temperature=temperature,
        do_sample=True,
        top_k=top_k,
        generator=generator,
    )
    model.train()
    for row in rows[:, 1:].tolist():  # after the start token
        word = train.decode(row[: row.index(0)] if 0 in row else row)  # up to the end token
        kind = "in train" if train.contains(word) else "in test" if test.contains(word) else "new"
        found[kind].append(word)
    return found
