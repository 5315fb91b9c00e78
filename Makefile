# The two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1

.PHONY: demo test test-postgres install migrate load-demo serve scheduler lint typecheck messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python -m core.cli migrate

load-demo: migrate
	$(BIN)/python -m core.cli demo

## make demo: install, migrate, load the demo data, serve on http://127.0.0.1:8000
demo: load-demo
	MEDIATION_SCHEDULER=$${MEDIATION_SCHEDULER:-on} $(BIN)/python -m core.cli serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

serve: migrate
	$(BIN)/python -m core.cli serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

scheduler: migrate
	$(BIN)/python -m core.cli scheduler

## make test: the whole suite on SQLite (MEDIATION_TEST_DATABASE=postgres for PostgreSQL)
test: install
	$(BIN)/python -m pytest tests/unit tests/integration
	$(BIN)/python -m pytest tests/e2e

test-postgres: install
	MEDIATION_TEST_DATABASE=postgres MEDIATION_TEST_REDIS_URL=$${MEDIATION_TEST_REDIS_URL:-redis://127.0.0.1:6379/15} $(BIN)/python -m pytest tests/unit tests/integration
	MEDIATION_TEST_DATABASE=postgres MEDIATION_TEST_REDIS_URL=$${MEDIATION_TEST_REDIS_URL:-redis://127.0.0.1:6379/15} $(BIN)/python -m pytest tests/e2e

typecheck: install
	$(BIN)/mypy

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

messages: install
	$(BIN)/python -m core.i18n_tools update

bench: install
	$(BIN)/python bench/data_layer.py
	$(BIN)/python bench/appraisal.py --mediators 20000 --cases 200000
	$(BIN)/python bench/certificates.py --count 1000
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/exams.py
	$(BIN)/python bench/roster.py

clean:
	rm -rf $(VENV) var/*.sqlite3* var/stores
