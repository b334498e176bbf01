"""Filling parameters in place, as ``torch.nn.init``: each function writes into the tensor
(no graph is recorded, as under PyTorch's ``no_grad``) and returns the tensor. The write counts
as one, as PyTorch's: a graph that used the old values refuses to backpropagate.

The scales are PyTorch's: ``kaiming_uniform_(w, a=math.sqrt(5))`` is ``Linear``'s default,
U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Random draws come from ``generator`` when given (a
``micrograd.Generator``, or a ``numpy.random.Generator``), else from micrograd's default
generator (``micrograd.manual_seed`` makes them repeat), in :func:`_draw` alone.

>>> import numpy as np
>>> from micrograd.tensors import Tensor
>>> w = Tensor(np.empty((3, 5)))
>>> kaiming_uniform_(w, a=5 ** 0.5, generator=np.random.default_rng(0)) is w
True
>>> bool(w.abs().max() <= 1 / np.sqrt(5))     # fan_in = 5
True
>>> _calculate_fan_in_and_fan_out(Tensor(np.empty((8, 4, 3))))   # (out, in, kernel)
(12, 24)
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from micrograd.tensors import Tensor
from micrograd.tensors.dtypes import is_float
from micrograd.tensors.generator import Generator, numpy_generator
from micrograd.tensors.grad_mode import no_grad

__all__ = [
    "calculate_gain",
    "constant_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def _draw(kind: str, shape: tuple[int, ...], generator: Any, a: float, b: float) -> np.ndarray:
    """``shape`` float64 draws: ``kind="uniform"`` from U(a, b), ``"normal"`` from N(a, b**2).

    The one place ``nn`` draws random numbers (layers' init goes through here too): from
    ``generator`` (a ``micrograd.Generator``; ``micrograd.manual_seed`` seeds the default
    one), or from a ``numpy.random.Generator`` given instead. The same numbers as
    ``Tensor.uniform_`` and ``Tensor.normal_`` draw from the same generator.
    """
    if isinstance(generator, np.random.Generator):
        source = generator
    elif generator is None or isinstance(generator, Generator):
        source = numpy_generator(generator)
    else:
        raise TypeError(
            "generator must be a micrograd.Generator, a numpy.random.Generator or None, "
            f"got {type(generator).__name__}"
        )
    if kind == "uniform":
        return a + (b - a) * source.random(shape)
    return a + b * source.standard_normal(shape)


def _tensor(tensor: Any, where: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{where} expects a Tensor, got {type(tensor).__name__}")
    if not is_float(tensor.dtype):
        raise TypeError(f"nn.init.{where} fills floating-point tensors, this one is {tensor.dtype}")
    return tensor


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Write ``values`` into ``tensor`` (cast to its dtype): in place, no graph."""
    with no_grad():
        return tensor.copy_(values)


# --------------------------------------------------------------------- plain fills


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with draws from U(a, b)."""
    _tensor(tensor, "uniform_")
    return _fill(tensor, _draw("uniform", tensor.shape, generator, a, b))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with draws from N(mean, std**2)."""
    _tensor(tensor, "normal_")
    return _fill(tensor, _draw("normal", tensor.shape, generator, mean, std))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Any = None,
) -> Tensor:
    """Fill with draws from N(mean, std**2) truncated to [a, b], by rejection as PyTorch:
    normal draws redrawn until inside when [a, b] holds over 30% of the mass, else uniform
    proposals on [a, b] accepted with probability pdf(x) / pdf(mode)."""
    _tensor(tensor, "trunc_normal_")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    shape = tensor.shape
    if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3:
        out = _draw("normal", shape, generator, mean, std)
        while (bad := (out < a) | (out > b)).any():
            out[bad] = _draw("normal", (int(bad.sum()),), generator, mean, std)
    else:
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2
        out = np.empty(shape)
        pending = np.ones(shape, dtype=bool)
        while (n := int(pending.sum())) > 0:
            x = _draw("uniform", (n,), generator, a, b)
            keep = np.log(_draw("uniform", (n,), generator, 0.0, 1.0)) <= (
                -0.5 * ((x - mean) / std) ** 2 - log_peak
            )
            index = np.flatnonzero(pending)[keep]
            out.flat[index] = x[keep]
            pending.flat[index] = False
    return _fill(tensor, out)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(_tensor(tensor, "constant_"), val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(_tensor(tensor, "ones_"), 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(_tensor(tensor, "zeros_"), 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal, zeros elsewhere)."""
    if _tensor(tensor, "eye_").ndim != 2:
        raise ValueError(f"nn.init.eye_ needs a 2-D tensor, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain``: the Q of a QR factorisation of a
    normal draw, as PyTorch (trailing dims flattened; at least 2-D)."""
    if _tensor(tensor, "orthogonal_").ndim < 2:
        raise ValueError(f"nn.init.orthogonal_ needs at least 2 dims, got shape {tensor.shape}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _draw("normal", (rows, cols), generator, 0.0, 1.0)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))  # makes Q uniformly distributed (Mezzadri 2007)
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tensor.shape))


# --------------------------------------------------------------------- scaled by fan


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity``, as PyTorch: 1 for linear and sigmoid, 5/3
    for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope**2)) for leaky_relu (``param`` the slope,
    0.01 by default), 3/4 for selu."""
    linear = ("linear", "conv1d", "conv2d", "conv3d")
    linear += ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel): in * kernel, out * kernel."""
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for a tensor with fewer than 2 dimensions "
            f"(shape {tensor.shape})"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode!r} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_tensor(tensor, "xavier_uniform_"))
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std  # the uniform bounds with that standard deviation
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_tensor(tensor, "xavier_normal_"))
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan) (He et al., 2015); ``a`` is leaky_relu's slope,
    ``mode`` picks fan_in (keeps the forward pass's variance) or fan_out (the backward's)."""
    if 0 in _tensor(tensor, "kaiming_uniform_").shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """N(0, std**2) with std = gain / sqrt(fan) (He et al., 2015); arguments as
    :func:`kaiming_uniform_`."""
    if 0 in _tensor(tensor, "kaiming_normal_").shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)
