"""Publish: deterministic Parquet/CSV, formula-injection safety, the formatted workbook."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from hotpass_lib.ingest import IngestResult
from hotpass_lib.profile import Profile, load_profile
from hotpass_lib.publish import joined, neutralise, publish, published_tables
from hotpass_lib.refine import refine
from hotpass_lib.store import load_table


def _publish(ingested: IngestResult, profile: Profile, out: Path) -> list[Path]:
    r = refine(ingested.organisations, ingested.contacts, ingested.addresses, profile)
    return publish(published_tables(r.tables(), ingested.tables()), r.conflicts, out)


def test_same_inputs_give_byte_identical_parquet_and_csv(
    ingested: IngestResult, profile: Profile, tmp_path: Path
) -> None:
    first = _publish(ingested, profile, tmp_path / "a")
    second = _publish(ingested, profile, tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        if a.suffix in {".parquet", ".csv"}:
            assert (
                hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
            ), a.name


def test_outputs_follow_the_contract(
    ingested: IngestResult, profile: Profile, tmp_path: Path
) -> None:
    files = {p.name for p in _publish(ingested, profile, tmp_path / "out")}
    assert {
        "organisations.parquet",
        "contacts.parquet",
        "quarantine.parquet",
        "review_queue.parquet",
        "organisations.csv",
        "organisations.xlsx",
    } <= files
    orgs = load_table(tmp_path / "out" / "organisations.parquet")
    assert isinstance(orgs.loc[0, "source_record_ids"], list)
    for column in (
        "organisation_id",
        "organisation_name",
        "organisation_slug",
        "province",
        "country",
        "website",
        "category",
        "organisation_type",
        "status",
        "primary_contact_name",
        "primary_contact_role",
        "primary_email",
        "primary_phone",
        "secondary_emails",
        "secondary_phones",
        "source_datasets",
        "source_record_ids",
        "selection_provenance",
        "data_quality_score",
        "data_quality_flags",
    ):
        assert column in orgs.columns, column
    book = openpyxl.load_workbook(tmp_path / "out" / "organisations.xlsx")
    assert book.sheetnames == ["Data", "Summary", "Quality"]
    assert book["Data"].freeze_panes == "A2" and book["Data"].auto_filter.ref


def test_formula_like_cells_are_neutralised() -> None:
    values = pd.Series(['=HYPERLINK("x")', "+27 82", "-1", "@SUM(A1)", "\tx", "Aero Club", None])
    assert neutralise(values).tolist() == [
        '\'=HYPERLINK("x")',
        "'+27 82",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "Aero Club",
        pd.NA,
    ]


def test_formula_in_an_input_cell_comes_out_neutralised(tmp_path: Path) -> None:
    from hotpass_lib.ingest import ingest

    folder = tmp_path / "in"
    folder.mkdir()
    crafted = '=HYPERLINK("http://evil.example","Click me")'
    pd.DataFrame(
        {"Company": [crafted, "Aero Club"], "Email": ["a@aero.co.za", "b@aero.co.za"]}
    ).to_csv(folder / "orgs.csv", index=False)
    result = ingest(folder, load_profile("generic"))
    r = refine(result.organisations, result.contacts, result.addresses, load_profile("generic"))
    tables = {
        "organisations": r.organisations,
        "contacts": r.contacts,
        "review_queue": r.review_queue,
        "quarantine": result.quarantine,
    }
    publish(tables, r.conflicts, tmp_path / "out")
    csv = pd.read_csv(tmp_path / "out" / "organisations.csv", dtype=str)
    assert "'" + crafted in set(csv["organisation_name"])
    sheet = openpyxl.load_workbook(tmp_path / "out" / "organisations.xlsx")["Data"]
    names = {c.value for c in sheet["B"]}
    assert "'" + crafted in names
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no formulas


def test_headline_numbers_account_for_every_row(ingested: IngestResult, profile: Profile) -> None:
    from hotpass_lib.publish import headline

    r = refine(ingested.organisations, ingested.contacts, ingested.addresses, profile)
    numbers = headline(published_tables(r.tables(), ingested.tables()), ingested.accounting)
    assert numbers["rows_read"] == (
        numbers["rows_accepted"] + numbers["rows_quarantined"] + numbers["rows_skipped_empty"]
    )
    assert numbers["organisations_out"] == len(r.organisations) > 0


@given(
    st.lists(
        st.none() | st.lists(st.text('a;= é"\n', max_size=3), max_size=3) | st.just([None]),
        max_size=8,
    )
)
def test_joined_lists_are_what_the_per_value_join_gives(cells: list[list | None]) -> None:
    """Lists joined in Arrow equal ``"; ".join(map(str, v))`` per value, and a column with
    missing items keeps the per-value join."""
    col = pd.Series(cells, dtype=object)
    expected = col.map(lambda v: "; ".join(map(str, v)) if isinstance(v, list) else v)
    assert neutralise(joined(col)).tolist() == neutralise(expected).tolist()


def test_a_sheet_over_excels_row_limit_is_cut_and_says_so(
    ingested: IngestResult, profile: Profile, tmp_path: Path, monkeypatch
) -> None:
    import hotpass_lib.publish as pub

    r = refine(ingested.organisations, ingested.contacts, ingested.addresses, profile)
    orgs, limit = r.tables()["organisations"], 40  # a stand-in for Excel's 1,048,576 rows
    assert len(orgs) > limit and len(r.conflicts)
    monkeypatch.setattr(pub, "XLSX_MAX_ROWS", limit)
    publish(published_tables(r.tables(), ingested.tables()), r.conflicts, tmp_path / "out")
    book = openpyxl.load_workbook(tmp_path / "out" / "organisations.xlsx")
    assert book["Data"].max_row == limit and book["Quality"].max_row <= limit
    notes = [c.value for c in book["Summary"]["A"] if c.value and "shows" in str(c.value)]
    assert notes[0] == (
        f"Data shows {limit - 1:,} of {len(orgs):,} organisations (an Excel sheet holds "
        f"{limit:,} rows); organisations.csv and organisations.parquet hold them all"
    )
    assert notes[1].startswith("Quality shows 0 of ")  # no room left for the conflict log
    assert len(pd.read_csv(tmp_path / "out" / "organisations.csv")) == len(orgs)  # all of them


def test_the_workbook_shows_what_the_csv_holds_with_scores_coloured_by_band(
    ingested: IngestResult, profile: Profile, tmp_path: Path
) -> None:
    """The Data sheet holds the CSV's cells (blank where the CSV is empty), each quality
    score filled with its band's colour; the document dates are fixed, so a second write
    gives the same bytes."""
    import zipfile

    from hotpass_lib.publish import QUALITY_BAND_COLOURS, QUALITY_BANDS

    files = _publish(ingested, profile, tmp_path / "a")
    book = tmp_path / "a" / "organisations.xlsx"
    csv = pd.read_csv(tmp_path / "a" / "organisations.csv", dtype=str, keep_default_na=False)
    sheet = openpyxl.load_workbook(book)["Data"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(csv.columns)
    shown = [["" if v is None else str(v) for v in row] for row in rows[1:]]
    assert shown == csv.to_numpy().tolist()
    score = list(csv.columns).index("data_quality_score") + 1
    for (cell,) in sheet.iter_rows(min_row=2, min_col=score, max_col=score):
        band = sum(cell.value >= edge for edge in QUALITY_BANDS)
        assert cell.fill.fgColor.rgb == "FF" + QUALITY_BAND_COLOURS[band].lstrip("#")
    with zipfile.ZipFile(book) as archive:
        assert archive.testzip() is None
        core = archive.read("docProps/core.xml").decode()
    assert core.count(">2025-01-01T00:00:00Z<") == 2  # created and modified
    again = _publish(ingested, profile, tmp_path / "b")
    assert [p.read_bytes() for p in files if p.suffix == ".xlsx"] == [
        p.read_bytes() for p in again if p.suffix == ".xlsx"
    ]


def test_a_cell_longer_than_excel_holds_is_cut_in_the_workbook_and_says_so(
    ingested: IngestResult, profile: Profile, tmp_path: Path
) -> None:
    """A cluster of a thousand rows lists a thousand record ids: more than an Excel cell's
    32,767 characters. The workbook cuts that cell and says so; the CSV keeps it whole."""
    from hotpass_lib.publish import XLSX_CUT, XLSX_MAX_CHARS

    r = refine(ingested.organisations, ingested.contacts, ingested.addresses, profile)
    tables = published_tables(r.tables(), ingested.tables())
    orgs = tables["organisations"].copy()
    ids = [f"Branches of a national chain.xlsx#Sheet1!{n}" for n in range(2, 1002)]
    orgs.at[0, "source_record_ids"] = ids
    publish({**tables, "organisations": orgs}, r.conflicts, tmp_path / "out")
    book = openpyxl.load_workbook(tmp_path / "out" / "organisations.xlsx")
    data = book["Data"]
    column = [c.value for c in data[1]].index("source_record_ids")
    cell = data.cell(2, column + 1).value
    whole = "; ".join(ids)
    assert len(whole) > XLSX_MAX_CHARS
    assert len(cell) == XLSX_MAX_CHARS and cell.endswith(XLSX_CUT)
    assert whole.startswith(cell.removesuffix(XLSX_CUT))
    notes = [c.value for c in book["Summary"]["A"] if c.value and "cut here" in str(c.value)]
    assert notes and notes[0].startswith(
        "1 cell is longer than an Excel cell holds (32,767 characters)"
    )
    csv = pd.read_csv(tmp_path / "out" / "organisations.csv", dtype=str)
    assert whole in set(csv["source_record_ids"])  # the CSV holds it whole
