"""``pad``: pad (or crop) a tensor's last dims with a constant or its own entries."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from micrograd.nn.functional._args import tensor_arg
from micrograd.tensors import RULE_TEXT, VJPS, Tensor
from micrograd.tensors.core import _result, ndarray

_tensor = tensor_arg


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pad (or, with negative amounts, crop) the last len(pad) // 2 dims: ``pad`` lists
    (before, after) pairs starting from the last dim, as PyTorch. ``mode='constant'`` fills
    with ``value`` (0); 'reflect', 'replicate' and 'circular' repeat the input's own entries.

    >>> pad(Tensor([[1.0, 2.0]]), (1, 2)).tolist()
    [[0.0, 1.0, 2.0, 0.0, 0.0]]
    """
    _tensor(input, "pad input")
    pad = tuple(int(n) for n in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad must have an even length of at most 2 * {input.ndim} (the input's dims), "
            f"got {len(pad)}"
        )
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ValueError(
            f"pad mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}"
        )
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for d, (before, after) in enumerate(widths):
        n = input.shape[d]
        if n + before + after < 0:
            raise ValueError(f"pad {pad} would leave dim {d} of size {n} with a negative size")
        if mode != "constant" and (before < 0 or after < 0):
            raise ValueError(f"pad mode {mode!r} takes no negative padding, got {pad}")
        if mode == "reflect" and (before >= n or after >= n):
            raise ValueError(
                f"reflect padding must be smaller than the dim it pads: {pad} on {input.shape}"
            )
        if mode == "circular" and (before > n or after > n):
            raise ValueError(f"circular padding must be at most the dim's size: {pad}")
    return _pad(input, tuple(widths), mode, 0.0 if value is None else float(value))


# F.pad's modes other than 'constant', as np.pad names the same index patterns
_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad(input: Tensor, widths: tuple[tuple[int, int], ...], mode: str, value: float) -> Tensor:
    """input padded by ``widths`` ((before, after) per dim; negative crops, 'constant' only).

    'constant' copies input into a filled array and its rule slices the gradient back out;
    the other modes gather along each padded dim with an index map (np.pad of arange) and
    their rule scatter-adds along the same maps, last dim first.
    """
    x = input._data
    if mode == "constant":
        src = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, widths))
        dst = tuple(
            slice(max(b, 0), max(b, 0) + max(s.stop - s.start, 0)) for s, (b, _) in zip(src, widths)
        )
        out = np.full(tuple(n + b + a for n, (b, a) in zip(x.shape, widths)), value, x.dtype)
        out[dst] = x[src]
        return _result(out, "pad", (input,), (x.shape, src, dst), input.requires_grad)
    maps = []
    out = x
    for d, (b, a) in enumerate(widths):
        if b or a:
            index = np.pad(np.arange(x.shape[d]), (b, a), mode=_PAD_MODES[mode])
            out = out.take(index, axis=d)
            maps.append((d, index))
    return _result(out, "pad_gather", (input,), (x.shape, maps), input.requires_grad)


def _pad_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    shape, src, dst = ctx
    grad = np.zeros(shape, g.dtype)
    grad[src] = g[dst]
    return grad


def _pad_gather_grad(g: ndarray, ans: ndarray, ctx: tuple) -> ndarray:
    shape, maps = ctx
    for d, index in reversed(maps):
        moved = np.moveaxis(g, d, 0)
        acc = np.zeros((shape[d], *moved.shape[1:]), g.dtype)
        np.add.at(acc, index, moved)
        g = np.moveaxis(acc, 0, d)
    return np.ascontiguousarray(g)


VJPS["pad"] = (_pad_grad,)
VJPS["pad_gather"] = (_pad_gather_grad,)
RULE_TEXT["pad"] = ("index_put(np.zeros_like(a), src, grad[dst])",)
RULE_TEXT["pad_gather"] = ("unpad(grad, maps, a.shape)",)
