# Palabre — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Lambda runtime is python3.12: build the environment with the same interpreter.
PYTHON ?= $(shell PYENV_VERSION=3.12.1 pyenv which python3.12 2>/dev/null || command -v python3.12)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TOOLS  := .tools
# One pytest worker per core (pytest-xdist); each test file stays on one worker, in order,
# since an e2e module's stack only moves its clock forward. PARALLEL= runs in one process.
PARALLEL ?= -n auto --dist loadfile
# What mypy --strict checks (its settings are in pyproject.toml): the layer, each function's
# app.py (as functions.<name>.app), the bench and the test doubles it runs on.
# cli/ is not checked yet (it is moving): add cli/palabre_cli here, and drop the
# palabre_cli override in pyproject.toml, once it has landed.
MYPY_PATHS := layers/palabre/palabre functions bench tests/fakes.py tests/doubles.py

.PHONY: help venv run test lint format check-template unit functional infra e2e bench build chromium clean messages

help:
	@echo "make run     start the local stack (PORT=3000 DEMO=1 CLOCK_START=ISO-8601)"
	@echo "make test    ruff, mypy, template checks and every test suite"
	@echo "make bench   print the performance figures"
	@echo "make lint    ruff format --check + ruff check + mypy --strict"
	@echo "make build   sam build (aws-sam-cli in its own tool environment)"

$(STAMP): pyproject.toml layers/palabre/requirements.txt
	@test -n "$(PYTHON)" || { echo "python3.12 not found (pyenv install 3.12.1)"; exit 1; }
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 12), sys.version' \
	  || { echo "$(PYTHON) is not Python 3.12, the Lambda runtime"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

venv: $(STAMP)

# Browser tests drive Debian's chromium through Playwright (no browser download).
chromium:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: venv
	$(BIN)/palabre local

lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy $(MYPY_PATHS)

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-template: venv
	$(BIN)/cfn-lint template.yaml

unit: venv
	$(BIN)/pytest -q tests/unit

functional: venv
	$(BIN)/pytest -q $(PARALLEL) tests/functional

infra: venv
	$(BIN)/pytest -q tests/infra

e2e: venv chromium
	$(BIN)/pytest -q $(PARALLEL) tests/e2e

test: venv chromium lint check-template
	$(BIN)/pytest -q $(PARALLEL)

# Re-extract translatable messages into the French catalog (then translate the new ones).
messages: venv
	$(BIN)/pybabel --quiet extract --no-location -F babel.cfg -k N_ -k _ -k gettext -o /tmp/palabre-messages.pot .
	$(BIN)/pybabel --quiet update -i /tmp/palabre-messages.pot -d templates/locales -D messages \
	  --no-fuzzy-matching --width 100 --ignore-obsolete

bench: venv
	$(BIN)/python -m bench

# aws-sam-cli pins boto3, so it lives in its own environment, out of the project's.
$(TOOLS)/.sam: 
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet aws-sam-cli
	touch $@

build: $(TOOLS)/.sam
	PATH="$(dir $(PYTHON)):$$PATH" $(TOOLS)/bin/sam build

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache .ruff_cache .mypy_cache .hypothesis
