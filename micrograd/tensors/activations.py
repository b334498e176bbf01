"""Fused activations: one node each where the composite takes two to eight.

Each keeps what its rule reuses from the forward (sigmoid, tanh, the normal CDF), so the
rule only finishes the derivative. ``nn.functional`` checks the arguments and calls these.
"""

from __future__ import annotations

import math

import numpy as np

from micrograd.tensors.core import VJPS, Tensor, _result, method, ndarray
from micrograd.tensors.grad_mode import is_grad_enabled

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_CUBIC = 0.044715  # the tanh approximation's coefficient (Hendrycks & Gimpel)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _ndtr(x: ndarray) -> ndarray:
    """The standard normal CDF Phi(x), relative error ~1e-16 in both tails, in x's dtype.

    NumPy has no erf. SciPy's ``special.ndtr`` is accurate everywhere (it never forms
    1 + erf(x) for negative x, so the far left tail keeps its digits); SciPy is installed with
    scikit-learn, a dependency, and is imported on first use, so ``import micrograd`` does
    not pay for it. A vectorized NumPy erf of the same accuracy needs 30-40 array passes,
    no faster than SciPy's one (benchmarks/README.md).
    """
    from scipy.special import ndtr

    return ndtr(x)


@method
def _gelu(self, approximate: str) -> Tensor:
    """x * Phi(x) (``approximate='none'``) or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    (``'tanh'``), elementwise.

    Fused: the tanh form as a composite takes eight nodes and a pow. Here one node; when a
    gradient will be needed, the forward also forms the derivative from its intermediates
    (x^2, tanh, Phi) while they are at hand, and the rule is one product, g * derivative.
    """
    x = self.data
    needs_grad = self.requires_grad and is_grad_enabled()
    square = x * x
    if approximate == "tanh":
        t = square * (_GELU_CUBIC * _SQRT_2_OVER_PI)
        t += _SQRT_2_OVER_PI
        t *= x  # sqrt(2/pi) (x + 0.044715 x^3)
        np.tanh(t, out=t)
        half = t + 1
        half *= 0.5  # 0.5 (1 + t)
        out = half * x
        if not needs_grad:
            return _result(out, "gelu", (self,), None, False)
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
        cdf = _ndtr(x)
        out = x * cdf
        if not needs_grad:
            return _result(out, "gelu", (self,), None, False)
        deriv = square  # d/dx = Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
        deriv *= -0.5
        np.exp(deriv, out=deriv)
        deriv *= x
        deriv *= _INV_SQRT_2PI
        deriv += cdf
    return _result(out, "gelu", (self,), deriv, True)


VJPS["gelu"] = (lambda g, ans, deriv: g * deriv,)


@method
def _silu(self) -> Tensor:
    """x * sigmoid(x), elementwise; sigmoid computed without exponentiating a positive number.

    Fused: one node instead of two; the rule reuses sigmoid: s (1 + x (1 - s)).
    """
    x = self.data
    s = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    pos = x >= 0
    s = np.divide(np.where(pos, 1, s), 1 + s)
    return _result(x * s, "silu", (self,), (x, s), self.requires_grad)


def _silu_grad(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    x, s = ctx
    grad = 1 - s
    grad *= x
    grad += 1
    grad *= s
    grad *= g
    return grad


VJPS["silu"] = (_silu_grad,)


@method
def _leaky_relu(self, negative_slope: float) -> Tensor:
    """x where x > 0, else negative_slope * x; the slope at 0 is negative_slope, as PyTorch.

    One node: the output and the rule are both the input times one factor array.
    """
    x = self.data
    factor = (x > 0).astype(x.dtype)
    factor *= 1 - negative_slope
    factor += negative_slope
    return _result(x * factor, "leaky_relu", (self,), factor, self.requires_grad)


VJPS["leaky_relu"] = (lambda g, ans, factor: g * factor,)


@method
def _elu(self, alpha: float) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1); the rule is 1, or ans + alpha, as PyTorch."""
    x = self.data
    neg = np.minimum(x, 0)
    np.expm1(neg, out=neg)
    neg *= alpha
    return _result(np.where(x > 0, x, neg), "elu", (self,), (x, alpha), self.requires_grad)


def _elu_grad(g: ndarray, ans: ndarray, ctx: tuple[ndarray, float]) -> ndarray:
    x, alpha = ctx
    return g * np.where(x > 0, 1, ans + alpha)


VJPS["elu"] = (_elu_grad,)


@method
def _softplus(self, beta: float, threshold: float) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's rule).

    Computed as logaddexp(0, beta x), which never overflows; the rule is sigmoid(beta x)
    (1 past the threshold).
    """
    x = self.data
    z = x * beta if beta != 1 else x
    out = np.logaddexp(0, z)
    if beta != 1:
        out /= beta
    linear = z > threshold
    return _result(np.where(linear, x, out), "softplus", (self,), (z, linear), self.requires_grad)


def _softplus_grad(g: ndarray, ans: ndarray, ctx: tuple[ndarray, ndarray]) -> ndarray:
    z, linear = ctx  # d/dx log(1 + exp(z)) / beta = sigmoid(z)
    s = np.exp(-np.abs(z))
    s = np.divide(np.where(z >= 0, 1, s), 1 + s)
    s[linear] = 1
    s *= g
    return s


VJPS["softplus"] = (_softplus_grad,)
