"""Reductions along the last axis of a (rows, n) array, each done NumPy's fastest way.

NumPy reduces a contiguous last axis one row at a time, and for the short rows of softmax
over attention scores (16 to 64 entries) setting up each row costs more than its arithmetic.
So softmax, attention and the normalizations reduce rows through BLAS (a sum is a product
with a vector of ones) and take a short row's max from its transposed copy, whose reduction
over axis 0 runs elementwise across all rows at once (benchmarks/README.md measures both).
"""

from __future__ import annotations

import numpy as np

from micrograd.tensors.core import ones

ndarray = np.ndarray

# Up to this many entries per row, the max of the transposed copy beats NumPy's row loop.
_SHORT_ROW = 48


def as_rows(x: ndarray) -> ndarray:
    """``x`` as (rows, last axis): a view when x is C-contiguous, a copy otherwise."""
    return x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)


def row_max(x2: ndarray) -> ndarray:
    """The max of each row of a 2-D array, shape (rows,)."""
    if x2.shape[1] <= _SHORT_ROW:
        return np.maximum.reduce(x2.T.copy(), axis=0)
    return np.maximum.reduce(x2, axis=1)


def row_sum(x2: ndarray) -> ndarray:
    """The sum of each row of a 2-D array, shape (rows,): one BLAS matrix-vector product."""
    return x2.dot(ones(x2.shape[1], x2.dtype.char))


def col_sum(x2: ndarray) -> ndarray:
    """The sum of each column of a 2-D array, shape (columns,): ones @ x2, through BLAS."""
    return ones(x2.shape[0], x2.dtype.char).dot(x2)


def row_dot(a: ndarray, b: ndarray) -> ndarray:
    """sum(a * b) of each row of two 2-D arrays of one shape, without forming a * b."""
    return np.einsum("ij,ij->i", a, b)
