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


def files_in(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            )
        elif p.is_file():
            out.append(p)
    return out


def relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


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


def gate_status(manifest: dict[str, Any]) -> str:
    """The run's verdict in a few words: where it failed, or whether the gates passed."""
    stages = manifest.get("stages", {})
    for name, stage in stages.items():
        if stage.get("status") != "completed":
            return f"{stage.get('status', 'failed')} at {name}"
    metrics = stages.get("validate", {}).get("metrics", {})
    if "validate" not in stages:
        return "not validated yet"
    warnings = int(metrics.get("warnings", 0))
    return "passed" + (f" with {warnings} warning{'s' * (warnings != 1)}" if warnings else "")


def list_runs(runs_dir: Path) -> list[dict[str, Any]]:
    """Every run, newest first, with status, gate verdict and headline numbers."""
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
                "gate": gate_status(m),
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
    """``runs/index.html``: every run, newest first, with its gate verdict, headline numbers
    and links to its stage pages, Data Docs, manifest and provenance (all local files)."""
    from .atomic import write_text
    from .pages import html_table, page

    head = [
        "run",
        "status",
        "gate",
        "started",
        "profile",
        "rows read",
        "organisations",
        "quarantined rows",
        "review queue",
        "stage pages",
        "evidence",
    ]
    rows = []
    for run in list_runs(runs_dir):
        rid = html.escape(run["run_id"])
        cells = [run["run_id"], run["status"], run["gate"], run["started_at"], run["profile"]]
        cells = [html.escape(c) for c in cells]
        cells += [
            "" if run[k] is None else f"{run[k]:,}"
            for k in ("rows_read", "organisations_out", "rows_quarantined", "review_pairs")
        ]
        cells.append(
            " · ".join(
                f'<a href="{rid}/{html.escape(Path(p).name)}">{html.escape(name)}</a>'
                for name, p in run["stages"].items()
            )
        )
        folder = Path(run["folder"])
        extra = [("datadocs/index.html", "Data Docs"), ("manifest.json", "manifest")]
        extra += [("provenance.json", "provenance"), ("lineage.jsonl", "lineage")]
        cells.append(
            " · ".join(
                f'<a href="{rid}/{target}">{label}</a>'
                for target, label in extra
                if (folder / target).is_file()
            )
        )
        rows.append(cells)
    body = (
        "<h1>Hotpass runs</h1><p>Newest first. A run's <em>gate</em> is the validation "
        "verdict: any failed error-gated check stops the pipeline; warnings are recorded. "
        "Each run's folder holds its executed notebooks, their pages, the Data Docs of its "
        "checks, its manifest (hashes of every input and output), provenance and lineage.</p>"
        + html_table(head, rows)
    )
    target = runs_dir / "index.html"
    write_text(target, page("Hotpass runs", body))
    return target
