# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test soak compile lint bench messages config-table clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# WeasyPrint, which lays out the PDFs, needs Pango from the system: installed when missing
# (Debian's packages, as root), or named if it cannot be.
$(VENV)/.pango: | $(BIN)/python
	@ldconfig -p | grep -q libpangoft2-1.0 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; } || echo "The PDFs need Pango: install libpango-1.0-0 and libpangoft2-1.0-0"
	touch $@

# Compiled translations are build output, made from locale/*/LC_MESSAGES/django.po.
compile: $(VENV)/.installed $(VENV)/.pango
	$(BIN)/python manage.py compilemessages -v0 --ignore=.venv

## Install, migrate, load the demo and serve it with its worker on http://$(HOST):$(PORT)
run: $(VENV)/.installed compile
	DEMO_MODE=$${DEMO_MODE-1} SITE_URL=$${SITE_URL-http://$(HOST):$(PORT)} $(BIN)/python manage.py migrate -v0
	DEMO_MODE=$${DEMO_MODE-1} SITE_URL=$${SITE_URL-http://$(HOST):$(PORT)} $(BIN)/python manage.py load_demo
	DEMO_MODE=$${DEMO_MODE-1} SITE_URL=$${SITE_URL-http://$(HOST):$(PORT)} $(BIN)/python manage.py serve

## The README's two screenshots, made from a fresh demo (needs Chromium at /usr/bin/chromium)
screenshots: $(VENV)/.installed-dev compile
	$(BIN)/python docs/screenshots.py

# The test tools from npm, pinned in package-lock.json: axe-core, which the accessibility tests
# run in Chromium, and the Nu HTML checker, which the markup test runs in Java. Without scripts:
# vnu-jar's would download a Java from GitHub where none is installed; ours comes from apt.
NPM_TOOLS := node_modules/axe-core/axe.min.js node_modules/vnu-jar/build/dist/vnu.jar
$(NPM_TOOLS) &: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $(NPM_TOOLS)

## The whole test suite (set DATABASE_URL to run it on PostgreSQL)
test: $(VENV)/.installed-dev compile $(NPM_TOOLS)
	@command -v java >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## kill -9 the server and the worker under load, restart, check nothing is lost (a few minutes)
soak: $(VENV)/.installed-dev compile
	$(BIN)/python -m pytest soak -s $(PYTEST_ARGS)

## Load benchmarks on SQLite and PostgreSQL (a few minutes); needs wrk (apt-get install wrk)
bench: $(VENV)/.installed-dev compile
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## Format check, lint and migrations check
lint: $(VENV)/.installed-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy undersigned
	$(BIN)/python manage.py makemigrations --check --dry-run -v0

## Refresh the .po files after changing user-visible strings
messages: $(VENV)/.installed
	$(BIN)/python manage.py makemessages -l es --ignore=.venv --ignore=var --ignore=bench --ignore=node_modules --no-obsolete

## Rewrite the configuration table in docs/configuration.md from the comments in settings.py
config-table: $(VENV)/.installed
	$(BIN)/python -m undersigned.lib.config_table

clean:
	rm -rf $(VENV) var .pytest_cache node_modules
