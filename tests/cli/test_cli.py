"""The ``micrograd`` command end to end, in a temporary folder."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import micrograd
from micrograd import data, training
from micrograd.cli import main
from micrograd.nn.build import build_mlp

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JSON_KEYS = {"loss", "train_accuracy", "seconds", "files"}


def assert_png(path):
    with open(path, "rb") as f:
        assert f.read(8) == PNG_MAGIC, path


def assert_svg(path):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), path
    return root


def last_json(stdout):
    lines = stdout.strip().splitlines()
    assert lines, "nothing on stdout"
    return json.loads(lines[-1])


def no_temporary_files(folder):
    for _, _, files in os.walk(folder):
        assert not [f for f in files if f.endswith(".tmp")]


# --------------------------------------------------------------------- demo


def test_demo_scalar_engine_as_a_command(tmp_path):
    """`micrograd demo` as `make demo` runs it: a subprocess, progress on stderr."""
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "micrograd.cli", "demo", "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1  # stdout holds the JSON alone
    summary = json.loads(result.stdout)
    assert JSON_KEYS <= set(summary)
    assert summary["train_accuracy"] == 1.0  # as the original demo
    assert summary["loss"] < 0.02  # the original ends at 0.0110
    names = sorted(os.path.basename(p) for p in summary["files"])
    assert names == ["decision_boundary.png", "neuron.svg", "training_curves.png"]
    for path in summary["files"]:
        assert os.path.dirname(path) == str(out)
    assert_png(out / "decision_boundary.png")
    assert_png(out / "training_curves.png")
    svg = (out / "neuron.svg").read_text()
    assert_svg(out / "neuron.svg")
    for label in ("x1", "x2", "w1", "w2", "b", "out", "ReLU", "grad"):
        assert label in svg
    assert "acc=100.0%" in result.stderr and "loss=" in result.stderr  # the progress bar
    no_temporary_files(out)


def test_demo_tensor_engine_readable_output(tmp_path, capsys):
    assert main(["demo", "--engine", "tensor", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "train accuracy 100.0%" in out
    for name in ("decision_boundary.png", "training_curves.png", "neuron.svg"):
        assert f"wrote {tmp_path / name}" in out
    assert_png(tmp_path / "decision_boundary.png")
    assert_svg(tmp_path / "neuron.svg")


# --------------------------------------------------------------------- train


def test_train_digits_reaches_95_percent_and_saves(tmp_path, capsys):
    model_path = tmp_path / "digits.safetensors"
    argv = ["train", "--data", "digits", "--out", str(tmp_path), "--save", str(model_path)]
    assert main([*argv, "--json"]) == 0
    summary = last_json(capsys.readouterr().out)
    assert JSON_KEYS | {"test_accuracy"} <= set(summary)
    assert summary["test_accuracy"] >= 0.95
    assert summary["engine"] == "tensor"
    assert_png(tmp_path / "confusion_matrix.png")
    assert_png(tmp_path / "training_curves.png")
    assert not (tmp_path / "decision_boundary.png").exists()  # digits are not 2-D
    assert str(model_path) in summary["files"]
    # the saved weights give the reported test accuracy in a fresh model
    fresh = build_mlp("tensor", 64, [64], 10, seed=0)
    micrograd.load(fresh, model_path)
    _, X_test, _, y_test = data.digits(test_fraction=0.2, seed=1337)
    assert training.accuracy(fresh, X_test, y_test) == summary["test_accuracy"]


@pytest.mark.parametrize("dataset", ["moons", "circles", "blobs"])
def test_train_2d_tensor(dataset, tmp_path, capsys):
    argv = ["train", "--data", dataset, "--out", str(tmp_path), "--json", "--epochs", "60"]
    assert main(argv) == 0
    summary = last_json(capsys.readouterr().out)
    assert summary["epochs"] == 60
    assert summary["loss_function"] == ("cross_entropy" if dataset == "blobs" else "hinge")
    assert summary["test_accuracy"] >= 0.75
    assert_png(tmp_path / "decision_boundary.png")
    assert_png(tmp_path / "training_curves.png")


def test_train_value_engine_with_options(tmp_path, capsys):
    model_path = tmp_path / "moons.safetensors"
    argv = [
        "train",
        "--engine",
        "value",
        "--data",
        "moons",
        "--samples",
        "60",
        "--hidden",
        "8",
        "--activation",
        "tanh",
        "--optimizer",
        "sgd",
        "--lr",
        "0.05",
        "--epochs",
        "20",
        "--batch-size",
        "16",
        "--seed",
        "3",
        "--out",
        str(tmp_path),
        "--save",
        str(model_path),
        "--json",
    ]
    assert main(argv) == 0
    summary = last_json(capsys.readouterr().out)
    assert summary["engine"] == "value"
    assert summary["test_accuracy"] > 0.7
    assert_png(tmp_path / "decision_boundary.png")
    fresh = build_mlp("value", 2, [8], 1, activation="tanh", seed=0)
    micrograd.load(fresh, model_path)
    X_train, _, y_train, _ = data.split(*data.moons(n_samples=60, seed=3), 0.25, seed=3)
    assert training.accuracy(fresh, X_train, y_train) == summary["train_accuracy"]


def test_train_is_reproducible(tmp_path, capsys):
    argv = ["train", "--data", "blobs", "--epochs", "5", "--batch-size", "16", "--json"]
    results = []
    for run in ("a", "b"):
        assert main([*argv, "--out", str(tmp_path / run)]) == 0
        results.append(last_json(capsys.readouterr().out))
    assert results[0]["loss"] == results[1]["loss"]
    assert results[0]["test_accuracy"] == results[1]["test_accuracy"]


# --------------------------------------------------------------------- graph


def test_graph_svg_and_png(tmp_path, capsys):
    svg_path = tmp_path / "sub" / "neuron.svg"
    argv = ["graph", "tanh(x1*w1 + x2*w2 + b)", "--set", "x1=2", "--set", "x2=0"]
    argv += ["--set", "w1=-3", "--set", "w2=1", "--set", "b=6.8813735870195432"]
    assert main([*argv, "--out", str(svg_path)]) == 0
    out = capsys.readouterr().out
    assert "value 0.707107" in out
    assert "d/dx1 -1.5" in out and "d/dw1 1" in out
    assert f"wrote {svg_path}" in out
    root = assert_svg(svg_path)
    text = " ".join(t for t in root.itertext())
    for word in ("x1", "w1", "b", "tanh", "data", "grad", "0.7071"):
        assert word in text
    png_path = tmp_path / "neuron.png"
    assert main([*argv, "--out", str(png_path), "--rankdir", "TB"]) == 0
    assert_png(png_path)


# --------------------------------------------------------------------- errors


BAD_ARGUMENTS = [
    [],
    ["bogus"],
    ["demo", "--engine", "jax"],
    ["demo", "--bogus"],
    ["train", "--data", "mnist"],
    ["train", "--hidden", "16,x"],
    ["train", "--hidden", "16,,16"],
    ["train", "--hidden", "0"],
    ["train", "--hidden", "-4"],
    ["train", "--hidden", ""],
    ["train", "--lr", "-0.1"],
    ["train", "--lr", "0"],
    ["train", "--lr", "nan"],
    ["train", "--lr", "fast"],
    ["train", "--epochs", "0"],
    ["train", "--epochs", "2.5"],
    ["train", "--epochs", "-3"],
    ["train", "--batch-size", "0"],
    ["train", "--batch-size", "1e3"],
    ["train", "--samples", "3"],
    ["train", "--data", "digits", "--samples", "100"],
    ["train", "--seed", "-1"],
    ["train", "--seed", "4294967296"],
    ["train", "--hidden", "100000,100000"],
    ["train", "--samples", "1000000000"],
    ["train", "--samples", "100000", "--hidden", "1024,1024"],
    ["train", "--data", "digits", "--engine", "value", "--batch-size", "1437"],
    ["train", "--optimizer", "rmsprop"],
    ["train", "--activation", "gelu"],
    ["train", "--engine", "numpy"],
    ["graph"],
    ["graph", "x.__class__", "--set", "x=1"],
    ["graph", "__import__('os').system('true')"],
    ["graph", "lambda: 0"],
    ["graph", "import os"],
    ["graph", "open('f')"],
    ["graph", "x*y", "--set", "x=1"],
    ["graph", "x", "--set", "x=1", "--set", "x=2"],
    ["graph", "x", "--set", "x=1", "--set", "y=2"],
    ["graph", "x", "--set", "x"],
    ["graph", "x", "--set", "x=abc"],
    ["graph", "x", "--set", "x=inf"],
    ["graph", "x", "--set", "1x=2"],
    ["graph", "log(x)", "--set", "x=0"],
    ["graph", "x", "--set", "x=1", "--out", "graph.pdf"],
    ["graph", "1" + "0" * 400 + "*x", "--set", "x=1"],
    ["graph", "0x" + "f" * 300 + "*x", "--set", "x=1"],
    ["graph", "+".join(["x"] * 3000), "--set", "x=1"],
    ["graph", "--bogus", "--set", "x=1"],
    ["graph", "x", "-y", "--set", "x=1"],
    ["graph", "--set", "x=1"],
]


@pytest.mark.parametrize("argv", BAD_ARGUMENTS, ids=lambda argv: " ".join(argv)[:60])
def test_bad_arguments_exit_2_with_one_line(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # default outputs would land here: none may
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("micrograd: error: ")
    assert "Traceback" not in captured.err
    written = [f for _, _, files in os.walk(tmp_path) for f in files]
    assert written == []


def test_bad_output_locations(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("keep me")
    for argv in (
        ["train", "--out", str(a_file)],
        ["train", "--out", str(tmp_path), "--save", str(tmp_path / "missing" / "m.st")],
        ["train", "--out", str(tmp_path), "--save", str(tmp_path)],
        ["demo", "--out", str(a_file / "below")],
        ["graph", "x", "--set", "x=1", "--out", str(a_file / "g.svg")],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and err.startswith("micrograd: error: "), err
    assert a_file.read_text() == "keep me"
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out
    for command in ("demo", "train", "graph"):
        assert main([command, "--help"]) == 0
        assert "usage: micrograd" in capsys.readouterr().out


def test_console_script_is_declared():
    result = subprocess.run(
        [sys.executable, "-m", "micrograd.cli", "train", "--lr", "-1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "micrograd: error: argument --lr: expected a positive number, got '-1'"
    ]


def test_write_atomically_leaves_nothing_on_failure(tmp_path, monkeypatch):
    from micrograd.cli import files

    target = tmp_path / "old.png"
    target.write_bytes(b"old")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", fail)
    with pytest.raises(OSError):
        files.write_atomically(str(target), b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["old.png"]


def test_write_atomically_refuses_a_folder_naming_it(tmp_path):
    from micrograd.cli import files

    folder = tmp_path / "out"
    folder.mkdir()
    for target in (str(folder), f"{tmp_path}/missing/"):
        with pytest.raises(IsADirectoryError) as raised:
            files.write_atomically(target, b"x")
        assert raised.value.filename == target  # not a temporary file made beside it
    assert os.listdir(tmp_path) == ["out"] and os.listdir(folder) == []


def test_unwritable_output_is_one_line_exit_1(tmp_path, capsys, monkeypatch):
    from micrograd.cli import files

    def fail(src, dst):
        raise PermissionError(13, "Permission denied", dst)

    monkeypatch.setattr(files.os, "replace", fail)
    argv = ["graph", "x*2", "--set", "x=1", "--out", str(tmp_path / "g.svg")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"micrograd: error: cannot write {tmp_path}/g.svg: Permission denied"
    ]
    assert os.listdir(tmp_path) == []


def test_scalar_engine_on_digits_warns(tmp_path, capsys, monkeypatch):
    # The warning comes before training; stop there instead of training for minutes.
    from micrograd import training as training_module

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training_module, "fit", stop)
    assert main(["train", "--data", "digits", "--engine", "value", "--out", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert "micrograd: warning: the scalar engine builds about" in err
    assert "--engine tensor" in err
    assert np.all([not f.endswith(".png") for f in os.listdir(tmp_path)])


# --------------------------------------------------------------------- limits and failures


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["graph", "1" + "0" * 400 + "*x", "--set", "x=1"], "too large"),
        (["graph", "+".join(["x"] * 3000), "--set", "x=1"], "the limit is 1,000"),
        (["graph", "x" * 10_001, "--set", "x=1"], "the limit is 10,000"),
        (["train", "--seed", "4294967296"], "from 0 to 4294967295"),
        (["train", "--hidden", "100000,100000"], "from 1 to 4,096"),
        (["train", "--samples", "1000000000"], "from 8 to 100,000"),
        (["train", "--samples", "100000", "--hidden", "1024,1024"], "the limit is 2 GiB"),
    ],
    ids=["big-int", "terms", "length", "seed", "hidden", "samples", "memory"],
)
def test_size_limits_are_stated_in_the_message(argv, words, tmp_path, capsys):
    # Regressions: OverflowError and scikit-learn tracebacks, "nested too deeply" for a flat
    # sum, and NumPy MemoryErrors after minutes.
    assert main([*argv, "--out", str(tmp_path / "out.svg" if argv[0] == "graph" else tmp_path)])
    err = capsys.readouterr().err
    assert err.startswith("micrograd: error: ") and len(err.splitlines()) == 1, err
    assert words in err


def test_the_smallest_blobs_train(tmp_path, capsys, monkeypatch):
    # Regression: --samples 8 (the documented minimum) on 3 blobs: a scikit-learn traceback.
    tuned = []  # and train sets malloc up for its training loop (tests/test_memory.py)
    monkeypatch.setattr("micrograd.cli.train.tune_malloc", lambda: tuned.append(1) or False)
    argv = ["train", "--data", "blobs", "--samples", "8", "--epochs", "2", "--json"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    assert last_json(capsys.readouterr().out)["loss_function"] == "cross_entropy"
    assert tuned == [1]


def test_an_expression_starting_with_minus(tmp_path, capsys):
    # Regression: argparse read "-x" as an option.
    for expression, value in (("-x", "-3"), ("-2*x", "-6"), ("- x", "-3")):
        argv = ["graph", expression, "--set", "x=3", "--out", str(tmp_path / "g.svg")]
        assert main(argv) == 0
        assert f"value {value}\n" in capsys.readouterr().out
    assert main(["graph", "--set", "x=3", "--out", str(tmp_path / "g.svg"), "--", "-x"]) == 0


def test_a_long_sum_of_one_name_draws(tmp_path, capsys):
    # Regression: x + x + ... + x (150 terms) took minutes to lay out.
    argv = ["graph", "+".join(["x"] * 150), "--set", "x=1", "--out", str(tmp_path / "g.svg")]
    assert main(argv) == 0
    assert "d/dx 150" in capsys.readouterr().out
    assert_svg(tmp_path / "g.svg")


def test_memory_error_is_one_line_exit_1(tmp_path, capsys, monkeypatch):
    from micrograd import training as training_module

    def exhausted(*args, **kwargs):
        raise MemoryError("Unable to allocate 74.5 GiB")

    monkeypatch.setattr(training_module, "fit", exhausted)
    assert main(["train", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "micrograd: error: out of memory; try smaller sizes"
    assert "Traceback" not in err


def test_no_renderer_is_one_line_exit_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("micrograd.render.find_renderer", lambda: None)
    assert main(["graph", "x", "--set", "x=1", "--out", str(tmp_path / "g.svg")]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "pip install graphviz-pure" in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("where", ["save", "out"])
def test_unwritable_files_are_named_as_the_user_gave_them(where, tmp_path, capsys, monkeypatch):
    # Regression: the error named the hidden temporary file.
    from micrograd import _files

    real_open = os.open

    def refuse(path, *args, **kwargs):
        if os.path.basename(path).startswith((".m.safetensors.", ".g.svg.")):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(_files.os, "open", refuse)
    target = tmp_path / "m.safetensors"
    if where == "save":
        argv = ["train", "--epochs", "1", "--out", str(tmp_path / "o"), "--save", str(target)]
        expected = str(target)
    else:
        argv = ["graph", "x", "--set", "x=1", "--out", str(tmp_path / "g.svg")]
        expected = str(tmp_path / "g.svg")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"micrograd: error: cannot write {expected}: Permission denied"


INTERRUPT_THROUGH_EXEC = """
import sys
from micrograd.cli import graph, main

def run(args):  # as an interrupt during scipy's imports, which run exec("...")
    exec("raise KeyboardInterrupt")

graph.run = run
raise SystemExit(main(["graph", "x", "--set", "x=1", "--out", sys.argv[1] + "/g.svg"]))
"""


def test_an_interrupt_raised_through_exec_exits_130_with_the_message(tmp_path):
    # Regression: CPython then killed `python -m micrograd.cli` with SIGINT at exit: status
    # -2 and no message. The script runs as a module (-m), the path where CPython checks.
    (tmp_path / "interrupted.py").write_text(INTERRUPT_THROUGH_EXEC)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    result = subprocess.run(
        [sys.executable, "-m", "interrupted", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 130, result.stderr
    assert result.stderr.splitlines()[-1] == "micrograd: interrupted"


def test_ctrl_c_during_train_exits_130_with_the_message(tmp_path):
    import signal

    proc = subprocess.Popen(
        [sys.executable, "-m", "micrograd.cli", "train", "--epochs", "100000"]
        + ["--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = ""
    while "epoch" not in seen:  # the progress bar: training has started
        seen += proc.stderr.read(1)
        assert seen or proc.poll() is None
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.replace("\r", "\n").splitlines()[-1] == "micrograd: interrupted"
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".png")]
