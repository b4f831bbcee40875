"""End to end: the real pipeline (papermill, nbconvert, MLflow, OpenLineage) on a small sample."""

from __future__ import annotations

import json
import re
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import xlsxwriter

from hotpass_lib.evaluate import organisation_scores
from hotpass_lib.samples import SACAA_FILE, write_samples
from hotpass_lib.store import load_table

from .helpers import contact_values, evidence_pages, hotpass, run_dir_of
from .openlineage_schema import validate_event

pytestmark = pytest.mark.e2e


def _run_dir(ws: Path) -> Path:
    return run_dir_of(ws)


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
    assert (run_dir / "datadocs" / "index.html").is_file()


def test_evidence_is_readable_by_other_accounts(workspace: Path) -> None:
    for path in [run_dir_of(workspace), *run_dir_of(workspace).rglob("*")]:
        mode = path.stat().st_mode
        assert mode & (0o005 if path.is_dir() else 0o004), (path, oct(mode))
    assert (workspace / "runs" / "index.html").stat().st_mode & 0o004


def test_pages_reference_nothing_outside_the_run(workspace: Path) -> None:
    """No script, style, image or link points at the network (nothing to load offline)."""
    reference = re.compile(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)|url\(\s*["']?([^"')]+)""")
    for page in evidence_pages(run_dir_of(workspace)):
        for match in reference.finditer(page.read_text(encoding="utf-8")):
            target = match.group(1) or match.group(2)
            assert not re.match(r"(https?:)?//", target), (page.name, target)


def test_validation_verdict_and_data_docs_agree(workspace: Path) -> None:
    run_dir = run_dir_of(workspace)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    warnings = manifest["stages"]["validate"]["metrics"]["warnings"]
    suites = [json.loads(p.read_text()) for p in (run_dir / "datadocs").glob("*.json")]
    assert {s["status"] for s in suites} <= {"passed", "passed with warnings"}
    flagged = sum(c["verdict"].startswith("warning") for s in suites for c in s["checks"])
    assert flagged >= warnings
    page = (run_dir / "02_validate.html").read_text()
    assert (
        "Gate passed." in page and "Failed" not in (run_dir / "datadocs" / "index.html").read_text()
    )


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
    orgs = outputs[str(workspace / "data" / "refined" / "organisations.parquet")]
    assert orgs["outputFacets"]["outputStatistics"]["rowCount"] > 0
    assert orgs["facets"]["schema"]["fields"]
    validate = next(
        e for e in events if e["job"]["name"] == "hotpass.validate" and e["eventType"] == "COMPLETE"
    )
    checked = {i["name"]: i.get("inputFacets", {}) for i in validate["inputs"]}
    table = workspace / "data" / "interim" / "ingest" / "organisations.parquet"
    facet = checked[str(table)]["dataQualityAssertions"]
    assert any(
        a["assertion"] == "expect_column_values_to_be_in_set" and a.get("column") == "province"
        for a in facet["assertions"]
    )


def test_lineage_connects_the_workbooks_to_the_published_outputs(workspace: Path) -> None:
    """Each stage reads what earlier stages wrote, by (namespace, name): one graph from the
    input workbooks, through every stage, to the files in data/refined."""
    from hotpass_lib.stages import BY_NAME, NAMES

    events = [
        json.loads(line)
        for line in (_run_dir(workspace) / "lineage.jsonl").read_text().splitlines()
    ]
    done = {
        e["job"]["name"].removeprefix("hotpass."): e for e in events if e["eventType"] == "COMPLETE"
    }
    ids = {
        side: {s: {(d["namespace"], d["name"]) for d in e[side]} for s, e in done.items()}
        for side in ("inputs", "outputs")
    }
    data = workspace / "data"
    named = {d for side in ids.values() for found in side.values() for d in found}
    assert all(ns == "file" and Path(name).is_absolute() for ns, name in named)
    for stage in NAMES[1:]:
        upstream = set().union(*(ids["outputs"][u] for u in BY_NAME[stage].reads))
        tables = {i for i in ids["inputs"][stage] if i[1].startswith(str(data / "interim"))}
        assert tables and tables <= upstream, stage  # every table read was written before
        assert {u for u in upstream if u in ids["inputs"][stage]} == tables
    workbooks = {i for i in ids["inputs"]["ingest"] if i[1].endswith(".xlsx")}
    assert len(workbooks) == 3 and all(ns == "file" for ns, _ in workbooks)
    reached, frontier = set(workbooks), set(workbooks)
    while frontier:  # follow dataset -> stage -> dataset
        stages = {s for s in NAMES if ids["inputs"][s] & frontier}
        frontier = set().union(*(ids["outputs"][s] for s in stages)) - reached
        reached |= frontier
    published = {("file", str(p)) for p in (data / "refined").iterdir()}
    assert len(published) == 7 and published <= reached
    assert published == ids["outputs"]["publish"] - {
        i for i in ids["outputs"]["publish"] if not i[1].startswith(str(data / "refined"))
    }


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
    assert len(artefacts) == 5  # stage pages and the runs index, beside the store
    assert not (workspace / "mlruns").exists()


def test_mlflow_parent_tells_the_run_and_stages_their_true_times(workspace: Path) -> None:
    mlflow.set_tracking_uri(f"sqlite:///{workspace / 'runs' / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    runs = mlflow.search_runs(experiment_names=["hotpass"], output_format="list")
    parent = next(r for r in runs if r.data.tags.get("hotpass.kind") == "pipeline")
    assert parent.data.metrics["rows_read"] > 0 and parent.data.metrics["organisations_out"] > 0
    assert {"f1", "rows_quarantined", "review_pairs"} <= set(parent.data.metrics)
    logged = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"manifest.json", "provenance.json", "index.html"} <= logged
    manifest = json.loads((run_dir_of(workspace) / "manifest.json").read_text())
    for child in (r for r in runs if r.data.tags.get("hotpass.kind") == "stage"):
        record = manifest["stages"][child.data.tags["hotpass.stage"]]
        took = (child.info.end_time - child.info.start_time) / 1000
        assert took == pytest.approx(record["duration_s"], abs=0.01)
        assert took > 0.5


def test_the_champion_match_model_loads_and_scores_a_pair(workspace: Path) -> None:
    from hotpass_lib.match_model import pairs_frame
    from hotpass_lib.resolve import features

    mlflow.set_tracking_uri(f"sqlite:///{workspace / 'runs' / 'mlflow.db'}")
    model = mlflow.pyfunc.load_model("models:/hotpass-entity-resolution@champion")
    pairs = load_table(workspace / "data" / "interim" / "refine" / "match_pairs.parquet")
    rows = load_table(workspace / "data" / "interim" / "ingest" / "organisations.parquet")
    feats = features(rows).set_index("unique_id")
    pair = pairs.iloc[[0]]
    scored = model.predict(pairs_frame(feats.loc[pair["left"]], feats.loc[pair["right"]]))
    assert scored["match_probability"].iloc[0] == pytest.approx(
        float(pair["match_probability"].iloc[0]), abs=1e-6
    )


def test_no_email_or_phone_of_the_input_is_anywhere_in_the_evidence(workspace: Path) -> None:
    """Pages, executed notebooks, manifest, lineage, Data Docs, MLflow artefacts and store."""
    values = contact_values(workspace)
    assert len(values) > 100
    files = [p for p in (workspace / "runs").rglob("*") if p.is_file()]
    assert len(files) > 20
    leaks = {}
    for path in files:
        data = path.read_bytes()
        found = [v for v in values if v.encode() in data]
        if found:
            leaks[str(path.relative_to(workspace))] = found[:3]
    assert not leaks, leaks
    pages = "".join(p.read_text() for p in evidence_pages(run_dir_of(workspace)))
    assert "***@" in pages and "*****" in pages  # masked, not left out


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
    assert "Gate failed" in html
    docs = (run_dir / "datadocs" / "canonical_organisations.html").read_text()
    assert "failed" in docs and "emails_all_valid" in docs


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
