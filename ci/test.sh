#!/usr/bin/env bash
# The whole test suite, as CI and developers run it (via `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export GX_ANALYTICS_ENABLED=false DVC_NO_ANALYTICS=1 MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=1
$BIN/ruff check hotpass_lib tests ci bench
$BIN/python ci/check_notebooks.py
$BIN/hotpass pipeline --check   # dvc.yaml is generated from hotpass_lib/stages.py
$BIN/python -m pytest "$@"
