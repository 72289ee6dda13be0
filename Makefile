# The README shows two commands: `make run` and `make test`. Everything else is what they are made of.
SHELL := /bin/bash
# The first Python 3.13 that really runs (a pyenv shim named python3.13 may exist yet refuse to run).
PYTHON ?= $(shell for p in python3.13 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 2>/dev/null); do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
# sam build looks for python3.13 on PATH; the venv's interpreter is that one.
export PATH := $(abspath $(BIN)):$(PATH)
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: run test lint typecheck unit integration e2e infra build bench smoke clean openapi

$(BIN)/.installed: requirements.txt functions/requirements.txt layers/*/requirements.txt pyproject.toml \
		layers/docs/package-lock.json
	@test -n "$(PYTHON)" || { echo "Python 3.13 is required (python3.13 on PATH or pyenv's 3.13)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@# The project itself, editable, without dependencies (requirements.txt pins them): gives .venv/bin/shortlinks
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# The docs layer's Swagger UI, for make run and the tests (sam build installs the layer's own copy).
	@# --ignore-scripts: no package runs code of its own at install (swagger-ui-dist's telemetry dependency).
	npm ci --prefix layers/docs --ignore-scripts --no-audit --no-fund --silent
	@touch $@

## run: serve every route of template.yaml at http://127.0.0.1:3000 with an embedded DynamoDB
run: $(BIN)/.installed
	$(BIN)/python -m local

## test: lint, type-check, unit + integration + end-to-end tests, template validation and sam build
test: lint typecheck
	@# The console's browser tests drive Debian's chromium (tests/e2e/console_browser.py); CI runs as root.
	@command -v chromium >/dev/null || { apt-get install -y -qq chromium || { apt-get update -qq && apt-get install -y -qq chromium; }; } >/dev/null
	$(BIN)/python -m pytest
	$(MAKE) infra build

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

unit: $(BIN)/.installed
	$(BIN)/python -m pytest tests/unit

integration: $(BIN)/.installed
	$(BIN)/python -m pytest tests/integration

e2e: $(BIN)/.installed
	$(BIN)/python -m pytest tests/e2e

# The three ways the template deploys: as is (no custom domain), with the custom-domain parameters filled in, and
# with the edge as well (example values written as the defaults of a copy, since the validators take no parameter
# values).
CUSTOM_DOMAIN_VARIANT := .aws-sam/variants/custom-domain.yaml
EDGE_VARIANT := .aws-sam/variants/edge.yaml
EDGE_TRANSFORMED := .aws-sam/transformed/edge.json
# What SAM makes of the template (its generated roles, stage and permissions), for checkov: sam validate does not
# output it, so local.template_transform runs SAM's translator offline.
TRANSFORMED := .aws-sam/transformed/template.json
# checkov pins dependencies older than the project's (boto3 among them), so it has a virtual environment of its own.
CHECKOV_VENV := .venv-checkov
# Offline: no update check against PyPI, no download from Prisma Cloud (--skip-download).
export CKV_SKIP_PACKAGE_UPDATE_CHECK := true

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@test -n "$(PYTHON)" || { echo "Python 3.13 is required (python3.13 on PATH or pyenv's 3.13)"; exit 1; }
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	@touch $@

# cfn-lint with its informational rules too; checkov on the template and on its transform. Every check either
# passes or is skipped with its reason next to the skip (Metadata: checkov: skip: in template.yaml,
# GENERATED_SKIPS in local/template_transform.py); docs/operations.md lists them.
infra: $(BIN)/.installed $(CHECKOV_VENV)/.installed
	$(BIN)/sam validate --lint
	$(BIN)/cfn-lint --include-checks I -- template.yaml
	$(BIN)/python -m local.template_variant --output $(CUSTOM_DOMAIN_VARIANT)
	$(BIN)/sam validate --lint -t $(CUSTOM_DOMAIN_VARIANT)
	$(BIN)/cfn-lint --include-checks I -- $(CUSTOM_DOMAIN_VARIANT)
	$(BIN)/python -m local.template_variant --variant edge --output $(EDGE_VARIANT)
	$(BIN)/sam validate --lint -t $(EDGE_VARIANT)
	$(BIN)/cfn-lint --include-checks I -- $(EDGE_VARIANT)
	$(BIN)/python -m local.template_transform --output $(TRANSFORMED)
	$(BIN)/python -m local.template_transform --source $(EDGE_VARIANT) --output $(EDGE_TRANSFORMED)
	$(CHECKOV_VENV)/bin/checkov --framework cloudformation --skip-download --quiet --compact \
		-f template.yaml -f $(TRANSFORMED) -f $(EDGE_VARIANT) -f $(EDGE_TRANSFORMED)

build: $(BIN)/.installed
	$(BIN)/sam build
	$(BIN)/python -m local.bytecode .aws-sam/build

## openapi: regenerate docs/openapi.json from template.yaml and the pydantic models (a test fails when it is stale)
openapi: $(BIN)/.installed
	$(BIN)/python -m local.openapi

bench: $(BIN)/.installed
	@command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || echo "wrk unavailable: the throughput figure will be skipped"; }
	$(BIN)/python -m bench --update-doc

## smoke: create, follow, expand and delete one link on a deployment: make smoke BASE_URL=https://... API_KEY=sl_...
# The key reaches python -m smoke through the environment (make passes its command-line variables on), never argv.
smoke: $(BIN)/.installed
	@test -n "$$BASE_URL" || { echo "make smoke: BASE_URL is missing (the stack's ApiUrl output)" >&2; exit 2; }
	@test -n "$$API_KEY" || { echo "make smoke: API_KEY is missing (any valid key; a member key is enough)" >&2; exit 2; }
	@BASE_URL="$$BASE_URL" API_KEY="$$API_KEY" $(BIN)/python -m smoke

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache layers/docs/node_modules
