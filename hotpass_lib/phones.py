"""Phone numbers to E.164 at array speed, from phonenumbers' own metadata.

:func:`e164` gives, for an array of distinct raw phone texts, exactly what
``normalise._phone_e164`` gives for each (the reference, kept as the fallback): the
common shapes (digits with punctuation, national or international, ``00`` or ``+``
prefixed, numeric cells) are decided with Arrow's vectorised RE2 regexes compiled from
each region's ``PhoneMetadata`` (national-number patterns of the general and every
number-type description, possible lengths, national prefix for parsing, international
prefix, leading digits); whatever that path cannot decide (non-ASCII text, ``+`` inside
a number, unknown country codes after ``+``, regions whose national prefix is rewritten by
a transform rule, non-geographic codes) goes through phonenumbers itself. The steps
mirror ``phonenumbers.parse`` + ``is_valid_number`` + E.164 formatting for a text of
digits; ``tests/test_phones.py`` proves them equal by property test.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneMetadata

_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
_MIN_NSN, _MAX_NSN = 2, 17  # phonenumbers' bounds on a national significant number
_CONTROL = r"[\x00-\x08\x0e-\x1f\x7f]"  # str.strip() would treat \x1c-\x1f as blank
_FLOAT_CELL = r"^[ \t\n\x0b\x0c\r]*[0-9]+\.0[ \t\n\x0b\x0c\r]*$"


@dataclass(frozen=True)
class _Desc:
    pattern: str  # anchored
    lengths: tuple[int, ...]


@dataclass(frozen=True)
class _Rules:
    """One region's metadata as anchored RE2 patterns and length sets."""

    cc: int
    general: _Desc
    types: tuple[_Desc, ...]
    lengths: tuple[int, ...]
    local_lengths: tuple[int, ...]
    prefix: str | None  # national prefix for parsing, as ``^(?:...)``
    prefix_ok: bool  # no capture groups or transform rule: stripping is a plain cut
    idd: str | None  # international prefix, as ``^(?:...)``
    leading: str | None  # leading digits, as ``^(?:...)``


def _desc(desc: object) -> _Desc | None:
    pattern = getattr(desc, "national_number_pattern", None)
    if not pattern:
        return None
    return _Desc(f"^(?:{pattern})$", tuple(desc.possible_length or ()))  # type: ignore[attr-defined]


@functools.cache
def _rules(region: str) -> _Rules | None:
    """The region's rules, or None without metadata."""
    meta = PhoneMetadata.metadata_for_region(region, None)
    if meta is None or meta.general_desc is None:
        return None
    prefix = meta.national_prefix_for_parsing or None
    plain = prefix is None or not (re.compile(prefix).groups or meta.national_prefix_transform_rule)
    general = _desc(meta.general_desc)
    if general is None:
        return None
    types = tuple(d for d in (_desc(getattr(meta, t)) for t in _TYPES) if d is not None)
    return _Rules(
        cc=int(meta.country_code or 0),
        general=general,
        types=types,
        lengths=tuple(meta.general_desc.possible_length or ()),
        local_lengths=tuple(meta.general_desc.possible_length_local_only or ()),
        prefix=None if prefix is None else f"^(?:{prefix})",
        prefix_ok=plain,
        idd=f"^(?:{meta.international_prefix})" if meta.international_prefix else None,
        leading=f"^(?:{meta.leading_digits})" if meta.leading_digits else None,
    )


# --- vectorised pieces over Arrow string arrays of digits ---------------------------------


def _np(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def _lengths(values: pa.Array) -> np.ndarray:
    return _np(pc.utf8_length(values)).astype(np.int64)


def _match(values: pa.Array, pattern: str) -> np.ndarray:
    return _np(pc.fill_null(pc.match_substring_regex(values, pattern), False)).astype(bool)


def _matches_desc(values: pa.Array, desc: _Desc, lengths: np.ndarray) -> np.ndarray:
    ok = _match(values, desc.pattern)
    return ok & np.isin(lengths, desc.lengths) if desc.lengths else ok


def _valid(values: pa.Array, rules: _Rules) -> np.ndarray:
    """``_number_type_helper(nsn, metadata) != UNKNOWN``: the general description and at
    least one number-type description match."""
    lengths = _lengths(values)
    ok = _matches_desc(values, rules.general, lengths)
    typed = np.zeros(len(values), dtype=bool)
    for desc in rules.types:
        typed |= _matches_desc(values, desc, lengths)
    return ok & typed


def _strip_prefix(values: pa.Array, rules: _Rules) -> pa.Array:
    """``_maybe_strip_national_prefix_carrier_code`` without transform rules: drop the
    national prefix unless that turns a viable number into a non-viable one."""
    if rules.prefix is None or len(values) == 0:
        return values
    matched = _match(values, rules.prefix) & (_lengths(values) > 0)
    rest = pc.replace_substring_regex(values, rules.prefix, "", max_replacements=1)
    viable = _match(values, rules.general.pattern)
    rest_viable = _match(rest, rules.general.pattern)
    strip = matched & ~(viable & ~rest_viable)
    return pc.if_else(pa.array(strip), rest, values)


_TOO_SHORT, _POSSIBLE, _LOCAL, _TOO_LONG, _INVALID = range(5)


def _length_result(values: pa.Array, rules: _Rules) -> np.ndarray:
    """``_test_number_length`` against the general description."""
    n = _lengths(values)
    lengths = rules.lengths
    if not lengths or lengths[0] == -1:
        return np.full(len(n), _INVALID)
    out = np.where(np.isin(n, lengths[1:]), _POSSIBLE, _INVALID)
    out = np.where(n > lengths[-1], _TOO_LONG, out)
    out = np.where(n < lengths[0], _TOO_SHORT, out)
    out = np.where(n == lengths[0], _POSSIBLE, out)
    return np.where(np.isin(n, rules.local_lengths), _LOCAL, out)


def _slice(values: pa.Array, start: int) -> pa.Array:
    return pc.utf8_slice_codeunits(values, start, 1 << 30)


def _finish(nsn: pa.Array, cc: int, rules: _Rules) -> tuple[np.ndarray, np.ndarray]:
    """After the country code is known: strip the national prefix where the length still
    allows it, bound the length, validate. Returns (E.164 or None, decided)."""
    stripped = _strip_prefix(nsn, rules)
    keep = ~np.isin(_length_result(stripped, rules), (_TOO_SHORT, _LOCAL, _INVALID))
    nsn = pc.if_else(pa.array(keep), stripped, nsn)
    n = _lengths(nsn)
    valid, decided = _valid_for_code(nsn, cc)
    valid &= (n >= _MIN_NSN) & (n <= _MAX_NSN)
    out = _where(valid, _np(pc.binary_join_element_wise(f"+{cc}", nsn, "")))
    return out, decided


def _valid_for_code(nsn: pa.Array, cc: int) -> tuple[np.ndarray, np.ndarray]:
    """``is_valid_number`` for numbers of one country code: the first of the code's
    regions that claims the number (by leading digits, else by validity) judges it."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(cc, ())
    size = len(nsn)
    if not regions or any(_rules(r) is None for r in regions):
        return np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
    if len(regions) == 1:
        return _valid(nsn, _rules(regions[0])), np.ones(size, dtype=bool)  # type: ignore[arg-type]
    claimed = np.zeros(size, dtype=bool)
    valid = np.zeros(size, dtype=bool)
    for region in regions:
        rules = _rules(region)
        assert rules is not None
        ok = _valid(nsn, rules)
        claims = _match(nsn, rules.leading) if rules.leading else ok
        new = claims & ~claimed
        valid |= new & ok
        claimed |= claims
    return valid, np.ones(size, dtype=bool)


def _national(text: pa.Array, region: str) -> tuple[np.ndarray, np.ndarray]:
    """``parse(text, region)`` + validity for texts of digits (no ``+``)."""
    rules = _rules(region)
    size = len(text)
    out = np.full(size, None, dtype=object)
    main = rules is not None and phonenumbers.region_code_for_country_code(rules.cc) == region
    if rules is None or not main or not rules.prefix_ok:
        return out, np.zeros(size, dtype=bool)
    decided = ~_match(text, rules.idd) if rules.idd else np.ones(size, dtype=bool)
    cc_text = str(rules.cc)
    nsn = text
    starts = _np(pc.starts_with(text, cc_text)).astype(bool)
    if starts.any():
        potential = _strip_prefix(_slice(text, len(cc_text)), rules)
        better = (
            ~_match(text, rules.general.pattern) & _match(potential, rules.general.pattern)
        ) | (_length_result(text, rules) == _TOO_LONG)
        nsn = pc.if_else(pa.array(starts & better), potential, text)
    result, ok = _finish(nsn, rules.cc, rules)
    short = _lengths(nsn) < _MIN_NSN
    out[:] = _where(~short, result)
    return out, decided & (ok | short)


def _country_codes(digits: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``_extract_country_code``: the first 1-3 digits that are a known country code (0
    when none), and its length."""
    size = len(digits)
    cc = np.zeros(size, dtype=np.int64)
    width = np.zeros(size, dtype=np.int64)
    lengths = _lengths(digits)
    leading_zero = _np(pc.starts_with(digits, "0")).astype(bool)
    known = np.array(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE))
    for n in (1, 2, 3):
        code = _to_int(pc.utf8_slice_codeunits(digits, 0, n))
        hit = (cc == 0) & (lengths >= n) & ~leading_zero & np.isin(code, known)
        cc = np.where(hit, code, cc)
        width = np.where(hit, n, width)
    return cc, width


def _to_int(heads: pa.Array) -> np.ndarray:
    """Short digit strings to integers (empty -> 0)."""
    return _np(pc.cast(pc.utf8_lpad(heads, 3, "0"), pa.int64()))


def _international(digits: pa.Array, region: str) -> tuple[np.ndarray, np.ndarray]:
    """``parse("+" + digits, region)`` + validity."""
    size = len(digits)
    out = np.full(size, None, dtype=object)
    decided = np.zeros(size, dtype=bool)
    lengths = _lengths(digits)
    short = lengths <= _MIN_NSN  # too short after the IDD/plus: an error, so None
    decided |= short
    cc, width = _country_codes(digits)
    rules = _rules(region)
    if rules is not None:  # no country code after "+": parse retries the digits as dialled
        # in ``region``; unless they start with its IDD or its own code, that fails too
        idd = _match(digits, rules.idd) if rules.idd else np.zeros(size, dtype=bool)
        own = _np(pc.starts_with(digits, str(rules.cc))).astype(bool)
        decided |= (cc == 0) & ~idd & ~own
    for code in np.unique(cc[(cc > 0) & ~short]):
        main = phonenumbers.region_code_for_country_code(int(code))
        rules = _rules(main)
        if rules is None or not rules.prefix_ok:
            continue
        rows = np.flatnonzero((cc == code) & ~short)
        nsn = _slice(digits.take(pa.array(rows)), int(width[rows[0]]))
        too_short = _lengths(nsn) < _MIN_NSN
        result, ok = _finish(nsn, int(code), rules)
        result = np.asarray(result, dtype=object)
        result[too_short] = None
        out[rows] = result
        decided[rows] = ok | too_short
    return out, decided


def e164(raw: list[str], region: str, fallback: Callable[[str, str], str | None]) -> list:
    """E.164 (or None) for each raw phone text, equal to ``fallback(text, region)``
    (``normalise._phone_e164``), which decides what the vectorised path cannot."""
    size = len(raw)
    if size == 0:
        return []
    values = pa.array(raw, pa.string())
    fast = _np(pc.string_is_ascii(values)).astype(bool) & ~_match(values, _CONTROL)
    text = pc.replace_substring_regex(values, r"[^0-9+]", "")
    floaty = _match(values, _FLOAT_CELL)
    text = pc.if_else(pa.array(floaty), pc.utf8_slice_codeunits(text, 0, -1), text)
    double_zero = _np(pc.starts_with(text, "00")).astype(bool)
    text = pc.if_else(
        pa.array(double_zero), pc.binary_join_element_wise("+", _slice(text, 2), ""), text
    )
    if region == "ZA":
        za = _match(text, r"^27[0-9]{9}$")
        text = pc.if_else(pa.array(za), pc.binary_join_element_wise("+", text, ""), text)
    empty = _lengths(text) == 0
    plus = _match(text, r"^\+[0-9]{1,17}$")
    digits = _match(text, r"^[0-9]{1,17}$")
    fast &= empty | plus | digits
    result = np.full(size, None, dtype=object)
    decided = empty.copy()

    rows = np.flatnonzero(fast & digits)
    if len(rows):
        sub = text.take(pa.array(rows))
        first, ok = _national(sub, region)
        retry = (first == None) & (_lengths(sub) >= 10)  # noqa: E711 (element-wise)
        second, ok2 = _international(sub, region)
        result[rows] = np.where(retry, second, first)
        decided[rows] = ok & (~retry | ok2)
    rows = np.flatnonzero(fast & plus)
    if len(rows):
        res, ok = _international(_slice(text.take(pa.array(rows)), 1), region)
        result[rows] = res
        decided[rows] = ok
    for i in np.flatnonzero(~(fast & decided)):
        result[i] = fallback(raw[i], region)
    return result.tolist()


def _where(keep: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` where ``keep``, else None (an object array)."""
    out = np.asarray(values, dtype=object).copy()
    out[~np.asarray(keep, dtype=bool)] = None
    return out


_OTHER_TYPES = _TYPES[:8]  # checked, in phonenumbers' order, before fixed line and mobile


@functools.cache
def _type_descs(region: str) -> tuple[tuple[_Desc, ...], _Desc | None, _Desc | None, bool]:
    """The region's (other types, fixed line, mobile, same mobile and fixed-line pattern)."""
    meta = PhoneMetadata.metadata_for_region(region, None)
    others = tuple(d for d in (_desc(getattr(meta, t)) for t in _OTHER_TYPES) if d is not None)
    same = bool(getattr(meta, "same_mobile_and_fixed_line_pattern", False))
    fixed, mobile = (_desc(getattr(meta, t, None)) for t in ("fixed_line", "mobile"))
    return others, fixed, mobile, same


def _kind_in(nsn: pa.Array, region: str) -> tuple[np.ndarray, np.ndarray]:
    """``_number_type_helper`` for national significant numbers of one region: ``mobile``,
    ``landline`` (fixed line, or fixed line or mobile) or ``other``; and whether the type
    is known (not ``UNKNOWN``)."""
    rules = _rules(region)
    assert rules is not None
    others, fixed, mobile, same = _type_descs(region)
    n = _lengths(nsn)

    def hits(desc: _Desc | None) -> np.ndarray:
        return _matches_desc(nsn, desc, n) if desc else np.zeros(len(nsn), dtype=bool)

    general = _matches_desc(nsn, rules.general, n)
    special = np.zeros(len(nsn), dtype=bool)
    for desc in others:
        special |= hits(desc)
    is_fixed = hits(fixed)
    is_mobile = hits(None if same else mobile)  # same pattern: never MOBILE alone
    out = np.where(is_mobile, "mobile", "other").astype(object)
    out[is_fixed] = "landline"
    out[special | ~general] = "other"
    return out, general & (special | is_fixed | is_mobile)


def kinds(values: list[str], fallback: Callable[[str], str]) -> list[str]:
    """``mobile``, ``landline`` or ``other`` for each E.164 number, equal to
    ``fallback(value)`` (``phonenumbers.number_type`` of the parsed number, the reference),
    which decides what this path does not: non-geographic codes, regions whose national
    prefix is rewritten, anything not written ``+`` and digits."""
    size = len(values)
    out = np.full(size, None, dtype=object)
    if size == 0:
        return []
    text = pa.array(values, pa.string())
    ok = _match(text, r"^\+[1-9][0-9]{2,17}$")
    digits = _slice(text, 1)
    cc, width = _country_codes(digits)
    for code in np.unique(cc[ok & (cc > 0)]):
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(code), ())
        rules = [_rules(r) for r in regions]
        # parse strips the national prefix of the code's main region (the first); the
        # others only judge the number's type
        if not regions or any(r is None for r in rules) or not rules[0].prefix_ok:  # type: ignore[union-attr]
            continue
        rows = np.flatnonzero(ok & (cc == code))
        nsn = _slice(digits.take(pa.array(rows)), int(width[rows[0]]))
        main = rules[0]
        assert main is not None
        stripped = _strip_prefix(nsn, main)  # parse strips a national prefix here too
        keep = ~np.isin(_length_result(stripped, main), (_TOO_SHORT, _LOCAL, _INVALID))
        nsn = pc.if_else(pa.array(keep), stripped, nsn)
        found = np.full(len(rows), "other", dtype=object)
        claimed = np.zeros(len(rows), dtype=bool) if len(regions) > 1 else None
        for region, region_rules in zip(regions, rules, strict=True):
            kind, known = _kind_in(nsn, region)
            if claimed is None:  # one region: it judges every number
                found = kind
                break
            assert region_rules is not None
            # the first region whose leading digits match, or (without leading digits)
            # whose metadata knows the number's type, judges it; none: UNKNOWN
            claims = _match(nsn, region_rules.leading) if region_rules.leading else known
            new = claims & ~claimed
            found[new] = kind[new]
            claimed |= claims
        out[rows] = found
    for i in np.flatnonzero(out == None):  # noqa: E711 (element-wise)
        out[i] = fallback(values[i])
    return out.tolist()
