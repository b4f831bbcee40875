"""E-mail addresses checked at array speed.

:func:`normalised` gives, for an array of distinct raw e-mail texts, exactly what
``normalise._email`` gives for each (the reference): plain ASCII addresses (a dot-atom
local part, an LDH host name ending in a letter, nothing email-validator would treat
specially) are trimmed, lower-cased and checked with a few vectorised RE2 regexes over
the whole array (Arrow); everything else, and every domain the regex does not vouch for
(IDNA, ``--`` labels, special-use names, very long ones), goes to email-validator through
the reference functions. ``tests/test_emails.py`` proves them equal by property test.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from email_validator import SPECIAL_USE_DOMAIN_NAMES

_ATEXT = r"[a-z0-9!#$%&'*+=?^_`{|}~-]"
_LOCAL = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = rf"(?:{_LABEL}\.)+(?:[a-z0-9][a-z0-9-]{{0,61}})?[a-z]"  # top-level label ends in a letter
_SPECIAL = "|".join(d.replace(".", r"\.") for d in SPECIAL_USE_DOMAIN_NAMES)
_PLAIN = rf"^(?P<local>{_LOCAL})@(?P<domain>{_HOST})$"
_UNSAFE = r"[^\x21-\x7e]"  # anything but printable ASCII (whitespace and controls too)


def _np(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def _match(values: pa.Array, pattern: str) -> np.ndarray:
    return _np(pc.fill_null(pc.match_substring_regex(values, pattern), False)).astype(bool)


def normalised(
    raw: list[str],
    email: Callable[[str], str | None],
    domain: Callable[[str], str | None],
) -> list[str | None]:
    """The normalised address (or None) for each raw text, equal to ``email(text)``
    (``normalise._email``); ``domain`` (``normalise._checked_domain``) decides the domains
    of plain addresses that the regex does not vouch for, ``email`` the rest."""
    size = len(raw)
    if size == 0:
        return []
    values = pa.array(raw, pa.string())
    trimmed = pc.ascii_trim_whitespace(values)
    ascii_ok = _np(pc.string_is_ascii(values)).astype(bool) & ~_match(trimmed, _UNSAFE)
    text = pc.utf8_rtrim(pc.utf8_trim(trimmed, "<>\"'()[]"), ".")
    text = pc.ascii_lower(text)
    mailto = _np(pc.starts_with(text, "mailto:")).astype(bool)
    text = pc.if_else(pa.array(mailto), pc.utf8_slice_codeunits(text, 7, 1 << 30), text)
    rejected = ~_match(text, "@") | _match(text, "/")
    parts = pc.extract_regex(text, _PLAIN)
    plain = _np(pc.is_valid(parts)).astype(bool)
    local = pc.struct_field(parts, "local")
    host = pc.struct_field(parts, "domain")
    lengths = _np(pc.fill_null(pc.utf8_length(text), 0))
    local_lengths = _np(pc.fill_null(pc.utf8_length(local), 0))
    plain &= (local_lengths <= 64) & (lengths <= 254)
    vouched = (
        plain
        & ~_match(host, "--")
        & ~_match(host, rf"(?:^|\.)(?:{_SPECIAL})$")
        & (_np(pc.fill_null(pc.utf8_length(host), 0)) <= 200)
    )
    result = np.full(size, None, dtype=object)
    done = ascii_ok & rejected
    fast = ascii_ok & vouched & ~rejected
    rows = np.flatnonzero(fast)
    if len(rows):
        result[rows] = _np(pc.binary_join_element_wise(local, host, "@").take(pa.array(rows)))
    done |= fast
    hosts, locals_ = _np(host), _np(local)
    for i in np.flatnonzero(ascii_ok & plain & ~vouched & ~rejected):  # domain only
        checked = domain(hosts[i])
        result[i] = None if checked is None else f"{locals_[i]}@{checked}"
        done[i] = True
    for i in np.flatnonzero(~done):
        result[i] = email(raw[i])
    return result.tolist()
