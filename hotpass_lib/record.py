"""A stage's evidence in its run folder: the executed notebook masked and rendered to its
page, and the run's manifest (hashes of every declared input and output) and provenance."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import write_text
from .evidence import (
    evidence_hashes,
    files_in,
    provenance_statement,
    relative,
    sha256,
    write_runs_index,
)
from .privacy import mask_notebook
from .sbom import git_rev_parse, run_references
from .stages import stage as stage_spec

if TYPE_CHECKING:
    from .settings import Settings

TRACKED_PACKAGES = (
    "hotpass",
    "pandas",
    "pyarrow",
    "pandera",
    "great-expectations",
    "mlflow",
    "papermill",
    "nbconvert",
    "scrapbook",
    "openlineage-python",
    "dvc",
    "python-calamine",
    "openpyxl",
    "phonenumbers",
    "email-validator",
    "rapidfuzz",
    "xlsxwriter",
)


def mask_executed(notebook: Path) -> None:
    """Mask e-mails and phones in an executed notebook's outputs, in place: what the kernel
    printed rather than displayed (its tables are masked before display)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    mask_notebook(nb)
    write_text(notebook, nbformat.writes(nb))


def render_html(
    notebook: Path, target: Path, settings: Settings, stage: str, run_id: str, record: dict
) -> None:
    """Render an executed stage notebook to its evidence page: titled ``<stage> · run
    <id>``, the run's facts on top, outputs masked and code hidden as the params say."""
    from .pages import render_stage

    status = record["status"] + (f": {record['error']}" if record.get("error") else "")
    facts = {
        "Stage": f"{stage_spec(stage).notebook} ({stage})",
        "Run": run_id,
        "Started": record["started_at"],
        "Finished": record["finished_at"],
        "Status": status,
        "Input folder": relative(settings.input_dir, settings.root),
        "Profile": Path(settings.profile).stem,
        "Git commit": git_commit(settings.root) or "unknown (not a git checkout)",
    }
    render_stage(
        notebook,
        target,
        title=f"{stage_spec(stage).title} · run {run_id}",
        facts=facts,
        mask=settings.mask_pii,
        show_code=settings.show_code,
    )


def git_commit(root: Path) -> str | None:
    """The workspace's git commit, if it is a git checkout."""
    return git_rev_parse(root, "HEAD")


def versions() -> dict[str, str]:
    found = {}
    for name in TRACKED_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def update_manifest(settings: Settings, run_id: str, stage: str, record: dict[str, Any]) -> Path:
    run_dir = settings.runs_dir / run_id
    path = run_dir / "manifest.json"
    manifest = (
        json.loads(path.read_text())
        if path.is_file()
        else {
            "run_id": run_id,
            "started_at": record["started_at"],
            "profile": settings.profile,
            "params": settings.params,
            "git_commit": git_commit(settings.root),
            "workspace": str(settings.root),
            "python": platform.python_version(),
            "packages": versions(),
            "stages": {},
            "files": {},
            "row_accounting": [],
            "mask_pii": settings.mask_pii,
            **run_references(settings.root),  # SBOM digest, git URI (hotpass_lib.sbom)
        }
    )
    manifest["stages"][stage] = record
    manifest["finished_at"] = record["finished_at"]
    manifest["status"] = (
        "failed"
        if any(s["status"] != "completed" for s in manifest["stages"].values())
        else "completed"
    )
    inputs, outputs = settings.stage_io(stage)
    for role, paths in (("input", inputs), ("output", outputs)):
        for f in files_in(paths):
            manifest["files"][relative(f, settings.root)] = {
                "role": role,
                "stage": stage,
                "sha256": sha256(f),
            }
    if "row_accounting" in record.get("scraps", {}):
        manifest["row_accounting"] = record["scraps"]["row_accounting"]
    manifest["evidence"] = evidence_hashes(run_dir)
    write_text(run_dir / "provenance.json", json.dumps(provenance_statement(manifest), indent=2))
    write_text(path, json.dumps(manifest, indent=2, default=str))
    write_runs_index(settings.runs_dir)
    return path


def reseal(settings: Settings, run_id: str) -> None:
    """Re-hash a run's evidence files in its manifest (after a file such as the trace,
    written by several processes, is complete); nothing when the run has no manifest."""
    path = settings.runs_dir / run_id / "manifest.json"
    if not path.is_file():
        return
    manifest = json.loads(path.read_text())
    evidence = evidence_hashes(path.parent)
    if manifest.get("evidence") != evidence:
        manifest["evidence"] = evidence
        write_text(path, json.dumps(manifest, indent=2, default=str))
