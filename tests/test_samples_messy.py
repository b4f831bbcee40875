"""The messy sample generator: readable by the aviation profile, fully labelled,
deterministic, and carrying hard negatives labelled as different organisations."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest

from hotpass_lib.evaluate import scores_against_folder
from hotpass_lib.ingest import IngestResult, ingest
from hotpass_lib.profile import Profile
from hotpass_lib.read import Workbook
from hotpass_lib.samples import CONTACT_DB_FILE, GROUND_TRUTH_FILE
from hotpass_lib.samples_messy import MessySampleResult, write_messy_samples


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> MessySampleResult:
    return write_messy_samples(tmp_path_factory.mktemp("messy") / "in", n_orgs=220, seed=11)


@pytest.fixture(scope="module")
def messy_ingested(messy: MessySampleResult, profile: Profile) -> IngestResult:
    return ingest(messy.ground_truth.parent, profile)


@pytest.fixture(scope="module")
def messy_truth(messy: MessySampleResult) -> pd.DataFrame:
    return pd.read_csv(messy.ground_truth, dtype=str, keep_default_na=False)


def test_the_aviation_profile_reads_every_sheet(messy_ingested: IngestResult) -> None:
    assert not messy_ingested.warnings
    read = set(messy_ingested.accounting["sheet"])
    assert read == {
        "Cleaned",
        "Organisation",
        "Contact Info",
        "Company_Cat",
        "Company_Contacts",
        "Company_Addresses",
        "10-10-25 Capture",
    }
    assert len(messy_ingested.organisations) > 220
    assert len(messy_ingested.contacts) > 100


def test_every_row_read_is_in_the_ground_truth(
    messy_ingested: IngestResult, messy_truth: pd.DataFrame
) -> None:
    assert messy_truth["source_record_id"].is_unique
    assert list(messy_truth.columns) == [
        "source_record_id",
        "expected",
        "true_org_id",
        "true_contact_id",
    ]
    r = messy_ingested
    seen = pd.concat(
        [
            r.organisations["source_record_id"],
            r.contacts["source_record_id"],
            r.addresses["source_record_id"],
            r.quarantine["source_record_id"],
            r.skipped["source_record_id"],
        ]
    )
    known = messy_truth.set_index("source_record_id")
    assert seen.isin(known.index).all()
    assert set(r.skipped["source_record_id"]) == set(known.index[known["expected"] == "skipped"])
    merged = known[known["expected"] == "merged"]
    assert (merged["true_org_id"] != "").all()
    contact_rows = merged[merged.index.str.contains("#(?:Contact Info|Company_Contacts)!")]
    assert len(contact_rows) > 100 and (contact_rows["true_contact_id"] != "").all()


def test_same_seed_gives_identical_output(tmp_path: Path) -> None:
    def digests(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    a = write_messy_samples(tmp_path / "a", n_orgs=40, seed=3)
    b = write_messy_samples(tmp_path / "b", n_orgs=40, seed=3)
    write_messy_samples(tmp_path / "c", n_orgs=40, seed=4)
    assert a.ground_truth.read_bytes() == b.ground_truth.read_bytes()
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert digests(tmp_path / "a")[GROUND_TRUTH_FILE] != digests(tmp_path / "c")[GROUND_TRUTH_FILE]
    pd.testing.assert_frame_equal(a.hard_negatives, b.hard_negatives)


def test_hard_negatives_are_present_and_kept_apart(
    messy: MessySampleResult, messy_ingested: IngestResult, messy_truth: pd.DataFrame
) -> None:
    pairs = messy.hard_negatives
    assert {"extra_word", "branch"} <= set(pairs["kind"])
    assert (pairs["left"] != pairs["right"]).all()
    orgs = messy_ingested.organisations.assign(
        true=messy_ingested.organisations["source_record_id"].map(
            messy_truth.set_index("source_record_id")["true_org_id"]
        )
    )
    rows = orgs.groupby("true")
    for pair in pairs.itertuples():
        left, right = rows.get_group(pair.left), rows.get_group(pair.right)  # both written
        if pair.kind == "extra_word":
            extra = pair.right_name.split()[-1].lower()
            has = re.compile(rf"{re.escape(extra)}\b")
            assert right["organisation_name"].str.lower().str.contains(has).all()
        else:  # branches: different provinces, and no phone in common
            assert left["province"].dropna().nunique() <= 1
            assert set(left["province"].dropna()).isdisjoint(set(right["province"].dropna()))
            assert set(left["phones"].explode().dropna()).isdisjoint(
                set(right["phones"].explode().dropna())
            )


def test_contacts_name_their_company_in_other_spellings(messy: MessySampleResult) -> None:
    book = Workbook(messy.ground_truth.parent / CONTACT_DB_FILE)
    companies = {str(r[1]) for r in book.rows("Company_Cat")[1:] if r[1]}
    refs = [str(r[1]) for r in book.rows("Company_Contacts")[1:] if r[1]]
    assert 0 < sum(ref not in companies for ref in refs) < len(refs)
    # lookup formulas cache 0 where the spelling differs from the catalogue
    assert any(r[0] in (0, 0.0, "0") for r in book.rows("Company_Contacts")[1:] if r[1])


def test_scores_against_folder_reads_the_ground_truth(messy: MessySampleResult) -> None:
    one = pd.DataFrame(
        {
            "organisation_id": ["o1"],
            "source_record_ids": [list(pd.read_csv(messy.ground_truth)["source_record_id"][:3])],
        }
    )
    scores = scores_against_folder(one, messy.ground_truth.parent)
    assert scores is not None and scores["records"] == 3
