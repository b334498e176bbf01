"""Issue 17, B2: every in-place write the library makes into a parameter or buffer counts as
one (its version moves), so a graph built before the write refuses to backpropagate with
PyTorch's error instead of silently using the new values. Writes through ``.data`` do not
count, in both libraries."""

import numpy as np
import pytest
import torch

import micrograd as mg

MODIFIED = "modified by an inplace operation"

WRITES = {
    "init.zeros_": lambda lib, lin: lib.nn.init.zeros_(lin.weight),
    "init.ones_": lambda lib, lin: lib.nn.init.ones_(lin.weight),
    "init.normal_": lambda lib, lin: lib.nn.init.normal_(lin.weight),
    "init.uniform_": lambda lib, lin: lib.nn.init.uniform_(lin.weight),
    "init.constant_": lambda lib, lin: lib.nn.init.constant_(lin.weight, 0.3),
    "init.xavier_uniform_": lambda lib, lin: lib.nn.init.xavier_uniform_(lin.weight),
    "init.kaiming_normal_": lambda lib, lin: lib.nn.init.kaiming_normal_(lin.weight),
    "init.eye_": lambda lib, lin: lib.nn.init.eye_(lin.weight),
    "init.orthogonal_": lambda lib, lin: lib.nn.init.orthogonal_(lin.weight),
    "load_state_dict": lambda lib, lin: lin.load_state_dict(lib.nn.Linear(3, 2).state_dict()),
    "state_dict entry": lambda lib, lin: lin.state_dict()["weight"].mul_(2),
    "no_grad setitem": lambda lib, lin: _under_no_grad(lib, lambda: lin.weight.__setitem__(0, 1)),
    "optimizer step": lambda lib, lin: _step(lib, lin),
}


def _under_no_grad(lib, write):
    with lib.no_grad():
        write()


def _step(lib, lin):
    lin.weight.grad = lib.ones(2, 3)
    lib.optim.SGD(lin.parameters(), lr=0.1).step()


def _graph(lib, seed=0):
    """The issue's reproducer: y = (lin(x) ** 2).sum(), not yet backpropagated."""
    lib.manual_seed(seed)
    lin = lib.nn.Linear(3, 2)
    x = lib.ones(1, 3, requires_grad=True)
    return lin, x, (lin(x) ** 2).sum()


@pytest.mark.parametrize("name", list(WRITES))
def test_a_library_write_after_the_forward_is_refused_as_in_pytorch(name):
    for lib in (mg, torch):
        lin, _, y = _graph(lib)
        WRITES[name](lib, lin)
        with pytest.raises(RuntimeError, match=MODIFIED):
            y.backward()


def test_the_same_write_before_the_forward_is_fine():
    for lib in (mg, torch):
        lin, _, _ = _graph(lib)
        lib.nn.init.zeros_(lin.weight)
        x = lib.ones(1, 3, requires_grad=True)
        (lin(x) ** 2).sum().backward()
        assert lin.weight.grad is not None


def test_batch_norm_counts_its_writes_as_pytorch_does():
    for lib in (mg, torch):
        bn = lib.nn.BatchNorm1d(2)
        y = (bn.running_mean * lib.ones(2, requires_grad=True)).sum()
        versions = bn.running_mean._version, bn.num_batches_tracked._version
        bn(lib.randn(4, 2))  # training: the batch count moves, and the running statistics
        # PyTorch's kernel updates the running statistics without counting it; add_ counts
        assert (bn.running_mean._version, bn.num_batches_tracked._version) == (
            versions[0],
            versions[1] + 1,
        )
        y.backward()
        y = (bn.running_mean * lib.ones(2, requires_grad=True)).sum()
        bn.reset_running_stats()
        with pytest.raises(RuntimeError, match=MODIFIED):
            y.backward()


def test_writes_through_data_are_not_counted_in_either_library():
    for lib in (mg, torch):
        lin, x, y = _graph(lib)
        lin.weight.data.zero_()  # unseen by autograd: the rules read the new weights
        y.backward()
        np.testing.assert_array_equal(x.grad, np.zeros((1, 3)))
        assert lin.weight.grad is not None
