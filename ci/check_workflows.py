"""Gate: GitHub workflow files are valid and pin every action by full commit SHA.

Offline: each ``.github/workflows/*.yml`` is validated against the GitHub workflow JSON
Schema vendored from SchemaStore (``ci/schemas/github-workflow.schema.json``, Apache-2.0,
see ``ci/schemas/LICENSE.schemastore``), and every ``uses:`` of a remote action must end in
``@`` and 40 hex digits (a tag or branch can be moved; a commit cannot). Local actions
(``./...``) and ``docker://`` images with a digest are allowed.

Usage: ``python ci/check_workflows.py [FILE...]`` (default: all workflows).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).resolve().parent / "schemas" / "github-workflow.schema.json"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _uses(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["uses"]] if isinstance(node.get("uses"), str) else []
        return found + [u for v in node.values() for u in _uses(v)]
    if isinstance(node, list):
        return [u for v in node for u in _uses(v)]
    return []


def check(path: Path) -> list[str]:
    # YAML 1.1 reads a bare `on:` key as True: load it as the string GitHub means.
    text = path.read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    if isinstance(workflow, dict) and True in workflow:
        workflow["on"] = workflow.pop(True)
    validator = Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    problems = [
        f"{path.name}: schema: {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:300]}"
        for e in sorted(validator.iter_errors(workflow), key=lambda e: list(e.absolute_path))
    ]
    for uses in _uses(workflow.get("jobs", {}) if isinstance(workflow, dict) else {}):
        if uses.startswith("./") or re.match(r"^docker://.+@sha256:[0-9a-f]{64}$", uses):
            continue
        if not PINNED.match(uses):
            problems.append(f"{path.name}: action not pinned by full commit SHA: {uses}")
    return problems


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    if not paths:
        print("workflows: no workflow file found", file=sys.stderr)
        return 1
    problems = [p for path in paths for p in check(path)]
    for line in problems:
        print(f"workflows: {line}", file=sys.stderr)
    if problems:
        return 1
    print(f"workflows: {len(paths)} valid, every action pinned by commit SHA")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
