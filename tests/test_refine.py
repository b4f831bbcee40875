"""Refine: one record per real organisation, stable ids, survivorship with provenance."""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpass_lib.evaluate import organisation_scores
from hotpass_lib.ingest import IngestResult
from hotpass_lib.profile import load_profile
from hotpass_lib.refine import _provenance_json, refine

PROFILE = load_profile("aviation")


def _refined(ingested: IngestResult, decisions: pd.DataFrame | None = None):
    return refine(ingested.organisations, ingested.contacts, ingested.addresses, PROFILE, decisions)


def test_organisations_match_the_ground_truth(ingested: IngestResult, truth: pd.DataFrame) -> None:
    """Pairwise precision 1 and recall at least 0.95 on the sample (typos included)."""
    scores = organisation_scores(_refined(ingested).organisations, truth)
    assert scores["precision"] >= 0.98 and scores["recall"] >= 0.95, scores


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


def _with_typo(ingested: IngestResult) -> IngestResult:
    """The sample plus one row: an existing organisation's row with a typo in its name,
    its phones and e-mails gone: only the name and website still agree."""
    orgs = ingested.organisations
    source = orgs[orgs["website"].notna()].iloc[0]
    typo = source.copy()
    name = source["name_key"]
    typo["name_key"] = name[:2] + name[3] + name[2] + name[4:]
    typo["organisation_name"] = typo["name_key"].title()
    typo["alt_name_key"] = pd.NA
    typo["source_record_id"] = "Extra.xlsx#Sheet!2"
    typo["emails"], typo["phones"] = [], []
    return IngestResult(
        **{
            **ingested.__dict__,
            "organisations": pd.concat([orgs, typo.to_frame().T], ignore_index=True),
        }
    )


def test_a_typo_is_matched_by_the_model(ingested: IngestResult) -> None:
    data = _with_typo(ingested)
    result = _refined(data)
    pairs = result.resolution.pairs
    hit = pairs[(pairs["left"] == "Extra.xlsx#Sheet!2") | (pairs["right"] == "Extra.xlsx#Sheet!2")]
    assert len(hit) >= 1 and hit["match_probability"].max() >= PROFILE.thresholds.match_probability
    cluster = result.organisations[
        result.organisations["source_record_ids"].map(lambda ids: "Extra.xlsx#Sheet!2" in ids)
    ]
    assert len(cluster) == 1 and len(cluster.iloc[0]["source_record_ids"]) >= 2
    assert "name: one typo apart" in hit.sort_values("match_probability").iloc[-1]["comparison"]


def test_reviewer_decisions_force_a_split_and_a_merge(ingested: IngestResult) -> None:
    data = _with_typo(ingested)
    merged = _refined(data).resolution.pairs
    pair = merged[
        merged["right"].eq("Extra.xlsx#Sheet!2") | merged["left"].eq("Extra.xlsx#Sheet!2")
    ].iloc[0]
    orgs = data.organisations.sort_values("source_record_id")
    strangers = orgs.drop_duplicates("name_key").iloc[[0, -1]]["source_record_id"].tolist()
    decisions = pd.DataFrame(
        [
            {"left": pair["left"], "right": pair["right"], "decision": "different", "note": ""},
            {"left": strangers[0], "right": strangers[1], "decision": "same", "note": ""},
        ]
    )
    result = _refined(data, decisions)
    owner = result.organisations.explode("source_record_ids").set_index("source_record_ids")[
        "organisation_id"
    ]
    assert owner[pair["left"]] != owner[pair["right"]]  # kept apart
    assert owner[strangers[0]] == owner[strangers[1]]  # forced together
    outcome = result.resolution.pairs.set_index(["left", "right"]).loc[
        (pair["left"], pair["right"]), "outcome"
    ]
    assert outcome == "kept apart by reviewer"


def test_review_queue_holds_only_doubtful_unmerged_pairs(ingested: IngestResult) -> None:
    queue = _refined(_with_typo(ingested)).review_queue
    low, high = PROFILE.thresholds.review_probability, PROFILE.thresholds.match_probability
    assert queue["match_probability"].between(low, high, inclusive="left").all()
    assert (queue["left_organisation_id"] != queue["right_organisation_id"]).all()
    assert queue["left_organisation_id"].lt(queue["right_organisation_id"]).all()


def test_empty_review_queue_still_meets_its_contract(ingested: IngestResult) -> None:
    from hotpass_lib.contracts import ReviewPair

    orgs = ingested.organisations.head(1)
    result = refine(orgs, ingested.contacts.head(0), ingested.addresses.head(0), PROFILE)
    assert result.review_queue.empty
    ReviewPair.validate(result.review_queue)


def test_contacts_keep_mobile_and_landline_apart(ingested: IngestResult) -> None:
    contacts = _refined(ingested).contacts
    assert (contacts["phones"].map(len) == contacts["phone_kinds"].map(len)).all()
    kinds = set(contacts["phone_kinds"].explode().dropna())
    assert {"mobile", "landline"} <= kinds  # Company_Contacts carries Cellnumber and Landline


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["organisation_name", "province", "website", "address"]),
        st.lists(
            st.tuples(
                st.integers(0, 5),
                st.one_of(st.none(), st.text(max_size=12)),
                st.one_of(st.none(), st.text(max_size=12)),
                st.integers(1, 9),
            ),
            max_size=6,
            unique_by=lambda t: t[0],
        ),
        max_size=4,
    ),
    st.sets(st.tuples(st.integers(0, 5), st.sampled_from(["province", "website"])), max_size=4),
)
def test_provenance_json_is_what_json_dumps_writes(
    fields: dict[str, list[tuple[int, str | None, str | None, int]]],
    clashes: set[tuple[int, str]],
) -> None:
    """The column-wise JSON equals ``json.dumps(..., sort_keys=True)`` of the per-cluster
    dictionaries (quotes, backslashes, non-ASCII and missing values included)."""
    clusters = pd.Index(range(6))
    provenance = {
        field: pd.DataFrame(
            {
                "source_record_id": [r for _, r, _, _ in rows],
                "source": [s for _, _, s, _ in rows],
                "priority": [p for _, _, _, p in rows],
            },
            index=[c for c, _, _, _ in rows],
        )
        for field, rows in fields.items()
    }
    conflicts = pd.DataFrame(sorted(clashes), columns=["cluster", "field"])
    expected = {c: {} for c in clusters}
    for field, rows in fields.items():
        for cluster, record, source, priority in rows:
            expected[cluster][field] = {
                "source": source,
                "record": record,
                "priority": priority,
                "rule": "highest source priority" if (cluster, field) in clashes else "only value",
            }
    got = _provenance_json(clusters, provenance, conflicts)
    assert got.tolist() == [json.dumps(expected[c], sort_keys=True) for c in clusters]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.integers()), max_size=15))
def test_ids_are_the_sha1_of_the_value_text(values: list) -> None:
    import hashlib

    from hotpass_lib.refine import _hash_id

    series = pd.Series(values, dtype=object, index=[f"k{i % 4}" for i in range(len(values))])
    expected = [
        "org_" + hashlib.sha1(str(v).encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
        for v in values
    ]
    got = _hash_id("org_", series)
    assert got.tolist() == expected and got.index.equals(series.index)
