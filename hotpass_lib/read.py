"""Reading workbooks and CSVs into text frames that remember each row's Excel row number.

python-calamine is the fast reader; openpyxl (``data_only``: cached formula values, never
formula text) is the fallback for files calamine rejects. Every value comes back as text
(``27832269672.0`` from a numeric cell becomes ``27832269672``), blank as NA.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import python_calamine

HEADER_SCAN_ROWS = 20


class InputError(ValueError):
    """Bad input: the message names the file, sheet, row and column, and the fix."""


@dataclass(frozen=True)
class Sheet:
    """A sheet's cells as text; ``frame.index`` holds the 1-based Excel row numbers."""

    file: str
    name: str
    header_row: int
    frame: pd.DataFrame


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class Workbook:
    """An open workbook (or CSV): sheet names and rows of cached cell values."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._calamine = None
        self._openpyxl = None
        if path.suffix.lower() == ".csv":
            self.sheet_names = [path.stem]
            return
        try:
            self._calamine = python_calamine.CalamineWorkbook.from_path(str(path))
            self.sheet_names = list(self._calamine.sheet_names)
        except Exception:  # calamine rejects some files openpyxl accepts
            self._open_openpyxl()

    def _open_openpyxl(self) -> None:
        import openpyxl

        try:
            self._openpyxl = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:
            raise InputError(
                f"{self.path.name}: cannot be read as a workbook ({exc}). "
                "Fix: save it as .xlsx from Excel, or remove it from the input folder."
            ) from None
        self.sheet_names = list(self._openpyxl.sheetnames)

    def rows(self, sheet: str) -> list[list[object]]:
        """All rows of ``sheet`` from A1 (cached formula values), as Python lists."""
        if self.path.suffix.lower() == ".csv":
            frame = pd.read_csv(self.path, header=None, dtype=str, keep_default_na=False)
            return frame.to_numpy().tolist()
        if self._calamine is not None:
            try:
                return self._calamine.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception:
                self._open_openpyxl()
        assert self._openpyxl is not None
        ws = self._openpyxl[sheet]
        return [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]


def _as_text(rows: list[list[object]]) -> pd.DataFrame:
    """Rows of mixed cells -> string frame; integral floats lose ``.0``; blanks -> NA."""
    width = max((len(r) for r in rows), default=0)
    frame = pd.DataFrame(rows, columns=range(width), dtype=object)
    text = frame.astype("string")
    text = text.apply(lambda c: c.str.replace(r"^(-?\d+)\.0$", r"\1", regex=True))
    text = text.apply(lambda c: c.str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", r"\1", regex=True))
    blank = text.apply(lambda c: c.str.fullmatch(r"[\s\u00a0]*", na=True))
    return text.mask(blank)


def norm_header(text: object) -> str:
    """Header text normalised for comparison (lower case, punctuation to spaces)."""
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def detect_header_row(cells: pd.DataFrame, synonyms: set[str] | None = None) -> int:
    """0-based position of the header row among the first rows.

    With ``synonyms`` (normalised header names the profile expects), the row matching the
    most of them wins; otherwise the first row whose text cells number at least 60% of the
    widest row's (so a title row above the header is passed over).
    """
    head = cells.head(HEADER_SCAN_ROWS)
    if head.empty:
        return 0
    if synonyms:
        normed = head.apply(
            lambda c: c.str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
        )
        hits = normed.apply(lambda c: c.isin(list(synonyms)).fillna(False)).sum(axis=1)
        if hits.max() > 0:
            return int(hits.to_numpy().argmax())
    is_text = head.apply(lambda c: c.str.contains(r"[A-Za-z]", na=False))
    counts = is_text.sum(axis=1)
    target = max(2, 0.6 * counts.max())
    above = counts[counts >= target]
    return int(above.index[0]) if len(above) else 0


def _headers(raw: pd.Series) -> list[str]:
    """Header texts; unnamed columns get ``column_<letter>``, duplicates ``name.2``..."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for pos, value in enumerate(raw.tolist()):
        name = str(value).strip() if not pd.isna(value) else f"column_{_column_letter(pos)}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}.{seen[name]}")
    return names


def read_sheet(
    book: Workbook, sheet: str, header_row: int | str = "auto", synonyms: set[str] | None = None
) -> Sheet:
    """Read one sheet (or CSV) under its header row; rows keep their Excel numbers."""
    if sheet not in book.sheet_names:
        raise InputError(
            f"{book.path.name}: sheet {sheet!r} not found (sheets: {book.sheet_names}). "
            "Fix: correct the sheet name in the profile, or add the sheet to the workbook."
        )
    cells = _as_text(book.rows(sheet))
    if header_row == "auto":
        pos = detect_header_row(cells, {norm_header(s) for s in synonyms or set()})
    else:
        pos = int(header_row) - 1
    if cells.empty:
        return Sheet(book.path.name, sheet, pos + 1, pd.DataFrame(index=pd.Index([], name="row")))
    body = cells.iloc[pos + 1 :].copy()
    body.columns = _headers(cells.iloc[pos])
    body.index = pd.Index(body.index + 1, name="row")
    return Sheet(book.path.name, sheet, pos + 1, body)
