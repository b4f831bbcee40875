"""Bad input stops ingest with an error naming the file (and sheet, row, column) and the fix.

Every broken file here is built by the test itself from a good synthetic workbook.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter
from msoffcrypto.format.ooxml import OOXMLFile

from hotpass_lib.ingest import ingest
from hotpass_lib.profile import Profile
from hotpass_lib.read import InputError
from hotpass_lib.samples import CONTACT_DB_FILE, REACHOUT_FILE, SACAA_FILE


def _sheet(path: Path, name: str, rows: list[list[str]]) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(name)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write_string(r, c, value)
    wb.close()


def _empty_file(folder: Path, good: Path) -> None:
    (folder / SACAA_FILE).write_bytes(b"")


def _truncated(folder: Path, good: Path) -> None:
    data = (good / SACAA_FILE).read_bytes()
    (folder / SACAA_FILE).write_bytes(data[: len(data) // 2])


def _corrupt_zip(folder: Path, good: Path) -> None:
    (folder / SACAA_FILE).write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)


def _encrypted(folder: Path, good: Path) -> None:
    with (good / SACAA_FILE).open("rb") as src, (folder / SACAA_FILE).open("wb") as out:
        OOXMLFile(src).encrypt("secret", out)


def _html_renamed(folder: Path, good: Path) -> None:
    (folder / SACAA_FILE).write_text("<html><body><table><tr><td>x</td></tr></table></body></html>")


def _csv_renamed(folder: Path, good: Path) -> None:
    (folder / SACAA_FILE).write_text("Name of Organisation,Province\nAero Club,Gauteng\n")


def _binary_junk(folder: Path, good: Path) -> None:
    (folder / SACAA_FILE).write_bytes(bytes([0xFF, 0xFE, 0x00, 0x81]) * 64)


def _empty_sheet(folder: Path, good: Path) -> None:
    _sheet(folder / SACAA_FILE, "Cleaned", [])


def _missing_sheet(folder: Path, good: Path) -> None:
    _sheet(folder / SACAA_FILE, "Sheet1", [["Name of Organisation"], ["Aero Club"]])


def _missing_column(folder: Path, good: Path) -> None:
    _sheet(
        folder / SACAA_FILE,
        "Cleaned",
        [["Organisation Title", "Province"], ["Aero Club", "Gauteng"]],
    )


def _missing_link_column(folder: Path, good: Path) -> None:
    shutil.copy(good / SACAA_FILE, folder)
    wb = xlsxwriter.Workbook(str(folder / REACHOUT_FILE))
    wb.add_worksheet("Organisation").write_row(0, 0, ["Organisation Name", "ID"])
    wb.get_worksheet_by_name("Organisation").write_row(1, 0, ["Aero Club", "2"])
    wb.add_worksheet("Contact Info").write_row(0, 0, ["Organisation Name", "Firstname", "Email"])
    wb.close()


def _no_matching_file(folder: Path, good: Path) -> None:
    (folder / "notes.txt").write_text("nothing to read here")


CASES: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "empty file": (_empty_file, r"SACAA Flight Schools - Cleaned\.xlsx: the file is empty.*Fix"),
    "truncated xlsx": (_truncated, r"Cleaned\.xlsx: the workbook is corrupt or truncated.*Fix"),
    "corrupt zip": (_corrupt_zip, r"Cleaned\.xlsx: the workbook is corrupt or truncated"),
    "password-protected": (_encrypted, r"Cleaned\.xlsx: the workbook is password-protected.*Fix"),
    "html renamed": (_html_renamed, r"Cleaned\.xlsx: this is a text file \(CSV or HTML\).*Fix"),
    "csv renamed": (_csv_renamed, r"Cleaned\.xlsx: this is a text file.*rename a CSV to \.csv"),
    "binary junk": (_binary_junk, r"Cleaned\.xlsx: not a workbook"),
    "empty sheet": (_empty_sheet, r"Cleaned\.xlsx sheet 'Cleaned' is empty.*Fix"),
    "missing sheet": (
        _missing_sheet,
        r"Cleaned\.xlsx: sheet 'Cleaned' not found \(sheets: \['Sheet1'\]\).*Fix",
    ),
    "missing column": (
        _missing_column,
        r"sheet 'Cleaned', header row 1: no column for 'organisation_name'.*closest headers found: 'Organisation Title'.*Fix",
    ),
    "missing link column": (
        _missing_link_column,
        r"Reachout Database\.xlsx sheet 'Contact Info', header row 1: no column for 'org_key'",
    ),
    "no matching workbook": (
        _no_matching_file,
        r"no workbook in .* matches profile 'aviation'.*Fix",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_named_with_the_fix(
    case: str, sample_dir: Path, profile: Profile, tmp_path: Path
) -> None:
    build, message = CASES[case]
    folder = tmp_path / "in"
    folder.mkdir()
    build(folder, sample_dir)
    with pytest.raises(InputError, match=message):
        ingest(folder, profile)


def test_missing_input_folder(profile: Profile, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"does not exist.*--input-dir"):
        ingest(tmp_path / "nowhere", profile)


def test_good_files_beside_a_broken_one_still_stop_the_run(
    sample_dir: Path, profile: Profile, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(sample_dir / CONTACT_DB_FILE, folder)
    _truncated(folder, sample_dir)
    with pytest.raises(InputError, match="corrupt or truncated"):
        ingest(folder, profile)
