"""micrograd.save / micrograd.load of whole checkpoints, as nanoGPT's and build-nanogpt's
training scripts write them with torch.save: structures round trip exactly, training resumes
as if never stopped, dataclasses need allowing, and hostile files are refused cleanly.

(tests/test_serialization.py covers state dicts, modules, atomic writes and damaged files.)
"""

import argparse
import dataclasses
import json
import math
import os
import struct
import time
import tracemalloc
from collections import OrderedDict, namedtuple

import numpy as np
import pytest
import safetensors
import safetensors.numpy
import safetensors.torch
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import micrograd as mg
from micrograd import nn, optim
from micrograd.nn import functional as F
from micrograd.serialization import (
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)


@pytest.fixture(autouse=True)
def _no_allowed_classes():
    """Each test starts with no class allowed, and leaves none behind."""
    before = get_safe_globals()
    clear_safe_globals()
    yield
    clear_safe_globals()
    add_safe_globals(before)


def assert_same(a, b, where="obj"):
    """``b`` is ``a`` rebuilt: the same types all the way down, the same values and dtypes."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, mg.Tensor):
        assert (a.dtype, a.shape, a.requires_grad) == (b.dtype, b.shape, b.requires_grad), where
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=where)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert (a.dtype, a.shape) == (b.dtype, b.shape), where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, float):
        assert repr(a) == repr(b), where  # nan == nan, and -0.0 stays -0.0
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert len(a) == len(b), where
        for (k, x), (j, y) in zip(a.items(), b.items()):
            assert_same(k, j, f"{where} key")
            assert_same(x, y, f"{where}[{k!r}]")
    elif dataclasses.is_dataclass(a) or isinstance(a, argparse.Namespace):
        assert_same(vars(a), vars(b), where)
    else:
        assert a == b, where


def round_trip(obj, tmp_path, name="ckpt.safetensors"):
    path = tmp_path / name
    mg.save(obj, path)
    return mg.load(path)


# --------------------------------------------------------------------- nanoGPT's checkpoint


class TinyGPT(nn.Module):
    """nanoGPT's shape in miniature: token and position embeddings, a norm, a head whose
    weight is the token embedding's (tied)."""

    def __init__(self, vocab_size=11, block_size=6, n_embd=8):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(mg.arange(idx.shape[1]))
        logits = self.lm_head(self.ln_f(x).tanh())
        return logits, F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))

    def configure_optimizers(self):
        """nanoGPT's: 2-d weights decay, the rest do not; AdamW with its betas."""
        params = [p for p in self.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ]
        return optim.AdamW(groups, lr=1e-2, betas=(0.9, 0.95), eps=1e-8)


BATCHES = [
    mg.tensor(np.random.default_rng(i).integers(0, 11, size=(4, 7)), dtype=mg.int64)
    for i in range(6)
]


def train(model, optimizer, steps):
    """nanoGPT's training step, one per batch: the compiled model, the loss through the
    GradScaler that its float16 default asks for (disabled on a CPU), clipping; the losses."""
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = mg.cuda.amp.GradScaler(enabled=True)
    model = mg.compile(model)
    losses = []
    for step in steps:
        batch = BATCHES[step]
        _, loss = model(batch[:, :-1], batch[:, 1:])
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
    return losses


def test_nanogpt_checkpoint_resumes_training_as_if_never_stopped(tmp_path):
    mg.manual_seed(0)
    full = TinyGPT()
    uninterrupted = train(full, full.configure_optimizers(), range(6))

    mg.manual_seed(0)
    model = TinyGPT()
    optimizer = model.configure_optimizers()
    assert train(model, optimizer, range(3)) == uninterrupted[:3]
    model_args = dict(n_layer=1, n_head=1, n_embd=8, block_size=6, bias=False, vocab_size=None)
    with mg.no_grad():
        best_val_loss = mg.tensor([2.5, 2.0]).mean()  # nanoGPT's estimate_loss(): a 0-d tensor
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "model_args": model_args,
        "iter_num": 3,
        "best_val_loss": best_val_loss,
        "config": {"out_dir": "out", "eval_interval": 250, "learning_rate": 1e-3, "compile": False},
    }
    mg.save(checkpoint, tmp_path / "ckpt.pt")

    # nanoGPT's resume: a fresh model and optimizer, then the saved states.
    loaded = mg.load(tmp_path / "ckpt.pt", map_location="cpu")
    assert_same(checkpoint, loaded)
    mg.manual_seed(1)  # other initial weights: everything must come from the file
    resumed = TinyGPT()
    resumed.load_state_dict(loaded["model"])
    resumed_optimizer = resumed.configure_optimizers()
    resumed_optimizer.load_state_dict(loaded["optimizer"])
    assert train(resumed, resumed_optimizer, range(loaded["iter_num"], 6)) == uninterrupted[3:]
    for (name, p), q in zip(full.named_parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)


def test_optimizer_state_dict_keeps_its_python_types(tmp_path):
    # Regression (issue 17, A8): an optimizer's state dict was "not an array of numbers".
    model = TinyGPT()
    optimizer = model.configure_optimizers()
    train(model, optimizer, range(1))
    state = round_trip(optimizer.state_dict(), tmp_path)
    assert_same(optimizer.state_dict(), state)
    assert list(state["state"]) == [0, 1, 2, 3]  # integer keys
    assert type(state["state"][0]["step"]) is int
    assert state["param_groups"][0]["betas"] == (0.9, 0.95)  # a tuple, as saved


def test_state_dict_saved_by_pytorch_and_by_micrograd_load_both_ways(tmp_path):
    """The tensors of any checkpoint are plain safetensors that PyTorch reads."""
    model = TinyGPT()
    mg.save({"model": model.state_dict(), "iter_num": 1}, tmp_path / "ckpt.safetensors")
    tensors = safetensors.torch.load_file(tmp_path / "ckpt.safetensors")
    # The state dict's tensors share the model's memory, as PyTorch's: the tied weight is
    # stored once (as torch.save stores it), under the name it was met by first.
    tied = "lm_head.weight"
    assert sorted(tensors) == sorted(f"model.{k}" for k in model.state_dict() if k != tied)
    mg.save(model.state_dict(), tmp_path / "model.safetensors")
    tensors = safetensors.torch.load_file(tmp_path / "model.safetensors")
    for name, value in model.state_dict().items():
        stored = tensors["wte.weight" if name == tied else name]
        np.testing.assert_array_equal(stored.numpy(), np.asarray(value))
    safetensors.torch.save_file(
        {"w": torch.ones(2, 3, dtype=torch.float16)}, tmp_path / "torch.safetensors"
    )
    back = mg.load(tmp_path / "torch.safetensors")
    assert list(back) == ["w"] and back["w"].dtype == mg.float16


# --------------------------------------------------------------------- build-nanogpt's


@dataclasses.dataclass
class GPTConfig:
    block_size: int = 6
    vocab_size: int = 11
    n_layer: int = 1
    n_head: int = 1
    n_embd: int = 8


@dataclasses.dataclass(frozen=True)
class WithDerived:
    n_embd: int = 8
    n_head: int = 2
    head_size: int = dataclasses.field(init=False, default=0)

    def __post_init__(self):
        object.__setattr__(self, "head_size", self.n_embd // self.n_head)


def test_build_nanogpt_checkpoint_with_its_dataclass_config(tmp_path):
    model = TinyGPT()
    checkpoint = {"model": model.state_dict(), "config": GPTConfig(n_embd=8), "step": 5}
    checkpoint["val_loss"] = 3.25
    mg.save(checkpoint, tmp_path / "model_00005.pt")
    with pytest.raises(ValueError) as refused:
        mg.load(tmp_path / "model_00005.pt")
    assert "obj['config'] is a test_checkpoints.GPTConfig" in str(refused.value)
    assert "micrograd.serialization.add_safe_globals([GPTConfig])" in str(refused.value)
    with safe_globals([GPTConfig]):
        loaded = mg.load(tmp_path / "model_00005.pt")
    assert_same(checkpoint, loaded)
    assert get_safe_globals() == []  # the with block allowed it only inside
    add_safe_globals([GPTConfig])
    assert get_safe_globals() == [GPTConfig]
    assert mg.load(tmp_path / "model_00005.pt")["config"] == GPTConfig(n_embd=8)
    config = loaded["config"]
    fresh = TinyGPT(
        config.vocab_size, config.block_size, config.n_embd
    )  # GPT(checkpoint['config'])
    fresh.load_state_dict(loaded["model"])


def test_dataclass_fields_set_outside_init_and_frozen_classes(tmp_path):
    config = WithDerived(n_embd=12, n_head=3)
    with safe_globals([WithDerived]):
        back = round_trip({"c": config}, tmp_path)["c"]
    assert back == config and back.head_size == 4


def test_a_class_saved_from_a_script_is_allowed_under_its_saved_name(tmp_path):
    """A class defined in the training script is saved as __main__.GPTConfig; the script that
    loads it imports its own: the pair form of add_safe_globals names the saved name."""
    ScriptConfig = dataclasses.make_dataclass("GPTConfig", [("n_embd", int, 8)])
    ScriptConfig.__module__ = "__main__"
    mg.save({"config": ScriptConfig(n_embd=16)}, tmp_path / "c.safetensors")
    add_safe_globals([GPTConfig])
    with pytest.raises(ValueError, match=r"add_safe_globals\(\[\(GPTConfig, '__main__.GPTConfig'"):
        mg.load(tmp_path / "c.safetensors")
    add_safe_globals([(GPTConfig, "__main__.GPTConfig")])
    assert mg.load(tmp_path / "c.safetensors")["config"] == GPTConfig(n_embd=16)


def test_a_dataclass_that_changed_since_saving(tmp_path):
    Old = dataclasses.make_dataclass("GPTConfig", [("n_embd", int), ("dropout", float)])
    Old.__module__ = GPTConfig.__module__
    mg.save(Old(n_embd=8, dropout=0.1), tmp_path / "c.safetensors")
    add_safe_globals([GPTConfig])
    with pytest.raises(ValueError, match=r"holds the fields \['dropout'\], which .*GPTConfig no"):
        mg.load(tmp_path / "c.safetensors")


def test_allowing_something_that_is_not_a_dataclass(tmp_path):
    mg.save(GPTConfig(), tmp_path / "c.safetensors")
    add_safe_globals([(np.zeros, f"{__name__}.GPTConfig")])
    with pytest.raises(ValueError, match="allowed but not a dataclass"):
        mg.load(tmp_path / "c.safetensors")
    with pytest.raises(TypeError, match="add_safe_globals expects a list of classes"):
        add_safe_globals(["GPTConfig"])


def test_argparse_namespace_config(tmp_path):
    args = argparse.Namespace(out_dir="out", batch_size=12, decay_lr=True, wandb_project=None)
    assert_same(args, round_trip({"config": args}, tmp_path)["config"])


# --------------------------------------------------------------------- every structure


DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64]
DTYPES += [np.uint8, np.uint16, np.uint32, np.uint64, np.bool_]
arrays = hnp.arrays(
    st.sampled_from(DTYPES), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
)
tensors = st.builds(
    lambda a, grad: mg.from_numpy(a).requires_grad_(grad and a.dtype.kind == "f"),
    arrays,
    st.booleans(),
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # nan and the infinities included
    st.text(max_size=6),
    arrays,
    arrays.filter(lambda a: a.ndim == 0).map(lambda a: a[()]),  # NumPy scalars
    tensors,
)
keys = st.one_of(st.text(max_size=4), st.integers(), st.none(), st.floats(allow_nan=False))
structures = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(keys, inner, max_size=3),
        st.dictionaries(st.text(max_size=3), inner, max_size=3).map(OrderedDict),
    ),
    max_leaves=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(structures)
def test_any_structure_round_trips_exactly(tmp_path, obj):
    assert_same(obj, round_trip(obj, tmp_path))
    with safetensors.safe_open(tmp_path / "ckpt.safetensors", "np") as f:  # safetensors reads it
        assert all(f.get_tensor(name).dtype in DTYPES for name in f.keys())


def test_float_edge_cases_and_big_integers(tmp_path):
    obj = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 2**100, -(2**64), True, 1, 1.0, ""]
    assert_same(obj, round_trip(obj, tmp_path))
    keys = {math.inf: 1, -0.0: 2, None: 3, True: 4, "": 5}
    assert_same(keys, round_trip(keys, tmp_path))


def test_a_key_named_like_the_header_metadata_round_trips(tmp_path):
    # Regression (issue 17, B3): save({"__metadata__": ...}) wrote a file no one could load.
    obj = {"__metadata__": mg.ones(2), "x": {"__metadata__": "text"}, "y": np.zeros(1)}
    back = round_trip(obj, tmp_path)
    assert_same(obj, back)
    with safetensors.safe_open(tmp_path / "ckpt.safetensors", "np") as f:
        assert "__metadata__" not in f.keys()


def test_parameters_and_tensors_that_require_grad(tmp_path):
    p = nn.Parameter(mg.randn(2, 2))
    frozen = nn.Parameter(mg.randn(2), requires_grad=False)
    leaf = mg.randn(3, requires_grad=True)
    back = round_trip([p, frozen, leaf, leaf.detach()], tmp_path)
    assert_same([p, frozen, leaf, leaf.detach()], back)
    assert isinstance(back[0], nn.Parameter) and not isinstance(back[2], nn.Parameter)


# --------------------------------------------------------------------- shared tensors


def test_a_tensor_saved_twice_is_stored_once_and_loads_as_one_object(tmp_path):
    w = mg.randn(3, 4)
    back = round_trip({"wte.weight": w, "lm_head.weight": w, "other": w * 1}, tmp_path)
    with safetensors.safe_open(tmp_path / "ckpt.safetensors", "np") as f:
        assert sorted(f.keys()) == ["other", "wte.weight"]
    assert back["wte.weight"] is back["lm_head.weight"]
    assert back["other"] is not back["wte.weight"]


def test_views_of_the_same_memory(tmp_path):
    memory = np.arange(6.0)
    obj = {
        "tensor": mg.from_numpy(memory),
        "same_memory": mg.from_numpy(memory),  # another tensor object, the same view
        "array": memory,
        "half": memory[:3],  # overlaps in part: stored as a copy
    }
    back = round_trip(obj, tmp_path)
    with safetensors.safe_open(tmp_path / "ckpt.safetensors", "np") as f:
        assert sorted(f.keys()) == ["half", "tensor"]
    assert back["tensor"] is back["same_memory"]
    assert np.shares_memory(back["tensor"].detach().numpy(), back["array"])
    assert not np.shares_memory(back["half"], back["array"])
    assert_same(obj, back)


def test_non_contiguous_views_are_saved_as_they_read(tmp_path):
    matrix = np.arange(12.0).reshape(3, 4)
    obj = {"t": mg.from_numpy(matrix).T, "strided": matrix[:, ::2], "m": matrix}
    assert_same(obj, round_trip(obj, tmp_path))


# --------------------------------------------------------------------- what cannot be saved


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (lambda x: x, "a function cannot be saved"),
        (print, "a function cannot be saved"),
        (nn.Linear(2, 2), r"a Module \(Linear\) cannot be saved; save its state_dict\(\)"),
        (mg.Value(1.0), r"a Value cannot be saved; save its .data"),
        ({1, 2}, "a set cannot be saved; save it as a sorted list"),
        (namedtuple("Point", "x y")(1, 2), r"a namedtuple \(Point\) cannot be saved"),
        (object(), "an? object cannot be saved"),
        (b"bytes", "a bytes cannot be saved"),
        (np.array(["text"]), "a ndarray of dtype <U4 cannot be saved"),
        (np.array([1 + 2j]), "a ndarray of dtype complex128 cannot be saved"),
        (GPTConfig, r"a class \(GPTConfig\) cannot be saved"),
    ],
)
def test_what_cannot_be_saved_is_named_by_its_key_path(tmp_path, value, message):
    checkpoint = {"model": {"w": mg.ones(2)}, "config": {"lr": 0.1, "fn": value}}
    with pytest.raises(TypeError, match=r"^obj\['config'\]\['fn'\]: " + message):
        mg.save(checkpoint, tmp_path / "ckpt.safetensors")
    assert os.listdir(tmp_path) == []  # refused before anything was written


def test_key_paths_through_lists_tuples_and_dataclass_fields(tmp_path):
    with pytest.raises(TypeError, match=r"^obj\[0\]\[1\]\['k'\]\.n_embd: a function"):
        mg.save([(1, {"k": GPTConfig(n_embd=print)})], tmp_path / "x")
    with pytest.raises(TypeError, match=r"^obj\['a'\]: the key \(1, 2\) \(tuple\) cannot be saved"):
        mg.save({"a": {(1, 2): 3}}, tmp_path / "x")


def test_a_structure_that_contains_itself_or_nests_too_deep(tmp_path):
    loop = []
    loop.append(loop)
    with pytest.raises(TypeError, match="nested more than 100 levels deep"):
        mg.save({"a": loop}, tmp_path / "x")
    deep = 0
    for _ in range(150):
        deep = [deep]
    with pytest.raises(TypeError, match="nested more than 100 levels deep"):
        mg.save(deep, tmp_path / "x")


# --------------------------------------------------------------------- load's arguments


def test_map_location_and_weights_only_as_pytorch_on_a_machine_without_cuda(tmp_path):
    mg.save({"w": mg.ones(2)}, tmp_path / "ckpt.safetensors")
    torch.save({"w": torch.ones(2)}, tmp_path / "ckpt.pt")
    for where in [None, "cpu", {"cuda:0": "cpu"}]:
        torch.load(tmp_path / "ckpt.pt", map_location=where, weights_only=True)
        back = mg.load(tmp_path / "ckpt.safetensors", map_location=where, weights_only=True)
        assert back["w"].tolist() == [1.0, 1.0]
    for where in [mg.device("cpu"), "cpu:0"]:  # micrograd's devices (PyTorch refuses 'cpu:0')
        assert mg.load(tmp_path / "ckpt.safetensors", map_location=where)["w"].shape == (2,)
    for weights_only in [True, False, None]:
        assert mg.load(tmp_path / "ckpt.safetensors", "cpu", weights_only)["w"].shape == (2,)
    for where in ["cuda", "cuda:1", {"cpu": "cuda"}]:
        with pytest.raises(RuntimeError):
            torch.load(tmp_path / "ckpt.pt", map_location=where, weights_only=True)
        with pytest.raises(RuntimeError, match="micrograd does not have.*map_location='cpu'"):
            mg.load(tmp_path / "ckpt.safetensors", map_location=where)
    with pytest.raises(TypeError, match="map_location as a function is not supported"):
        mg.load(tmp_path / "ckpt.safetensors", map_location=lambda storage, loc: storage)
    with pytest.raises(TypeError, match="weights_only must be True or False, got 'yes'"):
        mg.load(tmp_path / "ckpt.safetensors", weights_only="yes")


def test_weights_only_false_does_not_lift_the_allowlist(tmp_path):
    mg.save(GPTConfig(), tmp_path / "c.safetensors")
    with pytest.raises(ValueError, match="add_safe_globals"):
        mg.load(tmp_path / "c.safetensors", weights_only=False)


# --------------------------------------------------------------------- files from elsewhere


@pytest.mark.parametrize("zipped", [True, False])
def test_a_file_pytorch_wrote_says_how_to_bring_it_over(tmp_path, zipped):
    path = tmp_path / "ckpt.pt"
    torch.save({"model": {"w": torch.ones(2)}}, path, _use_new_zipfile_serialization=zipped)
    with pytest.raises(ValueError) as refused:
        mg.load(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: not a valid safetensors file but a pickle")
    assert "never unpickles" in message and "safetensors.torch.save_file(" in message
    assert "\n" not in message


def test_devices_pipes_and_folders_are_refused_without_reading(tmp_path):
    # Regression (issue 17, D2): load("/dev/zero") read until memory ran out.
    with pytest.raises(ValueError, match="^/dev/zero: a device, not a file"):
        mg.load("/dev/zero")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer: it must not
    with pytest.raises(ValueError, match="fifo: a pipe, not a file"):
        mg.load(fifo)
    with pytest.raises(IsADirectoryError) as caught:
        mg.load(tmp_path)
    assert caught.value.filename == str(tmp_path)
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / "missing.safetensors")


def test_a_huge_file_that_is_not_safetensors_is_refused_at_once(tmp_path):
    path = tmp_path / "huge.bin"
    with open(path, "wb") as f:
        f.write(b"not a checkpoint")
        f.truncate(8 * 2**30)  # 8 GiB, sparse: nothing is written to disk
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError, match="not a valid safetensors file"):
            mg.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 1.0 and peak < 2**20


# Crafted headers (each after an 8-byte length) that safetensors' own reader refuses too.
F64 = {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}
HOSTILE = {
    "header not JSON": (b"{not json", b""),
    "header a list": (b"[1, 2]", b""),
    "header not UTF-8": (b'{"\xff": 1}', b""),
    "deeply nested header": (b"[" * 100_000 + b"]" * 100_000, b""),
    "entry not an object": ({"w": 5}, b""),
    "no dtype": ({"w": {"shape": [2], "data_offsets": [0, 16]}}, bytes(16)),
    "unknown dtype": ({"w": {**F64, "dtype": "F128"}}, bytes(16)),
    "dtype not a string": ({"w": {**F64, "dtype": ["F64"]}}, bytes(16)),
    "negative dimension": ({"w": {**F64, "shape": [-2]}}, bytes(16)),
    "float dimension": ({"w": {**F64, "shape": [2.0]}}, bytes(16)),
    "offsets reversed": ({"w": {**F64, "data_offsets": [16, 0]}}, bytes(16)),
    "offsets not a pair": ({"w": {**F64, "data_offsets": [0]}}, bytes(16)),
    "size and shape disagree": ({"w": {**F64, "shape": [3]}}, bytes(16)),
    "a gap": ({"a": F64, "b": {**F64, "data_offsets": [24, 40]}}, bytes(40)),
    "overlap": ({"a": F64, "b": {**F64, "data_offsets": [8, 24]}}, bytes(24)),
    "bytes after the data": ({"w": F64}, bytes(24)),
    "file shorter than its data": ({"w": F64}, bytes(8)),
    "a huge array in a small file": (
        {"w": {"dtype": "F64", "shape": [2**40], "data_offsets": [0, 2**43]}},
        bytes(16),
    ),
    "a shape whose product overflows 64 bits": (
        {"w": {"dtype": "U8", "shape": [2**32, 2**32, 2**32], "data_offsets": [0, 16]}},
        bytes(16),
    ),
    "metadata not strings": ({"__metadata__": {"a": 1}, "w": F64}, bytes(16)),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_cleanly_without_big_allocations(tmp_path, case):
    header, data = HOSTILE[case]
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    with pytest.raises(Exception):  # safetensors' own reader refuses it too
        with safetensors.safe_open(path, "np") as f:
            [f.get_tensor(k) for k in f.keys()]
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="hostile.safetensors: (not a valid|unsupported)"):
            mg.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < len(raw) * 20 + 2**20


@pytest.mark.parametrize(
    ("header_size", "problem"),
    [(2**64 - 1, "header length"), (2**62, "header length"), (0, "header is not JSON")],
)
def test_header_lengths_that_do_not_fit(tmp_path, header_size, problem):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", header_size) + b"{}")
    with pytest.raises(ValueError, match=problem):
        mg.load(path)


def _file_with_structure(path, structure, arrays=None):
    """A safetensors file with ``structure`` as micrograd's metadata (a hand-made one)."""
    text = structure if isinstance(structure, str) else json.dumps(structure)
    arrays = {"w": np.zeros(2)} if arrays is None else arrays
    safetensors.numpy.save_file(arrays, path, metadata={"micrograd": text})


@pytest.mark.parametrize(
    ("structure", "problem"),
    [
        ("{not json", "its structure is not JSON"),
        ("[" * 5000 + "]" * 5000, "its structure is not JSON"),
        ({"root": 1}, "no format number"),
        ({"format": 1, "root": {"tensor": "missing"}}, "names an array 'missing'"),
        ({"format": 1, "root": 1}, r"the arrays \['w'\] are in no part of its structure"),
        ({"format": 1, "root": {"tensor": "w", "ndarray": "w"}}, "not a value micrograd wrote"),
        ({"format": 1, "root": {"set": [1]}}, "not a value micrograd wrote"),
        ({"format": 1, "root": {"dict": [[1]]}}, "not a list of \\[key, value\\] pairs"),
        ({"format": 1, "root": {"dict": [[[1], 2]]}}, "has a key that is not a str"),
        ({"format": 1, "root": {"float": "1e400"}}, "is not a float"),
        ({"format": 1, "root": {"tensor": "w", "requires_grad": 1}}, "requires_grad that is"),
        ({"format": 1, "root": {"numpy": "w"}}, "is a NumPy scalar with a shape"),
        ({"format": 1, "root": {"dataclass": "os.system", "fields": []}}, "only once allowed"),
        ({"format": 1, "root": {"namespace": [[1, 2]]}}, "a name that is not a string"),
        ({"format": 1, "root": json.loads("[" * 150 + "]" * 150)}, "more than 100 levels"),
        ({"format": 2, "root": None}, "written by a newer micrograd"),
    ],
)
def test_damaged_structures_are_refused_cleanly(tmp_path, structure, problem):
    path = tmp_path / "damaged.safetensors"
    _file_with_structure(path, structure)
    with pytest.raises(ValueError, match=problem):
        mg.load(path)


def test_a_tensor_of_integers_cannot_require_grad(tmp_path):
    path = tmp_path / "damaged.safetensors"
    structure = {"format": 1, "root": {"tensor": "w", "requires_grad": True}}
    _file_with_structure(path, structure, {"w": np.zeros(2, np.int64)})
    with pytest.raises(ValueError, match="obj cannot be a tensor"):
        mg.load(path)


def test_a_file_that_names_a_class_never_imports_it(tmp_path, monkeypatch):
    path = tmp_path / "hostile.safetensors"
    structure = {"format": 1, "root": {"dataclass": "never_imported_module.Evil", "fields": []}}
    _file_with_structure(path, structure, {})
    with pytest.raises(ValueError, match="never_imported_module.Evil"):
        mg.load(path)
    import sys

    assert "never_imported_module" not in sys.modules
