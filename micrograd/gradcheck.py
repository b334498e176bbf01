"""Checking backward against finite differences, for Value and Tensor functions.

``gradcheck(fn, *inputs)`` computes ``fn(*inputs)``, runs backward once to get the analytic
gradient of every input entry, then nudges each entry by ``±eps`` and compares with the
central difference ``(f(x + eps) - f(x - eps)) / 2eps``. It returns True or raises
``GradcheckError`` naming the worst entry.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from micrograd.engine import Value
from micrograd.graph import topological_order
from micrograd.tensors import Tensor

__all__ = ["GradcheckError", "gradcheck"]

# The cotangent for a Tensor output of more than one element: fixed, so a failure reproduces.
_COTANGENT_SEED = 0


class GradcheckError(AssertionError):
    """Backward disagrees with finite differences; the attributes describe the worst entry.

    ``input_index`` (position among the inputs), ``index`` (within that input: ``()`` for a
    Value), ``analytic``, ``numeric``, ``abs_error``, ``rel_error`` (relative to
    ``|numeric|``), and ``failed`` / ``total`` (how many entries failed, of how many).
    """

    def __init__(
        self,
        message: str,
        *,
        input_index: int,
        index: tuple[int, ...],
        analytic: float,
        numeric: float,
        abs_error: float,
        rel_error: float,
        failed: int,
        total: int,
    ) -> None:
        super().__init__(message)
        self.input_index = input_index
        self.index = index
        self.analytic = analytic
        self.numeric = numeric
        self.abs_error = abs_error
        self.rel_error = rel_error
        self.failed = failed
        self.total = total


def gradcheck(
    fn: Callable[..., Any],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> bool:
    """True if backward's gradient of ``fn`` matches central finite differences at ``inputs``.

    ``inputs`` are ``Value``s or ``Tensor``s (floating point, ``requires_grad=True``). As with
    PyTorch's gradcheck they should be float64 (``eps=1e-6`` is below float32's resolution),
    and a float32 input, the default dtype's, is warned about: make them with
    ``dtype=micrograd.float64``, or ``set_default_dtype(micrograd.float64)`` first.
    ``fn(*inputs)`` must return a ``Value`` or a ``Tensor``. An entry passes when
    ``|analytic - numeric| <= atol + rtol * |numeric|`` (NumPy's ``isclose``); otherwise
    ``GradcheckError`` (an ``AssertionError``) names the worst entry.

    A Tensor output with more than one element is checked through the vector-Jacobian
    product with a fixed random cotangent ``v`` (seeded, so failures reproduce): backward
    with ``gradient=v`` against finite differences of ``sum(v * fn(...))``. A random ``v``
    rather than all ones, so that errors that cancel in a plain sum (a wrong transpose, a
    swapped sign) still show.

    Each input is treated as an independent leaf for the duration of the check (an input
    computed from another input is not differentiated through it). Inputs' data is restored
    exactly, and every ``grad`` in the graph is left as it was found.

    >>> from micrograd import Value
    >>> gradcheck(lambda a, b: (a * b + b**3).tanh(), Value(0.3), Value(-0.5))
    True
    >>> class BadTanh(Value):
    ...     def tanh(self):
    ...         out = super().tanh()
    ...         out._da = 1.0  # wrong: d tanh(x)/dx = 1 - tanh(x)**2
    ...         return out
    >>> gradcheck(lambda x: x.tanh(), BadTanh(0.8))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    micrograd.gradcheck.GradcheckError: gradcheck failed for 1 of 1 entries; worst: input 0 ...
    """
    _check_arguments(fn, inputs, eps, atol, rtol)
    # Each input is an independent leaf while we check, so backward stops there: its operands
    # are cut (a Value's _prev is settable, as the original's plain attribute was) and put back.
    saved_operands = [x._prev for x in inputs]
    saved_grads: list[tuple[Any, Any]] = []  # (node, grad) for every grad backward may touch
    try:
        for x in inputs:
            x._prev = ()
        analytic, cotangent = _analytic_grads(fn, inputs, saved_grads)
        numeric = _numeric_grads(fn, inputs, eps, cotangent)
    finally:
        for x, operands in zip(inputs, saved_operands):
            x._prev = operands
        for node, grad in saved_grads:
            _set_grad(node, grad)
    _compare(inputs, analytic, numeric, atol, rtol)
    return True


# --------------------------------------------------------------------- the two gradients


def _analytic_grads(
    fn: Callable[..., Any], inputs: tuple[Any, ...], saved: list[tuple[Any, Any]]
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Each input's gradient from one backward pass, and the cotangent it used.

    Every grad that backward may change is first appended to ``saved``, to be restored.
    """
    out = fn(*inputs)
    cotangent = _cotangent(out)
    graph = topological_order(out)
    in_graph = {id(node) for node in graph}
    saved += [(node, _grad_of(node)) for node in graph]
    saved += [(x, _grad_of(x)) for x in inputs if id(x) not in in_graph]
    for x in inputs:
        x.grad = 0.0 if isinstance(x, Value) else None
    if isinstance(out, Value):
        out.backward()
    elif getattr(out, "requires_grad", True):
        out.backward(gradient=cotangent)
    # else: a Tensor that depends on no input needing grad has zero gradient everywhere.
    grads = []
    for x in inputs:
        shape = () if isinstance(x, Value) else x.shape
        grads.append(np.zeros(shape) if x.grad is None else np.array(x.grad, dtype=np.float64))
    return grads, cotangent


def _numeric_grads(
    fn: Callable[..., Any], inputs: tuple[Any, ...], eps: float, cotangent: np.ndarray | None
) -> list[np.ndarray]:
    """Each input's gradient by central differences, one entry at a time."""
    grads = []
    for x in inputs:
        if isinstance(x, Value):
            original = x.data
            try:
                x.data = original + eps
                plus, step_up = _objective(fn(*inputs), cotangent), x.data
                x.data = original - eps
                minus, step_down = _objective(fn(*inputs), cotangent), x.data
            finally:
                x.data = original
            grads.append(np.array((plus - minus) / (step_up - step_down)))
            continue
        data = x._data  # perturbed in place, and restored
        grad = np.zeros(data.shape)
        for index in np.ndindex(data.shape):
            original = data[index].copy()
            try:
                # The step actually taken (x + eps rounds in the data's dtype) is the divisor.
                data[index] = original + eps
                plus, step_up = _objective(fn(*inputs), cotangent), float(data[index])
                data[index] = original - eps
                minus, step_down = _objective(fn(*inputs), cotangent), float(data[index])
            finally:
                data[index] = original
            grad[index] = (plus - minus) / (step_up - step_down)
        grads.append(grad)
    return grads


def _objective(out: Any, cotangent: np.ndarray | None) -> float:
    """The scalar whose derivative backward computed: ``out`` itself, or ``sum(v * out)``."""
    if cotangent is None:
        if not isinstance(out, Value):
            raise TypeError(f"gradcheck: fn returned a Value, then a {type(out).__name__}")
        return out.data
    data = out._data if isinstance(out, Tensor) else None
    if data is None or data.shape != cotangent.shape:
        raise TypeError(
            f"gradcheck: fn returned a Tensor of shape {cotangent.shape}, then "
            f"{type(out).__name__} of shape {np.shape(data)}: its output must keep its shape"
        )
    return float(np.sum(cotangent * data))


def _cotangent(out: Any) -> np.ndarray | None:
    """None for a Value output; for a Tensor, ones if it has one element, else fixed noise."""
    if isinstance(out, Value):
        return None
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Value or a Tensor, got {type(out).__name__}")
    shape = out.shape
    if out.numel() == 1:
        return np.ones(shape)
    return np.random.default_rng(_COTANGENT_SEED).standard_normal(shape)


def _grad_of(node: Any) -> Any:
    """A copy of ``node``'s gradient as backward keeps it: a float, an ndarray or None."""
    grad = node.grad if isinstance(node, Value) else node._grad
    return grad.copy() if isinstance(grad, np.ndarray) else grad


def _set_grad(node: Any, grad: Any) -> None:
    if isinstance(node, Value):
        node.grad = grad
    else:
        node._grad = grad


# --------------------------------------------------------------------- verdict


def _compare(
    inputs: tuple[Any, ...],
    analytic: list[np.ndarray],
    numeric: list[np.ndarray],
    atol: float,
    rtol: float,
) -> None:
    """Raise GradcheckError naming the entry that misses its tolerance by the widest margin."""
    worst = None  # (badness, input_index, index)
    failed = total = 0
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        total += a.size
        with np.errstate(invalid="ignore"):
            error = np.abs(a - n)
            badness = error / (atol + rtol * np.abs(n))
        same = a == n  # equal infinities pass; any NaN fails
        badness = np.where(same, 0.0, np.where(np.isnan(badness), np.inf, badness))
        bad = badness > 1.0
        failed += int(bad.sum())
        if bad.any():
            index = np.unravel_index(int(np.argmax(badness)), a.shape)
            if worst is None or badness[index] > worst[0]:
                worst = (badness[index], i, tuple(int(k) for k in index))
    if worst is None:
        return
    _, i, index = worst
    a, n = float(analytic[i][index]), float(numeric[i][index])
    abs_error = abs(a - n)
    rel_error = abs_error / abs(n) if n != 0 else math.inf if abs_error else 0.0
    x = inputs[i]
    what = f"{type(x).__name__}" + (f" {x.label!r}" if getattr(x, "label", "") else "")
    if not isinstance(x, Value):
        what += f" of shape {x.shape}"
    raise GradcheckError(
        f"gradcheck failed for {failed} of {total} entries; worst: input {i} ({what}), "
        f"index {index}: analytic {a:.6g} vs numeric {n:.6g}, abs error {abs_error:.3g}, "
        f"rel error {rel_error:.3g} (allowed: atol={atol:g} + rtol={rtol:g} * |numeric|)",
        input_index=i,
        index=index,
        analytic=a,
        numeric=n,
        abs_error=abs_error,
        rel_error=rel_error,
        failed=failed,
        total=total,
    )


def _check_arguments(fn: Any, inputs: tuple[Any, ...], eps: Any, atol: Any, rtol: Any) -> None:
    if not callable(fn):
        raise TypeError(f"gradcheck: fn must be callable, got {type(fn).__name__}")
    if not inputs:
        raise ValueError("gradcheck: give at least one input (a Value or a Tensor) after fn")
    for name, value, lowest in (("eps", eps, "positive"), ("atol", atol, ""), ("rtol", rtol, "")):
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        ok = ok and math.isfinite(value) and (value > 0 if lowest else value >= 0)
        if not ok:
            kind = "a positive" if lowest else "a non-negative"
            raise ValueError(f"gradcheck: {name} must be {kind} finite number, got {value!r}")
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            continue
        if not isinstance(x, Tensor):
            hint = " (wrap numbers in Value(...))" if isinstance(x, numbers.Number) else ""
            raise TypeError(
                f"gradcheck: input {i} must be a Value or a Tensor, got {type(x).__name__}{hint}"
            )
        data = x._data
        if data.dtype.kind != "f":
            raise TypeError(
                f"gradcheck: input {i} has dtype {data.dtype}; only floating-point "
                "tensors have gradients"
            )
        if not getattr(x, "requires_grad", True):
            raise ValueError(
                f"gradcheck: input {i} has requires_grad=False, so backward gives it no "
                "gradient to check; create it with requires_grad=True"
            )
        if not data.flags.writeable:
            raise ValueError(f"gradcheck: input {i}'s data is read-only; it must be perturbed")
        if data.dtype.itemsize < 8:
            warnings.warn(
                f"gradcheck: input {i} is {data.dtype}; finite differences with eps={eps:g} "
                "are unreliable below float64 (make it with dtype=micrograd.float64)",
                stacklevel=3,
            )
