"""Vectorised normalisers for the canonical fields.

Each function takes a pandas Series of raw text and returns Series of the same index.
Expensive per-value work (phonenumbers, email-validator) runs once per *distinct* value
and is mapped back, so cost follows the number of distinct values, not rows.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from anyascii import anyascii
from email_validator import EmailNotValidError, validate_email

from . import emails, phones

WS = r"[\s\u00a0\u200b\ufeff]"
SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
SPACES += "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
"""What Python's ``\\s`` matches (``str.isspace``), spelt out: pandas runs a pattern without
``\\s`` in Arrow (RE2) over the whole array instead of Python's ``re`` value by value."""
_WS_RE2 = f"[{SPACES}\u200b\ufeff]"
_MULTI_SPLIT = r"\s*(?:;|,|/|\|| or |\n)\s*"
_EMAIL_SPLIT = r"[\s\u00a0;,]+"
_SOCIAL_HOSTS = (
    "facebook.com",
    "fb.com",
    "instagram.com",
    "linkedin.com",
    "twitter.com",
    "x.com",
    "tiktok.com",
    "youtube.com",
    "wa.me",
)
_PLACEHOLDER_EMAIL = re.compile(
    r"^(n/?a|none|nil|unknown|tbc|-+|\?+|not (publicly )?listed)$", re.I
)

OFFICIAL_PROVINCES: tuple[str, ...] = (
    "Eastern Cape",
    "Free State",
    "Gauteng",
    "KwaZulu-Natal",
    "Limpopo",
    "Mpumalanga",
    "Northern Cape",
    "North West",
    "Western Cape",
)


def _map_distinct(values: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    """Apply ``fn`` once per distinct non-null value and map results back."""
    distinct = values.dropna().unique()
    lookup = {v: fn(v) for v in distinct}
    return values.map(lookup)


_ODD_WS = "[" + SPACES.replace(" ", "") + "\u200b\ufeff]|  "
"""What :func:`clean_text`'s collapsing can change: whitespace other than lone spaces."""


def clean_text(values: pd.Series) -> pd.Series:
    """Trim (incl. non-breaking spaces), collapse inner whitespace; blank -> NA."""
    text = values.astype("string")
    if isinstance(text.array, pd.arrays.ArrowStringArray):  # collapse only where it changes
        arr = _arrow(text)
        arr = _replace_where(arr, pc.match_substring_regex(arr, _ODD_WS), f"{_WS_RE2}+", " ")
        text = pd.Series(pd.arrays.ArrowStringArray(arr), index=text.index, name=text.name)
    else:
        text = text.str.replace(f"{_WS_RE2}+", " ", regex=True)
    out = text.str.strip()
    return out.mask(out == "")


def _replace_where(text: pa.Array, candidates: pa.Array, pattern: str, repl: str) -> pa.Array:
    """``pattern`` replaced by ``repl`` (RE2) in the ``candidates`` only: the values it
    can match at all."""
    mask = pc.fill_null(candidates, False)
    if not pc.any(mask).as_py():
        return text
    found = pc.replace_substring_regex(text.filter(mask), pattern, repl)
    return pc.replace_with_mask(text, mask, found)


def split_parts(values: pd.Series, pattern: str = _MULTI_SPLIT) -> pd.Series:
    """The values of cells holding several, one per row (a line break always separates);
    the index repeats the cell's (blank cells and empty parts give no row). Split by Arrow
    (RE2) in one pass; the pattern's ``\\s`` and ``\\u`` escapes are spelt out for it
    (:func:`_re2`)."""
    rows, parts = _split(values, pattern)
    return pd.Series(
        parts.to_numpy(zero_copy_only=False), index=values.index.take(rows), dtype=object
    )


def _split(values: pd.Series, pattern: str) -> tuple[np.ndarray, pa.Array]:
    """:func:`split_parts` by position: each part's row position in ``values`` (in order)
    and the parts."""
    text = values.astype("string")
    breaks = f"[{SPACES}]*[\r\n]+[{SPACES}]*"
    if isinstance(text.array, pd.arrays.ArrowStringArray):  # only cells with a line break
        arr = _arrow(text)
        arr = _replace_where(arr, pc.match_substring_regex(arr, "[\r\n]"), breaks, "; ")
        text = pd.Series(pd.arrays.ArrowStringArray(arr), index=text.index, name=text.name)
    else:
        text = text.str.replace(breaks, "; ", regex=True)
    text = clean_text(text)
    valid = text.notna().to_numpy()
    cells = _arrow(text).filter(pa.array(valid))
    lists = pc.split_pattern_regex(cells, _re2(pattern))
    rows = np.flatnonzero(valid).take(pc.list_parent_indices(lists).to_numpy())
    flat = pc.list_flatten(lists)
    kept = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    return rows[kept], flat.filter(pa.array(kept))


def _arrow(text: pd.Series) -> pa.Array:
    """A string Series' values as one Arrow array (no copy for Arrow-backed strings)."""
    values = pa.array(text.array)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


@functools.cache
def _re2(pattern: str) -> str:
    """A Python pattern for RE2 with Python's meaning: ``\\s`` as the characters Python
    counts as whitespace, ``\\uXXXX`` as the character itself."""
    pattern = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), pattern)
    return pattern.replace("[\\s", f"[{SPACES}").replace("\\s", f"[{SPACES}]")


# --- phones -----------------------------------------------------------------------------


_PHONE_SPLIT = r"\s*(?:;|,|\||\n|\s+or\s+|\s+/\s+|\s+&\s+|\s+and\s+)\s*"
"""Separators that always part two numbers; a bare ``/`` only sometimes does."""


def _phone_e164(raw: str, region: str) -> str | None:
    text = re.sub(r"[^\d+]", "", raw)
    if not text:
        return None
    if re.fullmatch(r"\d+\.0", raw.strip()):  # a numeric cell read as float
        text = raw.strip()[:-2]
    if text.startswith("00"):
        text = "+" + text[2:]
    elif not text.startswith("+") and text.startswith("27") and len(text) == 11 and region == "ZA":
        text = "+" + text
    found = _parsed(text, region)
    if found is None and text.isdigit() and len(text) >= 10:  # international, plus lost
        found = _parsed("+" + text, region)
    return found


def _parsed(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _e164(values: pd.Series, region: str) -> pd.Series:
    """``_phone_e164`` of each value, computed once per distinct value by the vectorised
    :func:`hotpass_lib.phones.e164` (which falls back to ``_phone_e164`` itself)."""
    distinct = values.dropna().unique()
    lookup = dict(zip(distinct, phones.e164(list(distinct), region, _phone_e164), strict=True))
    return values.map(lookup)


def _per_distinct(values: pa.Array, fn: Callable[[list[str]], list]) -> np.ndarray:
    """``fn`` (of a list of distinct texts) once per distinct text of ``values`` (no
    nulls), spread back over ``values`` as an object array."""
    encoded = pc.dictionary_encode(values)
    out = np.empty(len(encoded.dictionary), dtype=object)
    out[:] = fn(encoded.dictionary.to_pylist())
    return out.take(encoded.indices.to_numpy(zero_copy_only=False))


def split_phone_cell(values: pd.Series) -> pd.Series:
    """Phone cells split on the separators that always part numbers (``;``, ``,``, ``|``,
    new line, `` or ``, `` / ``); the index repeats the cell's."""
    return split_parts(values, _PHONE_SPLIT)


def normalise_phones(values: pd.Series, region: str = "ZA") -> pd.DataFrame:
    """Phones -> ``phones`` (list of E.164) and ``invalid_phones`` (raw parts that failed).

    Handles numeric cells (``27832269672``, ``27832269672.0``), spaces, NBSP and several
    numbers in one cell. A part holding a bare ``/`` is split there only when every piece
    is a valid number on its own (``0821234567/0831234567``); otherwise the slash is part
    of the number's punctuation (``310/246-1501``). Invalid values are kept in
    ``invalid_phones`` for flagging.
    """
    rows, texts = _split(values, _PHONE_SPLIT)
    e164 = _per_distinct(texts, lambda d: phones.e164(d, region, _phone_e164))
    parts = texts.to_numpy(zero_copy_only=False)
    slashed = np.flatnonzero(pc.match_substring(texts, "/").to_numpy(zero_copy_only=False))
    if len(slashed):
        pieces = pd.Series(parts[slashed], dtype=object).str.split("/").explode()
        pieces = pieces[pieces.str.strip() != ""]
        valid = _e164(pieces, region)
        all_valid = valid.notna().groupby(level=0).all()
        split_ok = all_valid[all_valid].index
        if len(split_ok):
            keep = np.ones(len(parts), dtype=bool)
            keep[slashed[split_ok]] = False
            sizes = pieces.loc[split_ok].groupby(level=0).size().to_numpy()
            rows = np.concatenate([rows[keep], rows[slashed[split_ok]].repeat(sizes)])
            parts = np.concatenate([parts[keep], pieces.loc[split_ok].to_numpy()])
            e164 = np.concatenate([e164[keep], valid.loc[split_ok].to_numpy()])
    return _regroup(rows, parts, e164, values.index, "phones", "invalid_phones")


def _regroup(
    rows: np.ndarray, raw: np.ndarray, checked: np.ndarray, index: pd.Index, good: str, bad: str
) -> pd.DataFrame:
    """Collect parts back into per-row lists: ``good``, the distinct normalised values
    (``checked``; None where invalid) in order of appearance, ``bad``, the raw parts that
    failed. ``rows`` are the parts' positions in ``index``; rows sharing an index label
    pool their parts (in the order given) and share their lists."""
    size, labels = len(index), None
    if not index.is_unique:
        labels, uniques = pd.factorize(index)
        rows, size = labels[rows], len(uniques)
    if len(rows) and (rows[1:] < rows[:-1]).any():
        order = np.argsort(rows, kind="stable")
        rows, raw, checked = rows[order], raw[order], checked[order]
    ok = pd.notna(checked)
    good_rows, good_values = rows[ok], checked[ok]
    codes = pd.factorize(good_values)[0].astype(np.int64)
    pair = good_rows.astype(np.int64) * (int(codes.max(initial=-1)) + 1) + codes
    first = np.zeros(len(pair), dtype=bool)
    first[np.unique(pair, return_index=True)[1]] = True  # a row's repeats of a value go
    out = pd.DataFrame(index=index)
    for name, at, values in (
        (good, good_rows[first], good_values[first]),
        (bad, rows[~ok], raw[~ok]),
    ):
        lists = _lists(at, values, size)
        out[name] = pd.Series(lists if labels is None else lists.take(labels), index=index)
    return out


def _lists(rows: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """An object array of ``size`` lists: at each position, the ``values`` (str) whose
    ``rows`` (non-decreasing positions) name it, in order."""
    offsets = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=size), out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(values, pa.string()))
    return np.fromiter(lists.to_pylist(), dtype=object, count=size)


_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "landline",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "landline",
}


def _phone_kind(value: str) -> str:
    """The reference for one E.164 number: phonenumbers' own type of the parsed number."""
    try:
        return _KINDS.get(phonenumbers.number_type(phonenumbers.parse(value)), "other")
    except phonenumbers.NumberParseException:
        return "other"


def phone_kind(e164: pd.Series) -> pd.Series:
    """``mobile``, ``landline`` or ``other`` for E.164 numbers (NA stays NA), by
    :func:`phones.kinds` at array speed; phonenumbers (:func:`_phone_kind`) decides only
    what it cannot."""
    codes, distinct = pd.factorize(e164)  # missing: code -1, the appended NaN
    kinds = np.array([*phones.kinds(list(distinct), _phone_kind), np.nan], dtype=object)
    return pd.Series(kinds[codes], index=e164.index, name=e164.name, dtype=object)


# --- e-mails ----------------------------------------------------------------------------


_PLAIN_LOCAL = re.compile(r"[a-z0-9!#$%&'*+=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+=?^_`{|}~-]+)*")
"""An ASCII dot-atom local part: valid as it is, whatever email-validator checks beyond."""


def _email(raw: str) -> str | None:
    text = raw.strip().strip("<>\"'()[]").rstrip(".").lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    if "@" not in text or "/" in text or _PLACEHOLDER_EMAIL.match(text):
        return None
    local, _, domain = text.rpartition("@")
    if len(local) <= 64 and len(text) <= 254 and _PLAIN_LOCAL.fullmatch(local):
        checked = _checked_domain(domain)  # email-validator once per domain, not per address
        return None if checked is None else f"{local}@{checked}"
    return _validated(text)


@functools.lru_cache(maxsize=65536)
def _checked_domain(domain: str) -> str | None:
    """The domain as email-validator normalises it, or None if it rejects it."""
    checked = _validated(f"x@{domain}")
    return None if checked is None else checked.partition("@")[2]


def _validated(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def normalise_emails(values: pd.Series) -> pd.DataFrame:
    """E-mails -> ``emails`` (trimmed, lower-cased, syntax-valid) and ``invalid_emails``.

    Several per cell are split; a trailing dot is removed; URLs pasted into the cell and
    placeholders are rejected into ``invalid_emails``. No DNS look-ups.
    """
    rows, texts = _split(values, _EMAIL_SPLIT)
    checked = _per_distinct(texts, lambda d: emails.normalised(d, _email, _checked_domain))
    parts = texts.to_numpy(zero_copy_only=False)
    return _regroup(rows, parts, checked, values.index, "emails", "invalid_emails")


# --- websites ---------------------------------------------------------------------------

_URL = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\d?\.)?(?P<host>[a-z0-9.-]+\.[a-z]{2,})(?::\d+)?"
    r"(?P<path>/[^?#\s]*)?(?:\?[^#\s]*)?(?:#\S*)?$"
)


@functools.cache
def _url_re2() -> str:
    """:data:`_URL` for RE2, with Python's meaning of ``\\d``, ``\\s`` and ``\\S``."""
    from .read import DECIMAL_DIGITS

    return (
        _URL.pattern.replace(r"\d", f"[{DECIMAL_DIGITS}]")
        .replace(r"\S", f"[^{SPACES}]")
        .replace(r"\s", SPACES)  # only inside [^...] classes
    )


def normalise_websites(values: pd.Series) -> pd.DataFrame:
    """Websites -> ``website`` (``https://host/path``, no ``www.``, query, fragment or
    trailing ``/``; NA if unparseable) and ``website_is_social`` (a social-media page)."""
    text = clean_text(values).str.lower()
    parts = pc.extract_regex(_arrow(text), _url_re2())  # no line break left after clean_text

    def group(name: str) -> pd.Series:
        found = pc.struct_field(parts, name)
        found = pc.if_else(pc.equal(found, ""), pa.scalar(None, found.type), found)
        return pd.Series(pd.arrays.ArrowStringArray(found), index=text.index)

    host = group("host").str.strip(".")
    path = group("path").fillna("").str.rstrip("/")
    website = ("https://" + host + path).where(host.notna())
    social = host.fillna("").str.endswith(_SOCIAL_HOSTS) & host.notna()
    return pd.DataFrame(
        {"website": website.astype("string"), "website_is_social": social.astype(bool)}
    )


def website_host(website: pd.Series) -> pd.Series:
    """The host of a canonical website."""
    return extract(website, r"^https://(?P<host>[^/]+)")["host"]


def extract(text: pd.Series, pattern: str) -> pd.DataFrame:
    """``text.str.extract(pattern)`` for a pattern of named groups that never match empty:
    ASCII values by Arrow (RE2, ``\\s`` spelt out as Python's, :func:`_re2`) in one pass, the
    others by Python ``re`` as pandas does. RE2 gives ``""`` for a group that took no part."""
    text = text.astype("string")
    values = pa.array(text.to_numpy(na_value=None), pa.string())
    # a match without captures runs as a DFA: cheap; the groups are taken where it matched
    hits = np.flatnonzero(pc.fill_null(pc.match_substring_regex(values, _re2(pattern)), False))
    found = pc.extract_regex(values.take(pa.array(hits, pa.int64())), _re2(pattern))
    columns = {}
    for i in range(found.type.num_fields):
        column = np.full(len(text), None, dtype=object)
        column[hits] = pc.struct_field(found, i).to_numpy(zero_copy_only=False)
        columns[found.type.field(i).name] = pd.Series(column, dtype="string")
    out = pd.DataFrame(columns).set_axis(text.index)
    out = out.mask(out == "")
    other = np.flatnonzero(~text.str.isascii().fillna(True).to_numpy(dtype=bool))
    if len(other):  # RE2's \\d, \\w and \\b know only ASCII; Python's know every script
        out.iloc[other] = text.iloc[other].str.extract(pattern).to_numpy()
    return out


# --- provinces --------------------------------------------------------------------------


def _province_key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def province_lookup(aliases: dict[str, list[str]]) -> dict[str, str]:
    """Alias key -> official name, from the official names and a profile's aliases."""
    lookup = {_province_key(p): p for p in OFFICIAL_PROVINCES}
    for official, names in aliases.items():
        if official not in OFFICIAL_PROVINCES:
            raise ValueError(f"province_aliases: {official!r} is not an official province")
        lookup.update({_province_key(n): official for n in names})
    return lookup


def normalise_provinces(
    values: pd.Series, aliases: dict[str, list[str]], country: str | None = "ZA"
) -> pd.Series:
    """South Africa: loose province text -> one of the nine official names, else NA
    (``Unknown`` too). Elsewhere the region (state, county...) is kept as written, tidied,
    placeholders (``Unknown``, ``-``, ``N/A``) dropped."""
    if country != "ZA":
        text = clean_text(values)
        return text.mask(text.str.fullmatch(r"(?i)unknown|n/?a|none|-+|\?+", na=False))
    lookup = province_lookup(aliases)
    keys = clean_text(values).map(_province_key, na_action="ignore")
    return keys.map(lookup).astype("string")


# --- addresses --------------------------------------------------------------------------


def _join(parts: list[pd.Series], sep: str) -> pd.Series:
    """Non-blank parts (already :func:`clean_text`-ed) joined with ``sep`` per row (NA when
    all are blank)."""
    out = pd.Series(pd.NA, index=parts[0].index, dtype="string")
    for part in parts:
        out = (out + sep + part).fillna(out).fillna(part)
    return out


def combine_address(
    address: pd.Series,
    street: pd.Series,
    suburb: pd.Series,
    city: pd.Series,
    region: pd.Series,
    postcode: pd.Series,
) -> pd.Series:
    """One address line: the address column where there is one, else its parts joined
    (``12 Main St, Hatfield, Pretoria, Gauteng 0083``) when there is a street; NA when
    there is none (a town, region or postcode alone is no address: it stays in its own
    column). An address column holding only the street (no comma) gets the other parts."""
    # each part cleaned once: clean_text is idempotent, and joining clean parts with ", "
    # or " " gives clean text
    address, street, suburb, city, region, postcode = (
        clean_text(p) for p in (address, street, suburb, city, region, postcode)
    )
    rest = _join([suburb, city, _join([region, postcode], " ")], ", ")
    street_only = address.notna() & ~address.str.contains(",", na=False) & street.isna()
    address = address.where(~street_only, _join([address, rest], ", "))
    built = _join([street, rest], ", ").where(street.notna())
    return address.fillna(built)


# --- organisation names -----------------------------------------------------------------


_IDEOGRAPHS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _to_ascii(text: str) -> str:
    """Transliterate any script to ASCII (anyascii); ideographs become separate words."""
    return anyascii(
        _IDEOGRAPHS.sub(lambda m: f" {m.group(0)} ", unicodedata.normalize("NFC", text))
    )


def _ascii(text: pd.Series) -> pd.Series:
    text = text.astype("string")
    plain = text.str.isascii().fillna(True).astype(bool)  # ASCII is its own transliteration
    if plain.all():
        return text
    rows = np.flatnonzero(~plain.to_numpy())  # by position: labels may repeat
    out = text.copy()
    out.iloc[rows] = _map_distinct(text.iloc[rows], _to_ascii).astype("string").to_numpy()
    return out


def name_key(names: pd.Series, legal_suffixes: Iterable[str]) -> pd.Series:
    """A matching key: ASCII, lower case, ``trading as`` -> ``t/a``, punctuation dropped,
    whitespace collapsed, legal suffixes (``(Pty) Ltd``, ``CC``, ...) removed as whole
    words. Idempotent: a key is its own key."""
    key = _ascii(clean_text(names)).str.lower()
    sp = f"[{SPACES}]"
    key = key.str.replace(rf"\btrading{sp}+as\b|\bt{sp}*/{sp}*a\b", " ta ", regex=True)
    key = _words(key.str.replace("&", " and ", regex=False))
    return strip_suffixes(key, legal_suffixes)


def strip_suffixes(keys: pd.Series, legal_suffixes: Iterable[str]) -> pd.Series:
    """Legal suffixes removed as whole words from keys (words of ``a-z0-9``, single
    spaces), until none is left; an empty key becomes NA."""
    words = _words(_ascii(pd.Series(sorted(set(legal_suffixes)), dtype="string")).str.lower())
    suffixes = sorted(set(words.dropna()) - {""}, key=len, reverse=True)
    key = keys.astype("string")
    if suffixes:
        # whole words, as ``(?<![a-z0-9])suffix(?![a-z0-9])`` would say; RE2 (Arrow) has
        # no lookarounds, so the spaces are doubled and each side of a match takes one
        alternation = "|".join(re.escape(s).replace("\\ ", "  ") for s in suffixes)
        pattern = rf"(?:^| )(?:{alternation})(?: |$)"
        out = key.reset_index(drop=True)
        todo = np.flatnonzero(out.notna().to_numpy())
        while len(todo):  # removing one suffix can join the words of another ("pty cc ltd")
            before = out.iloc[todo]
            spaced = before.str.replace(" ", "  ", regex=False)
            after = _words(spaced.str.replace(pattern, " ", regex=True))
            changed = (after != before).to_numpy(dtype=bool, na_value=True)
            todo = todo[changed]  # the others are done: a key without suffixes stays
            out.iloc[todo] = after[changed].to_numpy()
        key = out.set_axis(keys.index)
    return key.mask(key == "")


def _words(text: pd.Series) -> pd.Series:
    """Runs of anything but ``a-z0-9`` as single spaces, trimmed."""
    return text.str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()


def slugify(names: pd.Series) -> pd.Series:
    """Deterministic ASCII slug for a name in any script (``Horizon Flying Club`` ->
    ``horizon-flying-club``, ``Ромашка`` -> ``romashka``); a name with nothing to
    transliterate (emoji only) gets ``org-`` and a hash of the name."""
    text = clean_text(names)
    slug = _ascii(text).str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")
    hashed = "org-" + _map_distinct(
        text, lambda v: hashlib.sha1(v.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]
    ).astype("string")
    return slug.mask(slug == "", hashed)


def display_name(names: pd.Series) -> pd.Series:
    """Display form: whitespace tidied; all-caps or all-lower names put in title case."""
    text = clean_text(names)
    shouting = (text == text.str.upper()) | (text == text.str.lower())
    titled = text.str.title().str.replace(r"\bT/A\b", "t/a", regex=True)
    titled = titled.str.replace(r"\((Pty|PTY)\)", "(Pty)", regex=True)
    return text.where(~shouting.fillna(False), titled)


# --- contact people ---------------------------------------------------------------------

_ROLE_ONLY = re.compile(
    r"\bnot publicly listed\b|^(?:admin|office|reception|info|sales|"
    r"bookings|accounts|.+ office)$",
    re.I,
)


def parse_contact_people(values: pd.Series) -> pd.DataFrame:
    """Free-text contact cells -> one row per person: ``name``, ``role``, and ``part``.

    Understands ``Name (Role); Name (Role)``, ``Name — Role`` and role-only placeholders
    such as ``Accountable Manager (Not Publicly Listed)`` (role kept, name NA).
    The result's index repeats the input index (one row per person).
    """
    parts = split_parts(values, r"\s*;\s*").astype("string")
    paren = _extract(parts, r"^(?P<name>[^()]+?)\s*\((?P<role>[^()]+)\)\s*$")
    dash = _extract(parts, r"^(?P<name>.+?)\s+[—–-]\s+(?P<role>.+)$")
    name = paren["name"].fillna(dash["name"]).fillna(parts)
    role = paren["role"].fillna(dash["role"])
    unlisted = parts.str.contains(r"not publicly listed", case=False, na=False)
    role_word = role.isna() & parts.str.contains(_ROLE_ONLY, na=False)
    role = role.where(~unlisted, name).where(~role_word, parts)
    name = name.mask(unlisted | role_word)
    out = pd.DataFrame({"name": name.astype("string"), "role": role.astype("string")})
    out["part"] = out.groupby(level=0).cumcount()
    return out


def _extract(text: pd.Series, pattern: str) -> pd.DataFrame:
    """``text.str.extract(pattern)`` in Arrow (RE2, :func:`_re2`) for text without line
    breaks and a pattern whose groups all take part in a match and match at least one
    character: NA where it does not match."""
    if text.empty:
        return text.str.extract(pattern)  # pandas' own empty frame (a RangeIndex)
    found = pc.extract_regex(_arrow(text), _re2(pattern))
    return pd.DataFrame(
        {f.name: pd.arrays.ArrowStringArray(pc.struct_field(found, f.name)) for f in found.type},
        index=text.index,
    )


def split_full_name(first: pd.Series, last: pd.Series) -> pd.DataFrame:
    """Combine first/last name columns into ``name`` and mark mailboxes.

    ``-`` placeholders and role words (``Admin``, ``Johannesburg Office``) become a mailbox
    (``is_mailbox``) with no person name; a full name in ``first`` with ``last`` blank is
    kept whole.
    """
    first = clean_text(first).mask(lambda s: s.str.fullmatch(r"[-–—.?]+", na=False))
    last = clean_text(last).mask(lambda s: s.str.fullmatch(r"[-–—.?]+", na=False))
    role_word = first.str.contains(_ROLE_ONLY, na=False) & last.isna()
    first = first.mask(role_word)
    name = (first.fillna("") + " " + last.fillna("")).str.strip()
    name = name.mask(name == "").astype("string")
    return pd.DataFrame({"name": name, "is_mailbox": name.isna()})


# --- dates ------------------------------------------------------------------------------


def normalise_dates(values: pd.Series) -> pd.Series:
    """Excel dates (read as datetimes or serial numbers), ISO and day-first strings -> date."""
    text = clean_text(values)
    serial = pd.to_numeric(text, errors="coerce")
    from_serial = pd.to_datetime(
        serial.where(serial.between(20000, 80000)), unit="D", origin="1899-12-30"
    )
    iso = pd.to_datetime(
        text.where(text.str.match(r"^\d{4}-\d{2}-\d{2}", na=False)),
        errors="coerce",
        format="ISO8601",
    )
    dayfirst = pd.to_datetime(
        text.where(text.str.match(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", na=False)),
        errors="coerce",
        dayfirst=True,
        format="mixed",
    )
    return from_serial.fillna(iso).fillna(dayfirst).dt.normalize().astype("datetime64[ms]")
