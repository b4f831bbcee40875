"""Run evidence: file hashes, the provenance statement, verification and the runs index."""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path
from typing import Any

from .sbom import provenance_dependencies, verify_references

SEALED = {"manifest.json", "provenance.json"}
"""Files of a run folder that record hashes rather than being hashed themselves."""


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def evidence_hashes(run_dir: Path) -> dict[str, str]:
    """SHA-256 of every evidence file in a run folder (notebooks, HTML, lineage, Data Docs)."""
    return {
        str(p.relative_to(run_dir)): sha256(p)
        for p in sorted(run_dir.rglob("*"))
        if p.is_file() and p.name not in SEALED and not p.name.startswith(".")
    }


def provenance_statement(manifest: dict[str, Any]) -> dict[str, Any]:
    """An in-toto v1 statement with an SLSA provenance predicate: the run's outputs as
    subjects (with digests), its inputs as resolved dependencies, its params as parameters."""
    files = manifest.get("files", {})

    def entries(role: str) -> list[dict[str, Any]]:
        return [
            {"name": name, "digest": {"sha256": f["sha256"]}}
            for name, f in sorted(files.items())
            if f["role"] == role
        ]

    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": entries("output"),
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://hotpass.invalid/pipeline/v1",
                "externalParameters": {
                    "profile": manifest.get("profile"),
                    "params": manifest.get("params", {}),
                },
                "internalParameters": {"packages": manifest.get("packages", {})},
                "resolvedDependencies": entries("input") + provenance_dependencies(manifest),
            },
            "runDetails": {
                "builder": {"id": "https://hotpass.invalid/runner"},
                "metadata": {
                    "invocationId": manifest["run_id"],
                    "startedOn": manifest.get("started_at"),
                    "finishedOn": manifest.get("finished_at"),
                },
            },
        },
    }


def resolve_run(ref: str | Path, runs_dir: Path) -> Path:
    """A run folder from a run id or a path to the folder."""
    path = Path(ref)
    for candidate in (path, runs_dir / str(ref)):
        if (candidate / "manifest.json").is_file():
            return candidate.resolve()
    raise FileNotFoundError(
        f"no run {str(ref)!r}: expected a run id under {runs_dir} or a "
        "run folder holding manifest.json. Fix: `hotpass evidence list`."
    )


def verify(run_dir: Path) -> list[str]:
    """Re-hash a run's inputs, outputs and evidence; one line per mismatch (empty: intact)."""
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    root = Path(manifest.get("workspace", run_dir.parent.parent))
    problems = []
    recorded = [(root / name, f["sha256"], name) for name, f in manifest.get("files", {}).items()]
    recorded += [
        (run_dir / name, digest, f"{run_dir.name}/{name}")
        for name, digest in manifest.get("evidence", {}).items()
    ]
    for path, digest, label in recorded:
        if not path.is_file():
            problems.append(f"missing: {label}")
        elif sha256(path) != digest:
            problems.append(f"modified: {label}")
    statement = run_dir / "provenance.json"
    if statement.is_file():
        recorded_subjects = json.loads(statement.read_text(encoding="utf-8"))["subject"]
        if recorded_subjects != provenance_statement(manifest)["subject"]:
            problems.append("modified: provenance.json does not match the manifest")
    problems += verify_references(run_dir, manifest)  # the SBOM the run recorded
    return problems


def list_runs(runs_dir: Path) -> list[dict[str, Any]]:
    """Every run, newest first, with status and headline numbers."""
    runs = []
    for path in sorted(runs_dir.glob("*/manifest.json"), reverse=True):
        m = json.loads(path.read_text(encoding="utf-8"))
        metrics: dict[str, Any] = {}
        for stage in m.get("stages", {}).values():
            metrics.update(stage.get("metrics", {}))
        runs.append(
            {
                "run_id": m["run_id"],
                "status": m.get("status", "?"),
                "started_at": m.get("started_at", ""),
                "profile": m.get("profile", ""),
                "rows_read": metrics.get("rows_read"),
                "organisations_out": metrics.get("organisations_out"),
                "rows_quarantined": metrics.get("rows_quarantined"),
                "review_pairs": metrics.get("review_pairs"),
                "stages": {name: s["html"] for name, s in m.get("stages", {}).items()},
                "folder": str(path.parent),
            }
        )
    return runs


def write_runs_index(runs_dir: Path) -> Path:
    """``runs/index.html``: every run, newest first, with its headline numbers and links."""
    from .atomic import write_text

    head = [
        "run",
        "status",
        "started",
        "profile",
        "rows read",
        "organisations",
        "quarantined",
        "review pairs",
        "stages",
    ]
    rows = []
    for run in list_runs(runs_dir):
        cells = [run["run_id"], run["status"], run["started_at"], run["profile"]]
        cells += [
            "" if run[k] is None else str(run[k])
            for k in ("rows_read", "organisations_out", "rows_quarantined", "review_pairs")
        ]
        links = " ".join(
            f'<a href="{html.escape(run["run_id"])}/{html.escape(Path(p).name)}">'
            f"{html.escape(name)}</a>"
            for name, p in run["stages"].items()
        )
        rows.append(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + f"<td>{links}</td></tr>"
        )
    page = (
        "<!doctype html><meta charset='utf-8'><title>Hotpass runs</title><style>"
        "body{font-family:sans-serif;margin:2em}td,th{padding:4px 8px;border-bottom:1px solid #ddd;"
        "text-align:left}</style><h1>Hotpass runs</h1><p>Newest first. Each run's folder holds "
        "its notebooks, HTML, manifest, lineage and Data Docs.</p><table><tr>"
        + "".join(f"<th>{h}</th>" for h in head)
        + "</tr>"
        + "".join(rows)
        + "</table>"
    )
    target = runs_dir / "index.html"
    write_text(target, page)
    return target
