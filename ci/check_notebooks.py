"""Fail if a stage notebook is committed with outputs, lacks a `parameters` cell, or
names another kernel than the project's."""

from __future__ import annotations

import json
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def problems(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = []
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    if any(c.get("outputs") or c.get("execution_count") for c in code):
        found.append("has outputs (strip them: evidence belongs in runs/)")
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in code):
        found.append("has no cell tagged 'parameters'")
    if nb.get("metadata", {}).get("kernelspec", {}).get("name") != "hotpass":
        found.append("kernelspec is not 'hotpass'")
    return found


def main() -> int:
    bad = {p.name: problems(p) for p in sorted(NOTEBOOKS.glob("*.ipynb"))}
    for name, issues in bad.items():
        for issue in issues:
            print(f"notebooks/{name}: {issue}")
    return 1 if any(bad.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
