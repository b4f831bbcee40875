"""Refine: one record per real organisation, stable ids, survivorship with provenance."""

from __future__ import annotations

import json

import pandas as pd

from hotpass_lib.ingest import IngestResult
from hotpass_lib.refine import refine


def _refined(ingested: IngestResult):
    return refine(ingested.organisations, ingested.contacts, ingested.addresses, "ZA")


def test_one_record_per_real_organisation(ingested: IngestResult, truth: pd.DataFrame) -> None:
    result = _refined(ingested)
    members = result.organisations[["organisation_id", "source_record_ids"]].explode(
        "source_record_ids"
    )
    joined = members.merge(truth, left_on="source_record_ids", right_on="source_record_id")
    assert len(joined) == len(members)
    assert (joined.groupby("organisation_id")["true_org_id"].nunique() == 1).all()  # precision
    assert (joined.groupby("true_org_id")["organisation_id"].nunique() == 1).all()  # recall


def test_every_accepted_row_is_in_one_record(ingested: IngestResult) -> None:
    result = _refined(ingested)
    ids = result.organisations["source_record_ids"].explode()
    assert ids.is_unique
    expected = set(ingested.organisations["source_record_id"]) | set(
        ingested.addresses["source_record_id"]
    )
    assert set(ids) == expected
    contact_ids = result.contacts["source_record_ids"].explode()
    assert set(contact_ids) == set(ingested.contacts["source_record_id"])


def test_ids_do_not_depend_on_row_order(ingested: IngestResult) -> None:
    first = _refined(ingested).organisations
    shuffled = IngestResult(
        **{
            **ingested.__dict__,
            "organisations": ingested.organisations.sample(frac=1, random_state=1),
            "contacts": ingested.contacts.sample(frac=1, random_state=2),
        }
    )
    second = _refined(shuffled).organisations
    pd.testing.assert_frame_equal(first, second)


def test_highest_priority_source_wins_and_says_so(ingested: IngestResult) -> None:
    result = _refined(ingested)
    orgs = result.organisations
    both = orgs[orgs["source_datasets"].map(lambda s: "sacaa" in s and len(s) > 1)]
    assert len(both) > 0
    for prov in both["selection_provenance"].map(json.loads):
        assert prov["organisation_name"]["source"] == "sacaa"
    conflicts = result.conflicts
    assert {"field", "chosen", "candidates", "organisation_id"} <= set(conflicts.columns)


def test_primary_contact_and_secondaries_do_not_overlap(ingested: IngestResult) -> None:
    orgs = _refined(ingested).organisations
    for primary, secondary in zip(orgs["primary_email"], orgs["secondary_emails"], strict=True):
        assert pd.isna(primary) or primary not in secondary
    assert orgs["data_quality_score"].between(0, 1).all()
    missing = orgs["primary_email"].isna()
    assert orgs.loc[missing, "data_quality_flags"].str.contains("missing_email").all()


def test_similar_names_are_queued_not_merged() -> None:
    base = {
        "source": "s",
        "priority": 1,
        "file": "f.xlsx",
        "sheet": "S",
        "alt_name": pd.NA,
        "alt_name_key": pd.NA,
        "org_key": pd.NA,
        "province": pd.NA,
        "status": pd.NA,
        "category": pd.NA,
        "organisation_type": pd.NA,
        "website": pd.NA,
        "address": pd.NA,
        "notes": pd.NA,
        "contact_person": pd.NA,
        "website_is_social": False,
        "emails": [[]] * 2,
        "invalid_emails": [[]] * 2,
        "phones": [[]] * 2,
        "invalid_phones": [[]] * 2,
        "last_contact_date": pd.NaT,
    }
    orgs = pd.DataFrame(
        {
            **base,
            "source_record_id": ["f.xlsx#S!2", "f.xlsx#S!3"],
            "organisation_name": ["Aeronav Academy", "Aeronav Academy Lanseria"],
            "name_key": ["aeronav academy", "aeronav academy lanseria"],
        }
    )
    empty = pd.DataFrame(
        columns=[
            "source_record_id",
            "organisation_source_record_id",
            "source",
            "priority",
            "name",
            "role",
            "is_mailbox",
            "emails",
            "phones",
        ]
    )
    addresses = pd.DataFrame(
        columns=["source_record_id", "organisation_source_record_id", "address"]
    )
    result = refine(orgs, empty, addresses, "ZA")
    assert len(result.organisations) == 2
    assert len(result.review_queue) == 1
    assert set(result.review_queue.iloc[0][["left_name", "right_name"]]) == {
        "Aeronav Academy",
        "Aeronav Academy Lanseria",
    }


def test_empty_review_queue_still_meets_its_contract(ingested: IngestResult) -> None:
    from hotpass_lib.contracts import ReviewPair

    orgs = ingested.organisations.head(1)
    result = refine(orgs, ingested.contacts.head(0), ingested.addresses.head(0), "ZA")
    assert result.review_queue.empty
    ReviewPair.validate(result.review_queue)
