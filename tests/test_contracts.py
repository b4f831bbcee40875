"""Contracts: committed exports match the models; each constraint catches what it should."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpass_lib import contracts
from hotpass_lib.ingest import IngestResult
from hotpass_lib.profile import Profile
from hotpass_lib.refine import refine
from hotpass_lib.runner import PROJECT_DIR
from hotpass_lib.validate import check_contract

from .helpers import hotpass


def test_committed_exports_match_the_models() -> None:
    assert contracts.drift() == [], "run `hotpass contracts export` and commit contracts/"


def test_cli_drift_check_passes_on_the_checkout() -> None:
    done = hotpass("contracts", "export", "--check", cwd=PROJECT_DIR)
    assert done.returncode == 0, done.stderr


def test_json_schema_carries_the_constraints() -> None:
    schema = json.loads((contracts.CONTRACTS_DIR / "organisations.schema.json").read_text())
    props = schema["items"]["properties"]
    assert props["organisation_id"]["x-unique"] is True
    assert "enum" not in props["province"]  # official names: the GX suite, ZA profiles only
    assert props["country"]["type"] == ["string", "null"]
    assert props["primary_phone"]["pattern"] == contracts.E164
    assert props["secondary_emails"]["items"]["pattern"] == contracts.EMAIL
    assert props["data_quality_score"] == {"type": "number", "minimum": 0, "maximum": 1}


@pytest.fixture(scope="module")
def ssot(ingested: IngestResult, profile: Profile) -> pd.DataFrame:
    return refine(
        ingested.organisations, ingested.contacts, ingested.addresses, profile
    ).organisations


def _set(column: str, value: object, row: int = 0) -> Callable[[pd.DataFrame], None]:
    def mutate(frame: pd.DataFrame) -> None:
        frame[column] = frame[column].astype(object)
        frame.at[frame.index[row], column] = value

    return mutate


def _duplicate_id(frame: pd.DataFrame) -> None:
    frame.at[frame.index[1], "organisation_id"] = frame.at[frame.index[0], "organisation_id"]


def _primary_also_secondary(frame: pd.DataFrame) -> None:
    row = frame.index[frame["primary_email"].notna()][0]
    frame.at[row, "secondary_emails"] = [frame.at[row, "primary_email"]]


VIOLATIONS = {
    "duplicate organisation_id": (_duplicate_id, "organisation_id", "field_uniqueness"),
    "malformed organisation_id": (
        _set("organisation_id", "ORG-1"),
        "organisation_id",
        "str_matches",
    ),
    "empty name": (_set("organisation_name", ""), "organisation_name", "str_length"),
    "slug with spaces": (
        _set("organisation_slug", "Aero Club"),
        "organisation_slug",
        "str_matches",
    ),
    "three-letter country": (_set("country", "ZAF"), "country", "str_length"),
    "http website": (_set("website", "http://aero.co.za"), "website", "str_matches"),
    "invalid primary e-mail": (
        _set("primary_email", "not-an-email"),
        "primary_email",
        "str_matches",
    ),
    "non-E.164 phone": (_set("primary_phone", "082 123 4567"), "primary_phone", "str_matches"),
    "invalid secondary e-mail": (
        _set("secondary_emails", ["x@"]),
        "secondary_emails",
        "each_matches",
    ),
    "malformed source id": (
        _set("source_record_ids", ["row 7"]),
        "source_record_ids",
        "each_matches",
    ),
    "score above one": (
        _set("data_quality_score", 1.5),
        "data_quality_score",
        "less_than_or_equal_to",
    ),
    "unknown quality flag": (
        _set("data_quality_flags", "missing_vibes"),
        "data_quality_flags",
        "str_matches",
    ),
    "primary e-mail also secondary": (
        _primary_also_secondary,
        None,
        "primary e-mail is not also a secondary",
    ),
}


def test_a_valid_frame_passes(ssot: pd.DataFrame) -> None:
    assert check_contract(ssot, "organisations")["success"].all()


@pytest.mark.parametrize("case", list(VIOLATIONS))
def test_each_violation_is_named_by_column_and_check(case: str, ssot: pd.DataFrame) -> None:
    mutate, column, check = VIOLATIONS[case]
    frame = ssot.copy()
    mutate(frame)
    results = check_contract(frame, "organisations")
    failed = results[~results["success"]]
    hit = failed[failed["check"].str.contains(check)]
    assert len(hit) == 1, failed[["column", "check"]].to_dict("records")
    assert hit.iloc[0]["column"] == column
    assert hit.iloc[0]["failed_count"] >= 1


_ITEM_TEXT = st.lists(
    st.sampled_from(
        [*"+0123456789@.#!abz-", " ", "\n", "\u00a0", "\u2003", "\u0663", "x.xlsx", "S", "co"]
    ),
    max_size=12,
).map("".join)
_VALID_ITEMS = st.sampled_from(
    ["+27821234567", "+27821234567\n", "+2782123456\u0663", "a@b.co", "a@b.co\n", "a b@c.co",
     "f.xlsx#S!12", "f.xlsx#S!12\n", "f.xlsx#S!1\u0663", "f#S\n!1"]
)  # fmt: skip
_ITEM_LISTS = st.lists(
    st.one_of(st.none(), st.lists(st.one_of(st.none(), _ITEM_TEXT, _VALID_ITEMS), max_size=4)),
    max_size=10,
)


@settings(max_examples=400, deadline=None)
@given(_ITEM_LISTS, st.sampled_from(sorted(set(contracts.LIST_ITEMS.values()))))
def test_list_items_checked_in_arrow_equal_the_pandas_reference(
    rows: list[list[str | None] | None], pattern: str
) -> None:
    series = pd.Series(rows, dtype=object)
    got = contracts._items_match_arrow(series, pattern)
    pd.testing.assert_series_equal(got, contracts._items_match(series, pattern), check_exact=True)
