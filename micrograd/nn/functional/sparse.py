"""``embedding`` (rows of a table looked up by index) and ``one_hot``."""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.nn.functional._args import index_array, tensor_arg
from micrograd.tensors import RULE_TEXT, VJPS, Tensor
from micrograd.tensors.core import _result, ndarray

_tensor = tensor_arg


def embedding(
    input: Any,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) at the integer indices ``input``:
    shape input.shape + (embedding_dim,). The row ``padding_idx`` gets no gradient; with
    ``max_norm`` the rows looked up are first rescaled in place to norm <= max_norm (as
    PyTorch); ``sparse=True`` gives the same gradient, dense.

    >>> embedding(Tensor([[0, 2]]), Tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])).shape
    Size([1, 2, 2])
    """
    _tensor(weight, "embedding weight")
    if weight.ndim != 2:
        raise ValueError(
            f"embedding weight must have shape (num_embeddings, embedding_dim), got {weight.shape}"
        )
    num = weight.shape[0]
    indices = index_array(input, "embedding input")
    if indices.size and (indices.min() < 0 or indices.max() >= num):
        bad = indices[(indices < 0) | (indices >= num)].flat[0]
        raise IndexError(
            f"embedding index {bad} is out of range for a weight of {num} rows "
            f"(indices must be in [0, {num - 1}])"
        )
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding padding_idx {padding_idx} must be within [-{num}, {num})")
        padding_idx = int(padding_idx) % num
    if max_norm is not None:
        _renorm_rows(weight._data, indices, float(max_norm), float(norm_type))
    return _embedding(weight, indices, padding_idx, bool(scale_grad_by_freq))


def _renorm_rows(table: np.ndarray, indices: np.ndarray, max_norm: float, p: float) -> None:
    """Scale the rows of ``table`` looked up by ``indices`` whose p-norm exceeds max_norm to
    norm max_norm, in place, as PyTorch's embedding_renorm_ (not recorded in any graph)."""
    rows = np.unique(indices)
    norms = np.linalg.norm(table[rows], ord=p, axis=1)
    big = norms > max_norm
    table[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(table.dtype)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class indices (any shape) as one-hot rows: an int64 tensor of shape
    tensor.shape + (num_classes,); num_classes=-1 takes the largest index + 1.

    >>> one_hot(Tensor([0, 2])).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    indices = index_array(tensor, "one_hot input")
    if num_classes == -1:
        if indices.size == 0:
            raise ValueError("one_hot cannot infer num_classes from an empty tensor; pass it")
        num_classes = int(indices.max()) + 1
    if indices.size and indices.min() < 0:
        raise ValueError(f"one_hot class values must be non-negative, got {indices.min()}")
    if indices.size and indices.max() >= num_classes:
        raise ValueError(
            f"one_hot class values must be smaller than num_classes={num_classes}, "
            f"got {indices.max()}"
        )
    out = np.zeros((*indices.shape, num_classes), np.int64)
    np.put_along_axis(out, indices[..., None].astype(np.intp), 1, axis=-1)
    return Tensor(out)


# Up to this many (rows of the table) x (indices looked up), the embedding's gradient is one
# BLAS product onehot.T @ g; past it a sort and one segmented sum (np.add.reduceat), whose
# cost does not grow with the table. Both beat np.add.at (benchmarks/README.md).
_ONE_HOT_LIMIT = 1 << 17


def _embedding(
    input: Tensor, indices: ndarray, padding_idx: int | None, scale_by_freq: bool
) -> Tensor:
    """Rows ``input[indices]`` of the table input (num_embeddings, dim): shape indices.shape +
    (dim,). Indices are checked, in [0, num_embeddings), by ``nn.functional.embedding``.

    Fused: a gather whose rule is one scatter-add of every looked-up row's gradient into a
    table of zeros, the row ``padding_idx`` left at zero.
    """
    w = input._data
    out = w.take(indices, axis=0)
    return _result(
        out,
        "embedding",
        (input,),
        (indices, w.shape, padding_idx, scale_by_freq),
        input.requires_grad,
    )


def _embedding_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    indices, shape, padding_idx, scale_by_freq = ctx
    flat, rows = indices.reshape(-1), g.reshape(-1, shape[1])
    num = shape[0]
    if scale_by_freq:  # each row's gradient divided by how often it was looked up
        counts = np.bincount(flat, minlength=num)
        rows = rows / counts[flat, None].astype(g.dtype)
    if num * len(flat) <= _ONE_HOT_LIMIT:
        one_hot = np.zeros((num, len(flat)), g.dtype)
        one_hot[flat, np.arange(len(flat))] = 1
        grad = one_hot.dot(rows)
    else:
        order = np.argsort(flat, kind="stable")
        sorted_flat = flat[order]
        starts = np.flatnonzero(np.r_[True, sorted_flat[1:] != sorted_flat[:-1]])
        grad = np.zeros(shape, g.dtype)
        grad[sorted_flat[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    if padding_idx is not None:
        grad[padding_idx] = 0
    return grad


VJPS["embedding"] = (_embedding_grad,)
RULE_TEXT["embedding"] = (
    "add_at(np.zeros_like(a), index, grad) if plain"
    " else index_put(add_at(np.zeros_like(a), index, grad / freq), padding_idx, 0) if padded"
    " else add_at(np.zeros_like(a), index, grad / freq)",
)
