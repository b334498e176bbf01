"""The learner's path (docs/how-backward-works.md): ``F.cross_entropy(x @ W + b, y).backward()``
runs through at most five files of micrograd, and the page that follows it stays true: its
code runs, and every excerpt it quotes is still the code of the file it names."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

import micrograd
from micrograd import Tensor
from micrograd.graph import topological_order
from micrograd.nn import functional as F

PACKAGE = Path(micrograd.__file__).resolve().parent
DOC = PACKAGE.parent / "docs" / "how-backward-works.md"


def files_run(fn) -> dict[str, set[str]]:
    """The files of micrograd whose functions ``fn()`` calls, each with the functions'
    names (``sys.settrace`` sees every Python call)."""
    seen: dict[str, set[str]] = {}

    def tracer(frame, event, arg):
        path = Path(frame.f_code.co_filename).resolve()
        if PACKAGE in path.parents:
            seen.setdefault(str(path.relative_to(PACKAGE)), set()).add(frame.f_code.co_name)

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return seen


def example():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)))
    W = Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    b = Tensor(np.zeros(5), requires_grad=True)
    y = np.array([0, 2, 4, 1])
    return x, W, b, y


def test_the_learners_example_runs_through_five_files():
    x, W, b, y = example()

    def step():
        F.cross_entropy(x @ W + b, y).backward()

    files = files_run(step)
    assert sorted(files) == [
        "graph.py",
        "nn/functional/_args.py",
        "nn/functional/losses.py",
        "tensors/core.py",
        "tensors/ops.py",
    ], files
    assert {"backpropagate", "accumulate", "unbroadcast"} <= files["tensors/core.py"]
    assert W.grad.shape == (3, 5) and b.grad.shape == (5,)


def test_the_walk_fires_the_nodes_the_page_names():
    x, W, b, y = example()
    loss = F.cross_entropy(x @ W + b, y)
    order = topological_order(loss)
    assert [n._op for n in order if n._prev] == ["@", "+", "cross_entropy"]
    assert order[:3] == [b, x, W]  # leaves are listed as soon as they are found


def doc_blocks():
    text = DOC.read_text(encoding="utf-8")
    return re.findall(r"(?:<!-- (\S+) -->\n)?```python\n(.*?)```", text, re.S)


def test_every_excerpt_on_the_page_is_the_code_of_the_file_it_names():
    excerpts = [(path, code) for path, code in doc_blocks() if path]
    assert len(excerpts) >= 10
    for path, code in excerpts:
        source = (PACKAGE.parent / path).read_text(encoding="utf-8")
        assert code in source, f"{path} no longer holds:\n{code}"


def test_the_pages_example_runs_as_written(capsys):
    (example_code,) = [code for path, code in doc_blocks() if not path]
    exec(compile(example_code, str(DOC), "exec"), {})
    assert capsys.readouterr().out == "(3, 5) (5,)\n"
