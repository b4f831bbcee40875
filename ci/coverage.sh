#!/usr/bin/env bash
# Gate: the test suite under coverage, with a floor (pyproject.toml [tool.coverage]).
# Library code run in subprocesses (the `hotpass` CLI the end-to-end tests start) and in
# notebook kernels counts: coverage's `patch = subprocess` starts measuring in every Python
# child process (through the .pth file coverage installs); each writes .coverage.<host>.<pid>.*
# next to COVERAGE_FILE, and `coverage combine` merges them. Per-module report at the end.
# Arguments go to pytest; with arguments (a subset of the suite) the floor is not enforced.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export COVERAGE_FILE="$PWD/.coverage"      # absolute: children run in other folders
export COVERAGE_RCFILE="$PWD/pyproject.toml"
rm -f .coverage .coverage.*
status=0
$BIN/coverage run -m pytest "$@" || status=$?
$BIN/coverage combine -q
if [ $# -gt 0 ]; then
  $BIN/coverage report --fail-under=0
else
  $BIN/coverage report || { echo "coverage: below the floor (fail_under in pyproject.toml)" >&2; status=1; }
fi
exit $status
