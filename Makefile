# `make run`: install and run herald on the embedded SQLite default (dev mode).
# `make test`: install everything and run lint, format check, mypy and the whole test suite.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	HERALD_ENV=$${HERALD_ENV:-dev} $(BIN)/herald serve

lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check

typecheck: $(STAMP)
	$(BIN)/mypy src

# Two processes (one per core), then the few timing-sensitive tests alone; exit code 5
# is "nothing selected" (a PYTEST_ARGS filter that picks no serial test).
pytest: $(STAMP)
	bash scripts/system-deps.sh
	$(BIN)/pytest -q -n 2 -m "not serial" --durations=25 $(PYTEST_ARGS)
	$(BIN)/pytest -q -m serial $(PYTEST_ARGS) || test $$? -eq 5

test: lint typecheck pytest

bench: $(STAMP)
	bash scripts/system-deps.sh
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/python bench/queue_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache herald.db*
