"""One benchmarked step in a fresh process, so its peak RSS is its own.

Usage: ``python -m bench.stage STEP SAMPLE_DIR WORK_DIR``; prints one JSON line with the
step's wall time (library work only, imports excluded), import time and peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

START = time.perf_counter()

from hotpass_lib import store, validate  # noqa: E402
from hotpass_lib.ingest import ingest  # noqa: E402
from hotpass_lib.profile import load_profile  # noqa: E402
from hotpass_lib.publish import publish, published_tables  # noqa: E402
from hotpass_lib.read import Workbook, _as_text  # noqa: E402
from hotpass_lib.refine import refine  # noqa: E402
from hotpass_lib.resolve import resolve  # noqa: E402

IMPORTED = time.perf_counter()


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


def run(step: str, sample: Path, work: Path) -> dict[str, object]:
    profile = load_profile("aviation")
    if step == "raw_read":
        return raw_read(sample)
    if step == "read":
        return read_text(sample)
    if step == "ingest":
        result = ingest(sample, profile)
        store.save_tables(result.tables(), work / "ingest")
        return {"rows": int(result.accounting["rows_read"].sum())}
    tables = store.load_inputs("validate", work)["ingest"]  # the stages' declared inputs
    if step == "validate":
        results = validate.validate_ingest(tables, profile, gx_dir=work / "gx")
        return {"checks": len(results)}
    if step == "resolve":
        return {"clusters": int(resolve(tables["organisations"], profile).clusters.nunique())}
    if step == "refine":
        r = refine(tables["organisations"], tables["contacts"], tables["addresses"], profile)
        store.save_tables(r.tables(), work / "refine")
        return {"organisations": len(r.organisations)}
    if step == "publish":
        inputs = store.load_inputs("publish", work)
        out = published_tables(inputs["refine"], inputs["ingest"])
        publish(out, inputs["refine"]["conflicts"], work / "refined")
        return {"files": 7}
    raise SystemExit(f"unknown step {step}")


if __name__ == "__main__":
    step, sample, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    began = time.perf_counter()
    detail = run(step, sample, work)
    seconds = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "step": step,
                "seconds": round(seconds, 3),
                "import_s": round(IMPORTED - START, 3),
                "peak_rss_mb": round(peak_mb, 1),
                **detail,
            }
        )
    )
