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
activations, and a fresh array is written into memory that is no longer in the cache, so
where a gradient can be formed in an array the walk already holds, it is. The walk keeps
``owned``: the arrays that it made or a rule freshly returned, each with the one tensor
whose gradient it is, and that nothing else refers to. Two things use it:

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
        if node._prev:
            node.grad = None
    owned: dict[int, Any] = {}
    if root.grad is None:
        root.grad = gradient
        owned[id(gradient)] = root
    else:
        root.grad = root.grad + gradient
    vjps, into_rules, reuse = VJPS, INTO, reuse_gradients[0]
    writes = write_count[0]
    for node in reversed(order):  # every node after all the nodes computed from it
        prev, g = node._prev, node.grad
        if not prev or g is None:  # a leaf, or a constant
            continue
        if node._built_at != writes:  # something was written in place since it was built
            prev = check_unmodified(node)  # (the operands as the node used them)
        ans, ctx = node.data, node._ctx
        rules = vjps[node._op]
        mine = reuse and not node._retains_grad and owned.get(id(g)) is node
        memory = g if g.base is None else g.base  # what a view of g has as its base
        last = -1  # the operand whose rule forms its result in g, run after the others
        if mine and (into := into_rules.get(node._op)) is not None:
            for i in range(min(len(prev), len(into)) - 1, -1, -1):
                if into[i] is not None and prev[i].requires_grad:
                    last = i
                    break
        passed = None  # the operand that was handed g (or a view of it), if exactly one
        for i, (rule, parent) in enumerate(zip(rules, prev)):
            if i == last or not parent.requires_grad:
                continue
            pg = rule(g, ans, ctx)
            if type(pg) is SliceGrad:
                add_slice(parent, pg, owned)
            elif _accumulate(parent, pg, g, memory, owned, False):
                last = -1  # g is shared from here on: no rule may write into it
                passed = parent if passed is None else node  # node: more than one
        if last >= 0:  # nothing else refers to g: the last rule may form its result in it
            parent = prev[last]
            pg = into_rules[node._op][last](g, ans, ctx)
            if _accumulate(parent, pg, g, memory, owned, True) and parent.grad is pg:
                owned[id(pg)] = parent
        elif mine and passed is not None and passed is not node:
            grad = passed.grad  # g handed on whole (x + 1, a reshape): still one holder
            if grad is not None and (grad is g or grad.base is memory):
                owned[id(grad)] = passed
        if not node._retains_grad:  # passed on: drop it, as PyTorch does
            node.grad = None


def _accumulate(
    parent: Any, pg: Any, g: ndarray, memory: ndarray, owned: dict[int, Any], whole: bool
) -> bool:
    """Add ``pg``, a rule's gradient for ``parent`` computed from ``g``, into parent's grad;
    True if what was stored is ``g`` or a view of its ``memory``. ``whole``: g is the walk's to give
    away (an ``INTO`` rule's result), so a leaf may keep it without a copy."""
    if type(pg) is not ndarray:
        pg = np.asarray(pg)  # NumPy returns 0-d results as scalars
    data = parent.data
    shares = pg is g or pg.base is memory
    fresh = not shares and pg.base is None and pg.flags.writeable
    if pg.shape != data.shape:
        pg = unbroadcast(pg, data.shape)
        shares, fresh = False, True
    elif not parent._prev and not whole and (shares or not pg.flags.writeable):
        pg, shares, fresh = pg.copy(), False, True  # a leaf keeps its grad: never shared
    if pg.dtype is not data.dtype:
        pg, shares, fresh = _cast(pg, data.dtype), False, True
    old = parent.grad
    if old is None:
        parent.grad = pg
        if fresh:
            owned[id(pg)] = parent
        return shares
    if owned.get(id(old)) is parent:
        old += pg
    elif fresh:  # old may be shared, pg is not: the sum formed in pg (addition commutes)
        pg += old
        parent.grad = pg
        owned[id(pg)] = parent
    else:  # out of place: both may be shared
        parent.grad = old = old + pg
        owned[id(old)] = parent
    return False


def _cast(grad: ndarray, dtype: np.dtype) -> ndarray:
    """``grad`` in ``dtype``, its operand's (e.g. a float32 parameter used with float64 data)."""
    return grad if grad.dtype == dtype else grad.astype(dtype)
