"""What `hotpass init` infers from values: the country, the name column, field kinds;
and the name forms entity resolution relies on (properties over generated names)."""

from __future__ import annotations

import pandas as pd
import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpass_lib.infer import (
    domain_region,
    infer_region,
    legal_suffixes,
    looks_like,
    name_column,
    phone_region,
)
from hotpass_lib.names import canonical, name_forms
from hotpass_lib.normalise import name_key, normalise_phones

SUFFIXES = legal_suffixes("ZA")


def test_us_numbers_written_with_a_slash_are_american() -> None:
    found = phone_region(pd.Series(["310/246-1501", "212-555-0199", "(415) 555-2671"]))
    assert found.value == "US" and "valid as US numbers" in found.evidence


def test_numeric_cells_of_south_african_numbers_are_south_african() -> None:
    found = phone_region(pd.Series(["27832269672", "+27 82 372 3529", "011 123 4567"]))
    assert found.value == "ZA"


def test_international_numbers_of_several_countries_name_no_country() -> None:
    mixed = pd.Series(
        ["+7 495 123-45-67", "+81 3-1234-5678", "+86 10 1234 5678", "+44 20 7946 0018"]
    )
    found = phone_region(mixed)
    assert found.value is None and "several countries" in found.evidence


def test_without_phones_the_web_domains_tell_the_country() -> None:
    assert domain_region(pd.Series(["https://www.acme.co.uk", "info@bakery.co.uk"])).value == "GB"
    nothing = infer_region(pd.Series([], dtype="string"), pd.Series(["x.com"]), pd.Series([]))
    assert nothing.value is None


def test_dates_are_not_phone_numbers() -> None:
    assert looks_like(pd.Series(["2024-03-10", "10/03/2024"]), "phone") == 0.0
    assert looks_like(pd.Series(["012 345 6789", "+27 82 372 3529"]), "phone") == 1.0


def test_the_name_column_is_found_by_its_values() -> None:
    frame = pd.DataFrame(
        {
            "Code": ["FAOR", "FACT", "FALA", "FAGM"],
            "Where": ["12 Main Road", "3 Long Street", "9 Oak Avenue", "1 Bree St"],
            "Label": ["Oak Day Care", "Little Stars Preschool", "Sunrise Kids", "ABC Learning"],
            "Count": ["12", "40", "33", "7"],
        }
    )
    found = name_column(frame, list(frame.columns))
    assert found.value == "Label" and "by content" in found.evidence


def test_trading_as_forms_give_legal_and_trading_names() -> None:
    names = pd.Series(
        [
            "M A D Investments (pty) Ltd (t/a Virginia Flight School)",
            "Waterberg Heli Maintenance (Trading As Waterberg Aero) Ltd",
            "Karoo Air (T/AK aroo Wings)",
            "Lowveld Aero Club (Flight School)",
            "Acme Aviation - Kimberley",
        ]
    )
    forms = name_forms(names, SUFFIXES)
    assert forms["core"].tolist()[:3] == ["mad investments", "waterberg heli maint", "karoo air"]
    assert forms["trading"].tolist()[:3] == [
        "virginia flight school",
        "waterberg aero",
        "k aroo wings",
    ]
    assert forms["qualifier"].tolist()[3:] == ["flight school", "kimberley"]


WORD = st.sampled_from(
    ["Aero", "Aeronautical", "The", "Flight", "School", "C.C.", "Pty", "Ltd", "Seven", "7",
     "Kalahari", "Centre", "Center", "&", "and", "Intl", "International", "A", "B"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=6))
def test_canonical_names_are_a_fixpoint(words: list[str]) -> None:
    key = name_key(pd.Series([" ".join(words)]), SUFFIXES)
    once = canonical(key, SUFFIXES)
    assert canonical(once, SUFFIXES).equals(once)


def _valid(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


NUMBERS = [
    "+27823723529", "+27111234567", "+13102461501", "+12125550199", "+442079460018",
    "+4930123456",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3, unique=True),
    st.sampled_from(["; ", ", ", " / ", "/", " or ", "\n"]),
)
def test_several_numbers_in_a_cell_are_all_kept_and_never_split_inside(
    numbers: list[str], separator: str
) -> None:
    written = [
        phonenumbers.format_number(
            phonenumbers.parse(n), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        for n in numbers
    ]
    cell = separator.join(written)
    out = normalise_phones(pd.Series([cell]), "ZA").iloc[0]
    assert sorted(out["phones"]) == sorted(numbers)
    assert list(out["invalid_phones"]) == []
