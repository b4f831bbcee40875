"""End to end: the real pipeline (papermill, nbconvert, MLflow, OpenLineage) on a small sample."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import xlsxwriter

from hotpass_lib.evaluate import organisation_scores
from hotpass_lib.samples import SACAA_FILE, write_samples
from hotpass_lib.store import load_table

from .helpers import hotpass
from .test_lineage import validate_event

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("ws")
    write_samples(ws / "data" / "samples", n_orgs=60, seed=11)
    done = hotpass("run", cwd=ws)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "SSOT:" in done.stderr and "Evidence:" in done.stderr
    return ws


def _run_dir(ws: Path) -> Path:
    (run_dir,) = [p.parent for p in (ws / "runs").glob("*/manifest.json")]
    return run_dir


def test_outputs_are_written(workspace: Path) -> None:
    refined = workspace / "data" / "refined"
    for name in (
        "organisations.parquet",
        "contacts.parquet",
        "quarantine.parquet",
        "review_queue.parquet",
        "organisations.csv",
        "organisations.xlsx",
    ):
        assert (refined / name).is_file(), name
    orgs = load_table(refined / "organisations.parquet")
    truth = pd.read_csv(
        workspace / "data" / "samples" / "ground_truth.csv", dtype=str, keep_default_na=False
    )
    scores = organisation_scores(orgs, truth)
    assert scores["precision"] >= 0.98 and scores["recall"] >= 0.95, scores


def test_run_folder_holds_the_evidence(workspace: Path) -> None:
    run_dir = _run_dir(workspace)
    assert len(list(run_dir.glob("*.ipynb"))) == 4
    assert len(list(run_dir.glob("*.html"))) == 4
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "completed"
    assert set(manifest["stages"]) == {"ingest", "validate", "refine", "publish"}
    assert any(f.endswith("organisations.parquet") for f in manifest["files"])
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    acc = pd.DataFrame(manifest["row_accounting"])
    assert (acc["rows_read"] == acc["accepted"] + acc["quarantined"] + acc["skipped_empty"]).all()
    assert (workspace / "runs" / "index.html").read_text().count(run_dir.name) >= 1
    assert (
        run_dir / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    ).is_file()


def test_lineage_has_start_and_complete_per_stage(workspace: Path) -> None:
    events = [
        json.loads(line)
        for line in (_run_dir(workspace) / "lineage.jsonl").read_text().splitlines()
    ]
    assert len(events) == 8
    for event in events:
        validate_event(event)
    seen = {(e["job"]["name"], e["eventType"]) for e in events}
    for stage in ("ingest", "validate", "refine", "publish"):
        assert {(f"hotpass.{stage}", "START"), (f"hotpass.{stage}", "COMPLETE")} <= seen
    parents = {e["run"]["facets"]["parent"]["run"]["runId"] for e in events}
    assert len(parents) == 1
    publish = next(
        e for e in events if e["job"]["name"] == "hotpass.publish" and e["eventType"] == "COMPLETE"
    )
    outputs = {o["name"]: o for o in publish["outputs"]}
    orgs = outputs["data/refined/organisations.parquet"]
    assert orgs["outputFacets"]["outputStatistics"]["rowCount"] > 0
    assert orgs["facets"]["schema"]["fields"]
    validate = next(
        e for e in events if e["job"]["name"] == "hotpass.validate" and e["eventType"] == "COMPLETE"
    )
    checked = {i["name"]: i.get("inputFacets", {}) for i in validate["inputs"]}
    facet = checked["data/interim/ingest/organisations.parquet"]["dataQualityAssertions"]
    assert any(
        a["assertion"] == "expect_column_values_to_be_in_set" and a.get("column") == "province"
        for a in facet["assertions"]
    )


def test_mlflow_has_one_parent_and_four_children(workspace: Path) -> None:
    mlflow.set_tracking_uri(f"sqlite:///{workspace / 'runs' / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["hotpass"], output_format="list")
    parents = [r for r in runs if r.data.tags.get("hotpass.kind") == "pipeline"]
    children = [r for r in runs if r.data.tags.get("hotpass.kind") == "stage"]
    assert len(parents) == 1 and len(children) == 4
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}
    ingest = next(c for c in children if c.data.tags["hotpass.stage"] == "ingest")
    assert ingest.data.metrics["rows_read"] > 0
    refine = next(c for c in children if c.data.tags["hotpass.stage"] == "refine")
    assert refine.data.metrics["f1"] >= 0.9 and refine.data.metrics["precision"] >= 0.98
    champion = mlflow.MlflowClient().get_model_version_by_alias(
        "hotpass-entity-resolution", "champion"
    )
    assert champion.run_id == refine.info.run_id
    validate = next(c for c in children if c.data.tags["hotpass.stage"] == "validate")
    assert validate.data.metrics["canonical_organisations_evaluated"] >= 8
    assert validate.data.metrics["canonical_contacts_failed"] >= 0
    artefacts = list((workspace / "runs" / "mlartifacts").rglob("*.html"))
    assert len(artefacts) == 4  # the stage HTML, beside the store, not in ./mlruns
    assert not (workspace / "mlruns").exists()


def test_rendered_evidence_masks_personal_data(workspace: Path) -> None:
    refined = workspace / "data" / "refined"
    contacts = pd.read_parquet(refined / "contacts.parquet")
    emails = set(contacts["emails"].explode().dropna())
    phones = set(contacts["phones"].explode().dropna())
    pages = list(_run_dir(workspace).rglob("*.html"))  # notebooks and Data Docs
    assert len(pages) > 4
    html = "".join(p.read_text() for p in pages)
    assert "***@" in html
    assert emails and not any(e in html for e in emails)
    assert phones and not any(p in html for p in phones)
    assert not any(p[3:] in html for p in phones)  # nor without the +27


def test_a_failing_stage_stops_with_evidence(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "samples"
    folder.mkdir(parents=True)
    wb = xlsxwriter.Workbook(str(folder / SACAA_FILE))
    wb.add_worksheet("Not Cleaned").write_string(0, 0, "Name of Organisation")
    wb.close()
    done = hotpass("run", cwd=tmp_path)
    assert done.returncode == 1
    assert "ingest" in done.stderr and "failed" in done.stderr
    run_dir = _run_dir(tmp_path)
    html = (run_dir / "01_ingest.html").read_text()
    assert "sheet &#39;Cleaned&#39; not found" in html or "sheet 'Cleaned' not found" in html
    events = [json.loads(x) for x in (run_dir / "lineage.jsonl").read_text().splitlines()]
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "failed"
    assert not (tmp_path / "data" / "interim" / "ingest").exists()  # nothing partial
    assert not (tmp_path / "data" / "refined").exists()


def test_invalid_emails_above_tolerance_stop_at_validate(tmp_path: Path) -> None:
    """A sample broken on purpose: most SACAA e-mails invalid. The run stops at validate,
    exits non-zero, and the evidence names the failing expectation and column."""
    import openpyxl

    folder = tmp_path / "data" / "samples"
    write_samples(folder, n_orgs=40, seed=3)
    book = openpyxl.load_workbook(folder / SACAA_FILE)
    sheet = book["Cleaned"]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=7, value=f"contact at office {row}")
    book.save(folder / SACAA_FILE)
    done = hotpass("run", cwd=tmp_path)
    assert done.returncode == 1
    assert "validate" in done.stderr and "emails_all_valid" in done.stderr
    run_dir = _run_dir(tmp_path)
    html = (run_dir / "02_validate.html").read_text()
    assert "emails_all_valid" in html and "expect_column_values_to_be_in_set" in html
    assert "GateError" in html
    assert not (run_dir / "03_refine.ipynb").exists()  # no later stage ran
    assert (
        run_dir / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    ).is_file()


def test_evidence_verify_accepts_the_run_and_catches_tampering(workspace: Path) -> None:
    run_dir = _run_dir(workspace)
    ok = hotpass("evidence", "verify", run_dir.name, cwd=workspace)
    assert ok.returncode == 0, ok.stderr
    listed = hotpass("evidence", "list", cwd=workspace)
    assert run_dir.name in listed.stdout
    statement = json.loads((run_dir / "provenance.json").read_text())
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert any(s["name"] == "data/refined/organisations.csv" for s in statement["subject"])
    for target in (
        workspace / "data" / "refined" / "organisations.csv",
        run_dir / "04_publish.html",
    ):
        original = target.read_bytes()
        target.write_bytes(original + b"\n")
        bad = hotpass("evidence", "verify", str(run_dir), cwd=workspace)
        target.write_bytes(original)
        assert bad.returncode == 1
        assert f"modified: {target.name}" in bad.stderr.replace(f"{run_dir.name}/", "").replace(
            "data/refined/", ""
        )
