"""One benchmarked step in a fresh process, so its peak RSS is its own.

Usage: ``python -m bench.stage STEP SAMPLE_DIR WORK_DIR``; prints one JSON line with the
step's wall and CPU time (library work only, imports excluded), import time and peak RSS.
Imports are what a pipeline run's kernel does before the stage's first cell: the library,
and the stage's declared warm imports (Great Expectations, pandera's checks, Splink, the
XLSX writer; ``Stage.warm_imports``), after deferring the IRI grammars as kernels do.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from pathlib import Path

START = time.perf_counter()

import pandas as pd  # noqa: E402

from hotpass_lib import store, validate  # noqa: E402
from hotpass_lib.ingest import IngestResult, ingest  # noqa: E402
from hotpass_lib.profile import load_profile  # noqa: E402
from hotpass_lib.publish import publish, published_tables  # noqa: E402
from hotpass_lib.read import Workbook, _as_text  # noqa: E402
from hotpass_lib.refine import refine  # noqa: E402
from hotpass_lib.resolve import resolve  # noqa: E402
from hotpass_lib.stages import NAMES  # noqa: E402
from hotpass_lib.stages import stage as stage_spec  # noqa: E402


def _warm_imports(step: str) -> None:
    """The step's stage's warm imports, as its kernel imports them before the first cell,
    then the imported objects set apart from garbage collection, as kernels do."""
    if step in NAMES:
        import importlib

        from hotpass_lib.deferred import defer_iri_grammars

        defer_iri_grammars()
        for name in stage_spec(step).warm_imports:
            importlib.import_module(name)
    gc.freeze()  # as kernels do after their imports (hotpass_lib.kernels.FREEZE)


def raw_read(sample: Path) -> dict[str, int]:
    """Every sheet of every workbook through python-calamine, nothing else."""
    rows = 0
    for path in sorted(sample.glob("*.xlsx")):
        book = Workbook(path)
        for sheet in book.sheet_names:
            rows += len(book.rows(sheet))
    return {"rows": rows}


def read_text(sample: Path) -> dict[str, int]:
    """The profile's sheets read into text frames (the read part of ingest)."""
    profile = load_profile("aviation")
    rows = 0
    for source in profile.sources:
        for path in sorted(p for g in source.patterns for p in sample.glob(g)):
            book = Workbook(path)
            for spec in source.sheets:
                rows += len(_as_text(book.rows(spec.sheet)))
    return {"rows": rows}


def distinct(result: IngestResult) -> dict[str, int]:
    """Distinct valid phones and e-mails, and distinct organisation and person names, of
    the accepted rows: what per-value work costs in."""
    orgs, people = result.organisations, result.contacts

    def values(column: str) -> int:
        lists = pd.concat([orgs[column], people[column]])
        return int(lists.explode().dropna().nunique())

    names = pd.concat([orgs["organisation_name"], people["name"]]).dropna()
    return {"phones": values("phones"), "emails": values("emails"), "names": names.nunique()}


def run(step: str, sample: Path, work: Path) -> dict[str, object]:
    profile = load_profile("aviation")
    if step == "raw_read":
        return raw_read(sample)
    if step == "read":
        return read_text(sample)
    if step == "ingest":
        result = ingest(sample, profile)
        store.save_tables(result.tables(), work / "ingest")
        return {"rows": int(result.accounting["rows_read"].sum()), "distinct": distinct(result)}
    if step == "validate":
        tables = store.load_inputs("validate", work)["ingest"]  # the stage's declared inputs
        results = validate.validate_ingest(tables, profile, gx_dir=work / "gx")
        return {"checks": len(results)}
    if step in ("resolve", "refine"):
        # refine's ingest tables as the registry declares them (the gate's results skipped)
        tables = store.load_tables(work / "ingest", list(stage_spec("refine").reads["ingest"]))
    if step == "resolve":
        return {"clusters": int(resolve(tables["organisations"], profile).clusters.nunique())}
    if step == "refine":
        r = refine(
            tables["organisations"],
            tables["contacts"],
            tables["addresses"],
            profile,
            link_review=tables.get("link_review"),
        )
        store.save_tables(r.tables(), work / "refine")
        return {"organisations": len(r.organisations)}
    if step == "publish":
        inputs = store.load_inputs("publish", work)
        out = published_tables(inputs["refine"], inputs["ingest"])
        publish(out, inputs["refine"]["conflicts"], work / "refined")
        return {"files": 7}
    raise SystemExit(f"unknown step {step}")


def _children_cpu() -> float:
    """CPU seconds of the worker processes that ended (ingest's sheet readers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    step, sample, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    _warm_imports(step)
    imported = time.perf_counter()
    began, cpu, child_cpu = time.perf_counter(), time.process_time(), _children_cpu()
    detail = run(step, sample, work)
    seconds = time.perf_counter() - began
    # steadier than wall time on a shared machine; workers' CPU included
    cpu = time.process_time() - cpu + _children_cpu() - child_cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the largest worker's peak: parent and workers together held at most the sum
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "step": step,
                "seconds": round(seconds, 3),
                "cpu_s": round(cpu, 3),
                "import_s": round(imported - START, 3),
                "peak_rss_mb": round(peak_mb, 1),
                "worker_peak_rss_mb": round(child_mb, 1),
                **detail,
            }
        )
    )
