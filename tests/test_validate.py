"""Validation gates: contracts name the failing column and check; error gates stop."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hotpass_lib.ingest import IngestResult
from hotpass_lib.profile import Profile
from hotpass_lib.validate import (
    GateError,
    check_contract,
    data_docs_index,
    gate,
    headline,
    load_suite,
    organisation_view,
    run_suites,
    small_samples_warn,
    validate_ingest,
)


def test_clean_sample_passes_every_blocking_check(
    ingested: IngestResult, profile: Profile, tmp_path: Path
) -> None:
    results = validate_ingest(ingested.tables(), profile, gx_dir=tmp_path / "gx")
    assert headline(results)["blocking_failures"] == 0
    gate(results)
    assert data_docs_index(tmp_path / "gx").is_file()
    assert {"canonical_organisations", "canonical_contacts", "quarantine"} <= set(results["suite"])


def test_invalid_emails_above_tolerance_stop_the_gate(
    ingested: IngestResult, profile: Profile
) -> None:
    tables = ingested.tables()
    orgs = tables["organisations"].copy()
    broken = orgs.index[: len(orgs) // 2]
    orgs.loc[broken, "invalid_emails"] = pd.Series([["not-an-email"]] * len(broken), index=broken)
    results = validate_ingest({**tables, "organisations": orgs}, profile)
    failed = results[~results["success"]]
    assert "emails_all_valid" in set(failed["column"])
    with pytest.raises(GateError, match="emails_all_valid"):
        gate(results)


def test_contract_failures_name_column_and_check(ingested: IngestResult) -> None:
    orgs = ingested.organisations.copy()
    orgs.loc[0, "source_record_id"] = "row 7"
    orgs.loc[1, "website"] = "http://insecure.example"
    results = check_contract(orgs, "canonical_organisations")
    failed = results[~results["success"]].set_index("column")
    assert "str_matches" in failed.loc["source_record_id", "check"]
    assert "str_matches" in failed.loc["website", "check"]
    assert failed.loc["source_record_id", "examples"] == ["row 7"]


def test_official_provinces_are_checked_for_south_african_profiles_only(
    ingested: IngestResult, profile: Profile
) -> None:
    orgs = ingested.organisations.copy()
    orgs.loc[0, "province"] = "Atlantis"
    view = organisation_view(orgs)
    za = run_suites([(view, load_suite("canonical_organisations", profile))])
    assert (
        not za.set_index("column")
        .loc["province"]
        .query("check.str.contains('in_set')")["success"]
        .any()
    )
    us = profile.model_copy(update={"country": "US"})
    elsewhere = run_suites([(view, load_suite("canonical_organisations", us))])
    in_set = elsewhere[elsewhere["check"].str.contains("in_set")]
    assert "province" not in set(in_set["column"])


def test_warn_gate_is_recorded_but_does_not_stop() -> None:
    results = pd.DataFrame(
        [
            {
                "suite": "s",
                "check": "c",
                "column": "x",
                "gate": "warn",
                "success": False,
                "failed_count": 3,
                "element_count": 9,
                "examples": [],
            }
        ]
    )
    gate(results)
    assert headline(results)["warnings"] == 1


def test_a_ratio_check_over_few_rows_warns_and_a_stop_names_rule_threshold_and_counts(
    profile: Profile,
) -> None:
    result = {
        "suite": "canonical_organisations",
        "check": "expect_column_values_to_be_in_set",
        "column": "phones_all_valid",
        "gate": "error",
        "success": False,
        "failed_count": 1,
        "element_count": 4,
        "examples": [],
        "mostly": 0.8,
        "why": "share of rows whose every phone parses to E.164",
    }
    few = small_samples_warn(pd.DataFrame([result]), profile.thresholds.min_rows_for_ratio)
    assert few.loc[0, "gate"] == "warn"
    gate(few)  # one bad phone in a 4-row sheet does not stop the run
    many = pd.DataFrame([{**result, "failed_count": 30, "element_count": 100}])
    with pytest.raises(GateError) as stop:
        gate(small_samples_warn(many, profile.thresholds.min_rows_for_ratio))
    message = str(stop.value)
    assert "30 of 100 rows fail (70% pass; the threshold is 80%)" in message
    assert "phones_all_valid" in message and "E.164" in message
