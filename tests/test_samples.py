"""The sample generator reproduces the source layouts and is deterministic."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from hotpass_lib.read import Workbook
from hotpass_lib.samples import CONTACT_DB_FILE, REACHOUT_FILE, SACAA_FILE, write_samples


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    write_samples(tmp_path / "a", n_orgs=30, seed=3)
    write_samples(tmp_path / "b", n_orgs=30, seed=3)
    write_samples(tmp_path / "c", n_orgs=30, seed=4)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert _digests(tmp_path / "a") != _digests(tmp_path / "c")


def test_workbooks_have_the_real_sheets_and_headers(sample_dir: Path) -> None:
    sacaa = Workbook(sample_dir / SACAA_FILE)
    assert sacaa.sheet_names == ["Cleaned", "Issues", "Lists"]
    assert sacaa.rows("Cleaned")[0] == [
        "Name of Organisation",
        "Province",
        "Status",
        "Website URL",
        "Contact Person",
        "Contact Number",
        "Contact Email Address",
    ]
    reach = Workbook(sample_dir / REACHOUT_FILE)
    assert reach.sheet_names == ["Organisation", "Contact Info", "Sheet1"]
    db = Workbook(sample_dir / CONTACT_DB_FILE)
    assert len(db.sheet_names) == 14
    assert db.rows("CAA")[1][:3] == ["#", "AMO Number", "NAME"]  # header under a title row


def test_quirks_are_present(sample_dir: Path, tmp_path: Path) -> None:
    reach = Workbook(sample_dir / REACHOUT_FILE).rows("Organisation")
    formula_only = [r for r in reach[1:] if r[0] == "" and isinstance(r[1], float)]
    named = [r for r in reach[1:] if r[0]]
    assert len(formula_only) > 3 * len(named)  # IDs pre-filled far beyond the data
    contacts = Workbook(sample_dir / CONTACT_DB_FILE).rows("Company_Contacts")
    cells = [r[6] for r in contacts[1:] if r[1]]
    assert cells and all(isinstance(c, float) for c in cells)  # numeric phone cells
    larger = write_samples(tmp_path / "larger", n_orgs=300, seed=1).files[1]
    emails = [r[8] for r in Workbook(larger).rows("Contact Info")[1:] if isinstance(r[8], str)]
    assert any(e.startswith("\u00a0") for e in emails)  # non-breaking spaces
    assert any(e.endswith(".") for e in emails)  # trailing dot
    assert any(e.startswith("https://www.facebook.com/") for e in emails)  # pasted URL
    capture = Workbook(sample_dir / CONTACT_DB_FILE).rows("10-10-25 Capture")
    assert all(" — " in r[2] for r in capture[1:])


def test_ground_truth_covers_every_row_once(truth: pd.DataFrame) -> None:
    assert truth["source_record_id"].is_unique
    assert set(truth["expected"]) <= {"merged", "quarantined", "skipped"}
    merged = truth[truth["expected"] == "merged"]
    assert (merged["true_org_id"] != "").all()
    # the same organisation appears in more than one workbook
    files = merged.assign(file=merged["source_record_id"].str.split("#").str[0])
    assert (files.groupby("true_org_id")["file"].nunique() > 1).any()
