# The two commands of README: `make demo` and `make test`. Both start with the same set-up.
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: setup demo test lint format clean

setup:
	@scripts/setup.sh

demo: setup
	$(BIN)/madoguchi demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	scripts/run-tests.sh $(PYTEST_ARGS)

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) demo-out .pytest_cache build *.egg-info
