# woo-netsuite-sync — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev tools

run: $(STAMP) ## the whole pipeline on the embedded stack, with demo orders and a progress line
	$(BIN)/python -m devstack.run

test: $(STAMP) ## run every test (unit + integration against a real Kafka-protocol broker)
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff and mypy (strict on our packages)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) ## benchmarks (not run by CI): receiver and consumer, ratios to baselines
	$(BIN)/python -m bench

.PHONY: help install run test lint format bench
