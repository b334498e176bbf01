"""micrograd.data: the toys match scikit-learn, digits split reproducibly, minibatches cover."""

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import make_moons

from micrograd import data


def test_moons_is_the_original_demo_data():
    # The original notebook: np.random.seed(1337); make_moons(n_samples=100, noise=0.1).
    state = np.random.get_state()
    try:
        np.random.seed(1337)
        X_ref, y_ref = make_moons(n_samples=100, noise=0.1)
    finally:
        np.random.set_state(state)
    X, y = data.moons(n_samples=100, noise=0.1, seed=1337)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


@pytest.mark.parametrize("name", sorted(data.TOYS))
def test_toys_shapes_labels_and_seeds(name):
    make = data.TOYS[name]
    X, y = make(n_samples=60, seed=3)
    assert X.shape == (60, 2) and X.dtype == np.float64
    assert y.shape == (60,) and y.dtype == np.int64
    k = 3 if name == "blobs" else 2
    assert set(y.tolist()) == set(range(k))
    X2, y2 = make(n_samples=60, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(n_samples=60, seed=4)
    assert not np.array_equal(X, X3)


def test_toys_leave_global_random_state_alone():
    np_state = np.random.get_state()[1].copy()
    py_state = random.getstate()
    data.moons(seed=None)
    data.digits()
    for _ in data.minibatches(np.zeros((5, 2)), np.zeros(5), 2, rng=1):
        pass
    assert (np.random.get_state()[1] == np_state).all()
    assert random.getstate() == py_state


def test_digits_split_is_scaled_stratified_and_deterministic():
    X_train, X_test, y_train, y_test = data.digits(test_fraction=0.2, seed=0)
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert set(y_test.tolist()) == set(range(10))
    # stratified: each digit's share of the test split is within one image of 20%
    counts = np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - 0.2 * counts) <= 1)
    again = data.digits(test_fraction=0.2, seed=0)
    np.testing.assert_array_equal(X_test, again[1])
    np.testing.assert_array_equal(y_train, again[2])
    other = data.digits(test_fraction=0.2, seed=1)
    assert not np.array_equal(X_test, other[1])
    # train and test are disjoint rows of the same 1,797 images
    assert len({row.tobytes() for row in X_test} & {row.tobytes() for row in X_train}) < 10


def test_signs():
    np.testing.assert_array_equal(data.signs(np.array([0, 1, 1])), [-1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="binary"):
        data.signs(np.array([0, 2]))


@given(
    n=st.integers(0, 40),
    batch_size=st.integers(1, 50),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_minibatches_cover_every_row_once(n, batch_size, drop_last, seed):
    X = np.arange(2 * n, dtype=float).reshape(n, 2)
    y = np.arange(n)
    batches = list(data.minibatches(X, y, batch_size, drop_last=drop_last, rng=seed))
    sizes = [len(yb) for _, yb in batches]
    assert all(size == batch_size for size in sizes[:-1])
    if drop_last:
        assert sizes == [batch_size] * (n // batch_size)
    else:
        assert sum(sizes) == n
    seen = np.concatenate([yb for _, yb in batches]) if batches else np.array([], int)
    assert len(set(seen.tolist())) == len(seen)  # no row twice
    for Xb, yb in batches:  # rows and labels stay paired
        np.testing.assert_array_equal(Xb[:, 0], 2 * yb)
    again = [yb for _, yb in data.minibatches(X, y, batch_size, drop_last=drop_last, rng=seed)]
    assert all(np.array_equal(a, b) for a, b in zip(again, [yb for _, yb in batches], strict=True))


def test_minibatches_shuffle_with_one_generator_differs_per_epoch():
    X = np.zeros((50, 1))
    y = np.arange(50)
    rng = np.random.default_rng(0)
    first = next(data.minibatches(X, y, 50, rng=rng))[1]
    second = next(data.minibatches(X, y, 50, rng=rng))[1]
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(50))
    assert not np.array_equal(first, second)
    unshuffled = next(data.minibatches(X, y, shuffle=False))[1]
    np.testing.assert_array_equal(unshuffled, y)


@pytest.mark.parametrize(
    "call",
    [
        lambda: data.moons(n_samples=0),
        lambda: data.moons(n_samples=10.5),
        lambda: data.moons(noise=-1),
        lambda: data.circles(factor=1.5),
        lambda: data.blobs(centers=1),
        lambda: data.digits(test_fraction=0),
        lambda: list(data.minibatches(np.zeros((3, 2)), np.zeros(3), 0)),
        lambda: list(data.minibatches(np.zeros((3, 2)), np.zeros(4), 1)),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("n", [8, 9, 10, 11, 13])
def test_split_puts_every_class_on_both_sides_of_small_data(n):
    # Regression: 8 points of 3 blobs gave a test side of 2, and scikit-learn's ValueError.
    X, y = data.blobs(n_samples=n, centers=3, seed=0)
    X_train, X_test, y_train, y_test = data.split(X, y, test_fraction=0.25, seed=0)
    assert sorted(set(y_train.tolist())) == sorted(set(y_test.tolist())) == [0, 1, 2]
    assert len(X_test) == max(3, -(-n // 4)) and len(X_train) + len(X_test) == n


def test_split_that_cannot_hold_every_class_says_so():
    X, y = np.zeros((5, 2)), np.array([0, 0, 1, 2, 2])  # class 1 has one row
    with pytest.raises(ValueError, match="each class needs 2 rows or more"):
        data.split(X, y)
    X, y = np.zeros((6, 2)), np.repeat([0, 1, 2], 2)  # 3 test rows leave 3 to train: fine
    assert [len(part) for part in data.split(X, y)] == [3, 3, 3, 3]


@pytest.mark.parametrize("seed", [2**32, -1, 1.5, True, "1"])
def test_seeds_out_of_scikit_learns_range_are_a_clear_error(seed):
    with pytest.raises(ValueError, match=r"seed must be an integer from 0 to 4294967295"):
        data.moons(seed=seed)
