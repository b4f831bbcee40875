"""Organisation names understood, not just keyed: legal and trading names, qualifiers,
spacing slips and one-letter typos.

``X (Pty) Ltd (t/a Y)``, ``X t/a Y``, ``X (trading as Y) Ltd`` and the garbled
``X (T/AY)`` give a legal name ``X`` and a trading name ``Y``; a parenthesised qualifier
(``Lowveld Aero Club (Flight School)``) is set apart from the core name; legal suffixes are
removed in any position (:func:`hotpass_lib.normalise.name_key`). The *squashed* core (no
spaces, trailing legal words removed even when glued on: ``InstituteP ty Ltd``) makes
split and merged tokens compare equal. Every form is usable for blocking and matching.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .groups import empty_lists, group_lists
from .normalise import _ascii, clean_text, name_key

_MARKER = (
    r"(?:t\s*/\s*a\b|t/a|trading\s+as|h\s*/\s*a|handelend[e]?\s+as|previously|formerly|"
    r"now\s+known\s+as|now|aka|a\.k\.a\.|dba|d\s*/\s*b\s*/\s*a|doing\s+business\s+as)"
)
_PAREN = r"\(([^()]*)\)"
SQUASH_MIN = 6
"""A squashed name shorter than this keeps its trailing letters (``zinc`` is no ``inc``)."""


def _squash(core: pd.Series, suffixes: list[str]) -> pd.Series:
    """Core keys without spaces, legal words glued on at the end removed."""
    squashed = core.str.replace(" ", "", regex=False)
    words = sorted({s.replace(" ", "") for s in suffixes if len(s.replace(" ", "")) >= 3})
    if not words:
        return squashed
    tail = rf"(?:{'|'.join(words)})+$"
    stripped = squashed.str.replace(tail, "", regex=True)
    return stripped.where(stripped.str.len() >= SQUASH_MIN, squashed)


def name_forms(names: pd.Series, legal_suffixes: Iterable[str]) -> pd.DataFrame:
    """Per name: ``key`` (the whole name's matching key), ``core`` (the legal name without
    qualifiers), ``trading`` (the trading-as name, if any), ``qualified`` (whether a
    parenthesised qualifier was set apart), ``squash`` (the core with no spaces) and
    ``forms`` (the distinct keys of all of these, for blocking)."""
    suffixes = sorted(set(legal_suffixes))
    text = _ascii(clean_text(names)).str.lower()
    groups = text.str.extractall(_PAREN)[0] if text.notna().any() else pd.Series(dtype="string")
    is_trade = groups.str.match(rf"^\s*{_MARKER}", na=False)
    trade_paren = (
        groups[is_trade]
        .str.replace(rf"^\s*{_MARKER}\.?\s*", "", regex=True)
        .groupby(level=0)
        .first()
    )
    group_keys = name_key(groups.astype("string"), suffixes)
    qualifier = (~is_trade) & group_keys.notna()  # not only a legal suffix such as (Pty)
    qualified = qualifier.groupby(level=0).any().reindex(text.index, fill_value=False)
    bare = text.str.replace(_PAREN, " ", regex=True)
    inline = bare.str.extract(rf"^(?P<legal>.*?\S)\s+{_MARKER}\.?\s+(?P<trading>.+)$")
    garbled = bare.str.extract(r"^(?P<legal>.*?\S)\s+t\s*/\s*a(?P<trading>[a-z].+)$")
    legal = inline["legal"].fillna(garbled["legal"]).fillna(bare)
    trading = trade_paren.reindex(text.index).fillna(inline["trading"]).fillna(garbled["trading"])
    out = pd.DataFrame(index=names.index)
    out["key"] = name_key(names, suffixes)
    out["core"] = name_key(legal.astype("string"), suffixes).fillna(out["key"])
    out["trading"] = name_key(trading.astype("string"), suffixes)
    out["qualified"] = qualified.astype(bool)
    out["squash"] = _squash(out["core"], suffixes)
    stacked = pd.concat([out["key"], out["core"], out["trading"]]).dropna()
    stacked = stacked[stacked != ""]
    lists = group_lists(stacked.index, stacked, distinct=True, sort=True, index=out.index)
    out["forms"] = empty_lists(lists)
    return out
