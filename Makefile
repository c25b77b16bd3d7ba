# `make run` and `make test` work on a fresh machine with only Python: the virtualenv is made and the
# project installed into it on first use (and again whenever pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Slack tokens set: connect to Slack. None: the terminal client on the embedded default.
run: $(STAMP)
	@if [ -n "$$SLACK_BOT_TOKEN" ] || grep -qs '^SLACK_BOT_TOKEN=.' .env; then $(BIN)/returnbot run; else $(BIN)/returnbot shell; fi

# parallel workers, each with its own SQLite files and its own PostgreSQL database
PYTEST_WORKERS ?= 3

# ruff, the layers' contract (import-linter), the type checker, then every test
test: lint
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache returnbot.db returnbot.db-wal returnbot.db-shm outbox files
