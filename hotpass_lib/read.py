"""Reading workbooks and text tables into frames that remember each row's Excel row number.

python-calamine reads ``.xlsx``, ``.xlsm``, ``.xlsb``, ``.xls`` and ``.ods``; openpyxl
(``data_only``: cached formula values, never formula text) is the fallback for files
calamine rejects. ``.csv``, ``.tsv`` and ``.txt`` tables are decoded with the encoding
charset-normalizer detects and split on the delimiter the csv module sniffs. Every value
comes back as text (``27832269672.0`` from a numeric cell becomes ``27832269672``), blank
as NA.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import python_calamine
from anyascii import anyascii

from .errors import HotpassError
from .normalise import SPACES, _replace_where

HEADER_SCAN_ROWS = 20
BOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
SPREADSHEET_SUFFIXES = BOOK_SUFFIXES | TEXT_SUFFIXES
NOT_SOURCES = frozenset({"ground_truth.csv"})
"""Files in an input folder that are never data: the sample generator's answer key."""
DELIMITERS = ",;\t|"
DECIMAL_DIGITS = (
    "0-9\u0660-\u0669\u06f0-\u06f9\u07c0-\u07c9\u0966-\u096f\u09e6-\u09ef\u0a66-"
    "\u0a6f\u0ae6-\u0aef\u0b66-\u0b6f\u0be6-\u0bef\u0c66-\u0c6f\u0ce6-\u0cef"
    "\u0d66-\u0d6f\u0de6-\u0def\u0e50-\u0e59\u0ed0-\u0ed9\u0f20-\u0f29\u1040-"
    "\u1049\u1090-\u1099\u17e0-\u17e9\u1810-\u1819\u1946-\u194f\u19d0-\u19d9"
    "\u1a80-\u1a89\u1a90-\u1a99\u1b50-\u1b59\u1bb0-\u1bb9\u1c40-\u1c49\u1c50-"
    "\u1c59\ua620-\ua629\ua8d0-\ua8d9\ua900-\ua909\ua9d0-\ua9d9\ua9f0-\ua9f9"
    "\uaa50-\uaa59\uabf0-\uabf9\uff10-\uff19\U000104a0-\U000104a9\U00010d30-"
    "\U00010d39\U00011066-\U0001106f\U000110f0-\U000110f9\U00011136-\U0001113f"
    "\U000111d0-\U000111d9\U000112f0-\U000112f9\U00011450-\U00011459\U000114d0-"
    "\U000114d9\U00011650-\U00011659\U000116c0-\U000116c9\U00011730-\U00011739"
    "\U000118e0-\U000118e9\U00011950-\U00011959\U00011c50-\U00011c59\U00011d50-"
    "\U00011d59\U00011da0-\U00011da9\U00016a60-\U00016a69\U00016ac0-\U00016ac9"
    "\U00016b50-\U00016b59\U0001d7ce-\U0001d7ff\U0001e140-\U0001e149\U0001e2f0-"
    "\U0001e2f9\U0001e950-\U0001e959\U0001fbf0-\U0001fbf9"
)
"""What Python's ``\\d`` matches (``str.isdecimal``) as character-class ranges: spelt
out, a pattern runs in Arrow (RE2) instead of Python's ``re`` value by value."""


def is_spreadsheet(path: Path) -> bool:
    """Whether ``path`` is a workbook or text table Hotpass reads (not a lock or hidden
    file, not the samples' ground truth)."""
    return (
        path.is_file()
        and path.suffix.lower() in SPREADSHEET_SUFFIXES
        and not path.name.startswith(("~$", "."))
        and path.name not in NOT_SOURCES
    )


def spreadsheets(folder: Path) -> list[Path]:
    """The spreadsheets directly in ``folder``, by name."""
    return sorted(p for p in folder.iterdir() if is_spreadsheet(p))


class InputError(HotpassError, ValueError):
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


ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: encrypted OOXML or legacy .xls


def sniff(path: Path) -> str:
    """What a file really is: ``zip`` (xlsx), ``cfb`` (encrypted or .xls), ``text`` or
    ``empty``; raises :class:`InputError` for anything else."""
    head = path.read_bytes()[:512] if path.stat().st_size else b""
    if not head:
        return "empty"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(CFB_MAGIC):
        return "cfb"
    return "text" if _looks_like_text(head) else "binary"


def _looks_like_text(data: bytes) -> bool:
    """Text in some encoding: no NUL bytes (UTF-16 aside), few control characters, and
    line breaks or delimiters where there is more than a line's worth."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16", errors="strict")
        except UnicodeDecodeError:
            text = data[: len(data) - 1].decode("utf-16", errors="replace")
    elif b"\x00" in data:
        return False
    else:
        text = decode_text(data)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
    structured = len(text) < 80 or any(ch in text for ch in "\n,;\t|")
    return controls <= len(text) // 100 and structured and "\ufffd" not in text[:200]


def decode_text(data: bytes) -> str:
    """Bytes of a text table as text: UTF-8 (with or without BOM) when valid, else the
    encoding charset-normalizer finds most plausible (Latin-1, cp1252, UTF-16...)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("latin-1")


class Workbook:
    """An open workbook (or CSV): sheet names and rows of cached cell values.

    python-calamine reads; openpyxl (cached values only) is the fallback for files calamine
    rejects. Files that are not workbooks at all are refused with the reason and the fix.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._calamine: Any = None
        self._openpyxl: Any = None
        kind = sniff(path)
        if kind == "empty":
            raise InputError(
                f"{path.name}: the file is empty (0 bytes). Fix: re-export it, "
                "or remove it from the input folder."
            )
        if path.suffix.lower() in TEXT_SUFFIXES:
            if kind != "text":
                raise InputError(
                    f"{path.name}: not a text table (binary content). Fix: export the "
                    "sheet again as CSV, or give the file its real extension (.xlsx, .xls)."
                )
            self.sheet_names = [path.stem]
            return
        if kind == "text":
            raise InputError(
                f"{path.name}: this is a text file (CSV or HTML) named {path.suffix}, not a "
                "workbook. Fix: open it in Excel and save as .xlsx, or rename a CSV to .csv."
            )
        if kind == "cfb" and path.suffix.lower() in {".xlsx", ".xlsm", ".xlsb"}:
            raise InputError(
                f"{path.name}: the workbook is password-protected (encrypted), so it cannot be "
                "read. Fix: open it in Excel, remove the password (File > Info > Protect "
                "Workbook > Encrypt with Password) and save it again."
            )
        if kind == "binary":
            raise InputError(
                f"{path.name}: not a workbook (unrecognised binary content). "
                "Fix: save it as .xlsx from Excel."
            )
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
                f"{self.path.name}: the workbook is corrupt or truncated and cannot be opened "
                f"({type(exc).__name__}). Fix: re-save it from Excel, or restore a good copy."
            ) from None
        self.sheet_names = list(self._openpyxl.sheetnames)

    @property
    def reader(self) -> str:
        """Which reader reads this file, in words (``hotpass doctor`` reports it)."""
        if self.path.suffix.lower() in TEXT_SUFFIXES:
            return "the text-table reader (encoding and delimiter detected)"
        return "python-calamine" if self._calamine is not None else "openpyxl"

    def rows(self, sheet: str) -> list[list[object]]:
        """All rows of ``sheet`` from A1 (cached formula values), as Python lists."""
        if self.path.suffix.lower() in TEXT_SUFFIXES:
            return _text_rows(self.path)
        if self._calamine is not None:
            try:
                return self._calamine.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception:
                self._calamine = None
                self._open_openpyxl()
        assert self._openpyxl is not None
        try:
            ws = self._openpyxl[sheet]
            return [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
        except Exception as exc:
            raise InputError(
                f"{self.path.name} sheet {sheet!r}: cannot be read ({type(exc).__name__}: {exc})."
                " Fix: re-save the workbook from Excel."
            ) from None


def sniff_delimiter(text: str, suffix: str = ".csv") -> str:
    """The delimiter of a text table: what the csv module sniffs from its first lines,
    else the candidate splitting the most lines alike (tab for ``.tsv``)."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return "\t" if suffix == ".tsv" else ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    counts = {d: [line.count(d) for line in lines] for d in DELIMITERS}
    steady = {d: min(c) for d, c in counts.items() if min(c) > 0}
    if steady:
        return max(steady, key=lambda d: steady[d])
    return "\t" if suffix == ".tsv" else ","


def _text_rows(path: Path) -> list[list[object]]:
    """Rows of a text table (ragged rows allowed: Excel writes them)."""
    text = decode_text(path.read_bytes())
    delimiter = sniff_delimiter(text, path.suffix.lower())
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise InputError(
            f"{path.name}: not a readable table with delimiter {delimiter!r} ({exc}). Fix: "
            "check the delimiter and quoting, or save it from Excel as CSV UTF-8."
        ) from None


def _as_text(rows: list[list[object]]) -> pd.DataFrame:
    """Rows of mixed cells -> string frame; integral floats lose ``.0``; blanks -> NA.

    Column by column in Arrow (RE2): a trailing ``\\n?`` before ``$`` keeps the meaning
    of Python's ``$``, which also matches before a final line break."""
    width = max(map(len, rows), default=0)
    frame = pd.DataFrame(rows, columns=range(width), dtype=object)
    d = f"[{DECIMAL_DIGITS}]"
    columns = {}
    for name, cells in frame.items():
        text = _text_array(cells)
        floats = pc.or_(pc.ends_with(text, ".0"), pc.ends_with(text, ".0\n"))
        text = _replace_where(text, floats, rf"^(-?{d}+)\.0(\n?)$", r"\1\2")
        midnight = pc.match_substring(text, " 00:00:00")
        date = rf"^({d}{{4}}-{d}{{2}}-{d}{{2}}) 00:00:00(\n?)$"
        text = _replace_where(text, midnight, date, r"\1\2")
        blank = pc.fill_null(pc.match_substring_regex(text, f"^[{SPACES}]*$"), True)
        text = pc.if_else(blank, pa.scalar(None, text.type), text)
        columns[name] = pd.arrays.ArrowStringArray(text)
    return pd.DataFrame(columns, index=frame.index, columns=frame.columns)


def _text_array(cells: pd.Series) -> pa.Array:
    """A column of cells as Arrow text: as it is when every cell is text (or None), else
    each cell's ``str`` as pandas' ``astype("string")`` gives it."""
    if pd.api.types.infer_dtype(cells, skipna=True) in ("string", "empty"):
        try:  # a NaN (skipped above) is no text
            return pa.array(cells.to_numpy(), type=pa.large_string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    values = pa.array(cells.astype("string").array)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def norm_header(text: object) -> str:
    """Header text normalised for comparison: transliterated to ASCII (``Straße`` ->
    ``strasse``, ``Телефон`` -> ``telefon``), lower case, punctuation to spaces."""
    return re.sub(r"[^a-z0-9]+", " ", anyascii(str(text)).lower()).strip()


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
        normed = head.astype(object).map(lambda v: None if pd.isna(v) else norm_header(v))
        hits = normed.apply(lambda c: c.isin(list(synonyms)).fillna(False)).sum(axis=1)
        if hits.max() > 0:
            return int(hits.to_numpy().argmax())
    is_text = head.apply(lambda c: c.str.contains(r"[^\W\d_]", na=False))
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
