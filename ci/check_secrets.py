"""Gate: no secret in any tracked file beyond the audited baseline (``.secrets.baseline``).

Scans every file ``git ls-files`` lists (less the baseline's ``--exclude-files`` pattern:
generated hashes such as ``dvc.lock``, ``requirements.lock`` and the SBOM) with the plugins
and filters recorded in the baseline. Fails when

- a file holds a potential secret that the baseline does not list, or
- the baseline lists a finding nobody has audited (``is_secret`` unset) or one audited as a
  real secret (``is_secret: true``: remove the secret, rotate it, re-scan).

Usage: ``python ci/check_secrets.py [--root DIR]``. To accept a reviewed false positive:
``detect-secrets scan --baseline .secrets.baseline`` then ``detect-secrets audit
.secrets.baseline`` (mark it "not a secret") and commit the baseline.
"""

from __future__ import annotations

import argparse
import re
import subprocess  # nosec B404 # runs git with fixed arguments
import sys
from pathlib import Path

BASELINE = ".secrets.baseline"


def tracked_files(root: Path) -> list[str]:
    out = subprocess.run(  # nosec B603 B607 # fixed git command, no shell
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
    )
    return [name for name in out.stdout.decode().split("\0") if name]


def excluded(baseline: dict, names: list[str]) -> set[str]:
    patterns = [
        p
        for f in baseline.get("filters_used", [])
        if f["path"] == "detect_secrets.filters.regex.should_exclude_file"
        for p in f["pattern"]
    ]
    return {n for n in names if any(re.search(p, n) for p in patterns)}


def check(root: Path) -> list[str]:
    from detect_secrets.core import baseline as ds_baseline
    from detect_secrets.core.secrets_collection import SecretsCollection

    data = ds_baseline.load_from_file(str(root / BASELINE))
    known = ds_baseline.load(data, filename=BASELINE)  # also configures plugins and filters
    names = tracked_files(root)
    names = [
        n
        for n in names
        if n not in excluded(data, names) and n != BASELINE and (root / n).is_file()
    ]
    found = SecretsCollection(root=str(root))
    for name in names:  # one process: the pool costs more than it saves on ~150 files
        found.scan_file(name)
    problems = [
        f"new potential secret: {filename}:{secret.line_number} ({secret.type})"
        for filename, secret in (found - known)
    ]
    for filename, items in data.get("results", {}).items():
        for item in items:
            verdict = item.get("is_secret")
            if verdict is None:
                problems.append(
                    f"unaudited baseline entry: {filename}:{item['line_number']} ({item['type']})"
                )
            elif verdict:
                problems.append(
                    f"baseline entry audited as a real secret: {filename}:{item['line_number']}"
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    problems = check(args.root.resolve())
    for line in problems:
        print(f"detect-secrets: {line}", file=sys.stderr)
    if problems:
        print(
            "detect-secrets: FAILED. Remove the secret (and rotate it), or audit a false "
            "positive into .secrets.baseline (see docs/reference/ci.md).",
            file=sys.stderr,
        )
        return 1
    print("detect-secrets: no secret beyond the audited baseline in tracked files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
