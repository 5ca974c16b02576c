# The README's commands. `make run` and `make test` work on a fresh machine with Python 3.11+.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export KAM_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint bench install migrate seed key compose-check clean

$(BIN)/.installed: pyproject.toml
	@sh scripts/ensure-tools venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

## Migrate every database, seed the demo portfolio once, start all four apps and the worker in the
## foreground (a process that dies is started again; Ctrl-C stops them all).
run: install
	$(BIN)/kam migrate
	$(BIN)/kam seed
	$(BIN)/kam keys-hint
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/kam run --procfile Procfile

## The whole suite: unit, API (real database) and end-to-end (real gunicorn processes).
test: install
	@sh scripts/ensure-tools test
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

migrate: install
	$(BIN)/kam migrate

seed: install
	$(BIN)/kam seed

## Create an API key: make key ROLE=admin NAME=me
key: install
	$(BIN)/kam create-key --role $(or $(ROLE),admin) --name $(or $(NAME),$(USER))

compose-check:
	docker-compose -f docker-compose.yml config -q

clean:
	rm -rf $(VENV) var
