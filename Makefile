# NSATU coordination platform. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NSATU := $(VENV)/bin/nsatu
PYTEST := $(VENV)/bin/pytest
export NSATU_VAR_DIR ?= $(CURDIR)/var
# Tests that need no database run once; the rest run on SQLite and on PostgreSQL, but for the
# browser tests (marker `browser`), which drive the pages once, on PostgreSQL, the production engine.
DB_FREE_TESTS := tests/planner tests/demo tests/architecture
LINT_PATHS := $(wildcard src tests benchmarks manage.py)

.PHONY: help run test lint typecheck bench bench-load demo-build system-deps clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.run-installed: pyproject.toml
	@bash scripts/system-deps.sh --venv-only
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.run-installed
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

run: $(VENV)/.run-installed ## install, migrate, load the demo, serve on http://127.0.0.1:8000 with the task worker
	$(PY) manage.py migrate --noinput
	$(NSATU) demo load
	$(NSATU) demo logins
	PY=$(PY) bash scripts/serve.sh

system-deps: ## install Debian's postgresql and chromium when missing (as root)
	bash scripts/system-deps.sh

lint: $(VENV)/.dev-installed ## ruff lint and format check
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

typecheck: $(VENV)/.dev-installed ## mypy (strict on the planner)
	$(VENV)/bin/mypy src/nsatu

test: $(VENV)/.dev-installed system-deps lint typecheck ## everything: lint, types, the suite on SQLite and on PostgreSQL
	$(PYTEST) -n 2 -q tests -m "not browser"
	bash scripts/with-postgres.sh $(PYTEST) -n 2 -q tests $(addprefix --ignore=,$(DB_FREE_TESTS))

bench: $(VENV)/.dev-installed ## planner benchmarks (writes benchmarks/results/)
	$(PY) -m benchmarks.planner

bench-load: $(VENV)/.dev-installed system-deps ## load test: 50 users of all roles on PostgreSQL vs a bare endpoint
	$(PY) -m benchmarks.load

demo-build: $(VENV)/.run-installed ## rebuild the demo scenario from ../shared/data/public
	$(PY) -m nsatu.demo.build --source ../shared/data/public --out src/nsatu/demo/scenario

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) var test-artifacts
