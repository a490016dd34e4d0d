# Set-up is automatic: every target below installs what it needs first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
JS_STAMP := $(if $(wildcard tests/js/package.json),tests/js/node_modules/.installed)

.PHONY: dev sysdeps test lint demo bench clean

# dbt (for tests/test_dbt_run.py) in its own virtualenv: it pins many packages that must not
# constrain ours. dbt-duckdb 1.11.1 is its newest release; dbt-core 1.11.16 the newest 1.11 (1.12's
# dbt-core-experimental-parser downloads a wheel from GitHub while it builds, which offline CI cannot).
DBT_VENV := .venv-dbt
DBT_STAMP := $(DBT_VENV)/.installed
$(DBT_STAMP):
	$(PY) -m venv $(DBT_VENV)
	$(DBT_VENV)/bin/pip install -q 'dbt-core==1.11.16' 'dbt-duckdb==1.11.1'
	touch $(DBT_STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Graphviz's `dot` renders pictures and checks DOT output in the tests; Chromium runs the HTML
# view's tests (Debian packages; never `playwright install`, which needs its CDN); PostgreSQL's
# server runs the team store's tests.
sysdeps:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "Installing graphviz (the dot binary) from Debian's packages..." >&2; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; }
	@command -v dot >/dev/null 2>&1 || { echo "error: graphviz's dot is still missing; install it (apt-get install graphviz) and retry." >&2; exit 1; }
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing chromium (the HTML view's tests drive it with Playwright) from Debian's packages..." >&2; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || { echo "error: chromium is still missing; install it (apt-get install chromium) and retry." >&2; exit 1; }
	@# PostgreSQL's server binaries: the tests start a throwaway cluster (the team store's tests).
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "Installing postgresql (a throwaway server for the tests) from Debian's packages..." >&2; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# The real Mermaid parser (npm `mermaid` in Node with jsdom) checks Mermaid output in the tests.
# npm ci once failed with ENOENT on a loaded machine: one retry, then fail loudly.
tests/js/node_modules/.installed: tests/js/package.json $(wildcard tests/js/package-lock.json)
	cd tests/js && { npm ci --no-audit --no-fund --loglevel=error || { sleep 5; npm ci --no-audit --no-fund --loglevel=error; }; }
	touch $@

dev: $(STAMP) sysdeps $(JS_STAMP)

test: dev $(DBT_STAMP)
	$(BIN)/pytest -q

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

demo: dev
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh

bench: dev
	$(BIN)/python bench/run.py
	$(BIN)/python bench/serve_bench.py

clean:
	rm -rf $(VENV) $(DBT_VENV) tests/js/node_modules .pytest_cache .mypy_cache .ruff_cache demo-out
