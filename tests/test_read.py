"""Reading: header detection, unnamed/duplicate headers, numeric cells, CSV, openpyxl path."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xlsxwriter

from hotpass_lib.read import Workbook, _as_text, detect_header_row, read_sheet
from hotpass_lib.samples import CONTACT_DB_FILE


def _book(path: Path, rows: list[list[object]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None:
                ws.write(r, c, v)
    wb.close()
    return path


def test_header_found_under_a_title_row(sample_dir: Path) -> None:
    sheet = read_sheet(Workbook(sample_dir / CONTACT_DB_FILE), "CAA")
    assert sheet.header_row == 2
    assert list(sheet.frame.columns[:3]) == ["#", "AMO Number", "NAME"]
    assert sheet.frame.index[0] == 3  # Excel row numbers are kept


def test_unnamed_and_duplicate_headers(tmp_path: Path) -> None:
    path = _book(tmp_path / "x.xlsx", [[None, "Name", "Name", None], [1, "a", "b", "c"]])
    sheet = read_sheet(Workbook(path), "Data", header_row=1)
    assert list(sheet.frame.columns) == ["column_A", "Name", "Name.2", "column_D"]


def test_numeric_cells_become_plain_text(tmp_path: Path) -> None:
    path = _book(tmp_path / "x.xlsx", [["Phone", "Ratio"], [27832269672, 0.5]])
    frame = read_sheet(Workbook(path), "Data").frame
    assert frame.loc[2, "Phone"] == "27832269672"
    assert frame.loc[2, "Ratio"] == "0.5"


def test_synonyms_pick_the_header_row() -> None:
    cells = pd.DataFrame([["Report", None], ["Notes", "x"], ["Company", "Website"]], dtype="string")
    assert detect_header_row(cells, {"company", "website"}) == 2


def test_csv_source_uses_the_file_stem_as_sheet(tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text("Company,Website\nAero Club,aero.co.za\n", encoding="utf-8")
    book = Workbook(path)
    assert book.sheet_names == ["orgs"]
    assert read_sheet(book, "orgs").frame.loc[2, "Company"] == "Aero Club"


def test_openpyxl_fallback_reads_cached_values_like_calamine(sample_dir: Path) -> None:
    book = Workbook(sample_dir / CONTACT_DB_FILE)
    fast = book.rows("Company_Cat")
    book._calamine = None  # force the fallback reader on the same file
    book._open_openpyxl()
    slow = book.rows("Company_Cat")
    pd.testing.assert_frame_equal(_as_text(fast), _as_text(slow))
    assert not any(str(v).startswith("=") for row in slow for v in row)  # never formula text
