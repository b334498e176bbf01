"""micrograd.utils.tensorboard.SummaryWriter writes real TensorBoard event files: each test
reads them back record by record (TFRecord framing, CRC-checked) into tensorboardX's Event
protocol buffers and checks the values, tags and steps."""

import importlib
import re
import socket
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from tensorboardX.proto.event_pb2 import Event, SessionLog
from tensorboardX.record_writer import masked_crc32c

import micrograd
from micrograd.utils.tensorboard import SummaryWriter


def read_events(path):
    """The Events in one event file: each record is its length (8 bytes), the length's masked
    CRC-32C (4), the serialized Event, and the Event's masked CRC-32C (4)."""
    data = Path(path).read_bytes()
    events, at = [], 0
    while at < len(data):
        header = data[at : at + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[at + 8 : at + 12])
        body = data[at + 12 : at + 12 + length]
        (body_crc,) = struct.unpack("<I", data[at + 12 + length : at + 16 + length])
        assert header_crc == masked_crc32c(header) and body_crc == masked_crc32c(body)
        events.append(Event.FromString(body))
        at += 16 + length
    return events


def event_file(log_dir):
    (path,) = Path(log_dir).glob("events.out.tfevents.*")
    return path


def values(log_dir):
    """{tag: [(step, value), ...]} of every summary value in the event file in ``log_dir``."""
    found = {}
    for event in read_events(event_file(log_dir)):
        for value in event.summary.value:
            found.setdefault(value.tag, []).append((event.step, value))
    return found


def scalars(log_dir):
    return {
        tag: [(step, value.simple_value) for step, value in pairs]
        for tag, pairs in values(log_dir).items()
    }


def test_makemore_logs_losses_and_flushes(tmp_path):
    writer = SummaryWriter(log_dir=str(tmp_path))  # makemore: SummaryWriter(log_dir=work_dir)
    for step in (500, 1000):
        writer.add_scalar("Loss/train", 2.5 - step / 1000, step)
        writer.add_scalar("Loss/test", micrograd.tensor(2.75 - step / 1000), step)
        writer.flush()  # on disk now, no close needed
        assert len(scalars(tmp_path)["Loss/train"]) == step // 500
    assert scalars(tmp_path) == {
        "Loss/train": [(500, 2.0), (1000, 1.5)],
        "Loss/test": [(500, 2.25), (1000, 1.75)],
    }
    first = read_events(event_file(tmp_path))[0]
    assert first.file_version == "brain.Event:2"  # what TensorBoard expects first
    writer.close()


@pytest.mark.parametrize(
    "value",
    [
        3,
        0.25,
        np.float32(0.25),
        np.int64(3),
        np.array(0.25),
        np.array([0.25]),
        micrograd.tensor(0.25),
        micrograd.tensor([3]),
        micrograd.tensor([0.25], requires_grad=True) * 1,  # a loss still in its graph
        True,
    ],
    ids=lambda v: type(v).__name__,
)
def test_scalars_are_numbers_tensors_or_arrays(tmp_path, value):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("x", value, global_step=np.int64(7))
    ((step, logged),) = scalars(tmp_path)["x"]
    expected = value.detach().numpy() if isinstance(value, micrograd.Tensor) else value
    assert step == 7 and logged == np.float32(np.asarray(expected).item())


def test_add_scalars_writes_one_run_per_series(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(3):
            writer.add_scalars(
                "loss/split", {"train": step, "test": micrograd.tensor(step / 2)}, step
            )
    assert scalars(tmp_path / "loss_split_train") == {"loss/split": [(0, 0), (1, 1), (2, 2)]}
    assert scalars(tmp_path / "loss_split_test") == {"loss/split": [(0, 0), (1, 0.5), (2, 1)]}


def test_histograms_of_tensors_and_arrays(tmp_path):
    weights = micrograd.randn(1000, generator=micrograd.Generator().manual_seed(0))
    numbers = weights.detach().numpy()
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram("w", weights, 1)
        writer.add_histogram("w", numbers * 2, 2, bins=10)
    ((_, first), (_, second)) = values(tmp_path)["w"]
    for histo, x in ((first.histo, numbers), (second.histo, numbers * 2)):
        assert histo.num == x.size and sum(histo.bucket) == x.size
        assert histo.min == x.min() and histo.max == x.max()
        assert histo.sum == pytest.approx(x.sum()) and histo.sum_squares == pytest.approx(x @ x)
        # every count sits under its upper limit: below each limit, at least those values
        below = np.cumsum(histo.bucket)
        assert all(below[i] <= (x <= limit).sum() for i, limit in enumerate(histo.bucket_limit))
    assert len(second.histo.bucket) == 11  # bins=10, plus the empty one on the left
    assert len(first.histo.bucket) > 50  # TensorBoard's fine buckets, growing by 10%


def test_text(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_text("samples", "emma\nolivia", 3)
    ((step, value),) = values(tmp_path)["samples/text_summary"]
    assert step == 3 and value.tensor.string_val == [b"emma\nolivia"]


def test_default_log_dir_is_pytorchs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as writer:
        log_dir = writer.log_dir
        assert writer.get_logdir() == log_dir
    host = re.escape(socket.gethostname())
    assert re.fullmatch(rf"runs/[A-Z][a-z]{{2}}\d\d_\d\d-\d\d-\d\d_{host}_lr0\.1", log_dir)
    assert event_file(tmp_path / log_dir).stat().st_size > 0


def test_a_closed_writer_reopens_in_a_new_file(tmp_path):
    writer = SummaryWriter(tmp_path)
    writer.add_scalar("x", 1, 0)
    writer.close()
    writer.close()  # twice is harmless
    writer.add_scalar("x", 2, 1)  # a new file, even within the same second
    writer.close()
    files = sorted(tmp_path.glob("events.out.tfevents.*"))
    assert len(files) == 2
    logged = sorted(
        (e.step, v.simple_value) for f in files for e in read_events(f) for v in e.summary.value
    )
    assert logged == [(0, 1.0), (1, 2.0)]


def test_purge_step_marks_a_restart(tmp_path):
    with SummaryWriter(tmp_path, purge_step=100) as writer:
        writer.add_scalar("x", 1, 100)
    restart = read_events(event_file(tmp_path))[2]
    assert restart.step == 100 and restart.session_log.status == SessionLog.START


def test_events_reach_the_disk_every_max_queue_events(tmp_path):
    writer = SummaryWriter(tmp_path, max_queue=3)
    for step in range(3):
        writer.add_scalar("x", step, step)
    assert len(scalars(tmp_path)["x"]) == 3  # no flush() called
    writer.close()


BAD = [
    (lambda w: w.add_scalar("x", micrograd.zeros(3)), ValueError, "must be one number, got 3"),
    (lambda w: w.add_scalar("x", "1.5"), TypeError, "must be numbers"),
    (lambda w: w.add_scalar("x", None), TypeError, "must be numbers"),
    (lambda w: w.add_scalar("x", 1.0, global_step=1.5), TypeError, "global_step must be an int"),
    (lambda w: w.add_scalars("x", {"a": [1, 2]}), ValueError, "the value of 'a' must be one"),
    (lambda w: w.add_histogram("x", []), ValueError, "values is empty"),
    (lambda w: w.add_histogram("x", [1.0, np.nan]), ValueError, "nan or inf"),
    (lambda w: w.add_histogram("x", np.array(["a"])), TypeError, "must be numbers"),
    (lambda w: w.add_text("x", 3), TypeError, "text_string must be a str, got int"),
]


@pytest.mark.parametrize("call, error, message", BAD)
def test_bad_values_get_a_clear_error(tmp_path, call, error, message):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(error, match=re.escape(message)):
            call(writer)


def test_without_tensorboardx_the_import_names_the_extra(monkeypatch):
    for name in [name for name in sys.modules if name.split(".")[0] == "tensorboardX"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "micrograd.utils.tensorboard")
    with pytest.raises(ImportError) as error:
        importlib.import_module("micrograd.utils.tensorboard")
    assert "pip install tensorboardX" in str(error.value)
    assert "pip install 'micrograd[tensorboard]'" in str(error.value)
