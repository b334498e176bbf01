"""Data sets to train on: 2-D toys, scikit-learn's 8x8 digits, and a minibatch iterator.

Every data set comes from scikit-learn (nothing is re-implemented) and every function that
draws random numbers takes a ``seed``, so the same call gives the same arrays: nothing here
reads or changes NumPy's or Python's global random state.

Labels are class indices ``0 .. k-1`` (int64) everywhere. The original demo's max-margin
loss wants ``-1/+1`` instead; :func:`signs` converts.

>>> X, y = moons(n_samples=100, noise=0.1, seed=1337)
>>> X.shape, y.shape, sorted(set(y.tolist()))
((100, 2), (100,), [0, 1])
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split

from micrograd import _validate

__all__ = [
    "TOYS",
    "blobs",
    "circles",
    "digits",
    "minibatches",
    "moons",
    "signs",
    "split",
]

Arrays = tuple[np.ndarray, np.ndarray]
Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _seed(seed: int | None) -> int:
    """A seed for scikit-learn (0 to 2**32 - 1); for None a fresh one from the OS, so that
    scikit-learn never falls back on (and advances) NumPy's global random state."""
    if seed is None:
        return int(np.random.default_rng().integers(2**32))
    return _validate.integer("seed", seed, minimum=0, maximum=_validate.SEED_MAX)


def _labels(y: np.ndarray) -> np.ndarray:
    return np.asarray(y, dtype=np.int64)


def moons(n_samples: int = 100, noise: float = 0.1, seed: int | None = None) -> Arrays:
    """Two interleaving half circles: ``X`` (n_samples, 2) float64, ``y`` (n_samples,) in {0, 1}.

    ``moons(100, 0.1, seed=1337)`` is exactly the original demo's data, which called
    ``np.random.seed(1337)`` and then ``make_moons(n_samples=100, noise=0.1)``.
    """
    _validate.integer("n_samples", n_samples, minimum=2)
    noise = _validate.non_negative("noise", noise)
    X, y = datasets.make_moons(n_samples=n_samples, noise=noise, random_state=_seed(seed))
    return X, _labels(y)


def circles(
    n_samples: int = 100, noise: float = 0.1, factor: float = 0.5, seed: int | None = None
) -> Arrays:
    """A small circle inside a large one: ``y`` is 1 for the inner circle, 0 for the outer.

    ``factor`` is the inner radius relative to the outer one (between 0 and 1).
    """
    _validate.integer("n_samples", n_samples, minimum=2)
    noise = _validate.non_negative("noise", noise)
    factor = _validate.real("factor", factor)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be between 0 and 1, got {factor!r}")
    X, y = datasets.make_circles(
        n_samples=n_samples, noise=noise, factor=factor, random_state=_seed(seed)
    )
    return X, _labels(y)


def blobs(
    n_samples: int = 100, centers: int = 3, cluster_std: float = 1.0, seed: int | None = None
) -> Arrays:
    """``centers`` Gaussian clusters in 2-D: ``y`` in {0 .. centers-1}."""
    _validate.integer("n_samples", n_samples, minimum=2)
    centers = _validate.integer("centers", centers, minimum=2)
    cluster_std = _validate.non_negative("cluster_std", cluster_std)
    X, y = datasets.make_blobs(
        n_samples=n_samples,
        n_features=2,
        centers=centers,
        cluster_std=cluster_std,
        random_state=_seed(seed),
    )
    return X, _labels(y)


def digits(test_fraction: float = 0.2, seed: int = 0) -> Split:
    """scikit-learn's 8x8 handwritten digits, scaled to [0, 1], split into train and test.

    Returns ``(X_train, X_test, y_train, y_test)`` as ``train_test_split`` does: ``X`` rows are
    the 64 pixels (float64), ``y`` the digit 0..9. The split is stratified (every digit in the
    same proportion on both sides) and depends only on ``seed``. The 1,797 images ship with
    scikit-learn; nothing is downloaded.

    >>> X_train, X_test, y_train, y_test = digits()
    >>> X_train.shape, X_test.shape, float(X_train.max())
    ((1437, 64), (360, 64), 1.0)
    """
    bunch = datasets.load_digits()
    X = bunch.data / 16.0  # pixel intensities are 0..16
    return split(X, bunch.target, test_fraction=test_fraction, seed=seed)


def split(X: np.ndarray, y: np.ndarray, test_fraction: float = 0.25, seed: int | None = 0) -> Split:
    """A stratified train/test split: ``(X_train, X_test, y_train, y_test)``.

    The test side gets ``ceil(test_fraction * n)`` rows, as scikit-learn counts them, but at
    least one of each class, which stratifying needs (8 points of 3 blobs: 3 test, 5 train).
    Data too small to put every class on both sides is a ValueError saying so.
    """
    test_fraction = _validate.real("test_fraction", test_fraction)
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction!r}")
    labels = _labels(y)
    classes, counts = np.unique(labels, return_counts=True)
    n = len(labels)
    n_test = max(math.ceil(test_fraction * n), len(classes))
    if n - n_test < len(classes) or counts.min(initial=2) < 2:
        raise ValueError(
            f"cannot split {n} rows of {len(classes)} classes so that every class is on both "
            f"sides (each class needs 2 rows or more; the fewest has {counts.min(initial=0)})"
        )
    X_train, X_test, y_train, y_test = train_test_split(
        X, labels, test_size=n_test, random_state=_seed(seed), stratify=labels
    )
    return X_train, X_test, y_train, y_test


def signs(y: np.ndarray) -> np.ndarray:
    """Binary labels {0, 1} as the max-margin loss wants them, {-1, +1} (float64)."""
    y = np.asarray(y)
    if y.size and not np.isin(y, (0, 1)).all():
        raise ValueError("signs() needs binary labels 0 and 1")
    return y * 2.0 - 1.0


def minibatches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int | None = None,
    *,
    shuffle: bool = True,
    drop_last: bool = False,
    rng: np.random.Generator | int | None = None,
) -> Iterator[Arrays]:
    """One pass over ``(X, y)`` in batches of ``batch_size`` rows (all rows when None).

    With ``shuffle`` the order is a permutation drawn from ``rng`` (a ``numpy.random.Generator``,
    or a seed for a new one); pass the same Generator every epoch to get a new order each
    epoch that is still reproducible. ``drop_last`` skips a final batch smaller than the rest.

    >>> X = np.arange(10.0).reshape(5, 2); y = np.arange(5)
    >>> [yb.tolist() for _, yb in minibatches(X, y, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    >>> [yb.tolist() for _, yb in minibatches(X, y, 2, shuffle=False, drop_last=True)]
    [[0, 1], [2, 3]]
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y differ in length: {len(X)} rows and {len(y)} labels")
    n = len(X)
    size = max(n, 1) if batch_size is None else _validate.positive_int("batch_size", batch_size)
    if shuffle:
        generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        order = generator.permutation(n)
    else:
        order = np.arange(n)
    stop = n - n % size if drop_last else n
    for start in range(0, stop, size):
        index = order[start : start + size]
        yield X[index], y[index]


TOYS = {"moons": moons, "circles": circles, "blobs": blobs}
"""The 2-D data sets by name, each called as ``f(n_samples=..., seed=...)``."""


# --------------------------------------------------------------------- words (makemore)


def names() -> list[str]:
    """The 32,033 first names makemore trains on, one string each, in the file's order.

    The most common names given in the USA in 2018 (the Social Security Administration's
    public baby-name data), as collected in karpathy/makemore (MIT licence); the file ships
    inside the package as ``micrograd/datasets/names.txt``. :mod:`micrograd.chardata` turns
    words into training rows.

    >>> words = names()
    >>> len(words), words[:3]
    (32033, ['emma', 'olivia', 'ava'])
    """
    from importlib import resources

    text = (resources.files("micrograd") / "datasets" / "names.txt").read_text("utf-8")
    return text.split()


__all__ += ["names"]
