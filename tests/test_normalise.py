"""Normalisers: examples users rely on, and properties that hold for any input."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpass_lib import normalise as norm

SUFFIXES = ["(pty) ltd", "pty ltd", "ltd", "cc", "soc", "npc"]
text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)


def test_phone_forms_become_e164() -> None:
    raw = pd.Series(
        [
            "+27741426576",
            "+27 82 372 3529",
            "27832269672",
            "27832269672.0",
            "\u00a0082 372 3529\u00a0",
            "+27821234567; 011 234 5678",
            "012 345",
            None,
        ]
    )
    out = norm.normalise_phones(raw)
    assert out["phones"].tolist()[:6] == [
        ["+27741426576"],
        ["+27823723529"],
        ["+27832269672"],
        ["+27832269672"],
        ["+27823723529"],
        ["+27821234567", "+27112345678"],
    ]
    assert out.loc[6, "invalid_phones"] == ["012 345"] and out.loc[6, "phones"] == []
    assert out.loc[7, "phones"] == [] and out.loc[7, "invalid_phones"] == []
    kinds = norm.phone_kind(pd.Series(["+27821234567", "+27112345678"]))
    assert kinds.tolist() == ["mobile", "landline"]


def test_email_quirks() -> None:
    raw = pd.Series(
        [
            "\u00a0Info@Example.co.za.\u00a0",
            "a@b.co.za; c@d.com",
            "https://www.facebook.com/aeroclub",
            "n/a",
            None,
        ]
    )
    out = norm.normalise_emails(raw)
    assert out["emails"].tolist() == [["info@example.co.za"], ["a@b.co.za", "c@d.com"], [], [], []]
    assert out.loc[2, "invalid_emails"] == ["https://www.facebook.com/aeroclub"]
    assert out.loc[3, "invalid_emails"] == ["n/a"]


def test_websites_are_canonical_and_social_pages_recognised() -> None:
    raw = pd.Series(
        [
            "www.x.co.za",
            "HTTP://WWW.X.CO.ZA/About/?q=1#top",
            "x.co.za/",
            "https://www.facebook.com/aero",
            "not a site",
        ]
    )
    out = norm.normalise_websites(raw)
    assert out["website"].tolist()[:4] == [
        "https://x.co.za",
        "https://x.co.za/about",
        "https://x.co.za",
        "https://facebook.com/aero",
    ]
    assert pd.isna(out.loc[4, "website"])
    assert out["website_is_social"].tolist() == [False, False, False, True, False]


def test_provinces() -> None:
    aliases = {"KwaZulu-Natal": ["KZN", "Kwa-Zulu Natal"]}
    raw = pd.Series(["Kwa-Zulu Natal", "KZN", "kwazulu-natal", "Unknown", "", "gauteng"])
    assert norm.normalise_provinces(raw, aliases).tolist() == [
        "KwaZulu-Natal",
        "KwaZulu-Natal",
        "KwaZulu-Natal",
        pd.NA,
        pd.NA,
        "Gauteng",
    ]


def test_name_key_ignores_suffixes_trading_as_and_case() -> None:
    names = pd.Series(
        [
            "360 Aviation",
            "360 Aviation (pty) Ltd",
            "360-AVIATION CC",
            "X Holdings (t/a Y Air)",
            "X Holdings (trading as Y Air)",
        ]
    )
    keys = norm.name_key(names, SUFFIXES).tolist()
    assert keys[0] == keys[1] == keys[2] == "360 aviation"
    assert keys[3] == keys[4]


def test_contact_people_cells() -> None:
    raw = pd.Series(
        [
            "Jo Smith (Owner); Sam Dube (Sales)",
            "Accountable Manager (Not Publicly Listed)",
            "Lee Ndlovu — Head of Training",
        ]
    )
    out = norm.parse_contact_people(raw)
    assert out["name"].tolist() == ["Jo Smith", "Sam Dube", pd.NA, "Lee Ndlovu"]
    assert out["role"].tolist() == ["Owner", "Sales", "Accountable Manager", "Head of Training"]
    names = norm.split_full_name(
        pd.Series(["Dorrien Andrews", "-", "Admin", "Kelly"]),
        pd.Series([None, "-", None, "Armstrong"]),
    )
    assert names["name"].tolist() == ["Dorrien Andrews", pd.NA, pd.NA, "Kelly Armstrong"]
    assert names["is_mailbox"].tolist() == [False, True, True, False]


def test_dates() -> None:
    out = norm.normalise_dates(pd.Series(["2025-03-04", "04/03/2025", "45000", "nonsense"]))
    assert [str(d.date()) if pd.notna(d) else None for d in out] == [
        "2025-03-04",
        "2025-03-04",
        "2023-03-15",
        None,
    ]


@settings(max_examples=150, deadline=None)
@given(st.lists(text, min_size=1, max_size=8))
def test_phone_outputs_are_valid_e164_and_nothing_is_lost(values: list[str]) -> None:
    out = norm.normalise_phones(pd.Series(values))
    for phones, bad, raw in zip(out["phones"], out["invalid_phones"], values, strict=True):
        for p in phones:
            assert re.fullmatch(r"\+[1-9]\d{6,14}", p)
            assert phonenumbers.is_valid_number(phonenumbers.parse(p))
        if re.sub(r"[\s\u200b\ufeff;,/|]", "", raw):  # something was there: kept, valid or not
            assert phones or bad


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(text, st.emails()), min_size=1, max_size=8))
def test_email_outputs_are_trimmed_lowercase_and_valid(values: list[str]) -> None:
    out = norm.normalise_emails(pd.Series(values))
    for emails in out["emails"]:
        for e in emails:
            assert e == e.strip().lower() and "@" in e and not e.endswith(".")
            assert not re.search(r"\s", e)


@settings(max_examples=150, deadline=None)
@given(st.lists(text, min_size=1, max_size=8))
def test_websites_are_https_without_www_query_or_slash(values: list[str]) -> None:
    out = norm.normalise_websites(pd.Series(values))["website"].dropna()
    for url in out:
        assert url.startswith("https://") and not url.startswith("https://www.")
        assert "?" not in url and "#" not in url and not url.endswith("/")


@settings(max_examples=150, deadline=None)
@given(st.lists(text, min_size=1, max_size=8), st.sampled_from(["", " (Pty) Ltd", " CC", " LTD"]))
def test_name_key_is_idempotent_and_suffix_blind(values: list[str], suffix: str) -> None:
    names = pd.Series(values, dtype="string")
    keys = norm.name_key(names, SUFFIXES)
    again = norm.name_key(keys, SUFFIXES)
    both = keys.notna() & again.notna()
    assert (keys[both] == again[both]).all() or not both.any()
    with_suffix = norm.name_key(names + suffix, SUFFIXES)
    base = keys.notna() & ~names.str.lower().str.contains(r"\b(?:pty|ltd|cc|soc|npc)\b", na=True)
    assert (with_suffix[base] == keys[base]).all()
    slugs = norm.slugify(names).dropna()
    assert slugs.str.fullmatch(r"[a-z0-9-]*").all()


def _email_checked_whole(raw: str) -> str | None:
    """The reference: every address through email-validator as a whole."""
    text = raw.strip().strip("<>\"'()[]").rstrip(".").lower()
    text = text.removeprefix("mailto:")
    if "@" not in text or "/" in text or norm._PLACEHOLDER_EMAIL.match(text):
        return None
    return norm._validated(text)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.emails(),
        st.builds(lambda a, b: f"{a}@{b}", st.text(max_size=12), st.text(max_size=12)),
        st.builds(
            lambda e, junk: e.replace("@", junk + "@", 1),
            st.emails(),
            st.sampled_from([".", "..", " ", "é", '"q"', "ä"]),
        ),
    )
)
def test_per_domain_validation_agrees_with_whole_address_validation(raw: str) -> None:
    assert norm._email(raw) == _email_checked_whole(raw)


def test_name_key_strips_suffixes_at_any_non_alphanumeric_boundary() -> None:
    keys = norm.name_key(pd.Series(["0\x1bCC", "Acme_Pty_Ltd"], dtype="string"), SUFFIXES)
    assert keys.tolist() == ["0", "acme"]  # found by Hypothesis: "0\x1bCC" gave "0 cc"
    assert norm.name_key(keys, SUFFIXES).tolist() == keys.tolist()


def test_name_key_removes_a_suffix_that_another_suffix_split() -> None:
    keys = norm.name_key(pd.Series(["Bravo pty cc ltd"], dtype="string"), ["pty ltd", "cc"])
    assert keys.tolist() == ["bravo"]


@given(st.lists(st.none() | st.sampled_from(["+27821234567", "+27112345678", "+44800123456"])))
def test_phone_kind_is_the_per_value_map(values: list[str | None]) -> None:
    """Kinds by factorised codes equal the phonenumbers kind of each value (NA stays NA)."""
    series = pd.Series(values, dtype=object)
    distinct = series.dropna().unique()
    reference = {v: norm._phone_kind(v) for v in distinct}
    got = norm.phone_kind(series)
    assert got.isna().tolist() == series.isna().tolist()
    assert got.dropna().tolist() == series.dropna().map(reference).tolist()


# --- per-row lists by position equal the label-grouped reference ---------------------------


def _reference_regroup(
    frame: pd.DataFrame, index: pd.Index, col: str, good: str, bad: str
) -> pd.DataFrame:
    """The lists as they were collected before: grouped by index label (group_lists)."""
    from hotpass_lib.groups import group_lists

    frame = frame.dropna(subset=["raw"])
    ok = frame.dropna(subset=[col])
    ok = ok[~ok.set_index(col, append=True).index.duplicated()]
    bad_parts = frame[frame[col].isna()]
    out = pd.DataFrame(index=index)
    out[good] = group_lists(ok.index, ok[col], index=index)
    out[bad] = group_lists(bad_parts.index, bad_parts["raw"], index=index)
    return out


def _reference_phones(values: pd.Series, region: str = "ZA") -> pd.DataFrame:
    parts = norm.split_phone_cell(values)
    e164 = norm._e164(parts, region)
    slashed = parts[parts.str.contains("/", regex=False)]
    if len(slashed):
        pieces = slashed.reset_index(drop=True).str.split("/").explode()
        pieces = pieces[pieces.str.strip() != ""]
        valid = norm._e164(pieces, region)
        all_valid = valid.notna().groupby(level=0).all()
        split_ok = all_valid[all_valid].index
        if len(split_ok):
            position = pd.Series(range(len(parts)), index=parts.index)
            keep = ~position.isin(position[parts.str.contains("/", regex=False)].iloc[split_ok])
            owner = slashed.index[split_ok]
            moved = pd.DataFrame(
                {"raw": pieces.loc[split_ok].to_numpy(), "e164": valid.loc[split_ok].to_numpy()},
                index=owner.repeat(pieces.loc[split_ok].groupby(level=0).size().to_numpy()),
            )
            frame = pd.concat(
                [
                    pd.DataFrame({"raw": parts[keep.to_numpy()], "e164": e164[keep.to_numpy()]}),
                    moved,
                ]
            )
            frame = frame.iloc[pd.Index(frame.index).argsort(kind="stable")]
            return _reference_regroup(frame, values.index, "e164", "phones", "invalid_phones")
    frame = pd.DataFrame({"raw": parts, "e164": e164})
    return _reference_regroup(frame, values.index, "e164", "phones", "invalid_phones")


def _reference_emails(values: pd.Series) -> pd.DataFrame:
    parts = norm.split_parts(values, norm._EMAIL_SPLIT)
    distinct = parts.dropna().unique()
    checked = [norm._email(v) for v in distinct]
    frame = pd.DataFrame(
        {"raw": parts, "email": parts.map(dict(zip(distinct, checked, strict=True)))}
    )
    return _reference_regroup(frame, values.index, "email", "emails", "invalid_emails")


phone_piece = st.sampled_from(
    ["082 123 4567", "0821234567", "+27 82 123 4567", "011 234 5678", "27832269672.0", "123",
     "310/246-1501", "0821234567/0831234567", "082/083", "/", " / ", "x", "+1 212 555 0100",
     "0027 21 555 1234", "082 123 4567 or 083 765 4321", "\u00a0"]
)  # fmt: skip
email_piece = st.sampled_from(
    ["a@b.co", "A@B.CO", " a@b.co.", "mailto:x@y.org", "n/a", "bad@", "x@y", "www.site.com",
     "Ärger@müller.de", "a..b@c.com", "<c@d.org>"]
)  # fmt: skip
separator = st.sampled_from(["; ", ",", " / ", "\n", " | ", " ", ""])


@st.composite
def cells(draw: st.DrawFn, piece: st.SearchStrategy[str]) -> list[str | None]:
    out: list[str | None] = []
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.booleans()) and draw(st.booleans()):
            out.append(None)
            continue
        parts = draw(st.lists(st.one_of(piece, text), min_size=1, max_size=4))
        out.append(draw(separator).join(parts))
    return out


def _index(draw: st.DrawFn, size: int) -> pd.Index:
    """Labels as ingest has them, or repeated ones (lists then pool by label)."""
    if draw(st.booleans()):
        return pd.Index([f"f.xlsx#S!{i + 2}" for i in range(size)])
    return pd.Index(draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=size, max_size=size)))


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert got.index.equals(expected.index)
    assert got.columns.tolist() == expected.columns.tolist()
    for column in got:
        assert got[column].tolist() == expected[column].tolist()


@pytest.mark.parametrize(
    ("piece", "normalise", "reference"),
    [
        (phone_piece, norm.normalise_phones, _reference_phones),
        (email_piece, norm.normalise_emails, _reference_emails),
    ],
    ids=["phones", "emails"],
)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_lists_equal_the_label_grouped_reference(
    piece: st.SearchStrategy, normalise: Callable, reference: Callable, data: st.DataObject
) -> None:
    values = data.draw(cells(piece))
    series = pd.Series(values, index=_index(data.draw, len(values)), dtype=object)
    _same(normalise(series), reference(series))


def _reference_combine_address(*parts: pd.Series) -> pd.Series:
    """``combine_address`` as it was: every part cleaned again wherever it is joined."""

    def join(items: list[pd.Series], sep: str) -> pd.Series:
        out = pd.Series(pd.NA, index=items[0].index, dtype="string")
        for part in items:
            part = norm.clean_text(part)
            out = (out + sep + part).fillna(out).fillna(part)
        return out

    address, street, suburb, city, region, postcode = parts
    rest = join([suburb, city, join([region, postcode], " ")], ", ")
    address = norm.clean_text(address)
    cleaned_street = norm.clean_text(street)
    street_only = address.notna() & ~address.str.contains(",", na=False) & cleaned_street.isna()
    address = address.where(~street_only, join([address, rest], ", "))
    built = join([street, rest], ", ").where(norm.clean_text(street).notna())
    return address.fillna(built)


address_text = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from([*"ab1, ", "\u00a0", "\u2003", "\n", "\u200b", "\x1c"])),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(*[address_text] * 6), max_size=10))
def test_combine_address_equals_the_reference(rows: list[tuple[str | None, ...]]) -> None:
    columns = [pd.Series([r[i] for r in rows], dtype="string") for i in range(6)]
    got = norm.combine_address(*columns)
    pd.testing.assert_series_equal(got, _reference_combine_address(*columns), check_exact=True)
