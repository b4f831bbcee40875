"""Organisation names understood, not just keyed: legal and trading names, qualifiers,
spacing slips and one-letter typos.

``X (Pty) Ltd (t/a Y)``, ``X t/a Y``, ``X (trading as Y) Ltd`` and the garbled
``X (T/AY)`` give a legal name ``X`` and a trading name ``Y``; a parenthesised qualifier
(``Lowveld Aero Club (Flight School)``) is set apart from the core name; legal suffixes are
removed in any position (:func:`hotpass_lib.normalise.name_key`), and words written in
several ways take one form (``Aeronautical``/``Aero``, ``C.C.``/``CC``, ``Seven``/``7``,
a leading ``The``: :func:`canonical`). The *squashed* core (no
spaces, trailing legal words removed even when glued on: ``InstituteP ty Ltd``) makes
split and merged tokens compare equal. Every form is usable for blocking and matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .groups import empty_lists, group_lists
from .normalise import _ascii, clean_text, name_key, strip_suffixes
from .normalise import extract as _extract

_MARKER = (
    r"(?:t\s*/\s*a\b|t/a|trading\s+as|h\s*/\s*a|handelend[e]?\s+as|previously|formerly|"
    r"now\s+known\s+as|now|aka|a\.k\.a\.|dba|d\s*/\s*b\s*/\s*a|doing\s+business\s+as)"
)
_PAREN = r"\(([^()]*)\)"
SQUASH_MIN = 6
"""A squashed name shorter than this keeps its trailing letters (``zinc`` is no ``inc``)."""
CANONICAL_WORDS: dict[str, str] = {
    "aeronautical": "aero", "aeronautics": "aero", "aeronautic": "aero",
    "international": "intl", "int l": "intl", "internat": "intl",
    "academy": "acad", "services": "svc", "service": "svc", "svcs": "svc", "svs": "svc",
    "maintenance": "maint", "mnt": "maint", "centre": "ctr", "center": "ctr",
    "company": "co", "corporation": "corp", "association": "assoc", "department": "dept",
    "brothers": "bros", "technology": "tech", "technologies": "tech", "management": "mgmt",
    "engineering": "eng", "engineers": "eng", "saint": "st", "mount": "mt", "institute": "inst",
    "university": "univ", "hospital": "hosp", "limited": "ltd", "organisation": "org",
    "organization": "org",
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "first": "1st", "second": "2nd", "third": "3rd",
}  # fmt: skip
"""Words written in several ways, mapped to one form for matching (never for display):
the abbreviations business registers and people use interchangeably, and numbers."""


def _squash(core: pd.Series, suffixes: list[str]) -> pd.Series:
    """Core keys without spaces, legal words glued on at the end removed."""
    squashed = core.str.replace(" ", "", regex=False)
    words = sorted({s.replace(" ", "") for s in suffixes if len(s.replace(" ", "")) >= 3})
    if not words:
        return squashed
    tail = rf"(?:{'|'.join(words)})+$"
    stripped = squashed.str.replace(tail, "", regex=True)
    return stripped.where(stripped.str.len() >= SQUASH_MIN, squashed)


_SINGLES = r"\b(?:[a-z] )+[a-z]\b"
_HAS_SINGLES = r"(?:^| )[a-z] [a-z](?: |$)"
"""What every match of :data:`_SINGLES` contains: looked for by Arrow, so that Python
joins the letters only in the few keys that have such a run."""
_WORDS = {w: v for w, v in CANONICAL_WORDS.items() if " " not in w}
_PHRASES = {w: v for w, v in CANONICAL_WORDS.items() if " " in w}


def _arrow(values: pd.Series) -> pa.Array:
    return pa.array(values.astype("string").to_numpy(na_value=None), pa.string())


def _series(values: pa.Array, index: pd.Index) -> pd.Series:
    return pd.Series(values.to_numpy(zero_copy_only=False), index=index, dtype="string")


def _parentheses(text: pd.Series) -> pd.Series:
    """The text inside each ``(...)`` without nested parentheses, as
    ``text.str.extractall(r"\\(([^()]*)\\)")[0]`` gives it (index: row label and match
    number), by Arrow: the text after each ``(`` up to a ``)`` that comes before the next."""
    pieces = pc.split_pattern(_arrow(text), "(")
    lengths = pc.list_value_length(pieces).fill_null(0).to_numpy()
    rows = np.repeat(np.arange(len(lengths)), lengths)
    position = np.arange(len(rows)) - np.repeat(lengths.cumsum() - lengths, lengths)
    inside = pc.extract_regex(pc.list_flatten(pieces), r"^(?P<g>[^()]*)\)")
    hit = (pc.is_valid(inside).to_numpy(zero_copy_only=False)) & (position > 0)
    values = pc.struct_field(inside, "g").to_numpy(zero_copy_only=False)[hit]
    owner = rows[hit]
    match = pd.Series(owner).groupby(owner).cumcount().to_numpy()
    index = pd.MultiIndex.from_arrays([text.index[owner], match], names=[None, "match"])
    found = pd.Series(values, index=index, dtype="string", name=0)
    return found.mask(found == "")  # "()" holds nothing, as pandas says


def _map_words(keys: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """Each space-separated word of ``keys`` found in ``mapping`` replaced, by Arrow in one
    pass: a split, a hash lookup of every word and a join (no Python per key)."""
    words = pc.split_pattern(_arrow(keys), " ")
    flat = pc.list_flatten(words)
    found = pc.index_in(flat, value_set=pa.array(list(mapping), pa.string()))
    replaced = pc.take(pa.array(list(mapping.values()), pa.string()), found)
    mapped = pc.if_else(pc.is_null(found), flat, replaced)
    rebuilt = pa.ListArray.from_arrays(words.offsets, mapped, mask=pc.is_null(words))
    return _series(pc.binary_join(rebuilt, " "), keys.index)


def _canonical_step(keys: pd.Series, legal_suffixes: list[str]) -> pd.Series:
    step = keys.str.replace(r"^(?:the )+", "", regex=True)
    singles = step.str.contains(_HAS_SINGLES, regex=True, na=False)
    if singles.any():
        joined = (
            step[singles]
            .astype(object)
            .map(lambda v: re.sub(_SINGLES, lambda m: m.group(0).replace(" ", ""), v))
        )
        step = step.where(~singles, joined.astype("string"))
    for phrase, word in _PHRASES.items():
        step = step.str.replace(rf"\b{re.escape(phrase)}\b", word, regex=True)
    step = _map_words(step, _WORDS)
    # what name_key would do to these words: only remove suffixes that now appear
    return strip_suffixes(step, legal_suffixes).fillna(keys)


def canonical(keys: pd.Series, legal_suffixes: Iterable[str]) -> pd.Series:
    """Matching keys (:func:`~hotpass_lib.normalise.name_key` output) in one spelling: a
    leading ``the`` dropped, runs of single letters joined (``c c`` -> ``cc``, ``m a d`` ->
    ``mad``), common abbreviations and number words mapped (:data:`CANONICAL_WORDS`), legal
    suffixes that only then appear removed. Each step can expose another (``C.C. The Aero``
    -> ``the aero`` -> ``aero``): repeated, up to four times, on the keys that changed."""
    suffixes = list(legal_suffixes)
    out = keys.astype("string").reset_index(drop=True)
    todo = np.flatnonzero(out.notna().to_numpy())
    for _ in range(4):
        if not len(todo):
            break
        before = out.iloc[todo]
        after = _canonical_step(before, suffixes)
        changed = (after != before).to_numpy(dtype=bool, na_value=True)
        todo = todo[changed]
        out.iloc[todo] = after[changed].to_numpy()
    return out.set_axis(keys.index)


DESCRIPTIVE_MIN = 3
"""A qualifier word found in at least this many distinct core names describes a kind of
organisation (``Flight School``); rarer words name a place or branch (``George``)."""


def descriptive(qualifiers: pd.Series, cores: pd.Series) -> pd.Series:
    """Whether each qualifier only describes (every word common among the data's core
    names: ``(Flight School)``, ``(Head Office)``) rather than naming a place or branch
    (``(George)``, ``- Kimberley``), judged from the data itself."""
    words = cores.dropna().drop_duplicates().str.split(" ").explode()
    common = words.value_counts()
    common = set(common[common >= DESCRIPTIVE_MIN].index)
    q_words = qualifiers.dropna().str.split(" ").explode()
    known = q_words.isin(common).groupby(level=0).all()
    return known.reindex(qualifiers.index, fill_value=False).astype(bool)


def name_forms(names: pd.Series, legal_suffixes: Iterable[str]) -> pd.DataFrame:
    """Per name: ``key`` (the whole name's matching key), ``core`` (the legal name without
    qualifiers), ``trading`` (the trading-as name, if any), ``qualifier`` (a parenthesised
    qualifier or branch set apart: ``X (Durban)``, ``X - Durban``, ``X Durban Branch``)
    and ``qualified``, ``squash`` (the core with no spaces; ``raw_squash`` before canonical
    words, for tokens glued across a word boundary) and ``forms`` (the distinct keys
    of all of these, for blocking). A qualifier that names a place or branch rather than
    describing (:func:`descriptive`) stays part of ``core`` and ``squash``: ``X (George)``
    is not ``X``; ``base_squash`` is the core without any qualifier."""
    suffixes = sorted(set(legal_suffixes))
    cleaned = _ascii(clean_text(names))
    text = cleaned.str.lower()
    groups = _parentheses(text)
    is_trade = groups.str.match(rf"^\s*{_MARKER}", na=False)
    trade_paren = (
        groups[is_trade]
        .str.replace(rf"^\s*{_MARKER}\.?\s*", "", regex=True)
        .groupby(level=0)
        .first()
    )
    group_keys = name_key(groups.astype("string"), suffixes)
    original = _parentheses(cleaned)
    acronym = original.str.fullmatch(r"\s*[A-Z]{2,5}\s*", na=False)  # (ATO), (AMO): a kind
    qualifier = (~is_trade) & group_keys.notna()  # not only a legal suffix such as (Pty)
    qualifiers = group_keys[qualifier].groupby(level=0).first().reindex(text.index)
    acronyms = (qualifier & acronym).groupby(level=0).any().reindex(text.index, fill_value=False)
    # only a qualifier at the end can name a place: "(Ato) X" describes, "X (George)" may not
    trailing = text.str.contains(r"\([^()]*\)[\s.]*$", regex=True, na=False)
    bare = text.str.replace(_PAREN, " ", regex=True).str.strip()
    inline = _extract(bare, rf"^(?P<legal>.*?\S)\s+(?:{_MARKER}|ta)\.?\s+(?P<trading>.+)$")
    # a branch written without parentheses: "X - Kimberley", "X Kimberley Branch"
    branch = _extract(
        bare,
        r"^(?P<base>.*?\S)\s+(?:[-–—]\s+(?P<dash>[^-–—]+)|(?P<word>\S+)\s+(?:branch|office))\.?$",
    )
    has_branch = branch["base"].notna() & inline["legal"].isna()
    branch_q = name_key(branch["dash"].fillna(branch["word"]).astype("string"), suffixes)
    bare = bare.where(~has_branch, branch["base"])
    inline = _extract(bare, rf"^(?P<legal>.*?\S)\s+(?:{_MARKER}|ta)\.?\s+(?P<trading>.+)$")
    garbled = _extract(bare, r"^(?P<legal>.*?\S)\s+t\s*/\s*a(?P<trading>[a-z].+)$")
    legal = inline["legal"].fillna(garbled["legal"]).fillna(bare)
    trading = trade_paren.reindex(text.index).fillna(inline["trading"]).fillna(garbled["trading"])
    out = pd.DataFrame(index=names.index)
    out["key"] = name_key(names, suffixes)
    core = name_key(legal.astype("string"), suffixes).fillna(out["key"])
    out["raw_squash"] = _squash(core, suffixes)  # before canonical words: "TrainingCentre"
    out["core"] = canonical(core, suffixes)
    out["trading"] = canonical(name_key(trading.astype("string"), suffixes), suffixes)
    out["qualifier"] = canonical(
        qualifiers.fillna(branch_q.where(has_branch)).astype("string"), suffixes
    )
    out["qualified"] = out["qualifier"].notna()
    out["base_squash"] = _squash(out["core"], suffixes)
    at_end = trailing | has_branch
    place = out["qualified"] & at_end & ~descriptive(out["qualifier"], out["core"]) & ~acronyms
    out["core"] = out["core"].where(~place, out["core"] + " " + out["qualifier"])
    glued = out["raw_squash"] + out["qualifier"].str.replace(" ", "", regex=False)
    out["raw_squash"] = out["raw_squash"].where(~place, glued)
    out["squash"] = _squash(out["core"], suffixes)
    stacked = pd.concat([out["key"], out["core"], out["trading"]]).dropna()
    stacked = stacked[stacked != ""]
    lists = group_lists(stacked.index, stacked, distinct=True, sort=True, index=out.index)
    out["forms"] = empty_lists(lists)
    return out
