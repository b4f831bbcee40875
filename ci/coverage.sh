#!/usr/bin/env bash
# Gate: the test suite under coverage, with a floor (pyproject.toml [tool.coverage]).
# Library code run in subprocesses (the `hotpass` CLI the end-to-end tests start) and in
# notebook kernels counts: coverage's `patch = subprocess` starts measuring in every Python
# child process (through the .pth file coverage installs); each writes .coverage.<host>.<pid>.*
# next to COVERAGE_FILE, and `coverage combine` merges them. Per-module report at the end.
# Arguments go to pytest; when they select a subset (test paths, -k, -m, --lf) the floor is
# reported but not enforced; options such as -q or -x keep it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export COVERAGE_FILE="$PWD/.coverage"      # absolute: children run in other folders
export COVERAGE_RCFILE="$PWD/pyproject.toml"
rm -f .coverage .coverage.*
status=0
$BIN/coverage run -m pytest "$@" || status=$?
$BIN/coverage combine -q
subset=0  # a subset of the suite (test paths, -k, -m): report, but do not enforce the floor
for arg in "$@"; do
  case $arg in -k | -m | --lf | --last-failed | --deselect) subset=1 ;; esac
  if [ -e "${arg%%::*}" ]; then subset=1; fi  # a test file, folder or node id
done
if [ $subset = 1 ]; then
  $BIN/coverage report --fail-under=0
else
  $BIN/coverage report || { echo "coverage: below the floor (fail_under in pyproject.toml)" >&2; status=1; }
fi
exit $status
