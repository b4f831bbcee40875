#!/usr/bin/env bash
# Gate: mypy on hotpass_lib with the strict subset in pyproject.toml ([tool.mypy]); zero errors.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
$BIN/mypy --config-file pyproject.toml
