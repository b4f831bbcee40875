"""Publish: the SSOT as Parquet (typed), CSV and a formatted workbook, written atomically.

Parquet and CSV are byte-identical for the same inputs. Text cells that a spreadsheet
would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) are neutralised in CSV/XLSX.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .atomic import atomic_dir
from .store import write_parquet
from .telemetry import traced

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_CREATED = dt.datetime(2025, 1, 1)


def neutralise(values: pd.Series) -> pd.Series:
    """Prefix a quote to text that a spreadsheet would treat as a formula."""
    text = values.astype("string")
    risky = text.str.startswith(FORMULA_START).fillna(False)
    return text.where(~risky, "'" + text)


def joined(col: pd.Series) -> pd.Series:
    """Each list's items joined by ``; `` (other values as they are): in Arrow when the
    column is lists of text without missing items, else per value."""
    try:
        lists = pa.array(col, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        lists = None
    if (
        lists is not None
        and pa.types.is_list(lists.type)
        and pa.types.is_string(lists.type.value_type)
        and not pc.list_flatten(lists).null_count
    ):
        return pd.Series(pd.array(pc.binary_join(lists, "; "), dtype="string"), index=col.index)
    return col.map(lambda v: "; ".join(map(str, v)) if isinstance(v, list) else v)


def flat_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists joined by ``; ``, everything else as text, formula-like text neutralised."""
    out = pd.DataFrame(index=frame.index)
    for name, col in frame.items():
        if col.dtype == object and any(isinstance(v, list) for v in col):
            col = joined(col)
        out[name] = neutralise(col) if col.dtype == object or col.dtype == "string" else col
    return out


def write_csv(frame: pd.DataFrame, path: Path, *, flat: pd.DataFrame | None = None) -> None:
    """UTF-8 CSV, ``\\n`` line ends, lists flattened, safe against formula injection
    (``flat``: ``flat_text(frame)`` when the caller has it already)."""
    (flat_text(frame) if flat is None else flat).to_csv(path, index=False, lineterminator="\n")


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


XLSX_MAX_ROWS = 1_048_576
"""Rows in an Excel sheet, header included: more and Excel cannot open it."""


def write_xlsx(
    orgs: pd.DataFrame, conflicts: pd.DataFrame, path: Path, *, flat: pd.DataFrame | None = None
) -> None:
    """Formatted workbook: ``Data`` (styled, frozen, filtered, banded by quality), ``Summary``,
    ``Quality`` (flags and conflicts); ``flat``: ``flat_text(orgs)`` if the caller has it.

    Written by rust_xlsxwriter (the ``rvgsrust-xlsxwriter`` binding): the large tables go
    from Arrow to the sheet in one call each, about 5x faster than xlsxwriter cell by cell.
    Its document properties carry the time of writing; they are set to ``XLSX_CREATED`` so
    that the same content gives the same bytes. A sheet holds at most ``XLSX_MAX_ROWS``
    rows: beyond that, the Summary sheet says how many are shown and that the CSV and
    Parquet files hold them all."""
    import rvgsrust_xlsxwriter as rx

    wb = rx.Workbook(str(path))
    wb.set_properties(title="Hotpass SSOT organisations")
    head = (
        wb.add_format()
        .set_bold()
        .set_background_color("#1F3864")
        .set_font_color("#FFFFFF")
        .set_text_wrap()
        .set_vertical_align("top")
        .set_border("thin")
    )
    bold = wb.add_format().set_bold()
    flat = flat_text(orgs) if flat is None else flat
    fits = XLSX_MAX_ROWS - 1
    data = _sheet(wb, "Data", flat.iloc[:fits], head)
    col = orgs.columns.get_loc("data_quality_score")
    for lo, hi, colour in ((0, 0.4, "#F8CBAD"), (0.4, 0.7, "#FFE699"), (0.7, 1.01, "#C6EFCE")):
        rule = rx.ConditionalFormatCell()
        rule.set_rule_between(lo, hi - 1e-9)
        rule.set_format(wb.add_format().set_background_color(colour))
        data.add_conditional_format(1, col, max(min(len(orgs), fits), 1), col, rule)
    summary = wb.add_worksheet("Summary")
    row = 0
    conflict_rows = max(0, min(len(conflicts), fits - min(len(orgs), fits) - 3))
    for sheet, shown, total, what, where in (
        ("Data", min(len(orgs), fits), len(orgs), "organisations",
         "organisations.csv and organisations.parquet hold them all"),
        ("Quality", conflict_rows, len(conflicts), "conflicts",
         "the refine stage's conflicts.parquet holds them all"),
    ):  # fmt: skip
        if shown < total:
            note = (
                f"{sheet} shows {shown:,} of {total:,} {what} (an Excel sheet holds "
                f"{XLSX_MAX_ROWS:,} rows); {where}"
            )
            summary.write(row, 0, note, bold)
            row += 2
    for title, table in summary_tables(orgs).items():
        summary.write(row, 0, title, bold)
        summary.write_dataframe(row + 1, 0, _plain(table), header_format=head)
        row += len(table) + 3
    summary.set_column_width(0, 28)
    summary.set_column_width(1, 28)
    quality = orgs[
        ["organisation_id", "organisation_name", "data_quality_score", "data_quality_flags"]
    ]
    qs = _sheet(wb, "Quality", flat[quality.columns].iloc[:fits], head)
    start = min(len(quality), fits) + 3
    if start < XLSX_MAX_ROWS - 1:
        qs.write(start - 1, 0, "Conflicts (field values that disagreed across sources)", bold)
        shown = flat_text(conflicts.iloc[:conflict_rows])
        qs.write_dataframe(start, 0, _plain(shown), header_format=head)
    wb.close()
    _fix_created(path)


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Arrow strings, numbers as they are, for ``write_dataframe``."""
    out = table.reset_index(drop=True)
    for name, col in out.items():
        if col.dtype == object or isinstance(col.dtype, pd.StringDtype):
            out[name] = col.astype("string[pyarrow]")
    out.columns = [str(c) for c in out.columns]
    return out


def _sheet(wb: Any, name: str, table: pd.DataFrame, head: Any) -> Any:
    ws = wb.add_worksheet(name)
    ws.write_dataframe(0, 0, _plain(table), header_format=head)
    ws.freeze_panes(1, 0)
    if len(table.columns):
        ws.autofilter(0, 0, max(len(table), 1), len(table.columns) - 1)
    for c, col in enumerate(table.columns):
        width = table[col].astype("string").str.len().quantile(0.9) if len(table) else 10
        ws.set_column_width(
            c, min(max(len(str(col)), int(width if pd.notna(width) else 10)) + 2, 60)
        )
    return ws


_CREATED = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _fix_created(path: Path) -> None:
    """Set the workbook's created/modified properties to ``XLSX_CREATED`` (the writer
    stamps the time of writing), so that equal content gives equal bytes."""
    stamp = XLSX_CREATED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    temp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(temp, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "docProps/core.xml":
                body = _CREATED.sub(rb"\g<1>" + stamp + rb"\g<2>", body)
            dst.writestr(info, body, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    temp.replace(path)


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
    """The run's story in numbers: rows in, rows accepted into records, organisations and
    contacts out, quarantined, skipped, queued for review, mean quality. ``rows_accepted``
    counts source rows accepted into organisation or contact records (merged or not)."""
    return {
        "rows_read": int(accounting["rows_read"].sum()),
        "rows_accepted": int(accounting["accepted"].sum()),
        "organisations_out": len(tables["organisations"]),
        "contacts_out": len(tables["contacts"]),
        "rows_quarantined": len(tables["quarantine"]),
        "rows_skipped_empty": len(tables["skipped_rows"]),
        "review_pairs": len(tables["review_queue"]),
        "mean_quality_score": round(float(tables["organisations"]["data_quality_score"].mean()), 3)
        if len(tables["organisations"])
        else 0.0,
    }


@traced("hotpass.publish.publish")
def publish(
    tables: dict[str, pd.DataFrame], conflicts: pd.DataFrame, out_dir: Path | str
) -> list[Path]:
    """Write ``<name>.parquet`` for every table plus ``organisations.csv`` and
    ``organisations.xlsx`` into ``out_dir`` (all or nothing). Returns the files written."""
    from concurrent.futures import ThreadPoolExecutor

    out_dir = Path(out_dir)
    orgs = tables["organisations"]
    with atomic_dir(out_dir) as tmp, ThreadPoolExecutor(1) as pool:
        flat = flat_text(orgs)
        # the workbook is compressed and written by Rust without the GIL: it overlaps the
        # Parquet and CSV writes (a third of publish's time at 1M rows)
        xlsx = pool.submit(write_xlsx, orgs, conflicts, tmp / "organisations.xlsx", flat=flat)
        for name, frame in tables.items():
            write_parquet(frame, tmp / f"{name}.parquet")
        write_csv(orgs, tmp / "organisations.csv", flat=flat)
        xlsx.result()
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
