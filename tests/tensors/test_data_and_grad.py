"""``.data`` and ``.grad`` are tensors sharing the parameter's memory, as PyTorch's: in-place
updates through them, what autograd sees of them, and assigning them. Checked against PyTorch."""

import numpy as np
import pytest
import torch

import micrograd as mg

X0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=np.float32)


def _both(requires_grad=True):
    """The same float32 leaf in micrograd and in PyTorch."""
    return mg.tensor(X0, requires_grad=requires_grad), torch.tensor(X0, requires_grad=requires_grad)


def _loss(x):
    return (x * x * 3.0).sum()


def test_grad_is_a_tensor_and_the_same_one_each_time():
    for x in _both():
        _loss(x).backward()
        grad = x.grad
        assert grad is x.grad and not grad.requires_grad and grad.shape == x.shape
        _loss(x).backward()  # backward adds into it in place
        assert grad is x.grad
    ours, theirs = _both()
    for x in (ours, theirs):
        _loss(x).backward()
        _loss(x).backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    assert type(ours.grad) is mg.Tensor and ours.grad.dtype == mg.float32


def test_the_lectures_update_through_data_and_grad():
    ours, theirs = _both()
    for x in (ours, theirs):
        for _ in range(3):
            x.grad = None
            _loss(x).backward()
            x.data += -0.1 * x.grad
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    assert ours.requires_grad and ours.is_leaf


def test_in_place_methods_through_data_and_grad():
    ours, theirs = _both()
    for x, lib in ((ours, mg), (theirs, torch)):
        _loss(x).backward()
        x.grad.mul_(0.5)
        x.data.mul_(2.0)
        x.data.add_(x.grad, alpha=-0.1)
        x.grad.zero_()
        assert (x.grad == 0).all()
        x.data.copy_(lib.ones(2, 3) * 4.0)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_writes_through_data_are_not_seen_by_autograd():
    """As PyTorch: .data has its own version counter, so a graph built before the write
    backpropagates (with the new values) instead of raising."""
    ours, theirs = _both()
    for x in (ours, theirs):
        loss = _loss(x)
        version = x._version
        data = x.data
        assert data._version == 0 and not data.requires_grad and data.is_leaf
        x.data.mul_(2.0)
        x.data[0, 0] = 10.0
        assert x._version == version
        loss.backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_data_is_a_new_tensor_each_time_sharing_memory():
    for x in _both():
        assert x.data is not x.data
        x.data[1, 2] = 7.0
        assert x[1, 2].item() == 7.0


def test_assigning_grad_as_pytorch():
    for lib in (mg, torch):
        x = lib.zeros(2, 3, dtype=lib.float32, requires_grad=True)
        g = lib.ones(2, 3, dtype=lib.float32)
        x.grad = g
        assert x.grad is g
        (x * 2.0).sum().backward()  # adds into the assigned tensor, as PyTorch
        assert x.grad is g and g.tolist() == [[3.0] * 3] * 2
        x.grad = None
        assert x.grad is None
        with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
            x.grad = np.ones((2, 3))
        with pytest.raises(RuntimeError, match=r"gradient of size '\[3, 2\]'"):
            x.grad = lib.ones(3, 2)
        with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype"):
            x.grad = lib.ones(2, 3, dtype=lib.float64)


def test_assigning_data_replaces_the_memory_as_pytorch():
    for x, lib in (
        (mg.zeros(2, 3, requires_grad=True), mg),
        (torch.zeros(2, 3, requires_grad=True), torch),
    ):
        new = lib.arange(5.0)
        x.data = new
        assert x.shape == (5,) and x.requires_grad and x.is_leaf
        new[0] = 9.0  # the same memory
        assert x[0].item() == 9.0
        x.data = lib.zeros(2, dtype=lib.float64)
        assert x.dtype == lib.float64
        with pytest.raises(TypeError, match="Variable data has to be a tensor"):
            x.data = np.zeros(3)
        with pytest.raises(RuntimeError, match="requires gradients must be floating point"):
            x.data = lib.zeros(3, dtype=lib.int64)


def test_makemore_part3_statistics_of_grad_and_data():
    """((lr * p.grad).std() / p.data.std()).log10().item(), p.grad.norm(): PyTorch's numbers
    (its std is the unbiased one)."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((10, 4)).astype(np.float32)
    x = rng.standard_normal((8, 10)).astype(np.float32)
    stats = []
    for lib in (mg, torch):
        p = lib.tensor(w, requires_grad=True)
        (lib.tensor(x) @ p).tanh().sum().backward()
        ratio = ((0.1 * p.grad).std() / p.data.std()).log10().item()
        stats.append((p.grad.std().item(), p.grad.norm().item(), p.grad.mean().item(), ratio))
    np.testing.assert_allclose(stats[0], stats[1], rtol=1e-5)


def test_numpy_ufuncs_and_dlpack_read_tensors_as_numpy_reads_pytorchs():
    ours, theirs = _both(requires_grad=False)
    for fn in (np.abs, np.exp, np.isnan):
        mine = fn(ours)
        assert isinstance(mine, mg.Tensor)
        np.testing.assert_array_equal(mine, fn(theirs.numpy()))
    assert torch.equal(torch.tensor(ours), theirs)  # torch reads it through DLPack
    shared = torch.from_dlpack(ours)
    shared[0, 0] = 5.0
    assert ours[0, 0].item() == 5.0
    leaf = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        np.exp(leaf)
    with pytest.raises(RuntimeError, match="require gradient"):
        torch.tensor(leaf)
