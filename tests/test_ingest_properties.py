"""Ingest invariants on random messy sheets: every row conserved, nothing twice, repeatable."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotpass_lib.ingest import IngestResult, ingest
from hotpass_lib.profile import load_profile

GENERIC = load_profile("generic")
KNOWN = ["Company", "Email", "Phone", "Province", "Website", "Contact Person", "Notes"]
cell = st.one_of(
    st.just(""),
    st.just("   "),
    st.just("\u00a0"),
    st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=12),
    st.sampled_from(
        [
            "Aero Club (Pty) Ltd",
            "+27 82 372 3529",
            "a@b.co.za.",
            "KZN",
            "www.x.co.za/",
            "Jo Soap (Owner); -",
            "=1+1",
            "0",
        ]
    ),
)


@st.composite
def messy_frames(draw: st.DrawFn) -> pd.DataFrame:
    """A sheet with the name column, a random subset of known columns, extra and
    duplicated columns, and random cells (blank rows included)."""
    columns = ["Company", *draw(st.lists(st.sampled_from(KNOWN[1:]), max_size=6))]
    columns += draw(st.lists(st.sampled_from(["Extra", "Misc", "Column 9"]), max_size=2))
    rows = draw(
        st.lists(
            st.lists(cell, min_size=len(columns), max_size=len(columns)), min_size=1, max_size=25
        )
    )
    return pd.DataFrame(rows, columns=columns)  # duplicate headers kept as written


def _ids(result: IngestResult) -> dict[str, set[str]]:
    return {
        "orgs": set(result.organisations["source_record_id"]),
        "contacts": set(result.contacts["source_record_id"]),
        "quarantine": set(result.quarantine["source_record_id"]),
        "skipped": set(result.skipped["source_record_id"]),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_frames())
def test_rows_are_conserved_and_ingest_is_repeatable(frame: pd.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orgs.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        first, second = ingest(tmp, GENERIC), ingest(tmp, GENERIC)
    ids = _ids(first)
    expected = {f"orgs.csv#orgs!{r}" for r in range(2, len(frame) + 2)}
    assert ids["orgs"] | ids["quarantine"] | ids["skipped"] == expected
    assert not ids["orgs"] & ids["quarantine"]
    assert not ids["orgs"] & ids["skipped"] and not ids["quarantine"] & ids["skipped"]
    assert ids["contacts"] <= ids["orgs"]  # a row's contact rides with its organisation
    acc = first.accounting.iloc[0]
    assert (
        acc["rows_read"]
        == len(frame)
        == acc["accepted"] + acc["quarantined"] + acc["skipped_empty"]
    )
    for name, table in first.tables().items():
        pd.testing.assert_frame_equal(table, second.tables()[name], obj=name)
