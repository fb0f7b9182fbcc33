# Fresh machine: `make up` runs the product, `make test` passes the tests.
# Test tiers (measured times in README.md, "Tests"):
#   make test-unit  no engine needed: pytest -m "not integration"
#   make test       the default tier, budget 10 min on 2 cores: engine, test images rebuilt afresh,
#                   ruff, mypy + docker-bench threshold, pytest (all but `slow`); scripts/test.sh
#   make test-all   the default tier plus the slow one (the product's image build, Swarm, browser,
#                   PostgreSQL with two API replicas, a real llama.cpp model server), and the
#                   API/agent/approval suites again on PostgreSQL
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv up test test-unit test-all image bench

$(BIN)/dockerdeployer: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/dockerdeployer

up: venv
	bash scripts/ensure-engine.sh
	$(BIN)/dockerdeployer up

test-unit: venv
	$(BIN)/pytest -m "not integration and not slow"

test: venv
	bash scripts/test.sh

test-all: venv
	bash scripts/test.sh --all

bench: venv
	bash scripts/ensure-engine.sh
	$(BIN)/dockerdeployer bench --markdown bench-results/bench.md
	$(BIN)/python benchmarks/run_all.py

image:
	bash scripts/build-image.sh
