"""The speed paths of the tensor engine give PyTorch's values and keep the input's dtype.

Each fast path (multiplication for integer powers, ...) is checked against PyTorch on the
edge values it could get wrong (0, -0, inf, nan, negative bases) in float32 and float64, and
its gradient against PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from micrograd.tensors import Tensor

RNG = np.random.default_rng(2024)
EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e30, 3.0, -2.5]


def _data(dtype: type) -> np.ndarray:
    return np.concatenate([EDGES, RNG.standard_normal(40)]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exponent", [3, 3.0, -2, -2.0, 4, 5.0, -3, 8, -0.5, 9, 2.5])
def test_scalar_power_matches_torch(dtype, exponent):
    x = _data(dtype)
    with np.errstate(all="ignore"):
        ours = (Tensor(x) ** exponent).data
    ref = torch.pow(torch.from_numpy(x), exponent).numpy()
    assert ours.dtype == dtype
    # 3, -2, -0.5: PyTorch's own products, so the same bits; others within a few ulps
    exact = exponent in (3, -2, -0.5)
    rtol = 0 if exact else 4 * np.finfo(dtype).eps
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=0, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exponent", [3.0, 4, -2.0, -0.5])
def test_scalar_power_gradient_matches_torch(dtype, exponent):
    x = np.abs(RNG.standard_normal((3, 5))).astype(dtype) + 0.5
    g = RNG.standard_normal((3, 5)).astype(dtype)
    ours = Tensor(x, requires_grad=True)
    (ours**exponent).backward(g)
    ref = torch.tensor(x, requires_grad=True)
    (ref**exponent).backward(torch.from_numpy(g))
    assert ours.grad.dtype == dtype
    np.testing.assert_allclose(ours.grad, ref.grad.numpy(), rtol=8 * np.finfo(dtype).eps)


def test_scalar_power_of_a_0d_tensor_and_integers():
    assert (Tensor(2.0) ** 3).item() == 8.0
    assert (Tensor(np.array([2, 3])) ** 3).data.tolist() == [8, 27]
    assert (Tensor(np.array([2.0, 0.0])) ** -3).data.tolist() == [0.125, np.inf]
