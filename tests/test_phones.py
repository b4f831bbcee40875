"""The vectorised phone path equals the reference (``normalise._phone_e164``: phonenumbers
parse + is_valid_number + E.164) for every input: generated digits, real-shaped numbers of
several regions, and arbitrary text."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotpass_lib import phones
from hotpass_lib.normalise import _phone_e164, _phone_kind

REGIONS = ("ZA", "US", "GB", "DE", "AU", "IN", "BR", "AR")


def _check(values: list[str], region: str) -> None:
    expected = [_phone_e164(v, region) for v in values]
    assert phones.e164(values, region, _phone_e164) == expected


def _fast_only(values: list[str], region: str) -> list[str | None]:
    def refuse(raw: str, _: str) -> str | None:
        raise AssertionError(f"fell back for {raw!r}")

    return phones.e164(values, region, refuse)


def _example(region: str, kind: phonenumbers.PhoneNumberType) -> phonenumbers.PhoneNumber | None:
    return phonenumbers.example_number_for_type(region, kind)


@st.composite
def real_shaped(draw: st.DrawFn) -> str:
    """A number of some region in one of the shapes people type, digits perturbed."""
    region = draw(st.sampled_from((*REGIONS, "FR", "NL", "CA", "JE", "KE", "NG")))
    kind = draw(
        st.sampled_from(
            [
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE,
                phonenumbers.PhoneNumberType.TOLL_FREE,
            ]
        )
    )
    number = _example(region, kind) or _example(region, phonenumbers.PhoneNumberType.MOBILE)
    assert number is not None
    nsn = list(phonenumbers.national_significant_number(number))
    for _ in range(draw(st.integers(0, 3))):  # change, drop or add digits
        at = draw(st.integers(0, len(nsn) - 1))
        op = draw(st.sampled_from(["set", "drop", "add"]))
        digit = draw(st.sampled_from("0123456789"))
        if op == "set":
            nsn[at] = digit
        elif op == "drop" and len(nsn) > 2:
            del nsn[at]
        else:
            nsn.insert(at, digit)
    national = "".join(nsn)
    cc = str(number.country_code)
    prefix = phonenumbers.PhoneMetadata.metadata_for_region(region).national_prefix or ""
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return f"+{cc}{national}"
    if shape == 1:
        return f"+{cc} {national[:2]} {national[2:5]} {national[5:]}"
    if shape == 2:
        return f"{prefix}{national}"
    if shape == 3:
        return f"({prefix}{national[:2]}) {national[2:5]}-{national[5:]}"
    if shape == 4:
        return f"00{cc} {national}"
    if shape == 5:
        return f"{cc}{national}"  # plus lost
    if shape == 6:
        return f"{cc}{national}.0"  # a numeric cell read as float
    if shape == 7:
        return f"+{cc} ({prefix}){national}"
    if shape == 8:
        return f"{national} ext {draw(st.integers(1, 999))}"
    return f"{cc}{prefix}{national}"


digits_text = st.text(alphabet="0123456789", min_size=0, max_size=18)
phone_like = st.text(alphabet="0123456789+ -().0/x", min_size=0, max_size=22)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(real_shaped(), min_size=1, max_size=40), st.sampled_from(REGIONS))
def test_real_shaped_numbers_equal_the_reference(values: list[str], region: str) -> None:
    _check(values, region)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(digits_text, phone_like, st.text(max_size=12)), max_size=40),
    st.sampled_from(REGIONS),
)
def test_any_text_equals_the_reference(values: list[str], region: str) -> None:
    _check(values, region)


@pytest.mark.parametrize("region", ["ZA", "US", "GB", "DE"])
def test_common_shapes_need_no_fallback(region: str) -> None:
    values = ["+27 82 123 4567", "082 123 4567", "0027821234567", "27821234567.0", "n/a", ""]
    values += ["+1 212 555 0123", "+44 20 7946 0958", "+49 30 1234567"]
    if region == "US":
        values += ["(212) 555-0123", "212.555.0123", "1 212 555 0123"]
    if region == "GB":
        values += ["020 7946 0958", "07700 900123"]
    if region == "DE":
        values += ["030 1234567", "0151 23456789"]
    assert _fast_only(values, region) == [_phone_e164(v, region) for v in values]


def test_za_numbers_decide_as_the_library_does() -> None:
    got = _fast_only(["082 123 4567", "+27 (0)82 123 4567", "012 345", "27821234567"], "ZA")
    assert got == ["+27821234567", "+27821234567", None, "+27821234567"]


@st.composite
def e164_numbers(draw: st.DrawFn) -> str:
    """Every region's example numbers of every type, some with a digit changed, dropped
    or added (so invalid numbers and other regions' ranges come up too)."""
    region = draw(st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)))
    kind = draw(st.sampled_from(list(range(11))))
    number = phonenumbers.example_number_for_type(region, kind) or phonenumbers.example_number(
        region
    )
    digits = list(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:])
    if draw(st.booleans()):
        i = draw(st.integers(1, len(digits) - 1))
        edit = draw(st.sampled_from(["change", "drop", "add"]))
        digit = str(draw(st.integers(0, 9)))
        if edit == "change":
            digits[i] = digit
        elif edit == "drop":
            del digits[i]
        else:
            digits.insert(i, digit)
    return "+" + "".join(digits)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(e164_numbers(), min_size=1, max_size=40))
def test_phone_kinds_equal_the_reference(values: list[str]) -> None:
    assert phones.kinds(values, _phone_kind) == [_phone_kind(v) for v in values]


def test_phone_kinds_decide_common_numbers_without_the_library() -> None:
    values = ["+27821234567", "+27115551234", "+12015550123", "+442079460123", "+4915123456789"]

    def refuse(value: str) -> str:
        raise AssertionError(f"fell back for {value}")

    assert phones.kinds(values, refuse) == [_phone_kind(v) for v in values]
