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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .atomic import atomic_dir
from .forked import Forked
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


QUALITY_BANDS = (0.4, 0.7)
"""Data sheet colours: a quality score below 0.4, below 0.7, and the rest."""
QUALITY_BAND_COLOURS = ("#F8CBAD", "#FFE699", "#C6EFCE")

XLSX_MAX_ROWS = 1_048_576
"""Rows in an Excel sheet, header included: more and Excel cannot open it."""

XLSX_MAX_CHARS = 32_767
"""Characters in an Excel cell: a longer text is cut to this in the workbook, ending in
``XLSX_CUT`` (the writer refuses it whole, and Excel could not show it)."""
XLSX_CUT = " …[cut]"


def write_xlsx(
    orgs: pd.DataFrame, conflicts: pd.DataFrame, path: Path, *, flat: pd.DataFrame | None = None
) -> None:
    """Formatted workbook: ``Data`` (styled, frozen, filtered, banded by quality), ``Summary``,
    ``Quality`` (flags and conflicts); ``flat``: ``flat_text(orgs)`` if the caller has it.

    Written by rust_xlsxwriter (the ``rvgsrust-xlsxwriter`` binding). The two large sheets
    are in its constant-memory mode: each row goes to a temporary file as soon as the next
    one begins, so the workbook never holds a sheet in memory (at 1M source rows that was
    the largest thing publish held). Its document properties carry the time of writing;
    they are set to ``XLSX_CREATED`` so that the same content gives the same bytes. A sheet
    holds at most ``XLSX_MAX_ROWS`` rows, a cell ``XLSX_MAX_CHARS`` characters: beyond
    them the Summary sheet says what is cut and that the CSV and Parquet files hold it all."""
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
    data = _sheet(wb, "Data", flat.iloc[:fits])
    bands = [wb.add_format().set_background_color(c) for c in QUALITY_BAND_COLOURS]
    score = orgs.columns.get_loc("data_quality_score")
    _write_rows(data, 0, flat.iloc[:fits], head, banded=(score, bands))
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
    conflicts_shown = flat_text(conflicts.iloc[:conflict_rows])
    quality = flat[
        ["organisation_id", "organisation_name", "data_quality_score", "data_quality_flags"]
    ].iloc[:fits]
    cut = sum(_too_long(t) for t in (flat.iloc[:fits], quality, conflicts_shown))
    if cut:
        note = (
            f"{cut:,} {'cell is' if cut == 1 else 'cells are'} longer than an Excel cell holds "
            f"({XLSX_MAX_CHARS:,} characters) and cut here, ending in '{XLSX_CUT.strip()}'; "
            "organisations.csv, "
            "organisations.parquet and the refine stage's conflicts.parquet hold them whole"
        )
        summary.write(row, 0, note, bold)
        row += 2
    for title, table in summary_tables(orgs).items():
        summary.write(row, 0, title, bold)
        _write_rows(summary, row + 1, table, head)
        row += len(table) + 3
    summary.set_column_width(0, 28)
    summary.set_column_width(1, 28)
    qs = _sheet(wb, "Quality", quality)
    _write_rows(qs, 0, quality, head)
    start = len(quality) + 3
    if start < XLSX_MAX_ROWS - 1:
        qs.write(start - 1, 0, "Conflicts (field values that disagreed across sources)", bold)
        _write_rows(qs, start, conflicts_shown, head)
    wb.close()
    _fix_created(path)


ROWS_PER_CALL = 20_000
"""Rows handed to the writer at a time: bounds the Python cells alive at once."""


def _write_rows(
    ws: Any,
    row: int,
    table: pd.DataFrame,
    head: Any,
    *,
    banded: tuple[int, list[Any]] | None = None,
) -> None:
    """``table``'s header (in ``head``) at ``row`` and its rows below, in row order (as a
    constant-memory sheet needs); missing values stay blank. ``banded`` = (column, one
    format per band of ``QUALITY_BANDS``): that column's cells get their band's format.

    Rows go to the writer in blocks of ``ROWS_PER_CALL``; a banded sheet goes row by row
    (two calls each), since the binding takes one format per call and its conditional
    formats are refused in constant-memory mode. Either way the cost is the conversion
    of the cells to Python values: 4 s for 267k rows of 24 columns."""
    ws.write_row(row, 0, [str(c) for c in table.columns], head)
    for s in range(0, len(table), ROWS_PER_CALL):
        chunk = pa.Table.from_pandas(table.iloc[s : s + ROWS_PER_CALL], preserve_index=False)
        columns = [_cut(c) for c in chunk.columns]
        rows = [list(r) for r in zip(*(c.to_pylist() for c in columns), strict=True)]
        if banded is None:
            ws.write_rows(row + 1 + s, 0, rows)
            continue
        col, formats = banded
        band = np.searchsorted(QUALITY_BANDS, chunk.column(col).to_numpy(), side="right")
        for r, (values, b) in enumerate(zip(rows, band.tolist(), strict=True), start=row + 1 + s):
            ws.write_row(r, 0, values)
            if values[col] is not None:
                ws.write(r, col, values[col], formats[b])


def _cut(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text longer than ``XLSX_MAX_CHARS`` cut to it, ending in ``XLSX_CUT``."""
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return column
    long = pc.fill_null(pc.greater(pc.utf8_length(column), XLSX_MAX_CHARS), False)
    if not pc.any(long).as_py():
        return column
    head = pc.utf8_slice_codeunits(column, 0, XLSX_MAX_CHARS - len(XLSX_CUT))
    cut, empty = pa.scalar(XLSX_CUT, column.type), pa.scalar("", column.type)
    return pc.if_else(long, pc.binary_join_element_wise(head, cut, empty), column)


def _too_long(table: pd.DataFrame) -> int:
    """Cells of ``table`` that :func:`_cut` cuts."""
    count = 0
    for _, col in table.items():
        if col.dtype == object or isinstance(col.dtype, pd.StringDtype):
            lengths = pc.utf8_length(pa.array(col, from_pandas=True).cast(pa.string()))
            count += pc.sum(pc.greater(lengths, XLSX_MAX_CHARS)).as_py() or 0
    return count


def _sheet(wb: Any, name: str, table: pd.DataFrame) -> Any:
    """A constant-memory sheet, frozen below its header, filtered and sized for ``table``."""
    ws = wb.add_worksheet(name, constant_memory=True)
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
    stamps the time of writing), so that equal content gives equal bytes.

    Only the archive's members from ``docProps/core.xml`` on are rewritten: the writer puts
    it after the sheets, which stay as they were compressed (re-compressing them took
    3.7 s at 1M source rows). ``start_dir`` is where zipfile's append mode writes the
    next member and then the directory; the file is cut after it."""
    stamp = XLSX_CREATED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path, "a") as book:
        members = book.infolist()
        first = next(i for i, m in enumerate(members) if m.filename == "docProps/core.xml")
        tail = members[first:]
        bodies = [book.read(m) for m in tail]
        for member in tail:
            book.filelist.remove(member)
            del book.NameToInfo[member.filename]
        book.start_dir = tail[0].header_offset
        for member, body in zip(tail, bodies, strict=True):
            if member.filename == "docProps/core.xml":
                body = _CREATED.sub(rb"\g<1>" + stamp + rb"\g<2>", body)
            book.writestr(member, body, compress_type=zipfile.ZIP_DEFLATED)


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
    out_dir = Path(out_dir)
    orgs = tables["organisations"]
    with atomic_dir(out_dir) as tmp:
        flat = flat_text(orgs)
        # the workbook (the longest part) is written by a forked child, beside the Parquet
        # and CSV files: as a thread it waited for the GIL that the CSV writer holds
        with Forked(write_xlsx, orgs, conflicts, tmp / "organisations.xlsx", flat=flat) as xlsx:
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
