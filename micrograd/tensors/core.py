"""The tensor: storage, what it was computed from, and backpropagation.

A ``Tensor`` wraps an ndarray (``_data``) and, when it was computed from tensors that require
grad, remembers how: its operands (``_prev``, a tuple like ``Value._prev``), the name of the
primitive (``_op``) and what that primitive's derivative needs (``_ctx``). The engine computes
on ndarrays: the ops and their rules, and the walk, read ``_data`` and write ``_grad`` (an
ndarray too). What a user sees, ``t.data`` and ``t.grad``, are PyTorch's: tensors sharing
those arrays (``data`` is detached: writes through it are not seen by autograd). ``backward``
checks its argument and runs the walk at the end of this module, ``backpropagate``: the
chain rule, node by node in reverse topological order (``micrograd.graph``, shared with
``Value``), asking ``VJPS``, the one table of derivative rules, for each operand's gradient.

This module holds no operation. Each op lives in the module of its kind (``ops``: arithmetic
and matmul; ``power``: ``**``; ``elementwise``, ``softmax``, ``reductions``,
``compare``; ``shape_ops``: views; ``indexing``: indexing and in-place writes; ...), with its
derivative rule right below its forward; the op is attached to ``Tensor`` with ``@method``
and its rule entered in ``VJPS`` there. The fused network ops that only
``torch.nn.functional`` has (``cross_entropy``, ``layer_norm``, attention, ...) live in
``micrograd.nn.functional`` and enter their rules in ``VJPS`` the same way. So this module
never imports an op module, and the arrows between the rooms point one way.

Why the ops look the way they do:

* Few primitives; ``- / mean softmax`` and most losses are written through them.
* A rule returns the gradient with the *output's* shape. If the operand was broadcast, the
  engine sums it back to the operand's shape in one place (``unbroadcast``, below).
* Speed matters (the benchmarks compare training steps with the same step written by hand in
  NumPy, and with PyTorch), so an operation does the NumPy call and little else: no generic
  dispatch layer, no copies, and no graph at all when nothing requires grad or under
  ``no_grad()``.

In-place writes and the version counter, PyTorch's check that a rule never reads a value
written over since its forward ran: ``_versions``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np

from micrograd.graph import NO_OPERANDS, Operands, topological_order
from micrograd.tensors._shapes import Size, normalize_dim
from micrograd.tensors._versions import check_unmodified, new_cell, write_count
from micrograd.tensors.dtypes import array_from, as_device, as_dtype, get_default_dtype, is_float
from micrograd.tensors.errors import DTypeError, ShapeError
from micrograd.tensors.grad_mode import _grad_mode

__all__ = ["RULE_TEXT", "Tensor", "VJPS", "method"]

ndarray = np.ndarray
Scalar = int | float | np.number
F = TypeVar("F", bound=Callable[..., Any])
Rule = Callable[[ndarray, ndarray, Any], ndarray]

# The one table of derivative rules, HIPS-autograd style, filled in by the op modules right
# below each forward: for each primitive, one rule per operand, in order, each a function of
# (g, ans, ctx) giving that operand's gradient, where g is d(loss)/d(ans), ans the primitive's
# output and ctx what its forward kept for the rule. A rule may return its gradient in the
# output's shape: the walk sums it back to the operand's (``unbroadcast``).
VJPS: dict[str, tuple[Rule, ...]] = {}

# Each rule again, as a learner would write it: one Python expression per operand, entered
# by the op modules right below the op's VJPS line, which ``micrograd.explore`` shows (with
# the tensors' names put in) at each step of a tensor graph's backward pass. An expression
# reads ``grad`` (the output's gradient, g above), ``out`` (the output, ans), the operands'
# data as ``a``, ``b``, ``c``, ... in order, NumPy as ``np``, and the few named constants
# and helpers listed in micrograd/explore/rules.py (what a forward kept in ctx, such as a
# sum's ``dims``, and a few functions such as ``add_at``). ``X if flag else Y`` picks a
# variant by a named flag, and the page shows only the one taken. Like VJPS, the expression
# gives the gradient in the output's shape where the walk sums it back. A test
# (tests/explore/test_rule_text.py) evaluates every entry against its VJPS rule on random
# inputs, so the two cannot drift apart; the library itself never evaluates them.
RULE_TEXT: dict[str, tuple[str, ...]] = {}


def method(func_or_name: Any) -> Any:
    """Attach a function to ``Tensor``: how the op modules add operations.

    ``@method`` attaches it under its own name; ``@method("sum")`` under the name given, for
    functions that must not shadow a builtin in their module.
    """
    if isinstance(func_or_name, str):

        def attach(func: F) -> F:
            setattr(Tensor, func_or_name, func)
            return func

        return attach
    setattr(Tensor, func_or_name.__name__, func_or_name)
    return func_or_name


class Tensor:
    """An n-dimensional array that records the operations that produced it.

    ``Tensor(data)``: ``data`` is copied into a new ndarray of ``dtype`` if given. Otherwise
    NumPy arrays keep their dtype, and Python data follows PyTorch: floats take the default
    dtype (float32 unless ``set_default_dtype`` changed it), ints int64, bools bool. As with
    ``torch.Tensor``, an ndarray of the default dtype is not copied but shared (a write into
    either shows in both); ``micrograd.tensor`` always copies. Integer and boolean tensors
    are data, indices or targets, never differentiable. ``device`` may
    only be ``'cpu'`` (micrograd's one device); ``requires_grad``, ``dtype`` and ``device``
    are keywords.

    ``Tensor(2, 3)`` (two or more ints) or ``Tensor(t.shape)`` (a ``Size``): a tensor of that
    shape in the default dtype, as PyTorch's legacy constructor makes one, but filled with
    zeros (PyTorch leaves the memory as it was) so that runs repeat. One int alone is data,
    as in micrograd until now: ``Tensor(3)`` is the number 3 (PyTorch's would be 3 entries);
    ``zeros(3)`` says what it means either way.

    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> loss = (x * x).sum()
    >>> loss.backward()
    >>> loss.item(), x.grad.tolist()
    (30.0, [[2.0, 4.0], [6.0, 8.0]])
    """

    __slots__ = (
        "_data",  # the ndarray: what the engine computes on (``data`` is a Tensor of it)
        "_grad",  # None or an ndarray of _data's shape and dtype (``grad`` is a Tensor of it)
        "_grad_tensor",  # the Tensor ``grad`` last gave, kept so that p.grad is p.grad
        "requires_grad",
        "label",
        "_prev",
        "_op",
        "_ctx",
        "_version_cell",  # [version, stamps of the last 2 writes], one list shared with views
        "_built_at",  # for a node: write_count[0] when it was built
        "_retains_grad",  # for a node: keep its grad after backward (retain_grad())
    )

    # ``==`` is elementwise (it returns a Tensor), so hashing is by identity, as in PyTorch:
    # tensors can be set members and dict keys (the graph walk keeps them in a set).
    __hash__ = object.__hash__

    def __init__(
        self,
        data: Any = (),
        *sizes: int,
        requires_grad: bool = False,
        dtype: Any = None,
        device: Any = None,
    ) -> None:
        if isinstance(data, Tensor):
            data = data._data
        as_device(device)  # "cpu" or None; anything else raises, naming what exists
        if sizes or isinstance(data, Size):  # Tensor(2, 3), Tensor(t.shape)
            self._data: ndarray = _zeros(data, sizes, dtype)
        elif dtype is None and type(data) is ndarray and data.dtype == get_default_dtype():
            self._data = data  # shared, as torch.Tensor(ndarray) shares it
        else:
            self._data = array_from(data, dtype)  # floats follow get_default_dtype()
        self._grad: ndarray | None = None
        self._grad_tensor: Tensor | None = None
        self.requires_grad = False
        self.label = ""
        self._prev: tuple[Tensor, ...] = NO_OPERANDS
        self._op = ""
        self._ctx: Any = None
        self._version_cell = new_cell()
        self._built_at = 0
        self._retains_grad = False
        if requires_grad:
            self.requires_grad_()

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (floating-point tensors only) and return self."""
        if requires_grad and not is_float(self._data.dtype):
            raise DTypeError(
                f"only floating-point tensors can require grad, this one is {self._data.dtype}; "
                "create it with float data or dtype=np.float64"
            )
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        """True unless an operation recorded in a graph produced this tensor (PyTorch's
        meaning: parameters, data and anything made under ``no_grad()`` are leaves)."""
        return not self._prev

    def retain_grad(self) -> None:
        """Keep ``grad`` for this non-leaf tensor after ``backward()``, as PyTorch's.

        Without it, ``backward`` drops a non-leaf tensor's gradient once it has been passed on
        to the tensor's operands, as PyTorch does: a training step then holds no gradient
        array but the parameters'.
        """
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf tensor whose ``grad`` ``backward`` keeps (``retain_grad()``)."""
        return bool(self._prev) and self._retains_grad

    # ----------------------------------------------------------------- data and grad

    @property
    def data(self) -> Tensor:
        """This tensor's values as a tensor cut from the graph that shares their memory, as
        PyTorch's ``.data``: writes through it (``p.data += -lr * p.grad``,
        ``p.data.copy_(w)``) change this tensor, and autograd does not see them (it has a
        version counter of its own), so a graph built before still backpropagates, with the
        new values; ``detach()`` is the checked way. ``p.data = t`` gives this tensor ``t``'s
        memory, whatever its shape and dtype."""
        return _result(self._data, "", (), None, False)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self.requires_grad and not is_float(value._data.dtype):
            raise RuntimeError(
                "data set to a tensor that requires gradients must be floating point, got "
                f"{value._data.dtype}"
            )
        self._data = value._data

    @property
    def grad(self) -> Tensor | None:
        """None until ``backward`` reaches this tensor, then d(output)/d(this tensor): a tensor
        of this one's shape and dtype. As in PyTorch it is the same tensor each time you ask
        (``p.grad is p.grad``), ``backward`` adds into it in place, and writing into it
        (``p.grad.zero_()``, ``p.grad *= 0.5``) changes the gradient."""
        g = self._grad
        if g is None:
            return None
        t = self._grad_tensor
        if t is None or t._data is not g:
            t = self._grad_tensor = _result(g, "", (), None, False)
        return t

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    "assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a "
                    f"tensor of size '{list(self.shape)}'. Please ensure that the gradient "
                    "and the tensor are the same size"
                )
            if value.dtype != self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype}' to a tensor "
                    f"with dtype '{self.dtype}': the gradient must have the tensor's dtype"
                )
        self._grad = None if value is None else value._data
        self._grad_tensor = value

    # ----------------------------------------------------------------- array facts

    @property
    def shape(self) -> Size:
        """The length of each dimension, as a ``Size``: a tuple, with ``numel()``. (The
        engine reads ``data.shape``, a plain tuple, which costs less.)"""
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        """The number of dimensions (also ``dim()``)."""
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions: 0 for a scalar, 2 for a matrix."""
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def size(self, dim: int | None = None) -> Size | int:
        """The shape as a ``Size`` (a tuple), or with ``dim`` the length of that dimension.

        >>> t = Tensor([[1, 2, 3], [4, 5, 6]])
        >>> t.size(), t.size(-1)
        (Size([2, 3]), 3)
        """
        shape = self._data.shape
        if dim is None:
            return Size(shape)
        if not shape:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return shape[normalize_dim(dim, len(shape))]

    def numel(self) -> int:
        """The number of elements (the product of the shape; 1 for a 0-d tensor)."""
        return self._data.size

    nelement = numel  # PyTorch's older name, the lectures' ``sum(p.nelement() for p in ...)``

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        """The tensor's slices along dim 0 (rows of a matrix), each t[i] with its gradient."""
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def detach(self) -> Tensor:
        """A tensor sharing this one's data (and version), cut from the graph."""
        out = _result(self._data, "", (), None, False)
        out._version_cell = self._version_cell
        return out

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extra = "" if self._data.dtype == get_default_dtype() else f", dtype={self._data.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    # ----------------------------------------------------------------- in-place writes

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's memory has had through the API."""
        return self._version_cell[0]

    def _bump_version(self) -> None:
        """Count one in-place write into ``data``: what optimizers call after a step."""
        cell = self._version_cell
        write_count[0] += 1
        cell[0] += 1
        cell[2] = cell[1]
        cell[1] = write_count[0]

    # ----------------------------------------------------------------- backpropagation

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Fill ``grad`` of every tensor this one depends on with d(self)/d(tensor) · gradient.

        Without ``gradient`` this tensor must have one element (a loss), and the gradient is 1.
        Leaves (tensors no operation produced, such as parameters) accumulate across calls, as
        in PyTorch; zero them between steps. An intermediate tensor's gradient is dropped
        once passed on, as in PyTorch, unless ``retain_grad()`` was called on it: then it
        holds this call's gradient, replacing any earlier one (treat it as read-only, as a
        leaf's ``grad`` may be a view of it). RuntimeError if a value some rule needs was
        written in place after it was used (see the module's docstring).

        ``inputs`` (a tensor or a sequence of them), as PyTorch's: only these accumulate
        gradients (an intermediate one too, into its ``grad``); every other ``grad`` stays as
        it was. ``retain_graph`` changes nothing: micrograd never frees a graph's saved
        values, so a second ``backward()`` through the same graph runs and accumulates into
        the leaves again, where PyTorch raises unless ``retain_graph=True`` (so ``explore``
        can still draw a loss's graph after ``loss.backward()``). ``create_graph=True``
        (a graph of the backward pass, for gradients of gradients) is not supported.
        """
        if create_graph:
            raise NotImplementedError(
                "backward(create_graph=True): micrograd computes first derivatives only (the "
                "backward pass records no graph), so gradients of gradients are not supported"
            )
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: nothing it depends on "
                "has requires_grad=True (or it was computed under no_grad())"
            )
        data = self._data
        if gradient is None:
            if data.size != 1:
                raise ShapeError(
                    f"backward() without a gradient needs a one-element tensor (a loss); this "
                    f"one has shape {data.shape}: pass gradient= with that shape"
                )
            gradient = np.array(1, data.dtype).reshape(data.shape)  # np.ones, minus its overhead
        else:
            if isinstance(gradient, Tensor):
                gradient = gradient._data
            gradient = np.array(gradient, dtype=data.dtype)  # a copy: the caller's stays theirs
            if gradient.shape != data.shape:
                raise ShapeError(
                    f"backward(): gradient has shape {gradient.shape}, "
                    f"but the tensor has shape {data.shape}"
                )

        if inputs is None:
            backpropagate(self, gradient)
        else:
            _backpropagate_into(self, gradient, _inputs(inputs))


def _zeros(first: Any, sizes: tuple[Any, ...], dtype: Any) -> ndarray:
    """The data of ``Tensor(2, 3)`` or ``Tensor(t.shape)``: zeros of that shape, in ``dtype``
    or the default dtype."""
    dims = (*first, *sizes) if isinstance(first, Size) else (first, *sizes)
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in dims):
        raise TypeError(
            "Tensor() takes data (one argument: a number, a sequence, an array) or sizes "
            f"(ints, or a Size), got {', '.join(repr(x) for x in (first, *sizes))}"
        )
    if any(n < 0 for n in dims):
        raise ShapeError(f"Tensor(): sizes must be non-negative, got {tuple(map(int, dims))}")
    return np.zeros(dims, get_default_dtype() if dtype is None else as_dtype(dtype))


# --------------------------------------------------------------------- the backward walk


def backpropagate(root: Tensor, gradient: ndarray, wanted: set[Tensor] | None = None) -> None:
    """The chain rule over the graph ``root`` was computed from, given d(loss)/d(root).

    As the scalar engine's ``backward``: visit every node after all the nodes computed from
    it (``topological_order``, shared with ``Value``), and for each operand of each node add
    ``rule(node.grad)``, that operand's share of the node's gradient, to the operand's grad.
    With ``wanted`` (``backward(inputs=...)``), only to the operands among those.
    """
    order = topological_order(root)
    for node in order:  # this call's gradients replace the last call's, except on leaves
        if node._prev:
            node._grad = None
    if wanted is None or root in wanted:
        accumulate(root, gradient)
    for node in reversed(order):  # every node after all the nodes computed from it
        g = node._grad
        if not node._prev or g is None:  # a leaf, or nothing flowed back to this node
            continue
        operands = node._prev
        if node._built_at != write_count[0]:  # something was written in place since it was
            operands = check_unmodified(node)  # built: raise if it read what was overwritten
        for rule, operand in zip(VJPS[node._op], operands):
            if operand.requires_grad and (wanted is None or operand in wanted):
                accumulate(operand, rule(g, node._data, node._ctx), g)  # the chain rule
        if not node._retains_grad:  # passed on: dropped, as PyTorch does
            node._grad = None


def _inputs(inputs: Any) -> list[Tensor]:
    """``backward``'s ``inputs``: a tensor or a non-empty sequence of tensors requiring grad."""
    tensors = [inputs] if isinstance(inputs, Tensor) else inputs
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise RuntimeError(
            f"backward(inputs=...) takes a tensor or a non-empty list of tensors, got {inputs!r}"
        )
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"backward(inputs=...): entry {i} is a {type(t).__name__}, not a Tensor"
            )
        if not t.requires_grad:
            raise RuntimeError(
                f"backward(inputs=...): entry {i} does not require grad, so it can get no gradient"
            )
    return list(tensors)


def _backpropagate_into(root: Tensor, gradient: ndarray, inputs: list[Tensor]) -> None:
    """``backward(inputs=...)``: the walk, passing gradients only to the nodes from which one
    of ``inputs`` can be reached. An intermediate tensor among the inputs keeps its gradient
    (as ``retain_grad`` does), added to what it held, as PyTorch's."""
    wanted: set[Tensor] = set(inputs)
    for node in topological_order(root):  # each node after its operands
        if any(operand in wanted for operand in node._prev):
            wanted.add(node)
    kept = [(t, t._grad, t._retains_grad) for t in set(inputs) if t._prev]
    for t, _, _ in kept:
        t._retains_grad = True
    try:
        backpropagate(root, gradient, wanted)
    finally:
        for t, before, retains in kept:
            t._retains_grad = retains
            if before is not None:
                t._grad = before if t._grad is None else before + t._grad


def accumulate(tensor: Tensor, grad: ndarray, given: ndarray | None = None) -> None:
    """Add one contribution to ``tensor._grad``, first brought to the tensor's shape (summed
    over the dims broadcasting added, ``unbroadcast``) and dtype (a float32 parameter used
    with float64 data gets a float32 grad).

    A leaf's grad is the user's (to scale or zero in place, to hold as ``p.grad``) and must be
    nobody else's: it keeps a copy of a contribution that is ``given`` itself or a view, and
    later contributions are added into it in place, as PyTorch does. Between the nodes of the
    graph a sum is a new array, never an addition into the old one: a rule may hand the same
    array to two operands (``+`` gives both the ``given`` gradient).
    """
    if type(grad) is not ndarray:  # NumPy returns 0-d results as scalars
        grad = np.asarray(grad)
    data = tensor._data
    if grad.shape != data.shape:
        grad = unbroadcast(grad, data.shape)
    if grad.dtype is not data.dtype:
        grad = grad.astype(data.dtype, copy=False)
    old = tensor._grad
    if old is None:
        if not tensor._prev and (grad is given or grad.base is not None):
            grad = grad.copy()
        tensor._grad = grad
    elif not tensor._prev and old.flags.writeable:
        old += grad
    else:
        tensor._grad = old + grad


def unbroadcast(grad: ndarray, shape: tuple[int, ...]) -> ndarray:
    """Sum a gradient of a broadcast result back to an operand's ``shape``: the one place.

    ``b`` of shape (3,) added to ``x`` of shape (2, 3) was used by both rows, so its gradient
    is the sum of the two rows' gradients: sum over the dims broadcasting put in front, then
    (keeping them) over the dims where ``shape`` has a 1 that was stretched.
    """
    lead = grad.ndim - len(shape)
    if lead:
        grad = sum_rows(grad.reshape(-1, *grad.shape[lead:]))
    for i, n in enumerate(shape):
        if n == 1 and grad.shape[i] != 1:
            grad = grad.sum(axis=i, keepdims=True)
    return grad


def sum_rows(x: ndarray) -> ndarray:
    """``x.sum(axis=0)`` as one BLAS product, ones @ x: on a batch of gradients (a layer's
    bias, every step) NumPy's own sum costs two to five times as much (benchmarks/README.md)."""
    rows = x if x.ndim == 2 else x.reshape(len(x), math.prod(x.shape[1:]))
    # bfloat16 (NumPy kind "V") is summed in float32, as PyTorch sums it
    total = ones(len(rows), x.dtype.char if x.dtype.kind == "f" else "f").dot(rows)
    return total if x.ndim == 2 else total.reshape(x.shape[1:])


@functools.lru_cache(maxsize=16)
def ones(n: int, dtype: str) -> ndarray:
    """A read-only vector of n ones, kept: np.ones would cost as much as the product it feeds,
    and a batch size repeats every step."""
    vector = np.ones(n, dtype)
    vector.flags.writeable = False
    return vector


# --------------------------------------------------------------------- helpers for the ops


def _result(data: Any, op: str, prev: tuple, ctx: Any, requires_grad: bool) -> Tensor:
    """A new tensor holding ``data``; it records its graph only if that can ever be used."""
    out = Tensor.__new__(Tensor)
    out._data = data if type(data) is ndarray else np.asarray(data)  # NumPy returns 0-d as scalars
    out._grad = None
    out._grad_tensor = None
    out.label = ""
    out._version_cell = [0, 0, 0]  # new_cell(), spelled out: the hot path
    out._retains_grad = False
    if requires_grad and _grad_mode.enabled:
        out.requires_grad = True
        out._prev = Operands(prev)
        out._op = op
        out._ctx = ctx
        out._built_at = write_count[0]
    else:  # keep no parents, so nothing is held alive and backward never walks here
        out.requires_grad = False
        out._prev = NO_OPERANDS
        out._op = ""
        out._ctx = None
        out._built_at = 0
    return out


def _view(data: ndarray, op: str, base: Tensor, ctx: Any) -> Tensor:
    """``_result`` for an op whose output may view ``base``'s memory (reshape, transpose,
    slicing): if NumPy did return a view, the two share one version counter, so that a write
    through either is seen by rules that kept the other."""
    out = _result(data, op, (base,), ctx, base.requires_grad)
    if out._data.base is not None:
        out._version_cell = base._version_cell
    return out


def _constant(x: Any) -> Any:
    """A non-Tensor operand as NumPy will combine it: numbers stay Python numbers (so they
    never upcast a float32 tensor), NumPy scalars become Python numbers, arrays stay arrays.
    NotImplemented for anything else, so Python raises its usual TypeError."""
    if type(x) is float or type(x) is int:
        return x
    if isinstance(x, np.generic):  # before float: np.float64 is a float subclass
        return x.item() if x.dtype.kind in "biufV" else NotImplemented
    if isinstance(x, (int, float)):  # bool and other subclasses
        return x
    if isinstance(x, ndarray) and x.dtype.kind in "biuf":
        return x
    return NotImplemented
