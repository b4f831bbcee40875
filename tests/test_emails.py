"""The vectorised e-mail path equals the reference (``normalise._email``: email-validator
for the domain of plain addresses, for the whole address otherwise) for every input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hotpass_lib import emails
from hotpass_lib.normalise import _checked_domain, _email


def _check(values: list[str]) -> None:
    assert emails.normalised(values, _email, _checked_domain) == [_email(v) for v in values]


label = st.text(alphabet="abcxyz019-", min_size=1, max_size=8)
tld = st.sampled_from(["com", "co.za", "org", "x1", "c-m", "test", "local", "arpa", "9", "-a"])
local = st.text(alphabet="abcXYZ09._+-'!%=", min_size=0, max_size=10)


@st.composite
def address(draw: st.DrawFn) -> str:
    host = ".".join([*draw(st.lists(label, min_size=0, max_size=3)), draw(tld)])
    if draw(st.booleans()):
        host = host.upper()
    text = f"{draw(local)}@{host}"
    wrap = draw(st.sampled_from(["{}", " {} ", "<{}>", "{}.", "mailto:{}", "\u00a0{}", "'{}'"]))
    return wrap.format(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(address(), max_size=30))
def test_generated_addresses_equal_the_reference(values: list[str]) -> None:
    _check(values)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet="ab.@-_/ xn\u00e9<>:", max_size=16) | st.text(max_size=12), max_size=30
    )
)
def test_any_text_equals_the_reference(values: list[str]) -> None:
    _check(values)


def test_real_shaped_addresses() -> None:
    values = [
        "jane.doe@horizonflightschool.co.za",
        "J.Doe42@Gmail.com.",
        "mailto:ops@sky-air.aero",
        "info@xn--mnchen-3ya.de",
        "a@b.test",
        "not listed",
        "https://www.facebook.com/jane",
        "first..last@x.com",
        "ab--cd@ab--cd.com",
        "x@" + "a" * 64 + ".com",
        "jos\u00e9@caf\u00e9.fr",
    ]
    _check(values)
