"""What a reviewer reads in the stage pages: validation checks in words, the gate's verdict
as a sentence, complete tables, and Hotpass's own Data Docs.

The Data Docs are static pages rendered from the validation results (one per suite or
contract, and an index) under ``runs/<run id>/datadocs/``: they load nothing from the
network, carry no identifier out, and state a suite's status by the same rule as the gate
(a failed ``warn`` check is a warning, not a failure).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from .atomic import write_text
from .pages import html_table, page
from .privacy import mask_value, masked
from .profile import Profile

GX_SUITES = ("canonical_organisations", "canonical_contacts", "canonical_addresses")
SSOT_SUITES = ("ssot_organisations",)
GATE_RULE = "any failed error-gated check stops the pipeline; a failed warn-gated check is recorded"
VERDICTS = {
    "passed": "passed",
    "tolerated": "passed within tolerance",
    "warning": "warning (recorded, not blocking)",
    "blocking": "failed: blocks the pipeline",
}
TABLE_ROWS = 500
"""Tables up to this long are shown whole; longer ones are cut, saying where the rest is."""


def _rule(kwargs: dict[str, Any]) -> str:
    """An expectation's arguments in words: ``in {True}; at least 98% of rows``."""
    parts = []
    if "value_set" in kwargs:
        values = list(kwargs["value_set"])
        shown = ", ".join(map(str, values[:6])) + (", ..." if len(values) > 6 else "")
        parts.append(f"in {{{shown}}}" + (f" ({len(values)} values)" if len(values) > 6 else ""))
    if "min_value" in kwargs or "max_value" in kwargs:
        parts.append(
            f"between {kwargs.get('min_value', '-inf')} and {kwargs.get('max_value', 'inf')}"
        )
    if "regex" in kwargs:
        parts.append(f"matching {kwargs['regex']}")
    for key, value in kwargs.items():
        if key not in {"column", "value_set", "min_value", "max_value", "regex", "mostly"}:
            parts.append(f"{key} {value}")
    if "mostly" in kwargs:
        parts.append(f"at least {float(kwargs['mostly']):.0%} of rows")
    else:
        parts.append("every row")
    return "; ".join(parts)


def checks(results: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """The validation results as a reviewer reads them: per check its rule and threshold,
    failing rows out of rows checked, and a verdict that says whether it blocks."""
    from .validate import load_suite

    rules, why = [], []
    seen: dict[tuple[str, str, Any], int] = {}
    suites: dict[str, list[dict[str, Any]]] = {}
    for row in results.itertuples():
        if row.suite not in suites:
            try:
                suites[row.suite] = load_suite(row.suite, profile)["expectations"]
            except FileNotFoundError:  # a pandera contract, not a GX suite
                suites[row.suite] = []
        key = (row.suite, row.check, row.column)
        nth = seen[key] = seen.get(key, -1) + 1
        matches = [
            e
            for e in suites[row.suite]
            if e["type"] == row.check and e["kwargs"].get("column") == row.column
        ]
        if nth < len(matches):
            rules.append(_rule(matches[nth]["kwargs"]))
            why.append(matches[nth].get("meta", {}).get("why", ""))
        else:
            rules.append("pandera contract: every row")
            why.append(f"data contract {row.suite}")
    failing = results["failed_count"].astype(int)
    checked = results["element_count"].astype(int)
    share = (failing / checked.where(checked > 0)).fillna(0.0)
    verdict = pd.Series("passed", index=results.index)
    verdict[results["success"] & (failing > 0)] = "tolerated"
    verdict[~results["success"] & (results["gate"] == "warn")] = "warning"
    verdict[~results["success"] & (results["gate"] == "error")] = "blocking"
    return pd.DataFrame(
        {
            "suite": results["suite"],
            "check": results["check"],
            "column": results["column"].fillna("(whole rows)"),
            "rule": rules,
            "gate": results["gate"],
            "failing rows": [
                f"{f:,} of {c:,} ({s:.1%})" for f, c, s in zip(failing, checked, share, strict=True)
            ],
            "verdict": verdict.map(VERDICTS),
            "why": why,
            "examples": results["examples"].map(lambda v: ", ".join(map(str, v))),
        }
    )


def verdict(results: pd.DataFrame, profile: Profile) -> str:
    """The gate's verdict as Markdown sentences: passed or not, by which rule, with counts,
    naming every failed check with its threshold."""
    table = checks(results, profile)
    blocking = table[table["verdict"] == VERDICTS["blocking"]]
    warning = table[table["verdict"] == VERDICTS["warning"]]
    tolerated = table[table["verdict"] == VERDICTS["tolerated"]]
    gated = int((results["gate"] == "error").sum())
    if blocking.empty:
        head = (
            f"**Gate passed.** None of the {gated} error-gated checks failed "
            f"({len(results)} checks in all; rule: {GATE_RULE})."
        )
    else:
        head = (
            f"**Gate failed: the pipeline stops here.** {len(blocking)} of the {gated} "
            f"error-gated checks failed (rule: {GATE_RULE})."
        )

    def lines(frame: pd.DataFrame) -> str:
        return "".join(
            f"\n- `{r.column}` in {r.suite}: {r.check} ({r.rule}): {r.failing} fail"
            for r in frame.rename(columns={"failing rows": "failing"}).itertuples()
        )

    out = head
    if not blocking.empty:
        out += "\n\nBlocking:" + lines(blocking)
    if not warning.empty:
        out += f"\n\n{len(warning)} warn-level check(s) failed, recorded, not blocking:"
        out += lines(warning)
    if not tolerated.empty:
        out += f"\n\n{len(tolerated)} check(s) passed with some failing rows, within tolerance:"
        out += lines(tolerated)
    return out


def table(frame: pd.DataFrame, name: str, where: str | None = None, mask: bool = True) -> Any:
    """A table shown whole (personal data masked, no cell cut short) in a scrolling box; a
    longer one is cut at :data:`TABLE_ROWS` rows, saying how many there are and ``where``
    the full table is."""
    from IPython.display import HTML

    shown = frame.head(TABLE_ROWS)
    shown = masked(shown, all_rows=True) if mask else shown
    note = f"{len(frame):,} rows" + (
        f", the first {TABLE_ROWS:,} shown; all of them are in {where}"
        if len(frame) > TABLE_ROWS
        else (f" (all shown; also in {where})" if where else " (all shown)")
    )
    with pd.option_context("display.max_colwidth", None):
        body = shown.to_html(index=False, na_rep="", border=0, escape=True)
    return HTML(
        f"<p><strong>{html.escape(name)}</strong>: {html.escape(note)}</p>"
        f'<div class="hotpass-table" style="max-height:32em;overflow:auto">{body}</div>'
    )


# --- Data Docs --------------------------------------------------------------------------


def _status(frame: pd.DataFrame) -> str:
    if (frame["verdict"] == VERDICTS["blocking"]).any():
        return "failed"
    if (frame["verdict"] == VERDICTS["warning"]).any():
        return "passed with warnings"
    return "passed"


def _status_html(status: str) -> str:
    kind = "failed" if status.startswith("failed") else "passed"
    kind = "warn" if status.startswith("warning") or status.endswith("warnings") else kind
    return f"<span class='{kind}'>{html.escape(status)}</span>"


def write_data_docs(
    results: pd.DataFrame, profile: Profile, run_dir: Path | str, stage: str, mask: bool = True
) -> Path:
    """Write one page per suite or contract of ``results`` (and its JSON) under
    ``run_dir/datadocs/``, rebuild the index of every suite validated in the run, and return
    the index's path."""
    folder = Path(run_dir) / "datadocs"
    table_ = checks(results, profile)
    if mask:
        table_["examples"] = table_["examples"].map(mask_value)
    for suite, frame in table_.groupby("suite", sort=True):
        status = _status(frame)
        record = {
            "suite": suite,
            "stage": stage,
            "status": status,
            "checks": frame.drop(columns="suite").to_dict("records"),
        }
        write_text(folder / f"{suite}.json", json.dumps(record, indent=2, default=str))
        rows = [[html.escape(str(v)) for v in r.values()] for r in record["checks"]]
        for row, r in zip(rows, record["checks"], strict=True):
            row[5] = _status_html(r["verdict"])
        body = (
            f"<p><a href='index.html'>All suites of this run</a> · "
            f"<a href='../{html.escape(_stage_page(stage))}'>{html.escape(stage)} page</a></p>"
            f"<h1>{html.escape(suite)}: {_status_html(status)}</h1>"
            f"<p class='meta'>Validated in the {html.escape(stage)} stage. Rule: "
            f"{html.escape(GATE_RULE)}.</p>"
            + html_table([html.escape(c) for c in frame.columns if c != "suite"], rows)
        )
        write_text(folder / f"{suite}.html", page(f"{suite} · Data Docs", body))
    return write_data_docs_index(folder)


def _stage_page(stage: str) -> str:
    from .stages import stage as stage_spec

    return str(Path(stage_spec(stage).notebook).with_suffix(".html"))


def write_data_docs_index(folder: Path) -> Path:
    """``datadocs/index.html``: every suite validated in the run, its status and counts."""
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    rows = []
    for r in records:
        verdicts = pd.Series([c["verdict"] for c in r["checks"]], dtype=object)
        rows.append(
            [
                f"<a href='{html.escape(r['suite'])}.html'>{html.escape(r['suite'])}</a>",
                html.escape(r["stage"]),
                _status_html(r["status"]),
                str(len(verdicts)),
                str(int((verdicts == VERDICTS["blocking"]).sum())),
                str(int((verdicts == VERDICTS["warning"]).sum())),
            ]
        )
    body = (
        "<p><a href='../../index.html'>All runs</a></p><h1>Data Docs of this run</h1>"
        f"<p>Great Expectations suites and pandera contracts. Rule: {html.escape(GATE_RULE)}."
        "</p>" + html_table(["suite", "stage", "status", "checks", "blocking", "warnings"], rows)
    )
    index = folder / "index.html"
    write_text(index, page("Data Docs", body))
    return index
