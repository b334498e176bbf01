# The two commands of the README's Quick start. Both create (or reuse) .venv/ at the repo root.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench bench-scalar bench-tensor bench-makemore clean

# Reinstalled whenever pyproject.toml changes.
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/micrograd demo

test: $(BIN)/.installed
	$(BIN)/ruff check micrograd tests benchmarks
	$(BIN)/ruff format --check micrograd tests benchmarks
	$(BIN)/python -m pytest -n auto micrograd tests

# Benchmarks: not part of the test suite (timings are noisy and ratios are what count).
bench: bench-scalar bench-tensor

# micrograd 0.1.0 from PyPI goes into its own venv so the two run side by side in one process tree.
$(VENV)-ref/bin/python:
	$(PYTHON) -m venv $(VENV)-ref
	$(VENV)-ref/bin/python -m pip install --quiet --disable-pip-version-check micrograd==0.1.0

bench-scalar: $(BIN)/.installed $(VENV)-ref/bin/python
	$(BIN)/python benchmarks/bench_scalar.py --reference-python $(VENV)-ref/bin/python

bench-tensor: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_tensor.py

bench-makemore: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_makemore.py

clean:
	rm -rf $(VENV) $(VENV)-ref micrograd-out
