"""`dvc repro` runs the stages under one run id, and a second repro runs nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .helpers import copy_project, hotpass, run_module

pytestmark = pytest.mark.e2e


def _assert_one_trace(run_dir: Path, manifest: dict) -> None:
    """The run's trace: one trace id; the run span from `hotpass pipeline`, each stage's span
    from its own `hotpass stage` process under DVC, the library's spans from the kernels."""
    trace = run_dir / "trace.otlp.jsonl"
    spans = []
    for line in trace.read_text().splitlines():
        for resource in json.loads(line)["resourceSpans"]:
            attrs = {a["key"]: a["value"] for a in resource["resource"]["attributes"]}
            pid = attrs["process.pid"]["intValue"]
            spans += [(span, pid) for scope in resource["scopeSpans"] for span in scope["spans"]]
    assert len({span["traceId"] for span, _ in spans}) == 1
    (run,) = [(s, pid) for s, pid in spans if s["name"] == "hotpass.run"]
    stages = [(s, pid) for s, pid in spans if s["name"].startswith("hotpass.stage.")]
    assert sorted(s["name"] for s, _ in stages) == [
        f"hotpass.stage.{n}" for n in sorted(["ingest", "validate", "refine", "publish"])
    ]
    assert all(s["parentSpanId"] == run[0]["spanId"] for s, _ in stages)
    assert len({pid for _, pid in stages} | {run[1]}) == 5  # five processes, one trace
    kernel = [(s, pid) for s, pid in spans if s["name"] == "hotpass.refine.refine"]
    assert kernel and kernel[0][1] not in {pid for _, pid in stages}
    stage_of = {s["spanId"]: s["name"] for s, _ in stages}
    assert stage_of[kernel[0][0]["parentSpanId"]] == "hotpass.stage.refine"
    refine = next(s for s, _ in stages if s["name"] == "hotpass.stage.refine")
    keys = {a["key"] for a in refine["attributes"]}
    assert {"hotpass.run_id", "hotpass.stage", "hotpass.organisations_out"} <= keys
    assert (
        manifest["evidence"]["trace.otlp.jsonl"] == hashlib.sha256(trace.read_bytes()).hexdigest()
    )


def _dvc(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_module("dvc", *args, cwd=ws, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_repro_twice_runs_each_stage_once(tmp_path: Path) -> None:
    copy_project(tmp_path)
    _dvc(tmp_path, "init", "--no-scm", "-q")
    traced = {**os.environ, "HOTPASS_TELEMETRY": "file"}  # OpenTelemetry on, to a file
    first = hotpass("pipeline", cwd=tmp_path, env=traced)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    runs = [p.parent for p in (tmp_path / "runs").glob("*/manifest.json")]
    assert len(runs) == 1  # all stages of one repro share one run folder
    manifest = json.loads((runs[0] / "manifest.json").read_text())
    assert list(manifest["stages"]) == ["ingest", "validate", "refine", "publish"]
    _assert_one_trace(runs[0], manifest)
    lock = (tmp_path / "dvc.lock").read_text()

    second = hotpass("pipeline", cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "Nothing changed" in second.stderr
    assert "Running stage" not in second.stdout
    assert len(list((tmp_path / "runs").glob("*/manifest.json"))) == 1
    assert (tmp_path / "dvc.lock").read_text() == lock

    metrics = _dvc(tmp_path, "metrics", "show", "--json")
    assert "organisations_out" in metrics.stdout
    _dvc(tmp_path, "plots", "show", "-o", "plots")
    page = (tmp_path / "plots" / "index.html").read_text()
    assert "data_plots_quality_scores_csv" in page and "score_band" in page

    # a temporary remote: push, lose the data and the cache, pull it back
    _dvc(tmp_path, "remote", "add", "-d", "tmp", str(tmp_path / "remote"))
    _dvc(tmp_path, "push")
    refined = tmp_path / "data" / "refined" / "organisations.parquet"
    digest = refined.read_bytes()
    shutil.rmtree(tmp_path / "data" / "refined")
    shutil.rmtree(tmp_path / ".dvc" / "cache")
    _dvc(tmp_path, "pull")
    assert refined.read_bytes() == digest

    # a stage that fails under dvc repro leaves every earlier output in place (persist:
    # DVC does not delete them first) and records nothing in dvc.lock
    data = {
        str(p.relative_to(tmp_path)): p.read_bytes()
        for p in sorted((tmp_path / "data").rglob("*"))
        if p.is_file() and "metrics" not in p.parts
    }
    lock = (tmp_path / "dvc.lock").read_text()
    broken = hotpass("pipeline", "--set", "profile=no-such-profile", cwd=tmp_path)
    assert broken.returncode != 0
    assert {
        str(p.relative_to(tmp_path)): p.read_bytes()
        for p in sorted((tmp_path / "data").rglob("*"))
        if p.is_file() and "metrics" not in p.parts
    } == data
    assert (tmp_path / "dvc.lock").read_text() == lock
