"""The notebooks in notebooks/ run from top to bottom and show what they claim.

Each notebook is executed by a fresh Jupyter kernel (nbclient), in a temporary folder, so
nothing is written into the repository; any error in any cell fails the test. The kernel is
the ``python3`` kernel spec that ipykernel installs into this environment, which
jupyter_client starts with the Python running the tests (checked below). Each notebook is its
own test, so pytest-xdist runs them side by side. Facts are read from cells tagged in the
notebook's metadata (``tags``), not from their position.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import micrograd

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CELL_TIMEOUT_S = 120  # per cell; the longest, the demo's 100 training steps, takes ~10 s


def _execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    """Run every cell of ``nb`` in a new kernel started in ``cwd``; raises on a cell's error."""
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    # The kernel inherits this environment: keep matplotlib on the notebook's own (inline)
    # backend even when the test run sets MPLBACKEND for itself.
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    # pytest-xdist runs kernels side by side on few cores: one BLAS thread each, or their
    # threads wait on each other (the GPT notebook's training runs several times slower).
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return client.execute(env=env)


def _run(name: str, cwd: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    return _execute(nb, cwd)


def _tagged(nb: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def _text(cell: nbformat.NotebookNode) -> str:
    """Everything a code cell printed (stdout) or returned as text."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stdout":
            parts.append(out.text)
        elif out.output_type == "execute_result":
            parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


def _mimetypes(cell: nbformat.NotebookNode) -> set[str]:
    return {
        mime
        for out in cell.get("outputs", [])
        if out.output_type in ("display_data", "execute_result")
        for mime in out.data
    }


def _no_stderr(nb: nbformat.NotebookNode) -> None:
    """Warnings in a notebook are a sign of rot too: nothing may reach stderr."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert not (out.output_type == "stream" and out.name == "stderr"), (
                f"cell {cell.get('id')} wrote to stderr:\n{out.text}"
            )


# --------------------------------------------------------------------------------- the tests


def test_notebooks_are_committed_without_outputs() -> None:
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == [
        "backprop_ninja.ipynb",
        "demo.ipynb",
        "gpt.ipynb",
        "graph_tracing.ipynb",
        "tensor_digits.ipynb",
    ]
    for name in names:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{name}: cell {cell.id} has outputs; clear them"
                assert cell.execution_count is None, f"{name}: cell {cell.id} has a count"


def test_kernel_is_this_python_and_this_checkout(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import os, sys, micrograd\n"
            "print(sys.executable)\n"
            "print(os.path.dirname(micrograd.__file__))\n"
            "print(os.getcwd())"
        )
    ]
    executable, package, cwd = _text(_execute(nb, tmp_path).cells[0]).splitlines()
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    # the same micrograd these tests import (this checkout, with `pip install -e .`)
    assert Path(package).resolve() == Path(micrograd.__file__).resolve().parent
    assert Path(cwd).resolve() == tmp_path.resolve()


def test_demo(tmp_path: Path) -> None:
    nb = _run("demo.ipynb", tmp_path)
    _no_stderr(nb)
    final = _text(_tagged(nb, "final-accuracy"))
    assert re.search(r"training accuracy 100\.0%", final), final
    steps = re.findall(r"^step (\d+) loss ", "".join(_text(c) for c in nb.cells), re.M)
    assert steps == [str(k) for k in range(100)]
    assert "image/png" in _mimetypes(_tagged(nb, "decision-boundary"))
    assert list(tmp_path.iterdir()) == []


def test_graph_tracing(tmp_path: Path) -> None:
    nb = _run("graph_tracing.ipynb", tmp_path)
    _no_stderr(nb)
    svgs = [c for c in nb.cells if "image/svg+xml" in _mimetypes(c)]
    assert len(svgs) >= 10  # the graph before backward, after each manual step, and the rest
    for cell in svgs:
        drawings = [out.data["image/svg+xml"] for out in cell.outputs if "data" in out]
        assert all(
            svg.lstrip().startswith(("<?xml", "<svg")) and "</svg>" in svg for svg in drawings
        )

    grads = dict(re.findall(r"^(\w+): grad (\S+)$", _text(_tagged(nb, "manual-grads")), re.M))
    assert {k: float(v) for k, v in grads.items()} == pytest.approx(
        {"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5}, abs=1e-4
    )
    assert _text(_tagged(nb, "gradcheck")).split() == ["True", "True"]
    assert "gradcheck failed" in _text(_tagged(nb, "gradcheck-wrong"))
    assert "a.grad = 2.0" in _text(_tagged(nb, "a-plus-a"))
    assert "with the bug: a.grad = 1.0" in _text(_tagged(nb, "a-plus-a-bug"))
    assert list(tmp_path.iterdir()) == []


def test_tensor_digits(tmp_path: Path) -> None:
    nb = _run("tensor_digits.ipynb", tmp_path)
    _no_stderr(nb)
    found = re.search(r"test accuracy (\d\.\d+)", _text(_tagged(nb, "test-accuracy")))
    assert found and float(found.group(1)) >= 0.95, _text(_tagged(nb, "test-accuracy"))
    assert "image/png" in _mimetypes(_tagged(nb, "training-curves"))
    assert "image/png" in _mimetypes(_tagged(nb, "confusion-matrix"))
    saved = _text(_tagged(nb, "save-load"))
    after = re.search(r"after loading:  test accuracy (\d\.\d+)", saved)
    assert after and after.group(1) == found.group(1), saved
    assert "same predictions as the trained model: True" in saved
    assert list(tmp_path.iterdir()) == []


def test_gpt(tmp_path: Path) -> None:
    nb = _run("gpt.ipynb", tmp_path)
    _no_stderr(nb)
    initial = re.search(r"loss before training (\d\.\d+)", _text(_tagged(nb, "initial-loss")))
    assert initial and 3.0 < float(initial.group(1)) < 3.8  # about -log(1/27) = 3.30
    steps = re.findall(r"^step +(\d+) +loss ", _text(_tagged(nb, "training")), re.M)
    assert steps == ["0", "100", "200", "300"]
    losses = re.search(
        r"train loss (\d\.\d+), test loss (\d\.\d+)", _text(_tagged(nb, "test-loss"))
    )
    assert losses and float(losses.group(2)) < 2.6, _text(_tagged(nb, "test-loss"))
    assert "image/png" in _mimetypes(_tagged(nb, "loss-curve"))
    names = _text(_tagged(nb, "samples")).splitlines()
    assert len(names) == 20 and all(re.fullmatch(r"[a-z]*( \(new\))?", n) for n in names), names
    assert "same logits: True" in _text(_tagged(nb, "same-model"))
    assert list(tmp_path.iterdir()) == []


def test_backprop_ninja(tmp_path: Path) -> None:
    nb = _run("backprop_ninja.ipynb", tmp_path)
    _no_stderr(nb)
    assert "text/html" in _mimetypes(_tagged(nb, "answer-key"))  # the page, inline
    rules = _text(_tagged(nb, "rules"))
    assert re.search(r"W2\.grad \+= h\.T @ #24\.grad +\(64×32\) @ \(32×27\) → \(64×27\)", rules)
    assert "hpreact.grad += h.grad * (1 - h ** 2)" in rules
    rows = _text(_tagged(nb, "compare")).splitlines()
    assert len(rows) == 26  # every tensor of the forward pass, from logprobs back to C
    for row in rows:  # each manual gradient right, and the page's equal to backward's
        assert "approximate: True" in row and row.endswith("page = backward: True"), row
    rule = _text(_tagged(nb, "cross-entropy-rule"))
    assert "logits.grad += (softmax(logits, 1) - one_hot(Yb, 27)) * loss_fast.grad / 32" in rule
    assert "logits | approximate: True" in _text(_tagged(nb, "cross-entropy"))
    assert list(tmp_path.iterdir()) == []
