"""Shared test settings: hypothesis profiles sized for a 2-core CI machine, and the default
dtype (PyTorch's float32 for every test, float64 where a module asks for it)."""

import os
import sys

import pytest
from hypothesis import HealthCheck, settings

import micrograd

settings.register_profile(
    "default",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _default_dtype_restored():
    """Every test starts with PyTorch's default dtype, float32, whatever the last one set."""
    yield
    micrograd.set_default_dtype(micrograd.float32)


@pytest.fixture(autouse=True)
def _matmul_precision_restored():
    """Every test starts with both libraries' float32 matmul precision as the last one found
    it. The scripts' tests ask PyTorch itself for build-nanogpt's 'high'; left set, it mixes
    with a later test's legacy ``allow_tf32`` switches, and PyTorch then refuses to say its
    precision (the tests ran in either order under pytest-xdist)."""
    torch = sys.modules.get("torch")
    saved = torch.get_float32_matmul_precision() if torch else None
    ours = micrograd.get_float32_matmul_precision()
    yield
    micrograd.set_float32_matmul_precision(ours)
    if torch is not None:
        torch.set_float32_matmul_precision(saved)


@pytest.fixture
def float64_default():
    """float64 as the default dtype for the test: for tests that compare with PyTorch in
    float64 to tolerances float32 would not meet (``pytestmark`` in their module)."""
    micrograd.set_default_dtype(micrograd.float64)
    yield
    micrograd.set_default_dtype(micrograd.float32)
