# The two commands a new machine needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt
# Real datasets live outside the project (their licences forbid redistribution).
TASTEMAKER_DATA_DIR ?= $(abspath ../shared/data)
export TASTEMAKER_DATA_DIR
# Two cores: let BLAS and numba use both, no more.
export OMP_NUM_THREADS ?= 2
export PYTHONHASHSEED := 0

.PHONY: venv demo test lint format bench clean

$(BIN)/.installed: pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

demo: venv  ## train and evaluate models on MovieLens-100K, print a leaderboard and recommendations
	$(BIN)/python -m tastemaker.demo

test: venv  ## lint, format check, import contracts, then the whole test suite
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 --durations=15

format: venv
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

$(BIN)/.bench-installed: $(BIN)/.installed
	$(PIP) -e '.[dev,bench]'
	touch $@

bench: $(BIN)/.bench-installed  ## peer-library comparison (not part of make test)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
