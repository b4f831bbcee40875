"""Personal data masked where the data is: long, odd and international e-mails and phones
never reach a displayed table, a printed line or a rendered page."""

from __future__ import annotations

import re
import string

import nbformat
import pandas as pd
import phonenumbers
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hotpass_lib.privacy import mask_displays, mask_notebook, mask_text, masked

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.RFC3966,
]


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


@st.composite
def phones(draw: st.DrawFn) -> str:
    """Real numbering plans, written as libphonenumber does or as people do."""
    region = draw(st.sampled_from(REGIONS))
    kind = draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
        )
    )
    number = phonenumbers.example_number_for_type(region, kind)
    if number is None:
        number = phonenumbers.example_number(region) or phonenumbers.parse("+27823723529")
    text = phonenumbers.format_number(number, draw(st.sampled_from(FORMATS)))
    if draw(st.booleans()):  # by hand: national digits in groups, odd separators, (area)
        national = str(number.national_number)
        cuts = sorted(draw(st.sets(st.integers(1, len(national) - 1), max_size=3)))
        groups = [national[i:j] for i, j in zip([0, *cuts], [*cuts, len(national)], strict=True)]
        seps = draw(
            st.lists(st.sampled_from([" ", "-", ".", "/", "\u00a0"]), min_size=3, max_size=3)
        )
        if draw(st.booleans()) and len(groups) > 1:
            groups[0] = f"(0{groups[0]})"
        text = groups[0] + "".join(s + g for s, g in zip(seps, groups[1:], strict=False))
        if re.fullmatch(r"\d+\.\d+", text):  # one dot: a decimal number, not a phone
            text = text.replace(".", " ")
        if draw(st.booleans()):
            text = f"+{number.country_code} {text}"
    return text


LOCAL_CHARS = string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~" + "éüßøçñ"


@st.composite
def emails(draw: st.DrawFn) -> str:
    """Plain, long (past pandas' 50-character cut), odd and international addresses."""
    local = draw(
        st.one_of(
            st.emails().map(lambda e: e.rsplit("@", 1)[0]),
            st.text(LOCAL_CHARS, min_size=2, max_size=64),
            st.just("first.last.with.a.very.long.local.part.indeed"),
        )
    )
    domain = draw(
        st.one_of(
            st.emails().map(lambda e: e.rsplit("@", 1)[1]),
            st.just("springbokaircraftmaintenanceandrepairservices.co.za"),
            st.just("exämple.co.za"),
        )
    )
    return f"{local}@{domain}"


def _is_its_mask(text: str) -> bool:
    """A local part such as `*` or `**` reads the same as its own mask (`****`)."""
    local = text.rsplit("@", 1)[0]
    return f"{local[0]}***".endswith(local)


def _shown(frame: pd.DataFrame) -> str:
    """What a kernel shows for a frame: its HTML and plain-text forms, masked first."""
    view = masked(frame)
    return view._repr_html_() + repr(view)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(phone=phones(), before=st.sampled_from(["", "call ", "tel: ", "(", "Phone: "]))
def test_a_phone_in_any_format_keeps_at_most_its_last_two_digits(phone: str, before: str) -> None:
    if _digits(phone) < 8:  # short local numbers: masked in contact columns (next test)
        return
    out = mask_text(f"{before}{phone}; thanks")
    assert phone not in out
    assert _digits(out) == 2, (phone, out)


@settings(max_examples=200, deadline=None)
@given(phone=phones(), email=emails())
@example(phone="+24740123", email="*@A.AC")  # a local part that reads as its own mask
def test_no_value_of_a_contact_column_is_shown(phone: str, email: str) -> None:
    frame = pd.DataFrame(
        {
            "organisation_name": ["Aero Works"],
            "primary_phone": [phone],
            "emails": [[email, email.upper()]],
            "notes": [f"Ask for {email}" + (f" or ring {phone}" if _digits(phone) >= 8 else "")],
        }
    )  # a short local number in free text is not told from a count: see mask_text
    shown = _shown(frame)
    local, domain = email.rsplit("@", 1)
    assert email not in shown or _is_its_mask(email)
    assert f"{local}@" not in shown or len(local) == 1 or _is_its_mask(local)
    view = masked(frame)
    assert view.at[0, "emails"] == [
        f"{local[0]}***@{domain}",
        f"{email.upper()[0]}***@{email.upper().rsplit('@', 1)[1]}",  # 'ß'.upper() == 'SS'
    ]
    assert phone not in shown
    assert _digits(view.at[0, "primary_phone"]) == min(2, _digits(phone))  # the last two


@settings(max_examples=200, deadline=None)
@given(email=emails())
@example(email="*@springbokaircraftmaintenanceandrepairservices.co.za")
def test_a_long_email_is_masked_before_pandas_cuts_it(email: str) -> None:
    frame = pd.DataFrame({"primary_email": [email], "contact": [f"{email} (office)"]})
    with pd.option_context("display.max_colwidth", 50):
        shown = _shown(frame)
    local = email.rsplit("@", 1)[0]
    assert f"{local}@" not in shown or _is_its_mask(local)
    assert f"{local[0]}***@" in shown  # masked before the cut, so still masked after it


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-28",
        "2026-11-28T02:20:08.123Z",
        "run 20261127T153000Z-1a2b3c",
        "1120 rows, 305 e-mails, 0.534",
        "f1 0.98765432101",
        "mlflow 3.17.2",
        "Reachout Database.xlsx#Contact Info!17",
        "sha256 54a2288a0d33c4b7f1e9",
    ],
)
def test_numbers_that_are_no_phones_stay_readable(text: str) -> None:
    assert mask_text(text) == text


def test_masking_is_idempotent() -> None:
    text = "j.doe@x.co.za, (012) 345-6789, +27 82 372 3529"
    once = mask_text(text)
    assert once == "j***@x.co.za, (***) ***-**89, +** ** *** **29"
    assert mask_text(once) == once


def test_raw_cells_of_a_quarantined_row_are_masked() -> None:
    raw = '{"ID": "17", "Cell": "082 123", "E-mail": "a.b@c.com", "Notes": "x"}'
    assert mask_text(raw) == '{"ID": "17", "Cell": "*** *23", "E-mail": "a***@c.com", "Notes": "x"}'


def test_a_kernels_displays_are_masked_and_can_be_switched_off() -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import Markdown

    shell = InteractiveShell.instance()
    long_email = "first.last@springbokaircraftmaintenanceandrepairservices.co.za"
    frame = pd.DataFrame({"primary_email": [long_email], "phone": ["(012) 345-6789"]})
    try:
        mask_displays(True)
        data, _ = shell.display_formatter.format(frame)
        shown = data["text/html"] + data["text/plain"]
        assert "first.last" not in shown and "345-6789" not in shown
        assert "f***@" in shown
        data, _ = shell.display_formatter.format(Markdown(f"Write to {long_email}"))
        assert "first.last" not in data["text/markdown"]
        data, _ = shell.display_formatter.format("ring (012) 345-6789")
        assert "345-6789" not in data["text/plain"]
        mask_displays(False)
        data, _ = shell.display_formatter.format(frame)
        assert "first.last" in data["text/plain"]
    finally:
        mask_displays(False)
        InteractiveShell.clear_instance()


def test_printed_text_and_errors_of_an_executed_notebook_are_masked() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(...)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="mail jane.doe@aero.co.za\n"),
        nbformat.v4.new_output(
            "error", ename="ValueError", evalue="bad phone 0823723529", traceback=["0823723529"]
        ),
    ]
    nb.cells.append(cell)
    mask_notebook(nb)
    text = nbformat.writes(nb)
    assert "jane.doe" not in text and "0823723529" not in text
