"""The activations of ``nn.functional``: those ``Tensor`` has as methods (relu, tanh, sigmoid,
softmax, log_softmax) checked and passed on, and the fused ones only ``nn.functional`` has
(gelu, silu, leaky_relu, elu, softplus, hardtanh): one node each where the composite takes two to
eight, each keeping what its rule reuses from the forward (sigmoid, tanh, the normal CDF), so
the rule only finishes the derivative.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from micrograd.nn.functional._args import float_arg, tensor_arg
from micrograd.tensors import RULE_TEXT, VJPS, Tensor
from micrograd.tensors.conversion import in_float32
from micrograd.tensors.core import _result, ndarray
from micrograd.tensors.dtypes import is_bfloat16
from micrograd.tensors.grad_mode import is_grad_enabled

_tensor = tensor_arg


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), elementwise; the derivative at 0 is 0."""
    return _tensor(input, "relu input").relu()


def tanh(input: Tensor) -> Tensor:
    """tanh(x), elementwise."""
    return _tensor(input, "tanh input").tanh()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise, stable for any x."""
    return _tensor(input, "sigmoid input").sigmoid()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF (``approximate='none'``), or PyTorch's tanh
    approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (``'tanh'``, the GELU of
    GPT-2 and makemore). One fused node either way.

    >>> [round(v, 4) for v in gelu(Tensor([-1.0, 0.0, 1.0])).tolist()]
    [-0.1587, 0.0, 0.8413]
    """
    float_arg(input, "gelu input")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    if is_bfloat16(input._data.dtype):  # in float32, rounded once, as PyTorch's CPU
        return in_float32(gelu, input._data.dtype, input, approximate)
    if input.ndim == 0:  # computed in place (out=), which NumPy's 0-d scalars cannot take
        return _gelu(input.reshape(1), approximate).reshape(())
    return _gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (the swish), elementwise."""
    x = float_arg(input, "silu input")
    if is_bfloat16(x._data.dtype):  # in float32, rounded once, as PyTorch's CPU
        return in_float32(silu, x._data.dtype, x)
    return _silu(x)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    x = float_arg(input, "leaky_relu input")
    if is_bfloat16(x._data.dtype):  # the slope not rounded to bfloat16 first, as PyTorch's
        return in_float32(leaky_relu, x._data.dtype, x, negative_slope)
    return _leaky_relu(x, float(negative_slope))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    float_arg(input, "elu input")
    if input.ndim == 0:  # computed in place (out=), which NumPy's 0-d scalars cannot take
        return _elu(input.reshape(1), float(alpha)).reshape(())
    return _elu(input, float(alpha))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    float_arg(input, "softplus input")
    if beta == 0:
        raise ValueError("softplus beta must be nonzero")
    return _softplus(input, float(beta), float(threshold))


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """x clipped to [min_val, max_val], elementwise; the gradient is 1 strictly inside, 0 at
    and past the bounds, as PyTorch's (``clamp``'s counts the bounds in). Integer tensors
    stay integer."""
    _tensor(input, "hardtanh input")
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})"
        )
    return _hardtanh(input, float(min_val), float(max_val))


def _implicit_dim(name: str, ndim: int) -> int:
    """PyTorch's (deprecated) choice when softmax gets no dim, with its warning."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(
    input: Tensor,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
    *,
    axis: int | None = None,
) -> Tensor:
    """exp(x) / exp(x).sum(dim) along ``dim`` (any; negative counts from the end; ``axis``
    is an alias), stable for any logits. ``dtype`` casts the input first. Without a dim,
    PyTorch's deprecated implicit choice (0 for 0-, 1- and 3-D inputs, else 1), with its
    warning."""
    _tensor(input, "softmax input")
    if dim is None and axis is None:
        dim = _implicit_dim("softmax", input.ndim)
    return input.softmax(dim, dtype, axis=axis)


def log_softmax(
    input: Tensor,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
    *,
    axis: int | None = None,
) -> Tensor:
    """x - logsumexp(x, dim): the log of softmax, without ever forming exp of a large number."""
    _tensor(input, "log_softmax input")
    if dim is None and axis is None:
        dim = _implicit_dim("log_softmax", input.ndim)
    return input.log_softmax(dim, dtype, axis=axis)


# --------------------------------------------------------------------- fused activations

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_CUBIC = 0.044715  # the tanh approximation's coefficient (Hendrycks & Gimpel)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


# Abramowitz & Stegun 7.1.26: for z >= 0, erf(z) = 1 - t P(t) exp(-z^2) with t = 1 / (1 + p z)
# and P(t) = a1 + a2 t + a3 t^2 + a4 t^3 + a5 t^4, within 1.5e-7 of erf everywhere.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)  # a1 ... a5


def _ndtr(x: ndarray) -> tuple[ndarray, ndarray | None]:
    """The standard normal CDF Phi(x) in x's dtype; for float32 also exp(-x^2 / 2) (else None).

    NumPy has no erf. Float64 (and float16) take SciPy's ``special.ndtr``, accurate to ~1e-16
    relative in both tails (it never forms 1 + erf(x) for x < 0); SciPy comes with
    scikit-learn, a dependency, and is imported on first use, so ``import micrograd`` does not
    pay for it. SciPy computes in float64 one element at a time, float32 input included, so
    float32 takes ``_ndtr_float32``: ~20 float32 passes, several times faster.
    """
    if x.dtype == np.float32:
        return _ndtr_float32(x)
    from scipy.special import ndtr

    return ndtr(x).astype(x.dtype, copy=False), None


def _ndtr_float32(x: ndarray) -> tuple[ndarray, ndarray]:
    """Phi(x) and exp(-x^2 / 2) for float32 x, in float32 arithmetic throughout.

    With z = x / sqrt 2: Phi(-|x|) = erfc(|z|) / 2 = t P(t) exp(-z^2) / 2 by Abramowitz &
    Stegun 7.1.26 (above), and Phi(x) = Phi(-|x|) where x < 0, 1 - Phi(-|x|) where x >= 0.
    Within 3.1e-7 of Phi everywhere: an absolute accuracy, as PyTorch's float32 gelu has (it
    forms 1 + erf, so for x below about -5.4 both give a Phi that is only absolutely small).
    The two halves are joined by arithmetic on a 0/1 mask: np.where, np.copysign and np.sign
    each cost several passes here (benchmarks/README.md, "NumPy's fastest way").
    Tests: tests/nn/test_functional_course.py, against SciPy and PyTorch's float32 gelu.
    """
    with np.errstate(over="ignore"):  # x^2 = inf past 1.8e19 gives the right exp(-inf) = 0
        density = x * x
    density *= -0.5
    np.exp(density, out=density)  # exp(-x^2 / 2) = exp(-z^2)
    t = np.abs(x)
    t *= _ERF_P / math.sqrt(2)
    t += 1
    np.divide(1, t, out=t)  # t = 1 / (1 + p |z|)
    tail = t * _ERF_A[-1]
    for a in reversed(_ERF_A[:-1]):  # Horner: t P(t)
        tail += a
        tail *= t
    tail *= density
    tail *= 0.5  # Phi(-|x|)
    cdf = (x >= 0).astype(x.dtype)
    np.multiply(tail, -2, out=t)
    t += 1
    cdf *= t
    cdf += tail  # Phi(-|x|) + [x >= 0] (1 - 2 Phi(-|x|))
    return cdf, density


def _gelu(input: Tensor, approximate: str) -> Tensor:
    """x * Phi(x) (``approximate='none'``) or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    (``'tanh'``), elementwise.

    Fused: the tanh form as a composite takes eight nodes and a pow. Here one node; when a
    gradient will be needed, the forward also forms the derivative from its intermediates
    (x^2, tanh, Phi) while they are at hand, and the rule is one product, g * derivative.
    """
    x = input._data
    needs_grad = input.requires_grad and is_grad_enabled()
    if approximate == "tanh":
        square = x * x
        t = square * (_GELU_CUBIC * _SQRT_2_OVER_PI)
        t += _SQRT_2_OVER_PI
        t *= x  # sqrt(2/pi) (x + 0.044715 x^3)
        np.tanh(t, out=t)
        half = t + 1
        half *= 0.5  # 0.5 (1 + t)
        out = half * x
        if not needs_grad:
            return _result(out, "gelu", (input,), None, False)
        # d/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
        deriv = square
        deriv *= 1.5 * _GELU_CUBIC * _SQRT_2_OVER_PI
        deriv += 0.5 * _SQRT_2_OVER_PI
        deriv *= x
        np.multiply(t, t, out=t)
        np.subtract(1, t, out=t)
        deriv *= t
        deriv += half
    else:
        cdf, density = _ndtr(x)
        out = x * cdf
        if not needs_grad:
            return _result(out, "gelu", (input,), None, False)
        # d/dx = Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
        if density is None:
            density = x * x
            density *= -0.5
            np.exp(density, out=density)
        deriv = density
        deriv *= x
        deriv *= _INV_SQRT_2PI
        deriv += cdf
    return _result(out, "gelu", (input,), deriv, True)


VJPS["gelu"] = (lambda g, ans, deriv: g * deriv,)
RULE_TEXT["gelu"] = (
    "grad * (Phi(a) + a * np.exp(-(a**2) / 2) / math.sqrt(2 * math.pi)) if exact"
    " else grad * (0.5 * (1 + t) + 0.5 * a * (1 - t**2) * math.sqrt(2 / math.pi)"
    " * (1 + 3 * 0.044715 * a**2))",
)


def _sigmoid(x: ndarray) -> ndarray:
    """1 / (1 + exp(-x)), a fresh array: exp overflows to inf for x < -88 (float32) or -709,
    giving the right 0 (its warning silenced); no branch per element (see _ndtr_float32)."""
    with np.errstate(over="ignore"):
        s = np.exp(-x, out=np.empty(np.shape(x), x.dtype))  # an array also for a 0-d x
    s += 1
    return np.reciprocal(s, out=s)


def _silu(input: Tensor) -> Tensor:
    """x * sigmoid(x), elementwise.

    Fused: one node instead of two; the rule reuses sigmoid: s (1 + x (1 - s)).
    """
    x = input._data
    s = _sigmoid(x)
    return _result(x * s, "silu", (input,), (x, s), input.requires_grad)


def _silu_grad(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    x, s = ctx
    grad = 1 - s
    grad *= x
    grad += 1
    grad *= s
    grad *= g
    return grad


VJPS["silu"] = (_silu_grad,)
RULE_TEXT["silu"] = ("grad * sigmoid(a) * (1 + a * (1 - sigmoid(a)))",)


def _hardtanh(input: Tensor, low: float, high: float) -> Tensor:
    """x clipped to [low, high]. One node: its rule lets g through where low < x < high (and
    at NaN, which is past neither bound), as PyTorch's hardtanh_backward."""
    x = input._data
    out = np.clip(x, low, high).astype(x.dtype, copy=False)
    return _result(out, "hardtanh", (input,), (x, low, high), input.requires_grad)


def _hardtanh_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    x, low, high = ctx
    return np.where((x <= low) | (x >= high), 0, g)


VJPS["hardtanh"] = (_hardtanh_grad,)
RULE_TEXT["hardtanh"] = ("grad * ((a > lo) & (a < hi))",)


def _leaky_relu(input: Tensor, negative_slope: float) -> Tensor:
    """x where x > 0, else negative_slope * x; the slope at 0 is negative_slope, as PyTorch.

    One node: the output and the rule are both the input times one factor array.
    """
    x = input._data
    factor = (x > 0).astype(x.dtype)
    factor *= 1 - negative_slope
    factor += negative_slope
    return _result(x * factor, "leaky_relu", (input,), factor, input.requires_grad)


VJPS["leaky_relu"] = (lambda g, ans, factor: g * factor,)
RULE_TEXT["leaky_relu"] = ("grad * np.where(a > 0, 1, slope)",)


def _elu(input: Tensor, alpha: float) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1); the rule is 1, or ans + alpha, as PyTorch.

    Both pieces vanish on the other's side, so the output is their sum: no branch per
    element (see _ndtr_float32).
    """
    x = input._data
    neg = np.minimum(x, 0)
    np.expm1(neg, out=neg)
    neg *= alpha  # 0 where x > 0
    out = np.maximum(x, 0)
    out += neg
    return _result(out, "elu", (input,), (x, neg, alpha), input.requires_grad)


def _elu_grad(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray, float]) -> ndarray:
    x, neg, alpha = ctx  # 1 where x > 0, alpha exp(x) = neg + alpha elsewhere
    positive = (x > 0).astype(g.dtype)
    grad = neg + alpha
    grad *= 1 - positive
    grad += positive
    grad *= g
    return grad


VJPS["elu"] = (_elu_grad,)
RULE_TEXT["elu"] = ("grad * np.where(a > 0, 1, out + alpha)",)


def _softplus(input: Tensor, beta: float, threshold: float) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's rule).

    Computed as logaddexp(0, beta x), which never overflows; the rule is sigmoid(beta x)
    (1 past the threshold).
    """
    x = input._data
    z = x * beta if beta != 1 else x
    out = np.logaddexp(0, z)
    if beta != 1:
        out /= beta
    linear = z > threshold
    return _result(np.where(linear, x, out), "softplus", (input,), (z, linear), input.requires_grad)


def _softplus_grad(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    z, linear = ctx  # d/dx log(1 + exp(z)) / beta = sigmoid(z)
    s = _sigmoid(z)
    s[linear] = 1
    s *= g
    return s


VJPS["softplus"] = (_softplus_grad,)
RULE_TEXT["softplus"] = ("grad * np.where(linear, 1, sigmoid(beta * a))",)
