"""Random numbers: reproducible under a seed, the right distributions, PyTorch's shapes and
dtypes, clear errors. (Not PyTorch's numbers: a different generator, see random.py.)

Distribution checks draw large seeded samples and allow several standard errors, so they
test the sampling law, not luck, and give the same verdict on every run.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import micrograd as mg

N = 200_000  # draws per distribution check: standard error of a mean of unit variance 0.0022


def draws(name: str, generator: mg.Generator | None = None) -> np.ndarray:
    """One call of each random function, as an array, drawing from ``generator``."""
    g = {"generator": generator}
    probs = mg.tensor([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]])
    calls = {
        "randn": lambda: mg.randn(3, 4, **g),
        "rand": lambda: mg.rand((5,), **g),
        "randint": lambda: mg.randint(3, 9, (6,), **g),
        "randperm": lambda: mg.randperm(8, **g),
        "normal": lambda: mg.normal(1.0, 2.0, (4,), **g),
        "multinomial": lambda: mg.multinomial(probs, 2, **g),
        "multinomial_replacement": lambda: mg.multinomial(probs, 5, True, **g),
        "bernoulli": lambda: mg.bernoulli(mg.full((6,), 0.5), **g),
        "randn_like": lambda: mg.randn_like(mg.zeros(2, 2), **g),
        "rand_like": lambda: mg.rand_like(mg.zeros(3), **g),
        "randint_like": lambda: mg.randint_like(mg.zeros(3, dtype=mg.long), 10, **g),
        "normal_": lambda: mg.zeros(5).normal_(2.0, 0.5, **g),
        "uniform_": lambda: mg.zeros(5).uniform_(-1.0, 1.0, **g),
    }
    return calls[name]().numpy().copy()


FUNCTIONS = [
    "randn",
    "rand",
    "randint",
    "randperm",
    "normal",
    "multinomial",
    "multinomial_replacement",
    "bernoulli",
    "randn_like",
    "rand_like",
    "randint_like",
    "normal_",
    "uniform_",
]


# --------------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("name", FUNCTIONS)
def test_same_seed_same_numbers_other_seed_other_numbers(name):
    mg.manual_seed(1234)
    first = [draws(name) for _ in range(3)]
    mg.manual_seed(1234)
    again = [draws(name) for _ in range(3)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    mg.manual_seed(4321)
    other = [draws(name) for _ in range(3)]
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_generator_is_independent_of_the_default_one(name):
    g = mg.Generator().manual_seed(7)
    mine = draws(name, g)
    mg.manual_seed(7)
    mg.randn(100)  # the default generator moving on does not touch g
    np.testing.assert_array_equal(mine, draws(name, g.manual_seed(7)))


def test_generator_api_as_torch():
    g = mg.Generator()
    assert g.manual_seed(3) is g and g.initial_seed() == 3 and g.device == mg.device("cpu")
    assert mg.manual_seed(-1).initial_seed() == torch.manual_seed(-1).initial_seed() == 2**64 - 1
    assert mg.manual_seed(42) is mg.default_generator and mg.initial_seed() == 42
    fresh = mg.seed()
    assert isinstance(fresh, int) and 0 <= fresh < 2**64 and mg.initial_seed() == fresh
    torch.seed()  # leave torch's generator unseeded, as we found it


def test_state_round_trips():
    g = mg.Generator().manual_seed(5)
    mg.randn(3, generator=g)
    state = g.get_state()
    assert state.dtype == mg.uint8 and state.ndim == 1
    ahead = mg.randn(4, generator=g).numpy()
    np.testing.assert_array_equal(mg.randn(4, generator=g.set_state(state)).numpy(), ahead)
    assert g.initial_seed() == 5
    mg.manual_seed(9)
    saved = mg.get_rng_state()
    a = mg.rand(3).numpy()
    mg.set_rng_state(saved)
    np.testing.assert_array_equal(mg.rand(3).numpy(), a)
    with pytest.raises(ValueError, match="get_state"):
        g.set_state(mg.zeros(3))


def test_float32_and_float64_draws_agree_up_to_rounding():
    mg.manual_seed(0)
    wide = mg.randn(1000).numpy()
    mg.manual_seed(0)
    narrow = mg.randn(1000, dtype=mg.float32).numpy()
    assert narrow.dtype == np.float32
    np.testing.assert_array_equal(narrow, wide.astype(np.float32))


# --------------------------------------------------------------------- shapes and dtypes


def torch_dtype(t: torch.Tensor) -> np.dtype:
    return t.numpy().dtype


def test_shapes_and_dtypes_match_torch():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)  # micrograd's default, as PyTorch's
    try:
        pairs = [
            (mg.randn(2, 3), torch.randn(2, 3)),
            (mg.randn((2, 3)), torch.randn((2, 3))),
            (mg.rand(4, dtype=mg.float32), torch.rand(4, dtype=torch.float32)),
            (mg.randint(5, (3, 2)), torch.randint(5, (3, 2))),
            (mg.randint(2, 5, (3,)), torch.randint(2, 5, (3,))),
            (mg.randint(low=2, high=5, size=(3,)), torch.randint(low=2, high=5, size=(3,))),
            (mg.randint(0, 5, (2,), dtype=mg.float32), torch.randint(0, 5, (2,),
                                                                     dtype=torch.float32)),
            (mg.randperm(6), torch.randperm(6)),
            (mg.normal(0.0, 1.0, (2, 2)), torch.normal(0.0, 1.0, (2, 2))),
            (mg.normal(mg.zeros(3), 2.0), torch.normal(torch.zeros(3), 2.0)),
            (mg.normal(mg.zeros(3, dtype=mg.float32), mg.ones(3, dtype=mg.float32)),
             torch.normal(torch.zeros(3, dtype=torch.float32), torch.ones(3,
                                                                          dtype=torch.float32))),
            (mg.multinomial(mg.ones(4), 2), torch.multinomial(torch.ones(4), 2)),
            (mg.multinomial(mg.ones(3, 4), 6, True), torch.multinomial(torch.ones(3, 4), 6, True)),
            (mg.bernoulli(mg.full((3,), 0.5, dtype=mg.float32)),
             torch.bernoulli(torch.full((3,), 0.5, dtype=torch.float32))),
            (mg.randn_like(mg.zeros(2, dtype=mg.float32)),
             torch.randn_like(torch.zeros(2, dtype=torch.float32))),
            (mg.rand_like(mg.zeros(2)), torch.rand_like(torch.zeros(2))),
            (mg.randint_like(mg.zeros(2, dtype=mg.long), 3, 9),
             torch.randint_like(torch.zeros(2, dtype=torch.long), 3, 9)),
        ]  # fmt: skip
    finally:
        torch.set_default_dtype(previous)
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape)
        assert ours.dtype == torch_dtype(theirs)
        assert not ours.requires_grad
    assert mg.randn(2, requires_grad=True).requires_grad


# --------------------------------------------------------------------- distributions


def test_randn_and_normal_have_the_right_moments():
    mg.manual_seed(11)
    z = mg.randn(N).numpy()
    assert abs(z.mean()) < 0.015 and abs(z.var() - 1) < 0.015
    x = mg.normal(3.0, 2.0, (N,)).numpy()
    assert abs(x.mean() - 3) < 0.03 and abs(x.std() - 2) < 0.03
    per_entry = mg.normal(mg.tensor([-5.0, 5.0]).reshape(2, 1), mg.tensor([[0.1], [1.0]]))
    assert per_entry.shape == (2, 1)
    wide = mg.normal(mg.zeros(2, N) + mg.tensor([[-5.0], [5.0]]), 0.5).numpy()
    np.testing.assert_allclose(wide.mean(axis=1), [-5, 5], atol=0.01)
    np.testing.assert_allclose(wide.std(axis=1), [0.5, 0.5], atol=0.01)


def test_rand_is_uniform_in_zero_one_in_every_float_dtype():
    mg.manual_seed(12)
    for dtype in (mg.float64, mg.float32, mg.float16):
        u = mg.rand(N, dtype=dtype).numpy()
        assert u.dtype == dtype and u.min() >= 0 and u.max() < 1  # never rounds up to 1
        assert abs(u.astype(np.float64).mean() - 0.5) < 0.005
        assert abs(u.astype(np.float64).var() - 1 / 12) < 0.003
    filled = mg.empty(N).uniform_(-2.0, 6.0).numpy()
    assert filled.min() >= -2 and filled.max() < 6 and abs(filled.mean() - 2) < 0.05


def test_randint_covers_low_to_high_evenly():
    mg.manual_seed(13)
    k = mg.randint(-3, 4, (N,)).numpy()
    assert k.dtype == np.int64 and k.min() == -3 and k.max() == 3
    counts = np.bincount(k + 3) / N
    np.testing.assert_allclose(counts, np.full(7, 1 / 7), atol=0.005)


def test_randperm_is_a_permutation_with_uniform_positions():
    mg.manual_seed(14)
    firsts = np.array([mg.randperm(5).numpy()[0] for _ in range(5000)])
    for _ in range(20):
        p = mg.randperm(50).numpy()
        assert sorted(p.tolist()) == list(range(50))
    np.testing.assert_allclose(np.bincount(firsts) / 5000, np.full(5, 0.2), atol=0.03)
    assert mg.randperm(0).shape == (0,)


def test_bernoulli_frequencies():
    mg.manual_seed(15)
    p = mg.tensor([0.0, 0.2, 0.9, 1.0])
    samples = np.stack([mg.bernoulli(p).numpy() for _ in range(20000)])
    np.testing.assert_allclose(samples.mean(axis=0), [0.0, 0.2, 0.9, 1.0], atol=0.015)
    assert set(np.unique(mg.bernoulli(mg.zeros(10), p=0.5).numpy())) <= {0.0, 1.0}


def test_multinomial_with_replacement_follows_the_weights():
    mg.manual_seed(16)
    weights = mg.tensor([[1.0, 0.0, 3.0, 6.0], [0.0, 0.0, 0.0, 2.0]])  # unnormalised
    picks = mg.multinomial(weights, N // 4, replacement=True).numpy()
    assert picks.shape == (2, N // 4) and picks.dtype == np.int64
    np.testing.assert_allclose(np.bincount(picks[0], minlength=4) / (N // 4),
                               [0.1, 0.0, 0.3, 0.6], atol=0.01)  # fmt: skip
    assert (picks[1] == 3).all()  # zero weight: never drawn
    one = mg.multinomial(mg.tensor([0.2, 0.8], dtype=mg.float32), 1)
    assert one.shape == (1,)


def test_multinomial_without_replacement_draws_distinct_in_proportion():
    mg.manual_seed(17)
    weights = mg.tensor([0.5, 0.3, 0.2])
    pairs = mg.multinomial(weights.reshape(1, 3) * mg.ones(20000, 1), 2).numpy()
    assert (pairs[:, 0] != pairs[:, 1]).all()
    # P(first=i, second=j) = p_i * p_j / (1 - p_i)
    p = np.array([0.5, 0.3, 0.2])
    for i, j in [(0, 1), (1, 0), (2, 0), (1, 2)]:
        expected = p[i] * p[j] / (1 - p[i])
        observed = np.mean((pairs[:, 0] == i) & (pairs[:, 1] == j))
        assert abs(observed - expected) < 0.012, (i, j, observed, expected)
    everything = mg.multinomial(mg.tensor([[0.0, 1.0, 0.0, 2.0]]), 4).numpy()
    assert sorted(everything[0].tolist()) == [0, 1, 2, 3]
    assert everything[0, 2:].tolist() == [0, 2]  # zero weights last, in index order (PyTorch)


def test_makemore_sampling_loop_is_reproducible():
    def sample() -> list[int]:
        g = mg.Generator().manual_seed(2147483647)
        probs = mg.tensor([[0.05] * 20]).softmax(-1)
        return [int(mg.multinomial(probs, num_samples=1, generator=g).numpy()[0, 0])
                for _ in range(30)]  # fmt: skip

    first = sample()
    assert first == sample() and len(set(first)) > 5


# --------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: mg.multinomial(mg.tensor([-1.0, 2.0]), 1), ValueError, "non-negative"),
        (lambda: mg.multinomial(mg.tensor([float("nan"), 1.0]), 1), ValueError, "finite"),
        (lambda: mg.multinomial(mg.tensor([float("inf"), 1.0]), 1), ValueError, "finite"),
        (lambda: mg.multinomial(mg.tensor([[1.0, 0.0], [0.0, 0.0]]), 1), ValueError, "sum"),
        (lambda: mg.multinomial(mg.tensor([1.0, 0.0]), 3), ValueError, "without replacement"),
        (lambda: mg.multinomial(mg.tensor([1.0]), 0), ValueError, "num_samples=0"),
        (lambda: mg.multinomial(mg.ones(2, 2, 2), 1), ValueError, "1-D or 2-D"),
        (lambda: mg.multinomial(mg.tensor([1, 2]), 1), TypeError, "floating-point"),
        (lambda: mg.multinomial([0.5, 0.5], 1), TypeError, "tensor"),
        (lambda: mg.randint(5, 5, (2,)), ValueError, "low=5 >= high=5"),
        (lambda: mg.randint(5, 2, (2,)), ValueError, "less than high"),
        (lambda: mg.randint(5, 3), TypeError, "tuple"),
        (lambda: mg.randint(5), TypeError, "size"),
        (lambda: mg.randint(0, 5, (-1,)), ValueError, "non-negative"),
        (lambda: mg.randn(2, -3), ValueError, "non-negative"),
        (lambda: mg.rand(2, dtype=mg.int64), TypeError, "floating-point"),
        (lambda: mg.randperm(-1), ValueError, "non-negative"),
        (lambda: mg.normal(0.0, 1.0), TypeError, "size is required"),
        (lambda: mg.normal(0.0, -1.0, (2,)), ValueError, "std"),
        (lambda: mg.bernoulli(mg.tensor([1.5])), ValueError, r"\[0, 1\]"),
        (lambda: mg.randn(2, generator=torch.Generator()), TypeError, "micrograd.Generator"),
        (lambda: mg.Generator().manual_seed(1.5), TypeError, "int"),
        (lambda: mg.manual_seed("abc"), ValueError, "manual_seed.*invalid literal"),
        (lambda: mg.manual_seed(2**64), ValueError, "2\\*\\*64"),
        (lambda: mg.cuda.manual_seed_all("x"), TypeError, "seed must be an int"),
        (lambda: mg.zeros(2).uniform_(1.0, 0.0), ValueError, "a <= b"),
        (lambda: mg.zeros(2, dtype=mg.long).normal_(), TypeError, "floating-point"),
    ],
)
def test_bad_input_is_a_clear_error(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_in_place_fills_refuse_a_leaf_that_requires_grad_outside_no_grad():
    w = mg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.normal_()
    assert (w.data == 0).all() and w._version == 0  # unchanged
    with mg.no_grad():
        assert w.normal_(0.0, 0.02) is w
        w.uniform_(-1.0, 1.0)
    assert w.requires_grad and (w.data != 0).all() and w._version == 2


def test_in_place_fills_count_as_writes_for_the_version_check():
    x = mg.ones(3, requires_grad=True)
    buffer = mg.ones(3)
    y = (x * buffer).sum()  # the rule of * reads buffer at backward time
    buffer.normal_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_manual_seed_makes_layer_init_reproducible_as_in_torch():
    mg.manual_seed(1)
    a = mg.nn.Linear(3, 2).weight.detach().numpy().copy()
    mg.manual_seed(1)
    b = mg.nn.Linear(3, 2).weight.detach().numpy().copy()
    np.testing.assert_array_equal(a, b)
