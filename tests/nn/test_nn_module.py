"""nn.Module, Parameter and the containers against torch.nn: registration, names, order,
modes, conversion, state dicts (both ways), reprs, and bad input."""

from __future__ import annotations

import random
from collections import OrderedDict

import numpy as np
import pytest
import torch

import micrograd
import micrograd.nn as mnn
from micrograd import Value
from micrograd.tensors import Tensor

F64 = torch.float64


def _tril(lib, n: int):
    if lib is torch.nn:
        return torch.tril(torch.ones(n, n, dtype=F64)).view(1, 1, n, n)
    return Tensor(np.tril(np.ones((n, n))).reshape(1, 1, n, n))


def _vector(lib, n: int):
    return torch.zeros(n, dtype=F64) if lib is torch.nn else Tensor(np.zeros(n))


def build_gpt(nn, T: int = 8, C: int = 16, V: int = 27, L: int = 2):
    """The same makemore-style model written once, built with torch.nn or micrograd.nn."""

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(C, 3 * C, dtype=F64 if nn is torch.nn else None)
            self.c_proj = nn.Linear(C, C, dtype=F64 if nn is torch.nn else None)
            self.register_buffer("bias", _tril(nn, T))
            self.register_buffer("cache", _tril(nn, T), persistent=False)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(C)
            self.attn = Attention()
            self.ln_2 = nn.LayerNorm(C)
            self.mlp = nn.ModuleDict(
                dict(
                    c_fc=nn.Linear(C, 4 * C),
                    c_proj=nn.Linear(4 * C, C),
                    act=nn.GELU(approximate="tanh"),
                )
            )
            m = self.mlp
            self.mlpf = lambda x: m.c_proj(m.act(m.c_fc(x)))  # a plain attribute, as makemore

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict(
                dict(
                    wte=nn.Embedding(V, C),
                    wpe=nn.Embedding(T, C),
                    h=nn.ModuleList([Block() for _ in range(L)]),
                    ln_f=nn.LayerNorm(C),
                )
            )
            self.lm_head = nn.Linear(C, V, bias=False)
            self.bn = nn.BatchNorm1d(C)
            self.drop = nn.Dropout(0.1)
            self.start = nn.Parameter(_vector(nn, C))
            self.head = nn.Sequential(
                nn.Linear(2, 2), nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Softmax(dim=-1)
            )
            self.tail = nn.Sequential(nn.Flatten(), nn.Identity(), nn.LogSoftmax(dim=1))

    return GPT()


# --------------------------------------------------------------------- names, order, reprs


def test_names_order_and_repr_match_torch():
    ours, ref = build_gpt(mnn), build_gpt(torch.nn)
    for walk in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert [n for n, _ in getattr(ours, walk)()] == [n for n, _ in getattr(ref, walk)()], walk
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert "transformer.h.0.attn.bias" in ours.state_dict()  # a persistent buffer
    assert "transformer.h.0.attn.cache" not in ours.state_dict()  # a non-persistent one
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in ref.modules()]
    assert repr(ours) == repr(ref)
    for name, p in ours.named_parameters():
        assert isinstance(p, mnn.Parameter) and isinstance(p, Tensor)
        assert p.shape == tuple(ref.get_parameter(name).shape), name
    assert ours.get_submodule("transformer.h.1.attn") is ours.transformer.h[1].attn
    assert ours.get_submodule("") is ours
    with pytest.raises(AttributeError, match="GPT has no submodule 'transformer.h.7'"):
        ours.get_submodule("transformer.h.7")


def test_apply_visits_children_first_in_torchs_order():
    seen: dict[str, list[str]] = {"ours": [], "ref": []}
    build_gpt(mnn).apply(lambda m: seen["ours"].append(type(m).__name__))
    build_gpt(torch.nn).apply(lambda m: seen["ref"].append(type(m).__name__))
    assert seen["ours"] == seen["ref"]
    assert seen["ours"][-1] == "GPT"


def test_train_eval_reach_every_module_and_overrides():
    class Frozen(mnn.Module):
        def train(self, mode=True):  # a module's own train() is called, as in PyTorch
            return super().train(False)

    model = mnn.Sequential(mnn.Dropout(), mnn.Sequential(mnn.BatchNorm1d(3), Frozen()))
    assert all(m.training for m in model.modules() if not isinstance(m, Frozen))
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert [m.training for m in model.modules()] == [True, True, True, True, False]
    with pytest.raises(ValueError, match="bool"):
        model.train("yes")


def test_dir_lists_registered_names():
    model = build_gpt(mnn)
    names = dir(model)
    for name in ("transformer", "lm_head", "start", "forward", "state_dict", "training"):
        assert name in names
    assert not any(n.isdigit() for n in dir(model.transformer.h))


# --------------------------------------------------------------------- registration


def test_assignment_registers_parameters_modules_and_buffers():
    m = mnn.Module()
    p = mnn.Parameter(Tensor(np.ones(2)))
    m.w = p
    m.sub = mnn.Linear(2, 2)
    m.register_buffer("running", Tensor(np.zeros(2)))
    m.note = "plain"
    assert m._parameters == {"w": p} and list(m._modules) == ["sub"]
    assert list(m._buffers) == ["running"] and "note" in m.__dict__
    assert m.w is p and m.running is m._buffers["running"]
    m.running = Tensor(np.ones(2))  # a Tensor assigned to a buffer's name replaces the buffer
    assert m._buffers["running"].data.tolist() == [1.0, 1.0]
    m.w = None  # None is allowed for a parameter, as in PyTorch
    assert m._parameters["w"] is None and list(m.state_dict()) == [
        "running",
        "sub.weight",
        "sub.bias",
    ]
    m.sub = mnn.Parameter(Tensor(np.ones(1)))  # a name moves to where its new value belongs
    assert "sub" in m._parameters and "sub" not in m._modules
    del m.w, m.running, m.note
    assert "w" not in m._parameters and "running" not in m._buffers and not hasattr(m, "note")
    m.w = mnn.Linear(1, 1)
    assert "w" in m._modules
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nothing'"):
        m.nothing  # noqa: B018


@pytest.mark.parametrize(
    ("action", "error", "match"),
    [
        (lambda m: setattr(m, "p", Tensor(np.ones(2))), TypeError, "as parameter 'p'"),
        (lambda m: setattr(m, "child", 3), TypeError, "as child module 'child'"),
        (lambda m: setattr(m, "buf", [1.0]), TypeError, "as buffer 'buf'"),
        (lambda m: m.register_buffer("a.b", None), KeyError, "cannot contain"),
        (lambda m: m.register_buffer("", None), KeyError, "empty"),
        (lambda m: m.register_buffer(3, None), TypeError, "should be a string"),
        (lambda m: m.register_buffer("x", np.ones(2)), TypeError, "Tensor or None required"),
        (lambda m: m.register_buffer("forward", None), KeyError, "already exists"),
        (lambda m: m.register_parameter("q", Tensor(np.ones(1))), TypeError, "nn.Parameter"),
        (lambda m: m.add_module("c", np.tanh), TypeError, "not a Module subclass"),
        (lambda m: m.add_module("p", mnn.ReLU()), KeyError, "already exists"),
    ],
)
def test_registration_errors(action, error, match):
    m = mnn.Module()
    m.p = mnn.Parameter(Tensor(np.ones(2)))
    m.child = mnn.ReLU()
    m.register_buffer("buf", Tensor(np.zeros(1)))
    with pytest.raises(error, match=match):
        action(m)
    assert list(m._parameters) == ["p"] and list(m._modules) == ["child"]
    assert list(m._buffers) == ["buf"]


def test_plain_tensor_that_requires_grad_warns_and_is_not_a_parameter():
    m = mnn.Module()
    with pytest.warns(UserWarning, match=r"nn\.Parameter"):
        m.w = Tensor(np.ones(2), requires_grad=True)
    m.mask = Tensor(np.ones(2))  # a constant: no warning, and not a parameter either
    assert m.parameters() == [] and list(m.state_dict()) == []


def test_forward_is_called_and_is_required():
    class Double(mnn.Module):
        def forward(self, x, scale=2.0):
            return x * scale

    assert Double()(3.0) == 6.0 and Double()(3.0, scale=3.0) == 9.0
    with pytest.raises(NotImplementedError, match="forward"):
        mnn.Module()(1.0)


def test_parameter_is_a_shared_leaf_tensor():
    data = Tensor(np.arange(3.0), requires_grad=True) * 2  # not a leaf
    p = mnn.Parameter(data)
    assert isinstance(p, Tensor) and p.requires_grad and p._prev == ()
    assert np.asarray(p) is np.asarray(data)  # the same memory
    assert not mnn.Parameter(Tensor(np.ones(2)), requires_grad=False).requires_grad
    assert mnn.Parameter().shape == (0,)
    assert repr(mnn.Parameter(Tensor([1.0]))).startswith("Parameter containing:\nTensor(")
    out = p * 2
    assert type(out) is Tensor  # operations give plain tensors
    with pytest.raises(TypeError, match="floating-point"):
        mnn.Parameter(Tensor([1, 2]))


def test_parameters_is_a_list_and_an_iterator():
    model = mnn.Sequential(mnn.Linear(2, 3), mnn.ReLU(), mnn.Linear(3, 1))
    params = model.parameters()
    assert isinstance(params, list) and len(params) == 4
    assert next(model.parameters()) is model[0].weight  # as PyTorch code reads the first one
    assert next(params) is params[0] and next(params) is params[1]
    assert sum(p.numel() for p in model.parameters()) == 6 + 3 + 3 + 1
    assert model.parameters(recurse=False) == []
    assert [n for n, _ in model[0].named_parameters(prefix="x")] == ["x.weight", "x.bias"]


def test_shared_modules_are_listed_once_but_saved_under_every_name():
    shared = mnn.Linear(2, 2)
    ours = mnn.Sequential(shared, mnn.ReLU(), shared)
    ref_shared = torch.nn.Linear(2, 2)
    ref = torch.nn.Sequential(ref_shared, torch.nn.ReLU(), ref_shared)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in ref.named_modules()]
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert len(list(ours.named_modules(remove_duplicate=False))) == 4


# --------------------------------------------------------------------- gradients and dtypes


def test_zero_grad_set_to_none_or_zeros():
    model = mnn.Linear(3, 2)
    model(Tensor(np.ones((4, 3)))).sum().backward()
    grad = model.weight.grad
    model.zero_grad(set_to_none=False)
    assert model.weight.grad is grad and not grad.any()  # zeroed in place
    model(Tensor(np.ones((4, 3)))).sum().backward()
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None


def test_requires_grad_freezes_parameters():
    model = mnn.Sequential(mnn.Linear(2, 2), mnn.Linear(2, 1))
    assert model[0].requires_grad_(False) is model[0]
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True]


def test_to_float_double_convert_in_place_and_keep_integer_buffers():
    model = mnn.Sequential(mnn.Linear(2, 3), mnn.BatchNorm1d(3))
    weight = model[0].weight
    assert model.float() is model
    assert model[0].weight is weight and weight.data.dtype == np.float32
    assert model[1].running_var.data.dtype == np.float32
    assert model[1].num_batches_tracked.data.dtype == np.int64
    model.to(np.float64)
    assert all(p.data.dtype == np.float64 for p in model.parameters())
    model.to(dtype=np.float32).to("cpu").to("cpu", np.float32).cpu()
    assert model[1].running_mean.data.dtype == np.float32
    model.to(Tensor(np.zeros(1)))  # a tensor's dtype
    assert weight.data.dtype == np.float64
    with pytest.raises(RuntimeError, match="'cuda' is not available"):
        model.to("cuda")
    with pytest.raises(TypeError, match="floating-point"):
        model.to(np.int64)
    with pytest.raises(RuntimeError, match="CPU only"):
        mnn.Linear(2, 2, device="cuda:0")
    model.to(micrograd.device("cpu"), micrograd.float32)
    assert weight.data.dtype == np.float32


# --------------------------------------------------------------------- state dicts


def _torch_state(model) -> dict:
    return {k: torch.tensor(v) for k, v in model.state_dict().items()}


def _numpy_state(ref) -> dict:
    return {k: v.detach().numpy() for k, v in ref.state_dict().items()}


class _Scaled(mnn.Module):
    """A model whose forward uses a buffer, written the same way for both libraries."""

    def __init__(self, nn):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
        self.register_buffer("scale", Tensor(np.ones(2)) if nn is mnn else torch.ones(2))
        self.double()  # compared with PyTorch in float64

    def forward(self, x):
        return self.body(x) * self.scale


class _TorchScaled(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Linear(3, 8, dtype=F64), torch.nn.Tanh(), torch.nn.Linear(8, 2, dtype=F64)
        )
        self.register_buffer("scale", torch.ones(2, dtype=F64))

    def forward(self, x):
        return self.body(x) * self.scale


def test_torch_state_dict_loads_into_ours_and_ours_into_torch():
    x = np.random.default_rng(0).normal(size=(5, 3))
    ref = _TorchScaled()
    ref.scale.fill_(3.0)
    ours = _Scaled(mnn)
    result = ours.load_state_dict(_numpy_state(ref))
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert (
        list(ours.state_dict())
        == list(ref.state_dict())
        == [
            "scale",
            "body.0.weight",
            "body.0.bias",
            "body.2.weight",
            "body.2.bias",
        ]
    )
    np.testing.assert_allclose(
        ours(Tensor(x)).data, ref(torch.tensor(x)).detach().numpy(), rtol=1e-14, atol=1e-15
    )

    ours2, ref2 = _Scaled(mnn), _TorchScaled()
    ours2.scale = Tensor(np.array([2.0, -1.0]))
    ref2.load_state_dict(_torch_state(ours2))
    np.testing.assert_allclose(
        ours2(Tensor(x)).data, ref2(torch.tensor(x)).detach().numpy(), rtol=1e-14, atol=1e-15
    )


def test_state_dict_keep_vars_and_detached_views():
    model = mnn.BatchNorm1d(2)
    kept = model.state_dict(keep_vars=True)
    assert kept["weight"] is model.weight and kept["running_mean"] is model.running_mean
    state = model.state_dict()
    assert not state["weight"].requires_grad and state["weight"] is not model.weight
    state["running_mean"][...] = 5  # as PyTorch's: the same memory
    assert (model.running_mean == 5).all()
    assert (
        state["num_batches_tracked"].dtype == np.int64 and state["num_batches_tracked"].shape == ()
    )
    assert list(model.state_dict(prefix="bn.")) == [f"bn.{k}" for k in state]


def test_load_state_dict_loads_buffers_and_tolerates_missing_batch_count():
    src, dst = mnn.BatchNorm1d(3), mnn.BatchNorm1d(3)
    src.running_mean.data[...] = [1.0, 2.0, 3.0]
    src.num_batches_tracked.data[...] = 7
    dst.load_state_dict(src.state_dict())
    assert dst.running_mean.data.tolist() == [1.0, 2.0, 3.0]
    assert int(dst.num_batches_tracked.data) == 7
    state = src.state_dict()
    del state["num_batches_tracked"]  # as PyTorch, a state dict from before that buffer loads
    result = mnn.BatchNorm1d(3).load_state_dict(state)
    assert result.missing_keys == []


def test_load_state_dict_assign_takes_the_arrays():
    model = mnn.Linear(2, 1)
    weight = model.weight
    model.load_state_dict(
        {"weight": np.ones((1, 2), np.float32), "bias": np.zeros(1, np.float32)}, assign=True
    )
    assert model.weight is weight and weight.data.dtype == np.float32


def test_wrong_architecture_is_a_clear_error_and_changes_nothing():
    ours = build_gpt(mnn, L=2)
    bigger = build_gpt(mnn, L=3).state_dict()
    before = ours.state_dict(keep_vars=False)
    with pytest.raises(mnn.StateDictError, match=r"unexpected keys \['transformer\.h\.2\.attn"):
        ours.load_state_dict(bigger)
    with pytest.raises(RuntimeError, match=r"missing keys \['transformer\.h\.1\.ln_1\.weight"):
        ours.load_state_dict({k: v for k, v in bigger.items() if ".h.1." not in k})
    wider = build_gpt(mnn, C=8).state_dict()
    with pytest.raises(
        ValueError,
        match=r"\['start'\] has shape \(8,\), but the parameter has shape \(16,\)",
    ):
        ours.load_state_dict(wider, strict=False)
    bad_buffer = {**before, "bn.running_var": np.ones(3)}
    with pytest.raises(ValueError, match=r"running_var'\] has shape \(3,\), but the buffer"):
        ours.load_state_dict(bad_buffer)
    after = ours.state_dict()
    assert list(after) == list(before)
    for name in before:
        np.testing.assert_array_equal(after[name], before[name])


def test_bool_buffers_round_trip_and_reject_numbers():
    m = mnn.Module()
    m.register_buffer("mask", Tensor(np.tril(np.ones((3, 3))) > 0))
    state = m.state_dict()
    m.load_state_dict({"mask": ~state["mask"]})
    assert not m.mask.data[0, 0]
    with pytest.raises(TypeError, match="must hold booleans"):
        m.load_state_dict({"mask": np.ones((3, 3))})


def test_scalar_modules_keep_their_state_dict_names_and_zero_grad():
    random.seed(0)
    model = mnn.MLP(2, [3, 1])
    assert isinstance(model, mnn.Module) and model.training
    names = list(model.state_dict())
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert [n for n, _ in model.named_modules()][:3] == ["", "layers.0", "layers.0.neurons.0"]
    assert model.get_submodule("layers.1.neurons.0") is model.layers[1].neurons[0]
    model([1.0, 2.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert all(isinstance(p, Value) for _, p in model.named_parameters())
    assert model.eval() is model and not model.layers[0].neurons[0].training


# --------------------------------------------------------------------- containers


def test_sequential_from_ordered_dict_slicing_and_editing_match_torch():
    def make(nn):
        return nn.Sequential(
            OrderedDict(fc=nn.Linear(2, 3), act=nn.ReLU(), out=nn.Linear(3, 1), last=nn.Tanh())
        )

    ours, ref = make(mnn), make(torch.nn)
    assert (
        list(ours.state_dict())
        == list(ref.state_dict())
        == [
            "fc.weight",
            "fc.bias",
            "out.weight",
            "out.bias",
        ]
    )
    assert ours.fc is ours[0] and ours[-1] is ours.last
    assert list(ours[1:3]._modules) == list(ref[1:3]._modules) == ["act", "out"]
    for seq in (ours, ref):
        del seq[0]
    assert list(ours._modules) == list(ref._modules) == ["0", "1", "2"]
    ours.insert(0, mnn.Identity())
    ours[1] = mnn.Sigmoid()
    assert [type(m).__name__ for m in ours] == ["Identity", "Sigmoid", "Linear", "Tanh"]
    assert ours.pop(0).__class__ is mnn.Identity and len(ours) == 3
    combined = ours + mnn.Sequential(mnn.ReLU())
    assert len(combined) == 4 and list(combined._modules) == ["0", "1", "2", "3"]
    ours += mnn.Sequential(mnn.ReLU())
    assert len(ours.extend([mnn.ReLU()])) == 5


def test_module_list_behaves_like_a_list():
    layers = mnn.ModuleList([mnn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and layers[-1] is layers[2]
    layers.append(mnn.ReLU())
    layers.extend([mnn.Tanh()])
    layers += [mnn.Sigmoid()]
    layers.insert(1, mnn.Identity())
    assert [type(m).__name__ for m in layers] == [
        "Linear",
        "Identity",
        "Linear",
        "Linear",
        "ReLU",
        "Tanh",
        "Sigmoid",
    ]
    assert isinstance(layers[1:3], mnn.ModuleList) and len(layers[1:3]) == 2
    assert layers.pop(1).__class__ is mnn.Identity
    del layers[-1]
    assert list(layers._modules) == [str(i) for i in range(5)]
    assert [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    ref = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)] + [torch.nn.ReLU()])
    assert repr(mnn.ModuleList([mnn.Linear(2, 2) for _ in range(3)] + [mnn.ReLU()])) == repr(ref)
    assert repr(mnn.ModuleList()) == repr(torch.nn.ModuleList()) == "ModuleList()"


@pytest.mark.parametrize(
    ("action", "error", "match"),
    [
        (lambda ml: ml.append(np.tanh), TypeError, "append must be a Module, got ufunc"),
        (lambda ml: ml.extend([mnn.ReLU(), "relu"]), TypeError, "item 3 must be a Module"),
        (lambda ml: ml.extend(mnn.ReLU()), TypeError, "iterable of modules"),
        (lambda ml: ml.insert(0, 3), TypeError, "insert must be a Module"),
        (lambda ml: ml.__setitem__(0, None), TypeError, r"ModuleList\[0\] must be a Module"),
        (lambda ml: ml[2], IndexError, "index 2 is out of range"),
        (lambda ml: ml["0"], TypeError, "integers or slices"),
    ],
)
def test_module_list_bad_input_leaves_it_unchanged(action, error, match):
    ml = mnn.ModuleList([mnn.Linear(1, 1), mnn.ReLU()])
    with pytest.raises(error, match=match):
        action(ml)
    assert [type(m).__name__ for m in ml] == ["Linear", "ReLU"]


def test_module_dict_item_and_attribute_access():
    d = mnn.ModuleDict({"wte": mnn.Embedding(5, 2), "act": mnn.ReLU()})
    assert d.wte is d["wte"] and "act" in d and "nope" not in d and len(d) == 2
    assert list(d) == list(d.keys()) == ["wte", "act"]
    d.update([("head", mnn.Linear(2, 5))])
    d["act"] = mnn.Tanh()  # replaces, keeps its place
    assert [(k, type(v).__name__) for k, v in d.items()] == [
        ("wte", "Embedding"),
        ("act", "Tanh"),
        ("head", "Linear"),
    ]
    assert [type(v).__name__ for v in d.values()] == ["Embedding", "Tanh", "Linear"]
    assert list(d.state_dict()) == ["wte.weight", "head.weight", "head.bias"]
    assert d.pop("act").__class__ is mnn.Tanh and list(d) == ["wte", "head"]
    with pytest.raises(KeyError, match="'nope' is not in this ModuleDict"):
        d["nope"]
    with pytest.raises(KeyError, match="already exists"):
        d["train"] = mnn.ReLU()  # would hide Module.train
    with pytest.raises(TypeError, match="must be a Module"):
        d["x"] = 3
    with pytest.raises(ValueError, match="not a pair"):
        d.update([("a", mnn.ReLU(), 3)])
    d.clear()
    assert len(d) == 0


def test_parameter_list_and_dict_register_like_torch():
    def make(nn, tensor):
        m = nn.Module()
        m.plist = nn.ParameterList([tensor(2), nn.Parameter(tensor(3))])
        m.plist.append(tensor(1))
        m.pdict = nn.ParameterDict({"a": tensor(2)})
        m.pdict["b"] = nn.Parameter(tensor(4))
        return m

    ours = make(mnn, lambda n: Tensor(np.zeros(n)))
    ref = make(torch.nn, lambda n: torch.zeros(n))
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert [p.shape for p in ours.plist] == [(2,), (3,), (1,)]
    assert all(isinstance(p, mnn.Parameter) for p in ours.parameters())
    assert ours.plist[-1].shape == (1,) and len(ours.plist[0:2]) == 2
    assert "a" in ours.pdict and ours.pdict.get("z") is None and list(ours.pdict) == ["a", "b"]
    assert ours.pdict.pop("a").shape == (2,) and list(ours.state_dict())[-1] == "pdict.b"


def test_a_module_kept_in_a_private_list_is_not_walked_nor_looped_over():
    class Child(mnn.Module):
        def __init__(self, parent):
            super().__init__()
            self.fc = mnn.Linear(2, 2)
            self._parent = [parent]  # PyTorch's way to hold a module without registering it
            self.back = [parent]  # a public plain list back up: the walk must not loop

    parent = mnn.Module()
    parent.child = Child(parent)
    parent.head = mnn.Linear(2, 1)
    names = ["child.fc.weight", "child.fc.bias", "head.weight", "head.bias"]
    assert [n for n, _ in parent.named_parameters()] == names
    assert list(parent.state_dict()) == names
    assert [n for n, _ in parent.named_modules(remove_duplicate=False)] == [
        "",
        "child",
        "child.fc",
        "head",
    ]
