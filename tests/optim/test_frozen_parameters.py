"""Issue 17, C1: every optimizer takes a model with frozen parameters (``requires_grad_(False)``,
``Embedding.from_pretrained``'s default ``freeze=True``) and skips a parameter whose grad is
None, as PyTorch's: freeze and fine-tune, then unfreeze. Compared with PyTorch step by step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import micrograd as mg
from micrograd import nn, optim

OPTIMIZERS = [
    (optim.SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (optim.Adam, torch.optim.Adam, {"lr": 0.01}),
    (optim.AdamW, torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
]


def models():
    """The same embedding (frozen, from pretrained vectors) + linear model in both libraries."""
    rng = np.random.default_rng(0)
    table, w, b = rng.standard_normal((5, 3)), rng.standard_normal((2, 3)), np.zeros(2)
    ours = nn.Sequential(nn.Embedding.from_pretrained(mg.tensor(table)), nn.Linear(3, 2).double())
    theirs = torch.nn.Sequential(
        torch.nn.Embedding.from_pretrained(torch.tensor(table)), torch.nn.Linear(3, 2).double()
    )
    with mg.no_grad():
        ours[1].weight.copy_(mg.tensor(w))
        ours[1].bias.copy_(mg.tensor(b))
    with torch.no_grad():
        theirs[1].weight.copy_(torch.tensor(w))
        theirs[1].bias.copy_(torch.tensor(b))
    return ours, theirs


def train(model, opt, lib, steps=3):
    for _ in range(steps):
        opt.zero_grad()
        model(lib.tensor([1, 2, 4])).pow(2).sum().backward()
        opt.step()


@pytest.mark.parametrize("ours_cls, theirs_cls, kwargs", OPTIMIZERS)
def test_freeze_then_unfreeze_trains_as_pytorch(ours_cls, theirs_cls, kwargs):
    ours, theirs = models()
    assert not ours[0].weight.requires_grad  # from_pretrained freezes by default
    frozen = ours[0].weight.data.clone()
    opt, ref = ours_cls(ours.parameters(), **kwargs), theirs_cls(theirs.parameters(), **kwargs)
    train(ours, opt, mg)
    train(theirs, ref, torch)
    assert np.array_equal(ours[0].weight.data, frozen) and ours[0].weight.grad is None
    ours[0].weight.requires_grad_(True)  # fine-tune it too now
    theirs[0].weight.requires_grad_(True)
    train(ours, opt, mg)
    train(theirs, ref, torch)
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert len(opt.state_dict()["state"]) == len(ref.state_dict()["state"])


def test_a_module_frozen_with_requires_grad_is_accepted():
    model = nn.Linear(2, 2).requires_grad_(False)
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.data.clone()
    opt.step()  # no gradients anywhere: nothing moves
    assert np.array_equal(model.weight.data, before)
