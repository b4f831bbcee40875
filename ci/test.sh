#!/usr/bin/env bash
# The whole test suite and every quality gate, as CI and developers run it (`make test`).
# Each gate is its own script in ci/ (run one alone while iterating); see docs/reference/ci.md.
# Arguments go to pytest (e.g. `bash ci/test.sh tests/test_read.py`).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export GX_ANALYTICS_ENABLED=false DVC_NO_ANALYTICS=1 MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=1
gate() {  # name, command...: run a gate, print how long it took
  local name=$1 start=$SECONDS
  shift
  echo "== gate: $name"
  "$@"
  echo "== gate: $name passed ($((SECONDS - start)) s)"
}
gate "ruff (lint, format)" bash ci/lint.sh
gate "mypy" bash ci/typecheck.sh
gate "security (bandit, detect-secrets, dependency audit, workflows)" bash ci/security.sh
gate "sbom drift" $BIN/python ci/sbom.py --check
gate "notebooks stripped" $BIN/python ci/check_notebooks.py
gate "dvc.yaml matches the stage registry" $BIN/hotpass pipeline --check
gate "docs site (mkdocs --strict, offline)" bash ci/docs.sh
gate "tests with coverage" bash ci/coverage.sh "$@"
