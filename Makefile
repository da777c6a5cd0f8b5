# The two commands: `make demo` and `make check`. Both bootstrap what they need.
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: all setup demo check lint typecheck test bench packages clean

all: check

setup:
	@./scripts/bootstrap.sh

demo: setup
	.venv/bin/courier-demo

lint: setup
	.venv/bin/ruff check courier tests bench
	.venv/bin/ruff format --check courier tests bench

typecheck: setup
	.venv/bin/mypy

test: setup
	$(PY) -m pytest -n 2 --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

check: lint typecheck test

packages: setup
	packaging/build.sh all build/packages

bench: setup
	$(PY) -m bench --readme README.md

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache .coverage .coverage.* build dist *.egg-info
