"""Character-level data sets, as makemore builds them: words in, (X, Y) rows of indices out.

A word becomes a row of token indices. Index 0 is a special token that marks both the start
and the end of a word; the characters of the vocabulary are 1, 2, ... in sorted order. For a
data set whose longest word has ``L`` characters every row has ``L + 1`` positions, and for
the word ``emma`` (``e=5, m=13, a=1``)::

    x = [0, 5, 13, 13, 1, 0, 0, ...]      <start> e m m a, then padding
    y = [5, 13, 13, 1, 0, -1, -1, ...]    e m m a <end>, then -1

so ``y[t]`` is the character that follows ``x[:t + 1]``, and -1 marks the positions that
``cross_entropy(..., ignore_index=-1)`` leaves out of the loss.

Any UTF-8 text file with one item per line works (:func:`read_words`); the names that
``micrograd makemore`` trains on by default ship with the package (:func:`micrograd.data.names`).
Random choices take a seed or a ``numpy.random.Generator``; nothing here touches a global
random state.

>>> train, test = create_datasets(["emma", "olivia", "ava", "isabella", "sophia"], seed=0)
>>> len(train), len(test), train.vocab_size, train.block_size
(4, 1, 12, 9)
>>> x, y = train.row("emma")
>>> x.tolist()
[0, 3, 7, 7, 1, 0, 0, 0, 0]
>>> y.tolist()
[3, 7, 7, 1, 0, -1, -1, -1, -1]
>>> train.decode(train.encode("sophia"))
'sophia'
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from micrograd._files import read_regular
from micrograd.tensors import Tensor

__all__ = ["MAX_WORDS_BYTES", "CharDataset", "create_datasets", "read_words", "split_sizes"]

MAX_WORDS_BYTES = 32 * 2**20
"""The largest words file :func:`read_words` reads: 150 times the shipped names, and as text
in Python already a few hundred MB."""

IGNORE = -1
"""The target at positions past a word's end: ``cross_entropy(..., ignore_index=-1)``."""


def read_words(path: str | os.PathLike[str], max_bytes: int = MAX_WORDS_BYTES) -> list[str]:
    """The non-empty lines of a UTF-8 text file, each stripped of surrounding white space.

    Raises OSError if the file cannot be read (missing, a folder, no permission) and
    ValueError, naming the file, if it is not a regular file (``/dev/zero``, a pipe), is
    larger than ``max_bytes``, is not UTF-8 text or holds no words.
    """
    raw = read_regular(path, max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"{os.fspath(path)} is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})"
        ) from None
    words = [line.strip() for line in text.splitlines()]
    words = [w for w in words if w]
    if not words:
        raise ValueError(f"{os.fspath(path)} has no words: it is empty or only blank lines")
    return words


def split_sizes(n_words: int) -> tuple[int, int]:
    """``(n_train, n_test)``: makemore's test split is 10% of the words, at most 1,000, and
    here at least one (makemore would leave nothing to train on below 10 words).

    >>> split_sizes(32033), split_sizes(5000), split_sizes(9)
    ((31033, 1000), (4500, 500), (8, 1))
    """
    n_test = max(1, min(1000, n_words // 10))
    return n_words - n_test, n_test


class CharDataset:
    """Words over a fixed vocabulary, encoded for a next-character model.

    ``chars`` is the vocabulary (each character once; index ``i + 1`` is ``chars[i]``) and
    ``max_word_length`` fixes the row length, ``block_size = max_word_length + 1``. The method
    names of makemore's ``CharDataset`` work too: ``get_vocab_size()``,
    ``get_output_length()``, ``contains``, ``encode``, ``decode``, ``ds[i] -> (x, y)``.
    """

    def __init__(self, words: Sequence[str], chars: Iterable[str], max_word_length: int) -> None:
        self.words = list(words)
        self.chars = "".join(chars)
        if len(set(self.chars)) != len(self.chars) or any(len(c) != 1 for c in self.chars):
            raise ValueError(f"chars must be distinct single characters, got {self.chars!r}")
        self.max_word_length = int(max_word_length)
        self.stoi = {ch: i + 1 for i, ch in enumerate(self.chars)}
        self.itos = {i: ch for ch, i in self.stoi.items()}
        self._members = frozenset(self.words)
        self.X, self.Y = self._encode_all()

    # --------------------------------------------------------------------- sizes
    def __len__(self) -> int:
        return len(self.words)

    @property
    def vocab_size(self) -> int:
        """Characters plus the special token 0."""
        return len(self.chars) + 1

    @property
    def block_size(self) -> int:
        """Positions per row: the start token and the longest word."""
        return self.max_word_length + 1

    def get_vocab_size(self) -> int:
        return self.vocab_size

    def get_output_length(self) -> int:
        return self.block_size

    # --------------------------------------------------------------------- words and indices
    def contains(self, word: str) -> bool:
        return word in self._members

    def encode(self, word: str) -> np.ndarray:
        """The indices of ``word``'s characters, (len(word),) int64; no start or end token."""
        try:
            return np.array([self.stoi[ch] for ch in word], dtype=np.int64)
        except KeyError as e:
            raise ValueError(
                f"{_quoted(word)} has the character {e.args[0]!r}, which is not in the vocabulary"
            ) from None

    def decode(self, ix: Iterable[int] | np.ndarray | Tensor) -> str:
        """The word spelled by indices ``1 .. vocab_size - 1`` (crop at the end token first)."""
        if isinstance(ix, Tensor):
            ix = ix.numpy()
        indices = [int(i) for i in np.asarray(ix).reshape(-1)]
        bad = [i for i in indices if i not in self.itos]
        if bad:
            raise ValueError(
                f"cannot decode index {bad[0]}: characters are 1..{len(self.chars)} "
                "(0 is the start/end token)"
            )
        return "".join(self.itos[i] for i in indices)

    def row(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` for one word: two (block_size,) int64 arrays, as the module shows."""
        ix = self.encode(word)
        if len(ix) > self.max_word_length:
            raise ValueError(
                f"{_quoted(word)} has {len(ix):,} characters, more than max_word_length "
                f"{self.max_word_length}"
            )
        x = np.zeros(self.block_size, dtype=np.int64)
        y = np.full(self.block_size, IGNORE, dtype=np.int64)
        x[1 : 1 + len(ix)] = ix
        y[: len(ix)] = ix
        y[len(ix)] = 0  # the end token
        return x, y

    def _encode_all(self) -> tuple[np.ndarray, np.ndarray]:
        """Every word's row at once: what :meth:`row` gives for each word, without a Python
        loop per word (the 32,033 names encode in milliseconds instead of a second)."""
        lengths = np.array([len(w) for w in self.words], dtype=np.int64)
        if len(lengths) and lengths.max() > self.max_word_length:
            self.row(self.words[int(lengths.argmax())])  # raises, naming the word
        # each character as its code point, then as its index through a sorted lookup
        codes = np.frombuffer("".join(self.words).encode("utf-32-le"), dtype=np.uint32)
        known = np.array([ord(ch) for ch in self.chars], dtype=np.uint32)
        order = np.argsort(known)
        where = np.minimum(np.searchsorted(known[order], codes), max(len(known) - 1, 0))
        found = known[order][where] == codes if len(known) else np.zeros(len(codes), bool)
        if not found.all():
            at = int(np.argmin(found))
            self.encode(self.words[int(np.searchsorted(np.cumsum(lengths), at, "right"))])
        ix = order[where] + 1
        rows = np.repeat(np.arange(len(self.words)), lengths)
        cols = np.arange(len(codes)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        X = np.zeros((len(self.words), self.block_size), dtype=np.int64)
        Y = np.full((len(self.words), self.block_size), IGNORE, dtype=np.int64)
        X[rows, cols + 1] = ix
        Y[rows, cols] = ix
        Y[np.arange(len(self.words)), lengths] = 0  # the end token
        return X, Y

    # --------------------------------------------------------------------- tensors
    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        """Row ``index`` as two (block_size,) int64 tensors, as makemore's dataset gives it."""
        return Tensor(self.X[index]), Tensor(self.Y[index])

    def batch(self, index: np.ndarray | Sequence[int]) -> tuple[Tensor, Tensor]:
        """The rows ``index`` as ``(X, Y)``, two (len(index), block_size) int64 tensors."""
        index = np.asarray(index, dtype=np.int64)
        return Tensor(self.X[index]), Tensor(self.Y[index])

    def random_batch(
        self, batch_size: int, rng: np.random.Generator | int | None = None
    ) -> tuple[Tensor, Tensor]:
        """``batch_size`` rows drawn uniformly with replacement, as makemore's training loader."""
        generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        return self.batch(generator.integers(0, len(self), size=batch_size))

    def batches(self, batch_size: int) -> Iterator[tuple[Tensor, Tensor]]:
        """Every row once, in order, ``batch_size`` at a time (the last batch may be smaller)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        for start in range(0, len(self), batch_size):
            yield self.batch(np.arange(start, min(start + batch_size, len(self))))

    def __repr__(self) -> str:
        return (
            f"CharDataset({len(self)} words, vocab_size={self.vocab_size}, "
            f"block_size={self.block_size})"
        )


def _quoted(word: str, shown: int = 40) -> str:
    """``word`` quoted for a message (its repr, so control characters show escaped), cut
    after ``shown`` characters: a line of a file may be a megabyte long."""
    return repr(word) if len(word) <= shown else f"{word[:shown]!r}..."


def create_datasets(
    words: Sequence[str],
    seed: int | None = 0,
    chars: Iterable[str] | None = None,
    max_word_length: int | None = None,
) -> tuple[CharDataset, CharDataset]:
    """Split ``words`` into a train and a test :class:`CharDataset`, as makemore does.

    The vocabulary (``chars``, by default every character of every word, sorted) and the row
    length (``max_word_length``, by default the longest word's) are shared by both; a saved
    model passes its own. The test set has ``split_sizes(len(words))[1]`` words chosen by a
    permutation drawn from ``numpy.random.default_rng(seed)``: the same seed, the same split.
    Needs at least two words.
    """
    words = list(words)
    if len(words) < 2:
        raise ValueError(f"need at least 2 words to split into train and test, got {len(words)}")
    bad = [w for w in words if not isinstance(w, str) or not w]
    if bad:
        raise ValueError(f"words must be non-empty strings, got {bad[0]!r}")
    vocabulary = sorted(set("".join(words))) if chars is None else list(chars)
    if max_word_length is None:
        max_word_length = max(len(w) for w in words)
    order = np.random.default_rng(seed).permutation(len(words))
    n_test = split_sizes(len(words))[1]
    train = CharDataset([words[i] for i in order[:-n_test]], vocabulary, max_word_length)
    test = CharDataset([words[i] for i in order[-n_test:]], vocabulary, max_word_length)
    return train, test
