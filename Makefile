# The two commands of the README's Quick start. Both create (or reuse) .venv/ at the repo root.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench bench-scalar bench-microgpt bench-tensor clean

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
bench: bench-scalar bench-microgpt bench-tensor

# micrograd 0.1.0 from PyPI goes into its own venv so the two run side by side in one process tree
# (with NumPy: the demo notebook's loop, run verbatim, uses it).
$(VENV)-ref/.installed:
	test -x $(VENV)-ref/bin/python || $(PYTHON) -m venv $(VENV)-ref
	$(VENV)-ref/bin/python -m pip install --quiet --disable-pip-version-check micrograd==0.1.0 numpy
	touch $@

bench-scalar: $(BIN)/.installed $(VENV)-ref/.installed
	$(BIN)/python benchmarks/bench_scalar.py --reference-python $(VENV)-ref/bin/python

bench-microgpt: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_microgpt.py

bench-tensor: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_tensor.py

clean:
	rm -rf $(VENV) $(VENV)-ref micrograd-out
