#!/usr/bin/env bash
# Gate: build the documentation site strictly (any MkDocs warning fails: broken link, page
# missing from the navigation...) and check it loads nothing from the network.
# Argument: the output folder (default: a temporary one, removed afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
out=${1:-}
if [ -z "$out" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
if ! log=$($BIN/mkdocs build --strict --clean --site-dir "$out" 2>&1); then
  echo "$log" >&2
  echo "docs: the strict build failed (warnings above)" >&2
  exit 1
fi
echo "$log" | grep -v '^INFO' || true
$BIN/python ci/check_site.py "$out"
