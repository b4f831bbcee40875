"""The benchmark harness works end to end in quick mode (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

from hotpass_lib.runner import PROJECT_DIR

from .helpers import run_module


def test_quick_benchmark_writes_results(tmp_path: Path) -> None:
    done = run_module("bench", "--quick", "--out", str(tmp_path), cwd=PROJECT_DIR, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (result,) = tmp_path.glob("*-quick.json")
    data = json.loads(result.read_text())
    size = data["sizes"][0]
    assert size["rows_read"] > 9_000
    assert {"raw_read", "ingest", "validate", "refine", "publish"} <= set(size["library"])
    assert 0 <= size["library"]["accuracy"]["f1"] <= 1
    assert size["series"] == "realistic"  # quick mode: the CRM-like input
    distinct = size["library"]["ingest"]["distinct"]
    assert min(distinct["phones"], distinct["emails"], distinct["names"]) > 1_000
    assert result.with_suffix(".md").read_text().startswith("| series | source rows")
    assert result.with_suffix(".png").stat().st_size > 1000
