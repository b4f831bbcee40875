"""Text steps that run in Arrow (RE2) equal their Python ``re`` references on any text."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpass_lib import normalise as norm
from hotpass_lib.normalise import SPACES

PATTERNS = [norm._MULTI_SPLIT, norm._PHONE_SPLIT, norm._EMAIL_SPLIT, r"\s*;\s*"]
alphabet = st.sampled_from([*SPACES, "\u200b", "\ufeff", ";", ",", "/", "|", "&", "a", "o"])
cells = st.lists(
    st.one_of(st.none(), st.text(alphabet=alphabet, max_size=14), st.text(max_size=6)),
    max_size=25,
)


def test_spaces_are_what_python_calls_whitespace() -> None:
    assert set(SPACES) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


@settings(max_examples=300, deadline=None)
@given(cells, st.sampled_from(PATTERNS))
def test_split_parts_equals_python_split(values: list[str | None], pattern: str) -> None:
    series = pd.Series(values, dtype="string", index=[f"r{i}" for i in range(len(values))])
    lines = series.str.replace(r"\s*[\r\n]+\s*", "; ", regex=True)  # a line break separates
    expected = norm.clean_text(lines).str.split(pattern, regex=True).explode()
    expected = expected[expected.notna() & (expected != "")]
    got = norm.split_parts(series, pattern)
    assert got.index.tolist() == expected.index.tolist()
    assert got.tolist() == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(cells)
def test_clean_text_equals_python_whitespace(values: list[str | None]) -> None:
    series = pd.Series(values, dtype="string")
    expected = series.str.replace(f"{norm.WS}+", " ", regex=True).str.strip()
    expected = expected.mask(expected == "")
    assert norm.clean_text(series).fillna("<NA>").tolist() == expected.fillna("<NA>").tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=8)), max_size=20))
def test_transliteration_skips_only_ascii(values: list[str | None]) -> None:
    series = pd.Series(values, dtype="string")
    expected = norm._map_distinct(series, norm._to_ascii).astype("string")
    assert norm._ascii(series).equals(expected)


def test_decimal_digits_are_what_python_calls_digits() -> None:
    import re

    from hotpass_lib.read import DECIMAL_DIGITS

    expected = {chr(c) for c in range(0x110000) if re.fullmatch(r"\d", chr(c))}
    assert {chr(c) for c in range(0x110000) if re.fullmatch(f"[{DECIMAL_DIGITS}]", chr(c))} == (
        expected
    )


def test_cells_as_text_keep_python_digit_rules() -> None:
    from hotpass_lib.read import _as_text

    rows = [["12.0", 3.0, "\u0663.0", "2025-01-01 00:00:00", "x\n", "  ", None, "-5.0", "1.0\n"]]
    assert _as_text(rows).iloc[0].fillna("<NA>").tolist() == [
        "12", "3", "\u0663", "2025-01-01", "x\n", "<NA>", "<NA>", "-5", "1\n",
    ]  # fmt: skip


SUFFIX_LISTS = st.lists(
    st.sampled_from(["(Pty) Ltd", "pty ltd", "pty", "ltd", "cc", "co", "ltd co", "inc", "gmbh"]),
    max_size=6,
)
NAME_WORDS = st.sampled_from(
    ["Pty", "(Pty)", "Ltd", "Ltd.", "CC", "co", "Co.", "inc", "GmbH", "t/a", "Trading as",
     "&", "Aero", "The", "the", "C", "C.", "M", "A", "D", "Seven", "Int", "l", "Intl",
     "International", "Services", "school", "Zinc", "Ltdco", "-", "Ромашка", "Café", "7"]
)  # fmt: skip


def _name_key_reference(names: pd.Series, legal_suffixes: list[str]) -> pd.Series:
    """``name_key`` as it was written for Python ``re``: suffixes removed with lookarounds."""
    import re

    key = norm._ascii(norm.clean_text(names)).str.lower()
    sp = f"[{SPACES}]"
    key = key.str.replace(rf"\btrading{sp}+as\b|\bt{sp}*/{sp}*a\b", " ta ", regex=True)
    key = norm._words(key.str.replace("&", " and ", regex=False))
    words = norm._ascii(pd.Series(sorted(set(legal_suffixes)), dtype="string")).str.lower()
    suffixes = sorted(set(norm._words(words).dropna()) - {""}, key=len, reverse=True)
    if suffixes:
        pattern = rf"(?<![a-z0-9])(?:{'|'.join(re.escape(s) for s in suffixes)})(?![a-z0-9])"
        while True:
            stripped = norm._words(key.str.replace(pattern, " ", regex=True))
            if stripped.equals(key):
                break
            key = stripped
    return key.mask(key == "")


def _canonical_reference(keys: pd.Series, legal_suffixes: list[str]) -> pd.Series:
    """``canonical`` as it was written: Python callbacks over every key, whole series."""
    import re

    from hotpass_lib.names import CANONICAL_WORDS

    words = sorted(CANONICAL_WORDS, key=len, reverse=True)
    pattern = r"\b(" + "|".join(re.escape(w) for w in words) + r")\b"
    out = keys
    for _ in range(4):
        step = out.str.replace(r"^(?:the )+", "", regex=True)
        step = step.str.replace(
            r"\b(?:[a-z] )+[a-z]\b", lambda m: m.group(0).replace(" ", ""), regex=True
        )
        step = step.str.replace(pattern, lambda m: CANONICAL_WORDS[m.group(1)], regex=True)
        step = norm.name_key(step, legal_suffixes).fillna(out)
        if step.equals(out):
            break
        out = step
    return out


names = st.lists(
    st.one_of(st.none(), st.lists(NAME_WORDS, max_size=7).map(" ".join), st.text(max_size=8)),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(names, SUFFIX_LISTS)
def test_name_key_equals_its_lookaround_reference(values: list, suffixes: list[str]) -> None:
    series = pd.Series(values, dtype="string")
    expected = _name_key_reference(series, suffixes)
    assert norm.name_key(series, suffixes).fillna("<NA>").tolist() == (
        expected.fillna("<NA>").tolist()
    )


@settings(max_examples=300, deadline=None)
@given(names, SUFFIX_LISTS)
def test_canonical_equals_its_python_reference(values: list, suffixes: list[str]) -> None:
    from hotpass_lib.names import canonical

    keys = norm.name_key(pd.Series(values, dtype="string", index=[7] * len(values)), suffixes)
    expected = _canonical_reference(keys, suffixes)
    got = canonical(keys, suffixes)
    assert got.index.equals(keys.index)
    assert got.fillna("<NA>").tolist() == expected.fillna("<NA>").tolist()


paren_text = st.lists(
    st.one_of(st.none(), st.text(alphabet=st.sampled_from("ab (x)-t/"), max_size=16)), max_size=10
)


@settings(max_examples=300, deadline=None)
@given(paren_text)
def test_parentheses_equal_python_extractall(values: list[str | None]) -> None:
    from hotpass_lib.names import _PAREN, _parentheses

    series = pd.Series(values, dtype="string", index=[f"r{i % 3}" for i in range(len(values))])
    got = _parentheses(series)
    if series.notna().any():
        expected = series.str.extractall(_PAREN)[0]
        assert got.index.tolist() == expected.index.tolist()
        assert got.tolist() == expected.tolist()
    else:
        assert got.empty


@settings(max_examples=300, deadline=None)
@given(paren_text)
def test_extract_equals_python_extract(values: list[str | None]) -> None:
    from hotpass_lib.names import _extract

    pattern = r"^(?P<base>.*?\S)\s+(?:[-]\s+(?P<dash>[^-]+)|(?P<word>\S+)\s+(?:ab|ba))\.?$"
    series = pd.Series(values, dtype="string")
    expected = series.str.extract(pattern)
    got = _extract(series, pattern)
    assert got.columns.tolist() == expected.columns.tolist()
    assert got.fillna("<NA>").to_numpy().tolist() == expected.fillna("<NA>").to_numpy().tolist()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet="12 \x1f\u00a0é\u0663ab/:hts.", max_size=14)))
)
def test_extract_equals_pandas_on_any_script(values: list[str | None]) -> None:
    for pattern in (r"^\s*(?P<n>\d+)\b", r"^https://(?P<host>[^/]+)", r"^h[^/]+(?P<p>/.+)$"):
        series = pd.Series(values, dtype="string")
        expected = series.str.extract(pattern)
        got = norm.extract(series, pattern)
        assert got.fillna("<NA>").to_numpy().tolist() == (
            expected.fillna("<NA>").to_numpy().tolist()
        )


def _reference_as_text(rows: list[list[object]]) -> pd.DataFrame:
    """``read._as_text`` as it was: pandas string methods, Python ``re`` where RE2 differs."""
    from hotpass_lib.read import DECIMAL_DIGITS

    width = max((len(r) for r in rows), default=0)
    frame = pd.DataFrame(rows, columns=range(width), dtype=object)
    text = frame.astype("string")
    d = f"[{DECIMAL_DIGITS}]"
    text = text.apply(lambda c: c.str.replace(rf"^(-?{d}+)\.0$", r"\1", regex=True))
    text = text.apply(
        lambda c: c.str.replace(rf"^({d}{{4}}-{d}{{2}}-{d}{{2}}) 00:00:00$", r"\1", regex=True)
    )
    blank = text.apply(lambda c: c.str.fullmatch(f"[{SPACES}]*", na=True))
    return text.mask(blank)


_CELL_TEXT = st.text(
    alphabet=st.sampled_from([*"0123456789-. :\n\r\t x", "\u0663", "\u00a0", "\u2003", "\x1c"]),
    max_size=22,
)
_CELLS = st.one_of(
    st.none(),
    _CELL_TEXT,
    st.sampled_from(["12.0", "-5.0\n", "2025-01-01 00:00:00", "2025-01-01 00:00:00\n", ""]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**18), 10**18),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.text(max_size=5),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_CELLS, max_size=5), max_size=8))
def test_cells_as_text_equal_the_pandas_reference(rows: list[list[object]]) -> None:
    from hotpass_lib.read import _as_text

    got, expected = _as_text(rows), _reference_as_text(rows)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.dtypes.tolist() == expected.dtypes.tolist()


@settings(max_examples=200, deadline=None)
@given(cells)
def test_clean_text_keeps_index_name_and_type(values: list[str | None]) -> None:
    series = pd.Series(
        values, dtype="string", name="col", index=[f"r{i}" for i in range(len(values))]
    )
    expected = series.str.replace(f"{norm.WS}+", " ", regex=True).str.strip()
    expected = expected.mask(expected == "")
    pd.testing.assert_series_equal(norm.clean_text(series), expected, check_exact=True)


def _reference_websites(values: pd.Series) -> pd.DataFrame:
    """``normalise_websites`` as it was: the URL pattern through pandas (Python ``re``)."""
    text = norm.clean_text(values).str.lower()
    parts = text.str.extract(norm._URL)
    host = parts["host"].str.strip(".")
    path = parts["path"].fillna("").str.rstrip("/")
    website = ("https://" + host + path).where(host.notna())
    social = host.fillna("").str.endswith(norm._SOCIAL_HOSTS) & host.notna()
    return pd.DataFrame(
        {"website": website.astype("string"), "website_is_social": social.astype(bool)}
    )


URL_PIECES = st.sampled_from(
    ["https://", "http://", "ftp+x.y-z://", "www.", "www2.", "WWW3.", "example", ".co.za", ".com",
     ".", "..", "-", "a", "Z", "9", "\u0663", "\u00e9", ":", ":8080", ":\u0663", "/", "/path",
     "?q=1", "#frag", " ", "\u00a0", "\u2003", "\n", "\t", "facebook.com", "fb.com/page", "x.com"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(URL_PIECES, max_size=7).map("".join)), max_size=12))
def test_websites_equal_the_python_re_reference(values: list[str | None]) -> None:
    series = pd.Series(values, dtype="string", index=[f"r{i}" for i in range(len(values))])
    pd.testing.assert_frame_equal(  # pandas' extract gave an empty input a RangeIndex
        norm.normalise_websites(series),
        _reference_websites(series),
        check_exact=True,
        check_index_type=bool(values),
    )


def _reference_contact_people(values: pd.Series) -> pd.DataFrame:
    """``parse_contact_people`` as it was: both patterns through pandas (Python ``re``)."""
    parts = norm.split_parts(values, r"\s*;\s*").astype("string")
    paren = parts.str.extract(r"^(?P<name>[^()]+?)\s*\((?P<role>[^()]+)\)\s*$")
    dash = parts.str.extract(r"^(?P<name>.+?)\s+[—–-]\s+(?P<role>.+)$")
    name = paren["name"].fillna(dash["name"]).fillna(parts)
    role = paren["role"].fillna(dash["role"])
    unlisted = parts.str.contains(r"not publicly listed", case=False, na=False)
    role_word = role.isna() & parts.str.contains(norm._ROLE_ONLY, na=False)
    role = role.where(~unlisted, name).where(~role_word, parts)
    name = name.mask(unlisted | role_word)
    out = pd.DataFrame({"name": name.astype("string"), "role": role.astype("string")})
    out["part"] = out.groupby(level=0).cumcount()
    return out


PERSON_PIECES = st.sampled_from(
    ["Jo", "Ann Lee", "Ромашка", "(", ")", "(CFI)", " (Owner) ", " — ", " – ", " - ", "-", ";",
     " ", "\u00a0", "\u2003", "\n", "Not Publicly Listed", "Admin", "Sales Office", "x"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.lists(PERSON_PIECES, max_size=8).map("".join)), max_size=10)
)
def test_contact_people_equal_the_python_re_reference(values: list[str | None]) -> None:
    series = pd.Series(values, dtype="string", index=[f"r{i}" for i in range(len(values))])
    got, expected = norm.parse_contact_people(series), _reference_contact_people(series)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
