"""In-place writes into tensors of a graph (``t[i] = v``, ``t += v``, ...) against PyTorch.

The lectures write into tensors that are part of a graph: ``dlogits[range(n), Yb] -= 1``
(makemore part 4), ``self.out += self.bias`` (parts 3 and 5), ``xbow[b, t] = x[b, :t+1].mean(0)``
("Let's build GPT"). Each program here runs twice, on micrograd and on torch (float64, same
numbers), and every gradient must agree.
"""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import micrograd as mg

RNG = np.random.default_rng(0)
X0 = RNG.normal(size=(4, 5))
Y0 = [0, 3, 2, 4]


def _grad(t):
    return t.grad.numpy() if isinstance(t, torch.Tensor) else np.asarray(t.grad)


def _both(program):
    """Run ``program(lib)`` (it returns the tensors whose grads to compare, the output first)
    on micrograd and on torch; assert the outputs and every gradient agree."""
    ours, theirs = program(mg), program(torch)
    np.testing.assert_allclose(np.asarray(ours[0].data), theirs[0].detach().numpy(), atol=1e-12)
    for a, b in zip(ours[1:], theirs[1:]):
        assert (a.grad is None) == (b.grad is None)
        if b.grad is not None:
            np.testing.assert_allclose(_grad(a), _grad(b), atol=1e-12)
    return ours


def _leaf(lib, array=X0):
    return lib.tensor(array, requires_grad=True)


def test_manual_backprop_style_write_into_softmax_rows():
    """makemore part 4: dlogits = softmax(logits); dlogits[range(n), Yb] -= 1; dlogits /= n."""

    def program(lib):
        x = _leaf(lib)
        d = x * 3.0
        before = d.sum(1)  # used before the writes: its gradient goes to d's old values
        d[range(4), lib.tensor(Y0)] -= 1
        d /= 4
        out = (d**2).sum() + before.sum()
        out.backward()
        return out, x

    _both(program)


INDICES = [
    (1,),
    (slice(1, 3),),
    (slice(None), 2),
    (slice(None, None, 2), slice(1, None)),
    ([0, 2, 2],),  # a repeated row: written twice, the last value stays
    (Ellipsis, [1, 4]),
]


@pytest.mark.parametrize("index", INDICES)
@pytest.mark.parametrize("value_kind", ["number", "tensor", "graph"])
def test_setitem_on_a_graph_tensor(index, value_kind):
    def program(lib):
        x = _leaf(lib)
        w = _leaf(lib, X0[0] * 2)
        d = x * 2.0 - 1.0  # (PyTorch's tanh would need its output, the values written)
        target = np.shape(X0[index])
        value = {
            "number": 0.5,
            "tensor": lib.tensor(np.full(target[-1:], 0.25)),
            "graph": (w * 3)[: target[-1]] if target else (w * 3)[0],
        }[value_kind]
        d[index] = value
        out = (d * lib.tensor(X0)).sum()
        out.backward()
        return out, x, w

    ours = _both(program)
    assert ours[1].grad is not None


def test_bool_mask_write_and_masked_fill_():
    def program(lib):
        x = _leaf(lib)
        d = x * 2.0
        d[d > 0.5] = 0.0
        e = x + 1.0
        e.masked_fill_(lib.tensor(X0 < 0), -1.0)
        out = (d * e).sum()
        out.backward()
        return out, x

    _both(program)


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/=", "**="])
def test_augmented_assignment_on_a_graph_tensor(op):
    """``self.out = x @ self.weight; self.out += self.bias``: t op= v writes t in place."""

    def program(lib):
        x, b = _leaf(lib), _leaf(lib, X0[0] + 3.0)
        out = x @ lib.tensor(X0.T)
        alias = out
        value = b[:4] if op != "**=" else 2
        if op == "+=":
            out += value
        elif op == "-=":
            out -= value
        elif op == "*=":
            out *= value
        elif op == "/=":
            out /= value
        else:
            out **= value
        assert alias is out  # the same tensor, changed in place
        loss = out.tanh().sum()
        loss.backward()
        return loss, x, b

    _both(program)


def test_a_write_that_depends_on_the_tensor_itself():
    """x += f(x), twice, with an operation between: no cycle, every gradient as PyTorch's."""

    def program(lib):
        x = _leaf(lib)
        h = x * 1.5 + 0.25
        early = h * 1.0
        h += h.tanh() * 2
        mid = h.sum(0)
        h[0] = (h[[0]] - h[[1]] * 0.5)[0]  # list indices copy: no view of h is kept
        h *= h.sum()
        out = h.sum() + early.sum() * 0.1 + mid.sum()
        out.backward()
        return out, x

    _both(program)


def test_writing_graph_values_into_a_plain_tensor():
    """The GPT lecture's first bag of words: xbow[b, t] = mean of x[b, :t+1], in a loop."""

    def program(lib):
        x = _leaf(lib, X0.reshape(2, 2, 5))
        xbow = lib.zeros((2, 2, 5), dtype=lib.float64)
        for b in range(2):
            for t in range(2):
                xbow[b, t] = x[b, : t + 1].mean(0)
        out = (xbow**2).sum()
        out.backward()
        return out, x

    _both(program)


def test_accumulating_a_loss_in_place():
    def program(lib):
        w = _leaf(lib)
        loss = lib.zeros(())
        for row in lib.tensor(X0):
            loss += ((row * w).sum(1) ** 2).mean()
        loss.backward()
        return loss, w

    _both(program)


def test_micrograd_keeps_values_pytorch_would_have_overwritten():
    """exp's rule reads its output; PyTorch raises when that output was written in place,
    micrograd kept the values and gives the true gradient (exp(x) * x, then a write)."""
    x = mg.tensor(X0, requires_grad=True)
    e = x.exp()
    y = e * x
    e[0] = 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.exp(X0) * X0 + np.exp(X0))

    xt = torch.tensor(X0, requires_grad=True)
    et = xt.exp()
    yt = et * xt
    et[0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        yt.sum().backward()


def test_a_write_under_no_grad_is_still_caught():
    x = mg.tensor(X0, requires_grad=True)
    e = x.exp()
    with mg.no_grad():
        e[0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        e.sum().backward()


def test_parameter_scaled_in_place_stays_the_parameter_the_optimizer_holds():
    """``with torch.no_grad(): layer.weight *= 0.1`` after the optimizer was made."""
    layer = mg.nn.Linear(3, 2)
    optimizer = mg.optim.SGD(layer.parameters(), lr=0.5)
    weight = layer.weight
    before = weight.data.clone()
    with mg.no_grad():
        layer.weight *= 0.1
        layer.bias -= 1.0
    assert layer.weight is weight and isinstance(weight, mg.nn.Parameter)
    np.testing.assert_allclose(weight.data, before * 0.1)
    layer(mg.ones(1, 3)).sum().backward()
    optimizer.step()
    np.testing.assert_allclose(weight.data, before * 0.1 - 0.5)


def test_integer_counts_in_place():
    """makemore part 1: N[ix1, ix2] += 1 on an int32 table; P /= P.sum(1, keepdims=True)."""
    n = mg.zeros((3, 3), dtype=mg.int32)
    for a, b in [(0, 1), (0, 1), (2, 0)]:
        n[a, b] += 1
    assert n.dtype == np.int32 and n.tolist() == [[0, 2, 0], [0, 0, 0], [1, 0, 0]]
    p = (n + 1).float()
    alias = p
    p /= p.sum(1, keepdims=True)
    assert alias is p and np.allclose(p.sum(1).data, 1.0)
    with pytest.raises(RuntimeError, match="can't be cast"):
        n /= 2  # PyTorch: result type Float can't be cast to the desired output type Int
    assert n.dtype == np.int32


def test_bad_writes_raise_and_leave_the_tensor_as_it_was():
    x = mg.tensor(X0, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Tensor that requires grad"):
        x += 1
    with pytest.raises(RuntimeError, match="leaf Tensor that requires grad"):
        x[0] = 1.0
    h = x * 2
    view = h[1:]
    with pytest.raises(RuntimeError, match="shares its memory with another tensor"):
        view += 1
    # Both work in PyTorch (a gap: micrograd cannot record a write through or beside a view)
    with pytest.raises(RuntimeError, match=r"as t\[0\] in t\[0\] -= v"):
        h[0] -= 1
    with pytest.raises(RuntimeError, match="shares its memory with another tensor"):
        h[0] = h[1] * 2
    d = x * 2
    snapshot, node = d.data.clone(), (d._op, d._prev)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        d += mg.ones(2, 4, 5)
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        d[0] = mg.ones(3, requires_grad=True)
    counts = mg.zeros(3, dtype=mg.long)
    with pytest.raises(RuntimeError, match="int64 tensor cannot hold values that require grad"):
        counts[0] = x[0, 0]
    assert counts.tolist() == [0, 0, 0] and not counts.requires_grad
    np.testing.assert_array_equal(d.data, snapshot)
    assert (d._op, d._prev) == node and d._version == 0
    d.sum().backward()  # still the tensor it was
    np.testing.assert_allclose(x.grad, 2.0)


@given(
    rows=st.lists(st.integers(0, 3), min_size=1, max_size=6),
    scale=st.floats(-2, 2, allow_nan=False),
    ops=st.lists(st.sampled_from(["set", "add", "mul", "use"]), min_size=1, max_size=5),
)
def test_random_sequences_of_writes_match_torch(rows, scale, ops):
    def program(lib):
        x = _leaf(lib)
        w = _leaf(lib, X0[:, 0] + 0.5)
        h = x * 1.5
        uses = []
        for op in ops:
            if op == "set":
                h[rows] = w[: len(rows)].unsqueeze(1) * scale if len(rows) <= 4 else scale
            elif op == "add":
                h += h[[rows[0]]] * scale
            elif op == "mul":
                h *= lib.tensor(X0[:, :1] - 0.5)  # (PyTorch's mul_ by a tensor needing grad
                # would need self's old values, and raise)
            else:
                uses.append((h.sum(0) * w[0]).sum())
        out = h.sum() + sum(uses, start=lib.zeros(()))
        out.backward()
        return out, x, w

    _both(program)
