# Set-up is automatic: every target below installs what it needs first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
JS_STAMP := $(if $(wildcard tests/js/package.json),tests/js/node_modules/.installed)

.PHONY: dev sysdeps test lint demo bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Graphviz's `dot` renders pictures and checks DOT output in the tests (Debian package);
# PostgreSQL's server runs the team store's tests.
sysdeps:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "Installing graphviz (the dot binary) from Debian's packages..." >&2; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; }
	@command -v dot >/dev/null 2>&1 || { echo "error: graphviz's dot is still missing; install it (apt-get install graphviz) and retry." >&2; exit 1; }
	@# PostgreSQL's server binaries: the tests start a throwaway cluster (the team store's tests).
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "Installing postgresql (a throwaway server for the tests) from Debian's packages..." >&2; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# The real Mermaid parser (npm `mermaid` in Node with jsdom) checks Mermaid output in the tests.
tests/js/node_modules/.installed: tests/js/package.json $(wildcard tests/js/package-lock.json)
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

dev: $(STAMP) sysdeps $(JS_STAMP)

test: dev
	$(BIN)/pytest -q

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

demo: dev
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh

bench: dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) tests/js/node_modules .pytest_cache .mypy_cache .ruff_cache demo-out
