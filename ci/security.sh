#!/usr/bin/env bash
# Security gates: bandit (medium severity and above fails), detect-secrets over tracked
# files against the audited baseline, the dependency audit (never a false pass), and the
# CodeQL workflow file checked offline. See docs/reference/ci.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
$BIN/bandit -c pyproject.toml -r hotpass_lib ci bench --severity-level medium --confidence-level low -q 2> >(grep -v "no failed test" >&2)
echo "bandit: no finding of medium severity or above"
$BIN/python ci/check_secrets.py
$BIN/python ci/check_workflows.py
$BIN/python ci/dep_audit.py
