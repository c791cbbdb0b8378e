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
# app.py (as functions.<name>.app), the CLI and the local stack, the bench and the test
# doubles it runs on.
MYPY_PATHS := layers/palabre/palabre functions cli/palabre_cli cli/sam_moto bench   tests/fakes.py tests/doubles.py

.PHONY: help venv run test lint format check-template unit functional infra e2e bench build lock chromium clean messages screenshots

help:
	@echo "make run     start the local stack (PORT=3000 DEMO=1 CLOCK_START=ISO-8601)"
	@echo "make test    ruff, mypy, template checks and every test suite"
	@echo "make bench   print the performance figures"
	@echo "make lint    ruff format --check, ruff check, mypy --strict, import contracts"
	@echo "make build   sam build (aws-sam-cli in its own tool environment)"
	@echo "make lock    resolve layers/palabre/requirements.in into requirements.txt (UPGRADE=1)"

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

# ruff (style, and complexity: no function above 12 branches), then the floor plan:
# import-linter's contracts in pyproject.toml (journeys -> store/mail/web -> core...).
lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy $(MYPY_PATHS)
	$(BIN)/lint-imports --no-cache

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-template: venv
	$(BIN)/cfn-lint template.yaml

unit: venv
	$(BIN)/pytest -q tests/unit

functional: venv
	$(BIN)/pytest -q $(PARALLEL) tests/functional

infra: venv build
	$(BIN)/pytest -q tests/infra

e2e: venv chromium
	$(BIN)/pytest -q $(PARALLEL) tests/e2e

# --durations: the 15 slowest tests, to keep the suite fast on 2 cores. The built
# artifact comes first: tests/infra imports every handler from it. What comes before the
# tests runs two at a time (on a fresh clone, SAM's install beside the project's
# environment, then the lint beside the build: about 40 s less than one at a time).
test:
	@$(MAKE) --no-print-directory -j2 venv chromium lint check-template build
	$(BIN)/pytest -q $(PARALLEL) --durations=15

# The admin space's screenshots in docs/images/ (docs/admin.md), taken again by the
# browser tests that show each page (tests/e2e/conftest.py screenshot_path).
screenshots: venv chromium
	PALABRE_SCREENSHOTS=docs $(BIN)/pytest -q -p no:cacheprovider tests/e2e/test_admin_dashboard_page.py \
	  tests/e2e/test_admin_imports.py tests/e2e/test_admin_deliverability_page.py tests/e2e/test_admin_exports_page.py

# Re-extract translatable messages into the French catalog (then translate the new ones).
messages: venv
	$(BIN)/pybabel --quiet extract --no-location -F babel.cfg -k N_ -k _ -k gettext -o /tmp/palabre-messages.pot .
	$(BIN)/pybabel --quiet update -i /tmp/palabre-messages.pot -d templates/locales -D messages \
	  --no-fuzzy-matching --width 100 --ignore-obsolete

bench: venv build
	$(BIN)/python -m bench

# The project's tools live in their own environment, out of the project's: aws-sam-cli pins
# boto3, and uv resolves the lock. Each is pinned, so every clone builds with the same.
SAM_CLI_VERSION := 1.170.0
UV_VERSION      := 0.13.9
SAM := $(TOOLS)/bin/sam
UV  := $(TOOLS)/bin/uv

$(TOOLS)/bin/python:
	@$(PYTHON) -m venv $(TOOLS)

$(TOOLS)/.sam-$(SAM_CLI_VERSION): | $(TOOLS)/bin/python
	@echo "installing aws-sam-cli $(SAM_CLI_VERSION) into $(TOOLS)"
	@$(TOOLS)/bin/pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION) > $(TOOLS)/pip.log 2>&1 \
	  || { cat $(TOOLS)/pip.log; exit 1; }
	@touch $@

$(TOOLS)/.uv-$(UV_VERSION): | $(TOOLS)/bin/python
	@echo "installing uv $(UV_VERSION) into $(TOOLS)"
	@$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION) > $(TOOLS)/pip.log 2>&1 \
	  || { cat $(TOOLS)/pip.log; exit 1; }
	@touch $@

# requirements.in -> requirements.txt, the layer's complete pinned closure, for the Lambda
# platform whatever the machine. First the layer and the dev environment resolve together
# (so what they share, python-dateutil or six with botocore, is one version they all
# accept); then the layer alone, constrained by that. The current pins are preferences:
# nothing moves unless requirements.in or pyproject.toml asks (UPGRADE=1 moves everything).
LOCK_FLAGS := --quiet --no-config --python-version 3.12 --python-platform x86_64-manylinux2014 \
  $(if $(UPGRADE),--upgrade)
RUNTIME_PACKAGES := boto3 botocore s3transfer jmespath urllib3

lock: $(TOOLS)/.uv-$(UV_VERSION)
	@set -euo pipefail; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["dev"], sep="\n")' > "$$tmp/dev.in"; \
	cp layers/palabre/requirements.txt "$$tmp/together.txt" 2>/dev/null || true; \
	$(UV) pip compile $(LOCK_FLAGS) layers/palabre/requirements.in "$$tmp/dev.in" -o "$$tmp/together.txt"; \
	cd layers/palabre; \
	$(CURDIR)/$(UV) pip compile $(LOCK_FLAGS) requirements.in -c "$$tmp/together.txt" -o requirements.txt \
	  $(addprefix --no-emit-package ,$(RUNTIME_PACKAGES)) --custom-compile-command "make lock"; \
	sed -i -e '/^    #   -c /d' \
	  -e 's/^# The following packages were excluded from the output:/# Left out: the Lambda runtime provides them./' requirements.txt
	@echo "layers/palabre/requirements.txt: $$(grep -c '^[a-z]' layers/palabre/requirements.txt) pins"

# `sam build` into .aws-sam/build, again only when the template or a source changed: the
# layer's Makefile installs the lock, trims and precompiles it (layers/palabre/Makefile);
# the templates' compiles them with the project's environment (templates/Makefile).
# Quiet (the log is printed if it fails), no telemetry, nothing fetched but from PyPI.
BUILD        := .aws-sam/build
BUILD_INPUTS := template.yaml $(shell find layers/palabre functions templates -type f \
                  -not -path '*/__pycache__/*' -not -name '*.pyc' 2>/dev/null)

build: $(BUILD)/template.yaml

$(BUILD)/template.yaml: $(TOOLS)/.sam-$(SAM_CLI_VERSION) $(STAMP) $(BUILD_INPUTS)
	@mkdir -p .aws-sam
	@echo "sam build -> $(BUILD) (log: .aws-sam/build.log)"
	@PATH="$(dir $(PYTHON)):$$PATH" PYTHON="$(PYTHON)" TEMPLATES_PYTHON="$(abspath $(BIN)/python)" \
	  SAM_CLI_TELEMETRY=0 \
	  $(SAM) build > .aws-sam/build.log 2>&1 || { cat .aws-sam/build.log; exit 1; }
	@touch $@

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache .ruff_cache .mypy_cache .hypothesis
