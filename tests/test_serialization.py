"""micrograd.save / micrograd.load: safetensors round trips, PyTorch interchange, bad files."""

import json
import os
import random
import struct

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import micrograd
from micrograd import Value
from micrograd.nn import MLP, Linear, ReLU, Sequential, Tanh
from micrograd.tensors import Tensor


def _model(seed: int = 0, dtype=None) -> Sequential:
    gen = np.random.default_rng(seed)
    return Sequential(
        Linear(3, 5, generator=gen, dtype=dtype),
        ReLU(),
        Linear(5, 2, generator=gen, dtype=dtype),
    )


def _assert_same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for name in sa:
        assert sa[name].dtype == sb[name].dtype
        np.testing.assert_array_equal(sa[name], sb[name])


def _files(folder):
    return sorted(os.listdir(folder))


# --------------------------------------------------------------------- round trips


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_tensor_sequential(tmp_path, dtype):
    path = tmp_path / "model.safetensors"
    saved = _model(0, dtype)
    micrograd.save(saved, path)
    loaded = _model(1, dtype)
    weight_array = np.asarray(loaded[0].weight)
    assert micrograd.load(loaded, path) is loaded
    _assert_same_state(saved, loaded)
    assert np.asarray(loaded[0].weight) is weight_array  # loaded in place
    x = Tensor(np.random.default_rng(2).normal(size=(4, 3)), dtype=dtype)
    np.testing.assert_array_equal(saved(x).data, loaded(x).data)
    assert _files(tmp_path) == ["model.safetensors"]  # no temporary file left behind


def test_round_trip_scalar_mlp(tmp_path):
    path = str(tmp_path / "mlp.safetensors")
    random.seed(0)
    saved = MLP(2, [4, 3, 1], activation="tanh")
    micrograd.save(saved, path)
    random.seed(1)
    loaded = micrograd.load(MLP(2, [4, 3, 1], activation="tanh"), path)
    assert [p.data for p in loaded.parameters()] == [p.data for p in saved.parameters()]
    assert all(type(p.data) is float for p in loaded.parameters())
    x = [0.3, -1.2]
    assert loaded(x).data == saved(x).data


def test_save_overwrites_an_existing_file(tmp_path):
    path = tmp_path / "m.safetensors"
    micrograd.save(_model(0), path)
    micrograd.save(_model(5), path)
    _assert_same_state(micrograd.load(_model(9), path), _model(5))


def test_file_is_plain_safetensors_readable_by_torch(tmp_path):
    """Our file in PyTorch: same names, same values, same outputs."""
    path = tmp_path / "m.safetensors"
    model = Sequential(Linear(3, 4), Tanh(), Linear(4, 2))
    micrograd.save(model, path)
    ref = torch.nn.Sequential(
        torch.nn.Linear(3, 4, dtype=torch.float64),
        torch.nn.Tanh(),
        torch.nn.Linear(4, 2, dtype=torch.float64),
    )
    ref.load_state_dict(safetensors.torch.load_file(path))
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(model(Tensor(x)).data, ref(torch.tensor(x)).detach().numpy())


def test_loads_a_file_written_by_pytorch(tmp_path):
    path = tmp_path / "torch.safetensors"
    ref = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2)
    )  # float32, PyTorch's default
    safetensors.torch.save_file(ref.state_dict(), path)
    model = micrograd.load(_model(0, np.float32), path)
    for name, value in ref.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[name], value.numpy())


def test_save_accepts_path_like_and_str(tmp_path):
    micrograd.save(_model(), str(tmp_path / "a.safetensors"))
    micrograd.save(_model(), tmp_path / "b.safetensors")
    assert _files(tmp_path) == ["a.safetensors", "b.safetensors"]


# --------------------------------------------------------------------- mismatched models


def test_load_into_a_model_with_other_shapes(tmp_path):
    path = tmp_path / "m.safetensors"
    micrograd.save(_model(), path)
    other = Sequential(Linear(3, 6), ReLU(), Linear(6, 2))
    before = other.state_dict()
    with pytest.raises(ValueError, match=r"m\.safetensors.*'0\.weight'.*shape \(5, 3\)"):
        micrograd.load(other, path)
    _assert_same_state_dict(other.state_dict(), before)  # nothing was half-loaded


def test_load_into_a_model_with_other_names(tmp_path):
    path = tmp_path / "m.safetensors"
    micrograd.save(_model(), path)
    deeper = Sequential(Linear(3, 5), ReLU(), Linear(5, 2), Tanh(), Linear(2, 2))
    with pytest.raises(ValueError, match=r"missing keys \['4\.weight', '4\.bias'\]"):
        micrograd.load(deeper, path)
    shallower = Sequential(Linear(3, 5))
    with pytest.raises(ValueError, match=r"unexpected keys \['2\.bias', '2\.weight'\]"):
        micrograd.load(shallower, path)
    with pytest.raises(ValueError, match="missing keys.*unexpected keys"):
        micrograd.load(MLP(3, [5, 2]), path)


def test_non_strict_load_takes_the_common_names(tmp_path):
    path = tmp_path / "m.safetensors"
    saved = _model()
    micrograd.save(saved, path)
    deeper = Sequential(Linear(3, 5), ReLU(), Linear(5, 2), Tanh(), Linear(2, 2))
    untouched = deeper[4].weight.data.clone()
    micrograd.load(deeper, path, strict=False)
    np.testing.assert_array_equal(deeper[2].weight.data, saved[2].weight.data)
    np.testing.assert_array_equal(deeper[4].weight.data, untouched)


def test_scalar_file_into_tensor_model_is_a_clear_error(tmp_path):
    path = tmp_path / "mlp.safetensors"
    micrograd.save(MLP(2, [3, 1]), path)
    with pytest.raises(ValueError, match="does not match"):
        micrograd.load(_model(), path)


def _assert_same_state_dict(a, b):
    assert list(a) == list(b)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


# --------------------------------------------------------------------- corrupt files


def _header_file(path, header: dict, data: bytes) -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


def test_truncated_file(tmp_path):
    path = tmp_path / "m.safetensors"
    micrograd.save(_model(), path)
    payload = path.read_bytes()
    for cut in (len(payload) - 1, len(payload) // 2, 12, 7, 0):
        path.write_bytes(payload[:cut])
        model = _model(3)
        before = model.state_dict()
        with pytest.raises(ValueError, match=r"m\.safetensors: not a valid safetensors file"):
            micrograd.load(model, path)
        _assert_same_state_dict(model.state_dict(), before)


@pytest.mark.parametrize(
    "content",
    [
        b"garbage, not a model" * 10,
        b"\x80\x04\x95" + b"\x00" * 64,  # the start of a pickle: never unpickled
        bytes(range(256)),
    ],
)
def test_garbage_file(tmp_path, content):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"bad\.safetensors: not a valid safetensors file"):
        micrograd.load(_model(), path)


def test_header_that_is_not_json(tmp_path):
    path = tmp_path / "bad.safetensors"
    raw = b"{not json at all"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        micrograd.load(_model(), path)


def test_header_with_offsets_that_do_not_fit_the_shape(tmp_path):
    path = tmp_path / "bad.safetensors"
    _header_file(path, {"0.bias": {"dtype": "F64", "shape": [5], "data_offsets": [0, 8]}}, b"0" * 8)
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        micrograd.load(_model(), path)


def test_header_with_a_dtype_micrograd_has_not(tmp_path):
    path = tmp_path / "bad.safetensors"
    _header_file(path, {"w": {"dtype": "F8_E5M2", "shape": [2], "data_offsets": [0, 2]}}, b"\0" * 2)
    with pytest.raises(ValueError, match="unsupported dtype 'F8_E5M2'"):
        micrograd.load(_model(), path)


def test_file_with_non_numeric_dtype(tmp_path):
    path = tmp_path / "bools.safetensors"
    state = {k: v.bool().numpy() for k, v in _model().state_dict().items()}
    safetensors.numpy.save_file(state, path)
    with pytest.raises(ValueError, match=r"bools\.safetensors.*dtype bool"):
        micrograd.load(_model(), path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        micrograd.load(_model(), tmp_path / "nope.safetensors")


# --------------------------------------------------------------------- atomic save


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failed_save_leaves_no_partial_file(tmp_path, monkeypatch, failing):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="disk full"):
        micrograd.save(_model(), tmp_path / "m.safetensors")
    assert _files(tmp_path) == []


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    micrograd.save(_model(0), path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError):
        micrograd.save(_model(1), path)
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["m.safetensors"]


def test_save_into_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        micrograd.save(_model(), tmp_path / "no" / "such" / "m.safetensors")


def test_load_needs_a_path_or_a_module_and_a_path(tmp_path):
    path = tmp_path / "m.safetensors"
    micrograd.save(_model(), path)
    with pytest.raises(TypeError, match="a path \\(or a Module and a path\\), got list"):
        micrograd.load([Value(1.0)], path)
    with pytest.raises(TypeError, match="the path is missing"):
        micrograd.load(_model())
    with pytest.raises(TypeError, match="strict= goes with load\\(module, path\\)"):
        micrograd.load(path, strict=False)


def test_load_into_a_module_from_a_file_that_holds_no_state_dict(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    micrograd.save({"model": _model().state_dict(), "iter_num": 3}, path)
    with pytest.raises(
        ValueError, match=r"ckpt.safetensors: holds a dict, not a state dict.*checkpoint\['model'\]"
    ):
        micrograd.load(_model(), path)
    micrograd.save([1, 2], path)
    with pytest.raises(ValueError, match="holds a list, not a state dict"):
        micrograd.load(_model(), path)


@pytest.mark.parametrize(
    ("where", "error"),
    [
        (lambda tmp: tmp / "no" / "such" / "m.safetensors", FileNotFoundError),
        (lambda tmp: tmp, IsADirectoryError),  # the target is a folder
    ],
)
def test_save_errors_name_the_users_path_not_a_temporary_file(tmp_path, where, error):
    # Regression: the error named the hidden temporary file (.m.safetensors.<hex>.tmp).
    path = where(tmp_path)
    with pytest.raises(error) as caught:
        micrograd.save(_model(), path)
    assert caught.value.filename == str(path)
    assert ".tmp" not in str(caught.value)
    assert [f for f in _files(tmp_path) if f.endswith(".tmp")] == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions")
def test_save_into_a_read_only_folder_names_the_path(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError) as caught:
            micrograd.save(_model(), folder / "m.safetensors")
    finally:
        folder.chmod(0o700)
    assert caught.value.filename == str(folder / "m.safetensors")


SLOW_SAVE = """
import os, sys, time
import micrograd
from micrograd import _files
from micrograd.nn import Linear, Sequential

def stall(src, dst):  # the payload is on disk; stop before the rename, as a kill mid-save
    print("writing", flush=True)
    time.sleep(60)

_files.os.replace = stall
micrograd.save(Sequential(Linear(4, 4)), sys.argv[1])
"""


def test_a_killed_save_leaves_the_old_file_and_its_temporary_is_cleaned_next_time(tmp_path):
    # Regression: SIGKILL during a save left the hidden temporary file forever.
    import signal
    import subprocess
    import sys

    path = tmp_path / "m.safetensors"
    micrograd.save(_model(0), path)
    before = path.read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_SAVE, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline() == "writing\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stale = [f for f in _files(tmp_path) if f.endswith(".tmp")]
    assert len(stale) == 1 and stale[0].startswith(".m.safetensors.micrograd-")
    assert path.read_bytes() == before
    other = tmp_path / f".m.safetensors.micrograd-{os.getpid()}-live.tmp"  # a live writer's
    other.write_bytes(b"")
    micrograd.save(_model(1), path)
    assert _files(tmp_path) == sorted([other.name, "m.safetensors"])
    micrograd.load(_model(0), path)


def test_a_state_dict_saves_and_loads_as_torch_save_and_torch_load_are_used(tmp_path):
    """makemore's torch.save(model.state_dict(), path) / load_state_dict(torch.load(path)):
    the values come back as the state dict held them (Tensors, or NumPy arrays)."""
    import micrograd
    from micrograd import nn

    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    path = tmp_path / "model.safetensors"
    micrograd.save(model.state_dict(), path)
    state = micrograd.load(path)
    saved = model.state_dict()
    assert list(state) == list(saved)
    assert [type(v) for v in state.values()] == [type(v) for v in saved.values()]
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    fresh.load_state_dict(state)
    for (name, a), b in zip(model.state_dict().items(), fresh.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    with pytest.raises(TypeError, match=r"obj\['w'\]: a ndarray of dtype <U1 cannot be saved"):
        micrograd.save({"w": np.array(["a"])}, tmp_path / "bad.safetensors")
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        (tmp_path / "junk").write_bytes(b"junk")
        micrograd.load(tmp_path / "junk")
