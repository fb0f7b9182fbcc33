# Fresh machine: `make up` runs the product, `make test` passes the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv up test test-all image bench

$(BIN)/dockerdeployer: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/dockerdeployer

up: venv
	bash scripts/ensure-engine.sh
	$(BIN)/dockerdeployer up

test: venv
	bash scripts/ensure-engine.sh
	bash scripts/ensure-browser.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/dockerdeployer bench --min-pass 0.90 --json bench-results/bench.json
	$(BIN)/pytest

test-all: venv
	bash scripts/ensure-engine.sh
	$(BIN)/pytest -m "slow or not slow"

bench: venv
	bash scripts/ensure-engine.sh
	$(BIN)/dockerdeployer bench --markdown bench-results/bench.md
	$(BIN)/python benchmarks/run_all.py

image:
	bash scripts/build-image.sh
