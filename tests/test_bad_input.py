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
from hotpass_lib.profile import Profile, load_profile
from hotpass_lib.read import InputError
from hotpass_lib.samples import CONTACT_DB_FILE, REACHOUT_FILE, SACAA_FILE

GENERIC = load_profile("generic")


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
    "binary named .csv": (
        lambda folder, good: (folder / "SACAA Flight Schools.csv").write_bytes(
            bytes(range(256)) * 8
        ),
        r"SACAA Flight Schools\.csv: not a text table.*Fix",
    ),
    "html named .xls": (
        lambda folder, good: (folder / "SACAA Flight Schools.xls").write_text(
            "<html><table><tr><td>x</td></tr></table></html>"
        ),
        r"SACAA Flight Schools\.xls: this is a text file.*Fix",
    ),
    "corrupt .ods": (
        lambda folder, good: (folder / "SACAA Flight Schools.ods").write_bytes(
            b"PK\x03\x04" + bytes(range(200))
        ),
        r"SACAA Flight Schools\.ods: the workbook is corrupt or truncated.*Fix",
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
        ingest(folder, GENERIC if case.endswith(("csv", "xls", "ods")) else profile)


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


# --- awkward but good input: accepted, run to the end, every row accounted for ----------


def _header_only(folder: Path, good: Path) -> None:
    _sheet(folder / "a.xlsx", "Data", [["Company", "Phone", "Email"]])


def _xlsm_copy(folder: Path, good: Path) -> None:
    shutil.copy(good / SACAA_FILE, folder / "SACAA Flight Schools - Cleaned.xlsm")


def _renamed(folder: Path, good: Path) -> None:
    shutil.copy(good / SACAA_FILE, folder / "Liste des écoles – SACAA (copie).xlsx")


def _latin1_semicolons(folder: Path, good: Path) -> None:
    (folder / "clubs.csv").write_bytes(
        "Société;Téléphone;Ville\nCafé Aéro;+27 82 372 3529;Pretoria\nÉcole Volé;;Durban\n".encode(
            "latin-1"
        )
    )


def _numeric_phones(folder: Path, good: Path) -> None:
    wb = xlsxwriter.Workbook(str(folder / "small.xlsx"))
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, ["Company", "Phone"])
    for r, (name, phone) in enumerate(
        [("Aero One", 27832269672), ("Aero Two", 27111234567), ("Aero Three", "2.78321E+10"),
         ("Aero Four", 27214567890)], start=1
    ):  # fmt: skip
        ws.write(r, 0, name)
        ws.write(r, 1, phone)
    wb.close()


def _non_latin(folder: Path, good: Path) -> None:
    _sheet(
        folder / "names.xlsx",
        "Sheet1",
        [["Name"], ["Ромашка"], ["شركة الطيران"], ["北京航空学校"], ["☕☕"], ["Ромашка"]],
    )


def _ods(folder: Path, good: Path) -> None:
    from tests.corpus.foreign import _ods as write_ods

    write_ods(folder / "list.ods", {"Sites": [["Site name", "Zip"], ["Oak Day Care", "60601"]]})


def _utf16_tabs(folder: Path, good: Path) -> None:
    (folder / "export.txt").write_bytes("Business Name\tCity\nBakery Ltd\tLeeds\n".encode("utf-16"))


def _empty_sheet_beside_a_good_one(folder: Path, good: Path) -> None:
    wb = xlsxwriter.Workbook(str(folder / "two.xlsx"))
    wb.add_worksheet("Empty")
    wb.add_worksheet("Data").write_row(0, 0, ["Company"])
    wb.get_worksheet_by_name("Data").write_row(1, 0, ["Acme Aero"])
    wb.close()


def _name_only_csv(folder: Path, good: Path) -> None:
    (folder / "names.csv").write_text("Organisation\nAcme\nACME (Pty) Ltd\n\n,\n")


ACCEPTED: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "header-only workbook": (_header_only, "generic"),
    "macro-enabled copy of a source": (_xlsm_copy, "aviation"),
    "renamed copy of a source": (_renamed, "aviation"),
    "Latin-1 CSV with semicolons": (_latin1_semicolons, "generic"),
    "phones as numbers in a 4-row sheet": (_numeric_phones, "generic"),
    "names in other scripts": (_non_latin, "generic"),
    "OpenDocument spreadsheet": (_ods, "generic"),
    "UTF-16 tab-separated text": (_utf16_tabs, "generic"),
    "empty sheet beside a good one": (_empty_sheet_beside_a_good_one, "generic"),
    "one-column list with blank rows": (_name_only_csv, "generic"),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_awkward_input_runs_to_the_end(case: str, sample_dir: Path, tmp_path: Path) -> None:
    from hotpass_lib.publish import published_tables
    from hotpass_lib.refine import refine
    from hotpass_lib.validate import gate, validate_ingest, validate_ssot

    build, profile_name = ACCEPTED[case]
    folder = tmp_path / "in"
    folder.mkdir()
    build(folder, sample_dir)
    profile = load_profile(profile_name)
    result = ingest(folder, profile)
    tables = result.tables()
    gate(validate_ingest(tables, profile))
    refined = refine(tables["organisations"], tables["contacts"], tables["addresses"], profile)
    published = published_tables(refined.tables(), tables)
    gate(validate_ssot(published, profile))
    orgs = published["organisations"]
    assert orgs["organisation_slug"].str.fullmatch(r"[a-z0-9-]+").all()
    placed = (
        set(orgs["source_record_ids"].explode().dropna())
        | set(published["quarantine"]["source_record_id"])
        | set(published["skipped_rows"]["source_record_id"])
    )
    assert len(placed) == result.headline()["rows_read"]
