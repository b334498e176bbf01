"""The backward walk: the chain rule over a tensor graph, and the one table of rules it uses.

``Tensor.backward`` checks its argument and calls ``backpropagate``, which visits every
node after all the nodes computed from it (``micrograd.graph.topological_order``, shared
with ``Value``) and asks ``VJPS`` for each operand's gradient. The walk also does what no
single rule can:

* sums a gradient of a broadcast result back to its operand's shape (``unbroadcast``);
* adds the contributions of a tensor used more than once;
* drops an intermediate gradient once passed on, as PyTorch does (``retain_grad`` keeps it);
* refuses a node whose kept values were written in place since it was built.

Gradient memory. A step's backward makes about as many gradient arrays as its forward made
activations; where a gradient can be formed in an array the walk already holds, it is. A
tensor's ``_owns_grad`` is true while nothing but that tensor refers to its ``grad``: an
array the walk made or a rule freshly returned. Two things use it:

* a later contribution to that tensor is added into its array in place;
* when a node's own gradient is owned, the rule of one operand (the last to run) may form
  its result in that array: ``INTO`` holds these rules, beside ``VJPS``. A node may give its
  array away only once: if another rule of the node returned it (``+`` returns ``g`` for
  both operands) or a view of it (``reshape``), it is shared, and every rule makes a fresh
  array as usual.

The contract this rests on: a rule returns ``g`` itself, a view of ``g`` or of something it
was given, or an array nothing else refers to (``g * b``, never an array kept in ``ctx``).
Both tables give the same numbers, bit for bit (tests/test_autograd_memory.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from micrograd.graph import topological_order
from micrograd.tensors._shapes import SliceGrad, add_slice, unbroadcast
from micrograd.tensors._versions import check_unmodified, write_count

ndarray = np.ndarray
Rule = Callable[[Any, Any, Any], Any]

# The one table of derivative rules, HIPS-autograd style, filled in by the op modules: for each
# primitive, one function per operand, in order, of (g, ans, ctx) giving d(loss)/d(operand),
# where g = d(loss)/d(ans), ans is the primitive's output and ctx what its forward recorded.
# Each rule returns a gradient of the output's (broadcast) shape; backward() reduces it to the
# operand's shape.
VJPS: dict[str, tuple[Rule, ...]] = {}

# For some primitives, rules that may form their result in g itself (and return it), one per
# operand or None, in the operands' order: used for the last operand that has one, when the
# walk owns g (see the module's docstring). Each gives exactly its VJPS rule's numbers.
INTO: dict[str, tuple[Rule | None, ...]] = {}

# Off only for the tests that check both tables agree.
reuse_gradients = [True]


def backpropagate(root: Any, gradient: ndarray) -> None:
    """Fill the ``grad`` of every tensor ``root`` depends on, given d(loss)/d(root) =
    ``gradient``, a fresh array of root's shape and dtype that the walk may keep."""
    order = topological_order(root)
    for node in order:  # this call's gradients replace the last call's, except on leaves
        node._owns_grad = False  # (a leaf's grad from an earlier call may be anyone's)
        if node._prev:
            node.grad = None
    if root.grad is None:
        root.grad = gradient
        root._owns_grad = True
    else:
        root.grad = root.grad + gradient
    vjps, into_rules, asarray = VJPS, INTO, np.asarray
    reuse, writes = reuse_gradients[0], write_count[0]
    for node in reversed(order):  # every node after all the nodes computed from it
        prev, g = node._prev, node.grad
        if not prev or g is None:  # a leaf, or a constant
            continue
        if node._built_at != writes:  # something was written in place since it was built
            prev = check_unmodified(node)  # (the operands as the node used them)
        ans, ctx, op = node.data, node._ctx, node._op
        mine = reuse and node._owns_grad and not node._retains_grad and g.flags.writeable
        last = -1  # the operand whose rule forms its result in g, run after the others
        if mine and op in into_rules:
            into = into_rules[op]
            for i in range(min(len(prev), len(into)) - 1, -1, -1):
                if into[i] is not None and prev[i].requires_grad:
                    last = i
                    break
        passed = None  # the operand that was handed g (or a view of it), if exactly one
        i = -1
        for rule, parent in zip(vjps[op], prev):
            i += 1
            if i == last or not parent.requires_grad:
                continue
            pg = rule(g, ans, ctx)
            if type(pg) is not ndarray:
                if type(pg) is SliceGrad:
                    add_slice(parent, pg)
                    continue
                pg = asarray(pg)  # NumPy returns 0-d results as scalars
            data = parent.data
            base = pg.base
            shares = pg is g or (base is not None and (base is g or base is g.base))
            if pg.shape != data.shape:
                pg, shares, base = unbroadcast(pg, data.shape), False, None
            elif shares and not parent._prev:  # a leaf keeps its grad: never shared
                pg, shares, base = pg.copy(), False, None
            if pg.dtype is not data.dtype:
                pg, shares, base = _cast(pg, data.dtype), False, None
            if parent.grad is None:
                parent.grad = pg
                if shares:
                    last = -1  # g is shared from here on: no rule may write into it
                    passed = parent if passed is None else node  # node: more than one
                elif base is None:  # fresh: only parent holds it (if writeable: see _add)
                    parent._owns_grad = True
                elif not parent._prev:  # a view of something else (a broadcast) for a leaf
                    parent.grad = pg.copy()
                    parent._owns_grad = True
            else:
                _add(parent, pg, base is None and not shares)
        if last >= 0:  # nothing else refers to g: the last rule may form its result in it
            parent = prev[last]
            pg = into_rules[op][last](g, ans, ctx)
            data = parent.data
            if pg.shape != data.shape:
                pg = unbroadcast(pg, data.shape)
            if pg.dtype is not data.dtype:
                pg = _cast(pg, data.dtype)
            if parent.grad is None:
                parent.grad = pg  # g, or an array made for it: parent's alone either way
                parent._owns_grad = True
            else:
                _add(parent, pg, True)
        elif mine and passed is not None and passed is not node:
            grad = passed.grad  # g handed on whole (x + 1, a reshape): still one holder
            if grad is g or grad.base is g or (grad.base is not None and grad.base is g.base):
                passed._owns_grad = True
        if not node._retains_grad:  # passed on: drop it, as PyTorch does
            node.grad = None


def _add(parent: Any, pg: ndarray, fresh: bool) -> None:
    """Add a later contribution ``pg`` into ``parent.grad``, in place where the walk owns
    either array (``fresh``: nothing else refers to pg)."""
    if parent._owns_grad and parent.grad.flags.writeable:
        parent.grad += pg
    elif fresh and pg.flags.writeable:  # the grad may be shared, pg is not: the sum formed
        # in pg (addition commutes)
        pg += parent.grad
        parent.grad = pg
        parent._owns_grad = True
    else:  # out of place: both may be shared
        parent.grad = parent.grad + pg
        parent._owns_grad = True


def _cast(grad: ndarray, dtype: np.dtype) -> ndarray:
    """``grad`` in ``dtype``, its operand's (e.g. a float32 parameter used with float64 data)."""
    return grad if grad.dtype == dtype else grad.astype(dtype)
