#!/usr/bin/env bash
# Gate: ruff lint and ruff format over the library, tests, CI scripts and the benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
PATHS=(hotpass_lib tests ci bench)
$BIN/ruff check "${PATHS[@]}"
$BIN/ruff format --check "${PATHS[@]}"
