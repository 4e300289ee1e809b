# Préau — `make demo` serves a demonstration, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP_DEMO := $(VENV)/.installed-demo
STAMP_TEST := $(VENV)/.installed-test
export PREAU_VAR_DIR ?= $(CURDIR)/var

.PHONY: demo test lint format check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Préau needs Python 3.11 or newer (found %s)." % sys.version.split()[0])'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_DEMO): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	@touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demo,test]'
	@touch $@ $(STAMP_DEMO)

# Creates the database under var/, loads the demo data once, then serves Préau with a
# background worker (no broker service: the worker reads tasks from var/celery/).
demo: $(STAMP_DEMO)
	@PREAU_ENV=demo bash scripts/demo.sh "$(HOST)" "$(PORT)"

# The whole suite, on SQLite by default; DATABASE_URL=postgres://… selects PostgreSQL.
test: $(STAMP_TEST)
	$(BIN)/python manage.py makemigrations --check --dry-run > /dev/null || \
		{ echo "Models and migrations differ: run manage.py makemigrations."; exit 1; }
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP_TEST)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
