# Firstline: `make demo` sets everything up and starts the demo; `make test` runs every test.
# Both need only Python 3.12+: the front-end assets are committed (`make assets` refreshes them from npm).
PYTHON_VERSION := $(shell cat .python-version)
# pyenv's interpreter for .python-version, else the first python3.12+ on the PATH.
PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/$(PYTHON_VERSION)/bin/python3) \
                      $(foreach v,3.12 3.13 3.14 3.15,$(shell command -v python$(v) 2>/dev/null)) \
                      $(shell python3 -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
                              && command -v python3))
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
RUN := $(VENV)/bin/python -m firstline.cli
HOST ?= 127.0.0.1:8000

.PHONY: setup demo test test-fast schemathesis lint format bench chromium clean assets python

setup: $(VENV)/.synced

# One clear line instead of a shell error when there is no Python 3.12 or newer.
python:
	@test -n "$(PYTHON)" || { echo "Firstline needs Python 3.12 or newer, and none was found: install it (python.org, your package manager or pyenv), or run make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)"; exit 1; }

$(UV): | python
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

# The built front-end files are committed under firstline/static/vendor/, so running Firstline needs no
# Node.js. This refreshes them from the versions locked in package-lock.json (source maps left out:
# the app does not serve them).
VENDOR := firstline/static/vendor
assets:
	npm ci --no-audit --no-fund
	mkdir -p $(VENDOR)/htmx $(VENDOR)/chartjs
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE $(VENDOR)/htmx/
	cp node_modules/chart.js/LICENSE.md $(VENDOR)/chartjs/
	for file in chart.umd.js chart.umd.min.js; do \
	  sed '/^\/\/# sourceMappingURL=/d' node_modules/chart.js/dist/$$file > $(VENDOR)/chartjs/$$file; done

demo: setup
	$(RUN) migrate --no-input
	$(RUN) demo --if-empty
	@echo "Firstline is starting on http://$(HOST)/ — sign in with one of the logins above."
	@# The background worker (imports and other jobs) runs beside the web server and stops with it.
	$(RUN) db_worker & trap "kill $$!" EXIT; $(RUN) runserver $(HOST)

# Browser tests drive Debian's Chromium; install it if this machine does not have it yet.
chromium:
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# One worker per core (pytest-xdist), a test class or module to a worker: its test data is built once.
test: setup chromium
	$(VENV)/bin/python -m pytest -n auto --dist loadscope

# schemathesis against a live server, as a manager and as a seller (minutes: CI runs it once).
schemathesis: setup
	FIRSTLINE_SCHEMATHESIS=1 $(VENV)/bin/python -m pytest -m schemathesis

# Everything but the browser.
test-fast: setup
	$(VENV)/bin/python -m pytest -n auto --dist loadscope -m "not browser"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(RUN) makemigrations --check --dry-run

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	$(VENV)/bin/python bench/instance_building.py
	$(VENV)/bin/python bench/demo_scale.py

clean:
	rm -rf $(VENV) .tools node_modules staticfiles test-output
