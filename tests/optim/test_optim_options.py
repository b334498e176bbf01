"""The optimizer options PyTorch's signatures carry beyond the hyper-parameters (``amsgrad``,
``maximize``, ``foreach``, ``fused``, ``capturable``, ``differentiable``,
``decoupled_weight_decay``), against torch.optim on the CPU: the same numbers, the same
signatures and saved groups, and PyTorch's refusals.

build-nanogpt checks ``'fused' in inspect.signature(torch.optim.AdamW).parameters`` and passes
``fused=use_fused``; nanoGPT passes ``fused=True`` on CUDA only. PyTorch has fused (and foreach)
kernels on the CPU that compute what its for-loop computes, so micrograd accepts them and
computes the same.
"""

import inspect

import numpy as np
import pytest
import torch

from micrograd import optim
from micrograd.tensors import Tensor

F64 = torch.float64


def _np(x):
    """A tensor's values as an ndarray, whether ``.data`` is an ndarray or a Tensor."""
    return np.asarray(x.detach().numpy())


def _steps(ours, theirs, kwargs, steps=6, seed=0):
    """Run both optimizers from the same start on the same gradients (set through backward,
    so the test reads the same whatever ``.grad`` is); assert the parameters agree."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,)]
    inits = [rng.normal(size=s) for s in shapes]
    mine = [Tensor(a.copy(), requires_grad=True) for a in inits]
    ref = [torch.tensor(a, requires_grad=True) for a in inits]
    opt, ref_opt = ours(mine, **kwargs), theirs(ref, **kwargs)
    for _ in range(steps):
        grads = [rng.normal(size=s) for s in shapes]
        opt.zero_grad()
        ref_opt.zero_grad()
        sum((p * Tensor(g)).sum() for p, g in zip(mine, grads, strict=True)).backward()
        sum((q * torch.tensor(g)).sum() for q, g in zip(ref, grads, strict=True)).backward()
        opt.step()
        ref_opt.step()
        for p, q in zip(mine, ref, strict=True):
            np.testing.assert_allclose(_np(p), q.detach().numpy(), rtol=1e-12, atol=1e-14)
    return opt, ref_opt


ADAMS = [(optim.Adam, torch.optim.Adam), (optim.AdamW, torch.optim.AdamW)]


@pytest.mark.parametrize(("ours", "theirs"), ADAMS, ids=["Adam", "AdamW"])
@pytest.mark.parametrize(
    "options",
    [
        {"amsgrad": True},
        {"maximize": True},
        {"amsgrad": True, "maximize": True, "weight_decay": 0.1},
        {"fused": True},
        {"fused": True, "amsgrad": True, "weight_decay": 0.05},
        {"foreach": True},
        {"foreach": False, "fused": False},
    ],
)
def test_adam_options_compute_what_pytorch_computes_on_a_cpu(ours, theirs, options):
    opt, ref_opt = _steps(ours, theirs, {"lr": 0.05, **options})
    # the saved state: the same buffers (max_exp_avg_sq with amsgrad) and the same groups
    saved, ref_saved = opt.state_dict(), ref_opt.state_dict()
    assert set(saved["state"][0]) == set(ref_saved["state"][0])
    assert saved["param_groups"] == ref_saved["param_groups"]


def test_adam_with_decoupled_weight_decay_is_adamw():
    kwargs = {"lr": 0.05, "weight_decay": 0.2}
    _steps(optim.Adam, torch.optim.Adam, {**kwargs, "decoupled_weight_decay": True})
    decoupled_adam = lambda params, **kw: optim.Adam(params, decoupled_weight_decay=True, **kw)  # noqa: E731
    _steps(decoupled_adam, torch.optim.AdamW, kwargs)


@pytest.mark.parametrize(
    "options",
    [
        {"maximize": True},
        {"maximize": True, "momentum": 0.9, "weight_decay": 0.1},
        {"momentum": 0.9, "nesterov": True, "fused": True},
        {"momentum": 0.5, "foreach": True},
    ],
)
def test_sgd_options_compute_what_pytorch_computes_on_a_cpu(options):
    opt, ref_opt = _steps(optim.SGD, torch.optim.SGD, {"lr": 0.05, **options})
    assert opt.state_dict()["param_groups"] == ref_opt.state_dict()["param_groups"]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_signatures_are_pytorchs(name):
    ours = inspect.signature(getattr(optim, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    assert list(ours) == list(theirs)
    for key, param in ours.items():
        assert param.kind == theirs[key].kind, key
        if key != "params":
            assert param.default == theirs[key].default, key


def test_build_nanogpts_fused_check_and_call():
    fused_available = "fused" in inspect.signature(optim.AdamW).parameters
    assert fused_available
    p = Tensor(np.ones(3), requires_grad=True)
    opt = optim.AdamW([p], lr=6e-4, betas=(0.9, 0.95), eps=1e-8, fused=fused_available)
    assert opt.param_groups[0]["fused"] is True


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"fused": True, "foreach": True}, RuntimeError, "cannot be `True` together"),
        ({"fused": True, "differentiable": True}, RuntimeError, "does not support"),
        ({"capturable": True}, RuntimeError, "capturable=True needs parameters on a GPU"),
        ({"differentiable": True}, RuntimeError, "differentiable=True is not supported"),
        ({"fused": "yes"}, TypeError, "fused must be True or False"),
        ({"maximize": 1}, TypeError, "maximize must be True or False"),
    ],
)
def test_options_pytorch_refuses_on_a_cpu_or_that_make_no_sense(options, error, message):
    p = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(error, match=message):
        optim.AdamW([p], **options)
    with pytest.raises(error, match=message):  # in a parameter group too
        optim.AdamW([{"params": [p], **options}])


def test_pytorch_refuses_the_same_on_a_cpu():
    """What the refusals above mirror (capturable: at PyTorch's first step)."""
    q = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be `True` together"):
        torch.optim.AdamW([q], fused=True, foreach=True)
    with pytest.raises(RuntimeError, match="does not support"):
        torch.optim.AdamW([q], fused=True, differentiable=True)
    opt = torch.optim.AdamW([q], capturable=True)
    q.grad = torch.ones(3)
    with pytest.raises(AssertionError, match="capturable"):
        opt.step()


def test_a_group_saved_without_the_newer_options_loads_with_their_defaults():
    """Older checkpoints (PyTorch's before these options, micrograd's before this change)
    lack them: they load with PyTorch's defaults, as its __setstate__ fills them in."""
    p = Tensor(np.ones(3), requires_grad=True)
    opt = optim.AdamW([p], lr=0.1)
    saved = opt.state_dict()
    for name in ("amsgrad", "maximize", "foreach", "capturable", "differentiable", "fused"):
        del saved["param_groups"][0][name]
    saved["param_groups"][0]["decoupled_weight_decay"] = False  # AdamW's is always decoupled
    fresh = optim.AdamW([p], lr=0.5, amsgrad=True)
    fresh.load_state_dict(saved)
    group = fresh.param_groups[0]
    assert (group["lr"], group["amsgrad"], group["fused"]) == (0.1, False, None)
    assert group["decoupled_weight_decay"] is True


def test_a_pytorch_adamw_state_dict_with_every_option_loads_and_steps_the_same():
    q = torch.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    ref_opt = torch.optim.AdamW([q], lr=0.1, amsgrad=True, maximize=True, fused=True)
    for g in ([1.0, 2.0, 3.0], [0.5, -1.0, 2.0]):
        q.grad = torch.tensor(g, dtype=F64)
        ref_opt.step()
    ref_saved = ref_opt.state_dict()
    saved = {
        "state": {
            i: {k: v.item() if k == "step" else v.numpy().copy() for k, v in s.items()}
            for i, s in ref_saved["state"].items()
        },
        "param_groups": ref_saved["param_groups"],
    }
    p = Tensor(q.detach().numpy().copy(), requires_grad=True)
    opt = optim.AdamW([p])
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["maximize"] and opt.param_groups[0]["amsgrad"]
    (p * Tensor(np.array([-1.0, 0.25, 4.0]))).sum().backward()
    q.grad = torch.tensor([-1.0, 0.25, 4.0], dtype=F64)
    opt.step()
    ref_opt.step()
    np.testing.assert_allclose(_np(p), q.detach().numpy(), rtol=1e-12)
