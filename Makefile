# woo-netsuite-sync — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

RUNTIME_LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
# Resolved for what CI and the image run: CPython 3.11 on x86_64 Linux. The dev lock is constrained
# by the runtime lock, so both agree on every shared package.
LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 --quiet

# Every third-party package comes from a lock, checked against its hashes; then the project itself,
# editable, without dependencies (tests/unit/test_supply_chain.py checks locks, pyproject and image agree).
$(STAMP): pyproject.toml $(RUNTIME_LOCK) $(DEV_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(RUNTIME_LOCK)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the locked runtime and dev packages, then the project

lock: $(STAMP) ## re-resolve requirements.lock and requirements-dev.lock from pyproject.toml (with hashes)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o $(RUNTIME_LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -c $(RUNTIME_LOCK) -o $(DEV_LOCK)

run: $(STAMP) ## the whole pipeline on the embedded stack, with demo orders and a progress line
	$(BIN)/python -m devstack.run

# Two workers (pytest-xdist), a test file per worker at a time so module fixtures start once: the
# integration tests mostly wait on brokers and processes, so two halve the time on CI's two cores.
test: $(STAMP) ## run every test (unit + integration against a real Kafka-protocol broker)
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP) ## ruff and mypy (strict on our packages)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) ## benchmarks (not run by CI): receiver and consumer, ratios to baselines
	$(BIN)/python -m bench

.PHONY: help install lock run test lint format bench
