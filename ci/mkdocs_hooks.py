"""MkDocs hooks (mkdocs.yml ``hooks:``): put what lives outside ``docs/`` into the site.

- ``contracts/reference.md`` (generated from the pandera models) as a page, and the
  contracts' JSON Schemas and Great Expectations suites as files under ``contracts/``;
- the SBOM, ``sbom/hotpass.cdx.json``;
- the latest run's evidence, when ``runs/`` holds one, under ``evidence/latest/`` (executed
  notebooks as HTML, ``manifest.json``, ``provenance.json``, ``lineage.jsonl``, the Great
  Expectations Data Docs) and the runs index as ``evidence/index.html``. With no run (a fresh
  clone, CI) each of those links gets a short placeholder saying how to make one, so the
  site builds strict either way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
DATA_DOCS = "gx/gx/uncommitted/data_docs/local_site"
LATEST = "evidence/latest"
NO_RUN = "No run in this build of the site: run the pipeline (`make run`), then `make docs`."
PLACEHOLDERS = {
    "evidence/index.html": "Evidence index",
    f"{LATEST}/{DATA_DOCS}/index.html": "Data Docs of the latest run",
    f"{LATEST}/manifest.json": None,
    f"{LATEST}/provenance.json": None,
    f"{LATEST}/lineage.jsonl": None,
}


def _latest_run(runs: Path) -> Path | None:
    manifests = sorted(runs.glob("*/manifest.json"), reverse=True)  # run ids sort by time
    return manifests[0].parent if manifests else None


def _placeholder(uri: str, title: str | None) -> str:
    if title is None:
        return json.dumps({"note": NO_RUN}) + "\n"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><h1>{title}</h1><p>{NO_RUN}</p></body></html>\n"
    )


def on_files(files: Files, config: Any) -> Files:
    def add(uri: str, *, path: Path | None = None, content: str | None = None) -> None:
        if files.get_file_from_path(uri) is None:
            if path is not None:
                files.append(File.generated(config, uri, abs_src_path=str(path)))
            else:
                files.append(File.generated(config, uri, content=content or ""))

    add("contracts/reference.md", path=ROOT / "contracts" / "reference.md")
    for path in sorted((ROOT / "contracts").rglob("*.json")):
        add(f"contracts/{path.relative_to(ROOT / 'contracts').as_posix()}", path=path)
    add("sbom/hotpass.cdx.json", path=ROOT / "sbom" / "hotpass.cdx.json")

    run = _latest_run(ROOT / "runs")
    if run is not None:
        for path in sorted(run.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                add(f"{LATEST}/{path.relative_to(run).as_posix()}", path=path)
        index = ROOT / "runs" / "index.html"
        if index.is_file():  # the runs index, its newest run pointing into evidence/latest/
            text = index.read_text(encoding="utf-8")
            add("evidence/index.html", content=text.replace(f'"{run.name}/', '"latest/'))
    for uri, title in PLACEHOLDERS.items():
        add(uri, content=_placeholder(uri, title))
    return files
