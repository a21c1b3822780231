# amili-fleet: every target works from a fresh clone; `setup` runs first where it is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup test lint typecheck unit broker sandbox demo bench schemas clean

setup: $(STAMP)

# Re-install only when the project's declared dependencies change (idempotent).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy workers schemas sandbox tests

# The whole suite: lint, types, unit and integration tests (real broker, real sandbox on loopback).
test: lint typecheck
	$(BIN)/pytest -q

broker: setup
	$(BIN)/amili-fleet broker

sandbox: setup
	$(BIN)/amili-fleet sandbox

demo: setup
	$(BIN)/amili-fleet demo

bench: setup
	$(BIN)/python -m tests.bench.fleet_bench

schemas: setup
	$(BIN)/amili-fleet schemas export schemas/generated

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
