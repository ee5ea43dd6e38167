# Firstline: `make demo` sets everything up and starts the demo; `make test` runs every test.
PYTHON_VERSION := $(shell cat .python-version)
# pyenv's interpreter for .python-version, else whatever python3.12 is on the PATH.
PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/$(PYTHON_VERSION)/bin/python3) \
                      $(shell command -v python$(basename $(PYTHON_VERSION)) 2>/dev/null))
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
RUN := $(VENV)/bin/python -m firstline.cli
HOST ?= 127.0.0.1:8000

.PHONY: setup demo test test-fast lint format bench chromium clean

setup: $(VENV)/.synced node_modules/.installed

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

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

test: setup chromium
	$(VENV)/bin/python -m pytest

# Everything but the browser.
test-fast: setup
	$(VENV)/bin/python -m pytest -m "not browser"

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
