# The two commands of the README's Quick start. Both create (or reuse) .venv/ at the repo root.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint bench bench-scalar bench-microgpt bench-tensor bench-makemore clean

# Two stamps, each redone whenever pyproject.toml changes. The demo needs micrograd and its
# dependencies only; the tests also need the test extras, PyTorch (the reference the tests
# compare against, never used at run time) the largest of them. The test install covers the
# demo's too, so it sets both stamps; the demo's alone leaves the test stamp for `make test`.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[test]'
	touch $@ $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(BIN)/micrograd demo

test: lint
	$(BIN)/python -m pytest -n auto micrograd tests

lint: $(VENV)/.installed-test
	$(BIN)/ruff check micrograd tests benchmarks
	$(BIN)/ruff format --check micrograd tests benchmarks

# Benchmarks: not part of the test suite (timings are noisy and ratios are what count).
bench: bench-scalar bench-microgpt bench-tensor bench-makemore

# micrograd 0.1.0 from PyPI goes into its own venv so the two run side by side in one process tree
# (with NumPy: the demo notebook's loop, run verbatim, uses it).
$(VENV)-ref/.installed:
	test -x $(VENV)-ref/bin/python || $(PYTHON) -m venv $(VENV)-ref
	$(VENV)-ref/bin/python -m pip install --quiet --disable-pip-version-check micrograd==0.1.0 numpy
	touch $@

bench-scalar: $(VENV)/.installed-demo $(VENV)-ref/.installed
	$(BIN)/python benchmarks/bench_scalar.py --reference-python $(VENV)-ref/bin/python

bench-microgpt: $(VENV)/.installed-demo
	$(BIN)/python benchmarks/bench_microgpt.py

# Beside PyTorch eager, which comes with the test extras.
bench-tensor: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_tensor.py

bench-makemore: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_makemore.py

clean:
	rm -rf $(VENV) $(VENV)-ref micrograd-out
