# amili-fleet: every target works from a fresh clone; `setup` runs first where it is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Three distributions come from this tree: amili-fleet (workers/, this pyproject.toml) and, under
# distributions/, amili-fleet-schemas (schemas/) and amili-fleet-sandbox (sandbox/).
PROJECTS := pyproject.toml distributions/amili-fleet-schemas/pyproject.toml distributions/amili-fleet-sandbox/pyproject.toml distributions/hatch_package.py

.PHONY: setup lock test lint typecheck unit broker sandbox demo bench schemas clean promtool

setup: $(STAMP)

# Re-install only when a distribution's declaration or the dev lock changes (idempotent). Every third-party
# package comes from the lock, pinned and hash-checked; the three local distributions are then installed
# editable without their dependencies, and `pip check` fails when the lock no longer covers what they declare.
$(STAMP): $(PROJECTS) requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation \
		-e distributions/amili-fleet-schemas -e distributions/amili-fleet-sandbox -e .
	$(BIN)/python -m pip check || { echo "the lock files no longer satisfy the declared dependencies: run make lock"; exit 1; }
	touch $(STAMP)

# Regenerate the lock files from the three pyproject.toml files (universal, Python 3.11+, with hashes).
# Pins already in a lock are kept where they still fit; `make lock UPGRADE=1` moves everything to the newest.
# runtime, sandbox and build are resolved within the dev lock, so a package has one version everywhere.
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--no-emit-package amili-fleet --no-emit-package amili-fleet-schemas --no-emit-package amili-fleet-sandbox \
	$(if $(UPGRADE),--upgrade)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	$(UV_COMPILE) -o requirements/dev.txt requirements/dev.in
	for set in runtime sandbox build; do \
		$(UV_COMPILE) -c requirements/dev.txt -o requirements/$$set.txt requirements/$$set.in || exit 1; \
	done

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy workers schemas sandbox tests

# Prometheus' promtool, for the alert-rule unit tests (tests/deploy/test_promtool.py): the Debian package
# `prometheus`, installed once (idempotent: nothing happens when promtool is on PATH; needs root and apt).
promtool:
	command -v promtool >/dev/null || { apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1 || \
		{ apt-get update -qq && apt-get install -y --no-install-recommends prometheus >/dev/null; }; }
	command -v promtool >/dev/null || { echo "promtool missing: install the Debian package prometheus"; exit 1; }

# The whole suite: lint, types, unit and integration tests (real broker, real sandbox on loopback).
test: lint typecheck promtool
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
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .pytest_cache .ruff_cache
