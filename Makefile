# Hotpass workbench. Quickstart: `make run` (pipeline on bundled samples), `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNEL := $(VENV)/share/jupyter/kernels/hotpass/kernel.json
UV_VERSION := 0.13.8

export GX_ANALYTICS_ENABLED := false
export DVC_NO_ANALYTICS := 1
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1

.PHONY: setup run test lint typecheck security sbom docs lab lock samples bench accuracy

setup: $(STAMP) $(KERNEL)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Bytecode is compiled at install: with PYTHONDONTWRITEBYTECODE set (as on CI machines),
# every kernel would otherwise recompile pandas, GX, MLflow... from source on each start.
$(STAMP): $(BIN)/python requirements.lock pyproject.toml Makefile
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --python $(BIN)/python --quiet --compile-bytecode requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-deps -e .
	touch $(STAMP)

$(KERNEL): $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name hotpass --display-name "Python (hotpass)" >/dev/null

run: setup
	$(BIN)/python -m hotpass_lib.cli pipeline

test: setup
	bash ci/test.sh

lint: setup
	bash ci/lint.sh

typecheck: setup
	bash ci/typecheck.sh

# bandit, detect-secrets, the dependency audit and the workflow check (docs/reference/ci.md).
security: setup
	bash ci/security.sh

# Regenerate sbom/hotpass.cdx.json from requirements.lock (after `make lock`); commit it.
sbom: setup
	$(BIN)/python ci/sbom.py

# The documentation site, strict and offline, into site/ (open site/index.html).
docs: setup
	bash ci/docs.sh site

lab: setup
	$(BIN)/jupyter lab notebooks --MappingKernelManager.default_kernel_name=hotpass

# Regenerate the pinned lock from pyproject.toml (the one command to refresh versions).
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark --extra orchestrate --python-version 3.11 --quiet -o requirements.lock

# Full benchmark (10k, 100k, 1M source rows); writes bench/results/<date>.{json,md,png}.
bench: setup
	$(BIN)/python -m bench

# Entity-resolution accuracy: both sample generators, and a public labelled dataset fetched
# from PyPI (Fodor's/Zagat's); writes bench/results/{accuracy,public}-<date>.{json,md}.
accuracy: setup
	$(BIN)/python -m bench.accuracy
	$(BIN)/python -m bench.public

samples: setup
	$(BIN)/hotpass samples data/samples
