"""Publish: the SSOT as Parquet (typed), CSV and a formatted workbook, written atomically.

Parquet and CSV are byte-identical for the same inputs. Text cells that a spreadsheet
would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) are neutralised in CSV/XLSX.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from .atomic import atomic_dir

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_CREATED = dt.datetime(2025, 1, 1)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Deterministic Parquet: no index, fixed compression, no timestamps in metadata."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


def neutralise(values: pd.Series) -> pd.Series:
    """Prefix a quote to text that a spreadsheet would treat as a formula."""
    text = values.astype("string")
    risky = text.str.startswith(FORMULA_START).fillna(False)
    return text.where(~risky, "'" + text)


def flat_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists joined by ``; ``, everything else as text, formula-like text neutralised."""
    out = pd.DataFrame(index=frame.index)
    for name, col in frame.items():
        if any(isinstance(v, list) for v in col):
            col = col.map(lambda v: "; ".join(map(str, v)) if isinstance(v, list) else v)
        out[name] = neutralise(col) if col.dtype == object or col.dtype == "string" else col
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV, ``\\n`` line ends, lists flattened, safe against formula injection."""
    flat_text(frame).to_csv(path, index=False, lineterminator="\n")


def summary_tables(orgs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Totals, per-source counts and per-field completeness, for the Summary sheet."""
    per_source = orgs["source_datasets"].explode().value_counts().rename_axis("source")
    fields = [
        "organisation_name",
        "province",
        "website",
        "primary_email",
        "primary_phone",
        "address",
        "category",
        "primary_contact_name",
    ]
    completeness = orgs[fields].notna().mean().round(3).rename("share_present")
    totals = pd.DataFrame(
        {
            "measure": ["organisations", "mean quality score"],
            "value": [len(orgs), round(float(orgs["data_quality_score"].mean()), 3)],
        }
    )
    return {
        "Totals": totals,
        "Organisations per source": per_source.rename("organisations").reset_index(),
        "Completeness per field": completeness.rename_axis("field").reset_index(),
    }


def write_xlsx(orgs: pd.DataFrame, conflicts: pd.DataFrame, path: Path) -> None:
    """Formatted workbook: ``Data`` (styled, frozen, filtered, banded by quality), ``Summary``,
    ``Quality`` (flags and conflicts)."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": XLSX_CREATED, "title": "Hotpass SSOT organisations"})
    head = wb.add_format(
        {
            "bold": True,
            "bg_color": "#1F3864",
            "font_color": "#FFFFFF",
            "text_wrap": True,
            "valign": "top",
            "border": 1,
        }
    )
    bold = wb.add_format({"bold": True})
    _sheet(wb, "Data", flat_text(orgs), head, autofilter=True)
    data = wb.get_worksheet_by_name("Data")
    col = orgs.columns.get_loc("data_quality_score")
    rng = (1, col, len(orgs), col)
    for lo, hi, colour in ((0, 0.4, "#F8CBAD"), (0.4, 0.7, "#FFE699"), (0.7, 1.01, "#C6EFCE")):
        data.conditional_format(
            *rng,
            {
                "type": "cell",
                "criteria": "between",
                "minimum": lo,
                "maximum": hi - 1e-9,
                "format": wb.add_format({"bg_color": colour}),
            },
        )
    summary = wb.add_worksheet("Summary")
    row = 0
    for title, table in summary_tables(orgs).items():
        summary.write_string(row, 0, title, bold)
        _write_table(summary, table, row + 1, head)
        row += len(table) + 3
    summary.set_column(0, 1, 28)
    quality = orgs[
        ["organisation_id", "organisation_name", "data_quality_score", "data_quality_flags"]
    ]
    _sheet(wb, "Quality", flat_text(quality), head, autofilter=True)
    qs = wb.get_worksheet_by_name("Quality")
    start = len(quality) + 3
    qs.write_string(start - 1, 0, "Conflicts (field values that disagreed across sources)", bold)
    _write_table(qs, flat_text(conflicts), start, head)
    wb.close()


def _write_table(ws: Any, table: pd.DataFrame, first_row: int, head: Any) -> None:
    for c, name in enumerate(table.columns):
        ws.write_string(first_row, c, str(name), head)
    for r, values in enumerate(table.itertuples(index=False), start=first_row + 1):
        for c, v in enumerate(values):
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, str(v))


def _sheet(wb: Any, name: str, table: pd.DataFrame, head: Any, autofilter: bool) -> None:
    ws = wb.add_worksheet(name)
    _write_table(ws, table, 0, head)
    ws.freeze_panes(1, 0)
    if autofilter and len(table.columns):
        ws.autofilter(0, 0, max(len(table), 1), len(table.columns) - 1)
    for c, col in enumerate(table.columns):
        width = table[col].astype("string").str.len().quantile(0.9) if len(table) else 10
        ws.set_column(c, c, min(max(len(str(col)), int(width if pd.notna(width) else 10)) + 2, 60))


def source_overlap(orgs: pd.DataFrame) -> pd.Series:
    """Organisations per combination of sources (``contact_db + sacaa``: found in both)."""
    combos = orgs["source_datasets"].map(lambda names: " + ".join(sorted(names)))
    return combos.value_counts().sort_values(kind="stable").rename("organisations")


def quality_distribution(orgs: pd.DataFrame) -> pd.DataFrame:
    """Organisations per quality-score band (0.0, 0.2, ... 1.0), for ``dvc plots``."""
    bands = (orgs["data_quality_score"] * 5).round().div(5).map(lambda v: f"{v:.1f}")
    counts = bands.value_counts().reindex([f"{b / 5:.1f}" for b in range(6)], fill_value=0)
    return counts.rename_axis("score_band").rename("organisations").reset_index()


def headline(tables: dict[str, pd.DataFrame], accounting: pd.DataFrame) -> dict[str, object]:
    """The run's story in numbers: rows in, rows merged into records, organisations and
    contacts out, quarantined, skipped, queued for review, mean quality."""
    return {
        "rows_read": int(accounting["rows_read"].sum()),
        "rows_merged": int(accounting["accepted"].sum()),
        "organisations_out": len(tables["organisations"]),
        "contacts_out": len(tables["contacts"]),
        "rows_quarantined": len(tables["quarantine"]),
        "rows_skipped_empty": len(tables["skipped_rows"]),
        "review_pairs": len(tables["review_queue"]),
        "mean_quality_score": round(float(tables["organisations"]["data_quality_score"].mean()), 3)
        if len(tables["organisations"])
        else 0.0,
    }


def publish(
    tables: dict[str, pd.DataFrame], conflicts: pd.DataFrame, out_dir: Path | str
) -> list[Path]:
    """Write ``<name>.parquet`` for every table plus ``organisations.csv`` and
    ``organisations.xlsx`` into ``out_dir`` (all or nothing). Returns the files written."""
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        for name, frame in tables.items():
            write_parquet(frame, tmp / f"{name}.parquet")
        write_csv(tables["organisations"], tmp / "organisations.csv")
        write_xlsx(tables["organisations"], conflicts, tmp / "organisations.xlsx")
        names = sorted(p.name for p in tmp.iterdir())
    return [out_dir / n for n in names]


def write_plot_data(frame: pd.DataFrame, path: Path | str) -> Path:
    """A small CSV for ``dvc plots``, written atomically."""
    from .atomic import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")
    return path


def published_tables(
    refined: dict[str, pd.DataFrame], ingested: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """The tables publish writes (``<name>.parquet``), from the refine and ingest tables."""
    return {
        "organisations": refined["organisations"],
        "contacts": refined["contacts"],
        "review_queue": refined["review_queue"],
        "quarantine": ingested["quarantine"],
        "skipped_rows": ingested["skipped"],
    }
