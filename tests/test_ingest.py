"""Ingest: every row accounted for, linked, normalised; bad input named precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from hotpass_lib.ingest import IngestResult, ingest
from hotpass_lib.normalise import OFFICIAL_PROVINCES
from hotpass_lib.profile import Profile
from hotpass_lib.read import InputError
from hotpass_lib.samples import CONTACT_DB_FILE, SACAA_FILE


def _buckets(result: IngestResult) -> pd.DataFrame:
    merged = pd.concat(
        [
            result.organisations["source_record_id"],
            result.contacts["source_record_id"],
            result.addresses["source_record_id"],
        ]
    ).drop_duplicates()
    return pd.concat(
        [
            pd.DataFrame({"source_record_id": merged, "got": "merged"}),
            pd.DataFrame(
                {"source_record_id": result.quarantine["source_record_id"], "got": "quarantined"}
            ),
            pd.DataFrame(
                {"source_record_id": result.skipped["source_record_id"], "got": "skipped"}
            ),
        ]
    )


def test_every_row_lands_in_exactly_one_bucket(ingested: IngestResult, truth: pd.DataFrame) -> None:
    buckets = _buckets(ingested)
    assert buckets["source_record_id"].is_unique
    joined = truth.merge(buckets, on="source_record_id", how="outer", indicator=True)
    assert (joined["_merge"] == "both").all()
    assert (joined["expected"] == joined["got"]).all()


def test_accounting_adds_up(ingested: IngestResult) -> None:
    acc = ingested.accounting
    assert (acc["rows_read"] == acc["skipped_empty"] + acc["quarantined"] + acc["accepted"]).all()
    assert acc["skipped_empty"].sum() == len(ingested.skipped)
    assert set(acc["sheet"]) == {
        "Cleaned",
        "Organisation",
        "Contact Info",
        "Company_Cat",
        "Company_Contacts",
        "Company_Addresses",
        "10-10-25 Capture",
    }


def test_skipped_sheets_are_listed_with_row_counts(ingested: IngestResult) -> None:
    unread = ingested.unread.set_index("sheet")
    assert unread.loc["CAA", "rows"] > 0
    assert unread.loc["CAA", "reason"] == "skipped by profile"
    assert "ground_truth.csv" in set(ingested.unread["file"])


def test_record_ids_use_excel_row_numbers(ingested: IngestResult, sample_dir: Path) -> None:
    first = ingested.organisations.iloc[0]
    assert first["source_record_id"] == f"{SACAA_FILE}#Cleaned!2"


def test_contacts_attach_by_lookup_name_not_cid(ingested: IngestResult) -> None:
    contacts = ingested.contacts[
        ingested.contacts["source_record_id"].str.contains("Company_Contacts")
    ]
    assert len(contacts) > 0
    assert contacts["organisation_source_record_id"].str.contains("#Company_Cat!").all()


def test_values_are_normalised(ingested: IngestResult) -> None:
    orgs, contacts = ingested.organisations, ingested.contacts
    phones = pd.concat([orgs["phones"], contacts["phones"]]).explode().dropna()
    assert phones.str.fullmatch(r"\+27\d{9}").all()
    emails = pd.concat([orgs["emails"], contacts["emails"]]).explode().dropna()
    assert (emails == emails.str.strip().str.lower()).all() and not emails.str.endswith(".").any()
    assert orgs["website"].dropna().str.match(r"^https://(?!www\.)[^?#]+[^/]$").all()
    assert set(orgs["province"].dropna()) <= set(OFFICIAL_PROVINCES)


def test_missing_sheet_is_named_with_the_fix(
    sample_dir: Path, profile: Profile, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    wb = xlsxwriter.Workbook(str(folder / SACAA_FILE))
    wb.add_worksheet("Wrong").write_string(0, 0, "Name of Organisation")
    wb.close()
    with pytest.raises(
        InputError, match=r"SACAA Flight Schools - Cleaned.xlsx: sheet 'Cleaned' not found.*Fix"
    ):
        ingest(folder, profile)


def test_missing_column_names_file_sheet_and_key(profile: Profile, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    wb = xlsxwriter.Workbook(str(folder / SACAA_FILE))
    ws = wb.add_worksheet("Cleaned")
    for c, h in enumerate(["Organisation Title", "Province"]):
        ws.write_string(0, c, h)
    ws.write_string(1, 0, "Aero Club")
    wb.close()
    with pytest.raises(InputError) as info:
        ingest(folder, profile)
    message = str(info.value)
    assert "Cleaned" in message and "header row 1" in message
    assert "organisation_name" in message and "Organisation Title" in message


def _in_workers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Read sheets in worker processes whatever the input size or core count; the list
    collects the worker count of every pool started."""
    import hotpass_lib.ingest as module

    pools: list[int] = []

    class Pool(module.ProcessPoolExecutor):
        def __init__(self, workers: int, **kwargs: object) -> None:
            pools.append(workers)
            super().__init__(workers, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(module, "ProcessPoolExecutor", Pool)
    return pools


def test_sheets_read_in_worker_processes_give_the_same_tables(
    ingested: IngestResult, sample_dir: Path, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools = _in_workers(monkeypatch)
    result = ingest(sample_dir, profile)
    assert pools == [2]
    for name, table in ingested.tables().items():
        pd.testing.assert_frame_equal(result.tables()[name], table, obj=name)


def test_an_error_in_a_worker_process_is_the_same_error(
    sample_dir: Path, profile: Profile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    shutil.copytree(sample_dir, folder)
    wb = xlsxwriter.Workbook(str(folder / CONTACT_DB_FILE))
    wb.add_worksheet("Company_Cat").write_string(0, 0, "Organisation Title")
    wb.close()
    pools = _in_workers(monkeypatch)
    with pytest.raises(InputError, match=r"Contact Database.xlsx sheet 'Company_Cat'.*Fix"):
        ingest(folder, profile)
    assert pools == [2]


def test_no_matching_workbook_is_an_error(profile: Profile, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no workbook"):
        ingest(tmp_path, profile)


def test_csv_and_partial_folders_read(sample_dir: Path, profile: Profile, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(sample_dir / CONTACT_DB_FILE, folder)
    result = ingest(folder, profile)
    assert len(result.warnings) == 2  # two sources had no file
    assert set(result.organisations["source"]) == {"contact_db"}


def test_empty_quarantine_still_meets_its_contract(
    sample_dir: Path, profile: Profile, tmp_path: Path
) -> None:
    from hotpass_lib.contracts import QuarantineRow

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(sample_dir / SACAA_FILE, folder)  # a sheet with nothing to quarantine
    result = ingest(folder, profile)
    assert result.quarantine.empty
    QuarantineRow.validate(result.quarantine)


def test_only_deliberately_broken_phones_are_invalid(ingested: IngestResult) -> None:
    """The generator writes valid numbers except the junk value ``012 345``: every valid
    one must come out as E.164."""
    bad = pd.concat([ingested.organisations["invalid_phones"], ingested.contacts["invalid_phones"]])
    assert set(bad.explode().dropna()) <= {"012 345"}


def _linked_book(path: Path) -> Profile:
    wb = xlsxwriter.Workbook(str(path / "crm.xlsx"))
    orgs = wb.add_worksheet("Orgs")
    for r, row in enumerate(
        [["Company"], ["Kalahari Aero Solutions"], ["Virginia Flight School"], ["Aero Club"]]
    ):
        orgs.write_row(r, 0, row)
    people = wb.add_worksheet("People")
    for r, row in enumerate(
        [
            ["Company", "First Name", "Email"],
            ["M A D Investments (pty) Ltd (t/a Virginia Flight School)", "Ann", "a@vfs.co.za"],
            ["Kalahair Aero Solutions", "Ben", "b@kas.co.za"],
            ["Kalahari Aero Services Group", "Cid", "c@kasg.co.za"],
            ["Nothing Like Any Other", "Dee", "d@x.co.za"],
        ]
    ):
        people.write_row(r, 0, row)
    wb.close()
    return Profile.model_validate(
        {
            "name": "crm",
            "sources": [
                {
                    "name": "crm",
                    "files": "crm.xlsx",
                    "sheets": [
                        {"sheet": "Orgs", "columns": {"organisation_name": ["Company"]}},
                        {
                            "sheet": "People",
                            "kind": "contacts",
                            "link": {"sheet": "Orgs", "by": "name"},
                            "columns": {
                                "org_ref_name": ["Company"],
                                "first_name": ["First Name"],
                                "email": ["Email"],
                            },
                        },
                    ],
                }
            ],
        }
    )


def test_contacts_attach_by_any_name_form_and_doubtful_ones_wait_for_a_reviewer(
    tmp_path: Path,
) -> None:
    profile = _linked_book(tmp_path)
    result = ingest(tmp_path, profile)
    linked = result.contacts.set_index("source_record_id")["organisation_source_record_id"]
    assert linked["crm.xlsx#People!2"] == "crm.xlsx#Orgs!3"  # trading-as form
    assert linked["crm.xlsx#People!3"] == "crm.xlsx#Orgs!2"  # one typo
    codes = result.quarantine.set_index("source_record_id")["reason_code"]
    assert codes["crm.xlsx#People!4"] == "doubtful_link"  # close, not the same
    assert codes["crm.xlsx#People!5"] == "unlinked_contact"
    review = result.link_review.set_index("record_id")
    assert review.loc["crm.xlsx#People!4", "organisation_record_id"] == "crm.xlsx#Orgs!2"
    decisions = pd.DataFrame(
        [{"left": "crm.xlsx#People!4", "right": "crm.xlsx#Orgs!2", "decision": "same",
          "note": ""}]
    )  # fmt: skip
    decided = ingest(tmp_path, profile, decisions)
    attached = decided.contacts.set_index("source_record_id")["organisation_source_record_id"]
    assert attached["crm.xlsx#People!4"] == "crm.xlsx#Orgs!2"
    assert decided.link_review.empty
