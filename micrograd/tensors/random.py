"""Random numbers, PyTorch's API: ``randn``, ``rand``, ``randint``, ``randperm``, ``normal``,
``multinomial``, ``bernoulli``, their ``*_like`` forms and the in-place ``normal_``/
``uniform_`` that ``nn.init`` fills parameters with.

Every function takes ``generator=`` (a ``generator.Generator``); without it they draw from
the default generator, which ``manual_seed`` reseeds. The same seed gives the same numbers,
call after call and process after process. They are not PyTorch's numbers: a ``Generator``
is NumPy's PCG64 (PyTorch's CPU generator is a Mersenne Twister with its own sampling
algorithms), so the same seed in the two libraries gives different draws. To compare a model
with PyTorch, copy the weights across (``state_dict``), do not rely on seeds.

As in PyTorch 2, a fresh process starts from a seed taken from the operating system: seed
explicitly for reproducible runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.tensors.core import Tensor, method, ndarray
from micrograd.tensors.creation import _int, _leaf, _size
from micrograd.tensors.dtypes import as_device, as_dtype, get_default_dtype, is_float
from micrograd.tensors.errors import DTypeError, ShapeError
from micrograd.tensors.generator import Generator
from micrograd.tensors.generator import numpy_generator as _numpy
from micrograd.tensors.indexing import _inplace_target

__all__ = [
    "bernoulli",
    "multinomial",
    "normal",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
]


def _float_dtype(dtype: Any, name: str) -> np.dtype:
    d = get_default_dtype() if dtype is None else as_dtype(dtype)
    if not is_float(d):
        raise DTypeError(f"{name}() makes floating-point numbers: dtype {d} is not one")
    return d


def _uniform(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> ndarray:
    """Uniform in [0, 1) in ``dtype``: float64 draws cut to the dtype's precision, so that
    rounding can never reach 1.0 (as PyTorch draws 24 bits for float32)."""
    u = rng.random(shape)
    if dtype != np.float64:
        scale = 2.0 ** (np.finfo(dtype).nmant + 1)
        u = np.floor(u * scale) / scale
    return u.astype(dtype, copy=False)


# --------------------------------------------------------------------- tensors of draws


def rand(
    *sizes: int | tuple[int, ...],
    size: Any = None,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform numbers in [0, 1), of ``size`` (ints, one sequence, or ``size=``)."""
    as_device(device)
    shape, d = _size(sizes, "rand", size), _float_dtype(dtype, "rand")
    return _leaf(_uniform(_numpy(generator), shape, d), requires_grad)


def randn(
    *sizes: int | tuple[int, ...],
    size: Any = None,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal numbers (mean 0, variance 1), of ``size`` (ints, one sequence, or
    ``size=``).
    Drawn in float64, then rounded to ``dtype``: the same seed gives the same numbers in
    float32 and float64, up to that rounding."""
    as_device(device)
    shape, d = _size(sizes, "randn", size), _float_dtype(dtype, "randn")
    return _leaf(_numpy(generator).standard_normal(shape).astype(d, copy=False), requires_grad)


def randint(
    *args: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    **kwargs: Any,
) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)`` (keywords ``low=``, ``high=``, ``size=`` as PyTorch); int64
    unless ``dtype``.

    >>> randint(0, 27, (2, 3), generator=Generator().manual_seed(0)).shape
    Size([2, 3])
    """
    unknown = set(kwargs) - {"low", "high", "size"}
    if unknown:
        raise TypeError(f"randint() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    names = ("low", "high", "size") if len(args) + len(kwargs) >= 3 else ("high", "size")
    given = dict(zip(names, args))
    for name, value in kwargs.items():
        if name in given:
            raise TypeError(f"randint() got multiple values for argument {name!r}")
        given[name] = value
    if "high" not in given or "size" not in given:
        raise TypeError("randint() takes (high, size) or (low, high, size); size is a tuple")
    low = _int(given.get("low", 0), "randint(): low")
    high = _int(given["high"], "randint(): high")
    size = given["size"]
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): size must be a tuple of ints, got {type(size).__name__}")
    shape = _size((size,), "randint")
    if low >= high:
        raise ValueError(f"randint(): low must be less than high, got low={low} >= high={high}")
    as_device(device)
    d = np.dtype(np.int64) if dtype is None else as_dtype(dtype)
    data = _numpy(generator).integers(low, high, shape, dtype=np.int64)
    return _leaf(data.astype(d, copy=False), requires_grad)


def randperm(
    n: int,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 unless ``dtype``)."""
    as_device(device)
    n = _int(n, "randperm(): n")
    if n < 0:
        raise ValueError(f"randperm(): n must be non-negative, got {n}")
    d = np.dtype(np.int64) if dtype is None else as_dtype(dtype)
    return _leaf(_numpy(generator).permutation(n).astype(d), requires_grad)


def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: tuple[int, ...] | None = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal numbers with ``mean`` and standard deviation ``std``: numbers (then ``size``
    is required) or tensors, which broadcast together and give the shape and dtype."""
    as_device(device)
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    m = mean._data if isinstance(mean, Tensor) else float(mean)
    s = std._data if isinstance(std, Tensor) else float(std)
    if np.any(np.asarray(s) < 0):
        raise ValueError("normal(): std must be non-negative")
    if tensors:
        if size is not None:
            raise TypeError("normal(): give size only when mean and std are numbers")
        d = np.result_type(*(t._data for t in tensors)) if dtype is None else as_dtype(dtype)
        if not is_float(d):
            raise DTypeError(f"normal(): mean and std must be floating-point tensors, not {d}")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    else:
        if size is None:
            raise TypeError("normal(mean, std, size): size is required when both are numbers")
        d = _float_dtype(dtype, "normal")
        shape = _size((size,) if isinstance(size, (tuple, list)) else (size,), "normal")
    z = _numpy(generator).standard_normal(shape)
    return _leaf((m + s * z).astype(d, copy=False), requires_grad)


def bernoulli(
    input: Tensor, p: float | None = None, *, generator: Generator | None = None
) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0, entry by entry; ``input``'s dtype.

    >>> bernoulli(Tensor([0.0, 1.0])).tolist()
    [0.0, 1.0]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli() needs a tensor, got {type(input).__name__}")
    probs = input._data if p is None else np.full(input._data.shape, p, np.float64)
    if not ((probs >= 0) & (probs <= 1)).all():
        raise ValueError("bernoulli(): probabilities must be in [0, 1]")
    draws = _numpy(generator).random(input._data.shape) < probs
    return _leaf(draws.astype(input._data.dtype), False)


def multinomial(
    input: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Indices drawn from the categories of each row of ``input`` (1-D: (C,), 2-D: (N, C))
    with probability proportional to its entries (non-negative weights, not necessarily
    summing to 1). Returns int64 of shape (num_samples,) or (N, num_samples).

    Without replacement each row's draws are distinct: once the categories of nonzero weight
    are used up, the zero-weight ones follow, in index order (as PyTorch).

    >>> g = Generator().manual_seed(0)
    >>> multinomial(Tensor([0.0, 1.0, 0.0]), 2, generator=g).tolist()
    [1, 0]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial() needs a tensor, got {type(input).__name__}")
    w = input._data
    if not is_float(w.dtype):
        raise DTypeError(f"multinomial() needs floating-point weights, got dtype {w.dtype}")
    if w.ndim not in (1, 2):
        raise ShapeError(f"multinomial(): input must be 1-D or 2-D, got shape {w.shape}")
    n = _int(num_samples, "multinomial(): num_samples")
    if n <= 0:
        raise ValueError(f"multinomial(): cannot draw num_samples={n} <= 0 samples")
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    categories = rows.shape[1]
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise ValueError("multinomial(): weights must be finite and non-negative (no inf or nan)")
    totals = rows.sum(axis=1)
    if categories == 0 or (totals <= 0).any():
        raise ValueError("multinomial(): every row needs a positive sum of weights")
    if not replacement and n > categories:
        raise ValueError(
            f"multinomial(): cannot draw {n} samples without replacement from {categories} "
            "categories"
        )
    rng = _numpy(generator)
    if replacement:
        # Inverse transform: the first category whose cumulative weight exceeds u. Dividing
        # by the last cumulative sum makes it exactly 1, so u < 1 always lands in a row, and
        # a zero-weight category (a flat step) is never picked.
        cdf = np.cumsum(rows, axis=1)
        cdf /= cdf[:, -1:]
        u = rng.random((len(rows), n))
        picks = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
    else:
        # The exponential race (Efraimidis-Spirakis): the k largest w / E, E ~ Exp(1), are a
        # draw without replacement in proportion to w; zero weights come last, by index.
        keys = rows / rng.standard_exponential(rows.shape)
        picks = _descending(keys)[:, :n]
    out = picks.astype(np.int64).reshape(*w.shape[:-1], n)
    return _leaf(out, False)


def _descending(keys: ndarray) -> ndarray:
    flipped = np.argsort(keys[:, ::-1], axis=1, kind="stable")
    return keys.shape[1] - 1 - flipped[:, ::-1]  # stable descending: ties by index


# --------------------------------------------------------------------- *_like


def _like_shape(input: Any, name: str) -> tuple[tuple[int, ...], np.dtype]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() needs a tensor, got {type(input).__name__}")
    return input._data.shape, input._data.dtype


def rand_like(
    input: Tensor, *, generator: Generator | None = None, dtype: Any = None, **kwargs: Any
) -> Tensor:
    """``rand`` with ``input``'s shape and dtype (or ``dtype``)."""
    shape, d = _like_shape(input, "rand_like")
    return rand(shape, generator=generator, dtype=d if dtype is None else dtype, **kwargs)


def randn_like(
    input: Tensor, *, generator: Generator | None = None, dtype: Any = None, **kwargs: Any
) -> Tensor:
    """``randn`` with ``input``'s shape and dtype (or ``dtype``)."""
    shape, d = _like_shape(input, "randn_like")
    return randn(shape, generator=generator, dtype=d if dtype is None else dtype, **kwargs)


def randint_like(
    input: Tensor,
    low: int = 0,
    high: int | None = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    **kwargs: Any,
) -> Tensor:
    """``randint`` with ``input``'s shape and dtype: ``randint_like(t, high)`` or
    ``randint_like(t, low, high)``."""
    shape, d = _like_shape(input, "randint_like")
    if high is None:
        low, high = 0, low
    d = d if dtype is None else dtype
    return randint(low, high, shape, generator=generator, dtype=d, **kwargs)


# --------------------------------------------------------------------- methods

method(multinomial)
method(bernoulli)


def _fill_in_place(self: Tensor, values: ndarray, name: str) -> Tensor:
    """Write ``values`` into ``self`` under the rules of every in-place op (indexing's): not
    into a tensor that requires grad while graphs are recorded, counted as a version."""
    if not is_float(self._data.dtype):
        raise DTypeError(f"{name} fills floating-point tensors, this one is {self._data.dtype}")
    _inplace_target(self, name)[...] = values
    self._bump_version()
    return self


@method
def normal_(
    self, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill in place with normal numbers of ``mean`` and ``std``; returns self."""
    if std < 0:
        raise ValueError(f"normal_(): std must be non-negative, got {std}")
    z = _numpy(generator).standard_normal(self._data.shape)
    return _fill_in_place(self, mean + std * z, "normal_")


@method
def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill in place with numbers drawn uniformly from [a, b); returns self."""
    if not a <= b:
        raise ValueError(f"uniform_(): expects a <= b, got a={a}, b={b}")
    u = _numpy(generator).random(self._data.shape)
    return _fill_in_place(self, a + (b - a) * u, "uniform_")
