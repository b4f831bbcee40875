"""What a folder of strangers' spreadsheets holds, inferred from the values themselves.

``hotpass init`` asks three questions the headers alone cannot answer: which column names
the organisation (``Restaurant``, ``Site name``, ``Название``... or no telling header at
all), which country the data is from (the region under which most phone numbers are
valid; web and e-mail country domains when there are no phones), and so which legal
suffixes and provinces apply. Each answer comes with its evidence in words, which the
drafted profile carries as a comment.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd
import phonenumbers

from .normalise import _phone_e164, split_phone_cell

SAMPLE = 60
"""Distinct values sampled per question (enough to decide, cheap to parse)."""
COMMON_REGIONS = (
    "US", "GB", "ZA", "CA", "AU", "NZ", "IE", "DE", "FR", "NL", "BE", "ES", "IT", "PT",
    "CH", "AT", "SE", "NO", "DK", "FI", "PL", "IN", "BR", "MX", "AR", "JP", "CN", "RU",
    "AE", "SA", "NG", "KE", "SG", "HK",
)  # fmt: skip
"""Tried first; every other region only when none of these explains most numbers."""

LEGAL_SUFFIXES: dict[str, list[str]] = {
    "ZA": ["(pty) ltd", "pty ltd", "(pty)", "pty", "ltd", "limited", "cc", "soc", "npc", "rf",
           "inc"],
    "US": ["inc", "incorporated", "llc", "l.l.c.", "corp", "corporation", "co", "company",
           "ltd", "lp", "llp", "pc", "pllc"],
    "CA": ["inc", "incorporated", "ltd", "ltee", "corp", "corporation", "llp"],
    "GB": ["ltd", "limited", "plc", "llp", "cic", "lp"],
    "IE": ["ltd", "limited", "dac", "clg", "plc", "teoranta"],
    "AU": ["pty ltd", "p/l", "pty", "ltd", "limited"],
    "NZ": ["ltd", "limited"],
    "DE": ["gmbh", "gmbh & co kg", "ag", "kg", "ug", "ohg", "e.v.", "ev", "gbr"],
    "AT": ["gmbh", "ag", "kg", "og"],
    "CH": ["ag", "gmbh", "sa", "sarl"],
    "FR": ["sa", "sas", "sasu", "sarl", "eurl", "sci", "snc"],
    "BE": ["nv", "bv", "bvba", "sa", "srl", "sprl", "vzw", "asbl"],
    "NL": ["bv", "b.v.", "nv", "n.v.", "vof", "cv"],
    "ES": ["sa", "sl", "s.l.", "s.a.", "slu"],
    "IT": ["spa", "s.p.a.", "srl", "s.r.l.", "snc", "sas"],
    "PT": ["lda", "sa"],
    "SE": ["ab"],
    "NO": ["as", "asa"],
    "DK": ["a/s", "aps"],
    "FI": ["oy", "oyj"],
    "PL": ["sp. z o.o.", "sp z oo", "sa"],
    "IN": ["pvt ltd", "private limited", "ltd", "limited", "llp"],
    "JP": ["kk", "kabushiki kaisha", "株式会社", "合同会社", "有限会社"],
    "CN": ["有限公司", "股份有限公司", "co ltd", "co., ltd", "ltd"],
    "RU": ["ооо", "оао", "зао", "пао", "ао", "ип"],
}  # fmt: skip
"""Legal-form words per country, removed from names for matching (never for display)."""
INTERNATIONAL_SUFFIXES = ["ltd", "limited", "inc", "llc", "plc", "gmbh", "co ltd"]

_CCTLD = {"uk": "GB"}
_GENERIC_TLDS = {"com", "org", "net", "edu", "gov", "info", "biz", "io", "co", "app", "eu"}
_SA_PROVINCE_WORDS = re.compile(
    r"\b(?:gauteng|kwa-?zulu|natal|limpopo|mpumalanga|free state|eastern cape|western cape|"
    r"northern cape|north west)\b",
    re.I,
)


@dataclass(frozen=True)
class Finding:
    """An inferred value and the evidence for it, in words."""

    value: str | None
    evidence: str
    tied: tuple[str, ...] = ()
    """Other regions that explain the data as well (told apart by other evidence)."""


def _sample(values: pd.Series, n: int = SAMPLE) -> list[str]:
    distinct = pd.Series(values.dropna().astype(str).unique())
    if len(distinct) > n:
        distinct = distinct.sample(n, random_state=0)
    return sorted(distinct.tolist())


def _valid_region(number: str, region: str) -> str | None:
    """The region a number really belongs to when Hotpass's own normaliser reads it as
    valid under ``region`` (so ``27832269672`` from a numeric cell counts as South African,
    as ingest will read it)."""
    e164 = _phone_e164(number, region)
    if e164 is None:
        return None
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164))


def phone_region(values: pd.Series) -> Finding:
    """The default region under which most sampled phone numbers are valid.

    Regions sharing a numbering plan (US, CA and the Caribbean under +1) are told apart by
    the region the valid numbers themselves belong to.
    """
    parts = split_phone_cell(values.dropna().astype(str))
    numbers = _sample(parts)
    if not numbers:
        return Finding(None, "no phone numbers")

    def score(regions: tuple[str, ...]) -> dict[str, tuple[int, Counter]]:
        out = {}
        for region in regions:
            owners = Counter(r for n in numbers if (r := _valid_region(n, region)))
            out[region] = (sum(owners.values()), owners)
        return out

    scores = score(COMMON_REGIONS)
    if max(v for v, _ in scores.values()) < len(numbers) / 2:
        rest = tuple(sorted(phonenumbers.SUPPORTED_REGIONS - set(COMMON_REGIONS)))
        scores |= score(rest)
    best = max(v for v, _ in scores.values())
    if best == 0:
        return Finding(None, f"none of {len(numbers)} sampled phone numbers is valid anywhere")
    tied = [r for r, (v, _) in scores.items() if v == best]
    owners = sum((scores[r][1] for r in tied), Counter())
    top = max(owners[r] for r in tied)
    leaders = sorted(r for r in tied if owners[r] == top)
    region = leaders[0]
    own = scores[region][1]
    share = own[region] / max(1, sum(own.values()))
    mix = ", ".join(f"{r} {n}" for r, n in own.most_common(4))
    if share < 0.5:  # international numbers from several countries: no one country
        return Finding(
            None,
            f"{best} of {len(numbers)} sampled phone numbers are valid, written with country "
            f"codes of several countries ({mix})",
        )
    return Finding(
        region,
        f"{best} of {len(numbers)} sampled phone numbers are valid as {region} numbers "
        f"(they belong to: {mix})",
        tuple(leaders),
    )


def domain_region(values: pd.Series) -> Finding:
    """The country most web and e-mail addresses are registered under (``.co.uk`` ->
    GB), ignoring generic domains."""
    hosts = (
        values.dropna()
        .astype(str)
        .str.lower()
        .str.extract(r"(?:@|//|^|www\.)([a-z0-9-]+(?:\.[a-z0-9-]+)*\.([a-z]{2,}))\b")[1]
    )
    tlds = hosts.dropna()
    country = tlds[(tlds.str.len() == 2) & ~tlds.isin(_GENERIC_TLDS)]
    if country.empty:
        return Finding(None, "no country domains")
    top, count = Counter(country).most_common(1)[0]
    region = _CCTLD.get(top, top.upper())
    if region not in phonenumbers.SUPPORTED_REGIONS:
        return Finding(None, f"domain .{top} names no known country")
    return Finding(region, f"{count} of {len(tlds)} web/e-mail domains end in .{top}")


def infer_region(phones: pd.Series, domains: pd.Series, provinces: pd.Series) -> Finding:
    """The data's country: from phones first, then country domains, then South African
    province names; None when nothing tells."""
    found = phone_region(phones)
    if len(found.tied) > 1:  # numbers valid in several countries alike: other evidence decides
        by_domain = domain_region(domains)
        sa = provinces.dropna().astype(str).str.contains(_SA_PROVINCE_WORDS)
        pick = by_domain.value if by_domain.value in found.tied else None
        if pick is None and "ZA" in found.tied and len(sa) and sa.mean() >= 0.5:
            pick = "ZA"
        if pick:
            return Finding(
                pick,
                f"phone numbers are valid alike in {', '.join(found.tied)}; "
                f"{by_domain.evidence if pick == by_domain.value else 'province names'} "
                f"decide {pick}",
            )
        return Finding(
            found.value,
            f"{found.evidence}; as valid in {', '.join(found.tied)}: a guess, check it or "
            "pass --region",
            found.tied,
        )
    if found.value or "several countries" in found.evidence:
        return found
    by_domain = domain_region(domains)
    if by_domain.value:
        return Finding(by_domain.value, f"{by_domain.evidence} ({found.evidence})")
    sa = provinces.dropna().astype(str).str.contains(_SA_PROVINCE_WORDS)
    if len(sa) and sa.mean() >= 0.5:
        return Finding("ZA", f"{int(sa.sum())} of {len(sa)} region values are SA provinces")
    return Finding(None, f"nothing tells the country ({found.evidence}; {by_domain.evidence})")


def legal_suffixes(region: str | None) -> list[str]:
    """Legal-form words to strip for matching in ``region`` (and the international ones)."""
    own = LEGAL_SUFFIXES.get(region or "", [])
    return list(dict.fromkeys([*own, *INTERNATIONAL_SUFFIXES]))


# --- which column names the organisation ------------------------------------------------

_NOT_NAME = re.compile(r"@|https?://|www\.|^\+?[\d\s()./-]{6,}$|^\d+(?:[.,]\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")


def name_likeness(values: pd.Series) -> float:
    """How much a column looks like names of organisations, 0..1: mostly distinct values
    with letters in them, short, not starting with a house number, not e-mails, URLs,
    phones or amounts, and not a handful of repeated categories."""
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if len(text) < 1:
        return 0.0
    distinct = text.nunique() / len(text)
    letters = text.str.contains(r"[^\W\d_]", regex=True).mean()
    not_other = 1 - text.str.contains(_NOT_NAME, regex=True).mean()
    house_number = text.str.match(r"^\d+[a-zA-Z]?\s").mean()
    codes = text.str.fullmatch(r"[A-Z0-9]{2,6}|[a-z0-9]{2,6}").mean()  # FAOR, ZA-01: codes
    length = text.str.len().median()
    fits = 1.0 if 3 <= length <= 70 else 0.3
    sentences = text.str.count(r"\s").median()
    wordy = 1.0 if sentences <= 8 else 0.3
    small = min(1.0, len(text) / 3)  # one value says little
    return float(
        distinct * letters * not_other * (1 - house_number) * (1 - codes) * fits * wordy * small
    )


def name_column(frame: pd.DataFrame, candidates: list[str]) -> Finding:
    """The column among ``candidates`` that looks most like organisation names (leftmost
    wins ties), if any looks like names at all (score 0.6 or more)."""
    scored = [(name_likeness(frame[c]), -i, c) for i, c in enumerate(candidates)]
    scored = [s for s in scored if s[0] >= 0.6]
    if not scored:
        return Finding(None, "no column holds mostly distinct name-like text")
    score, _, column = max(scored)
    values = frame[column].dropna()
    return Finding(
        column,
        f"by content: {values.nunique()} distinct of {len(values)} values, "
        f"name-like score {score:.2f}",
    )


def looks_like(values: pd.Series, kind: str) -> float:
    """Share of a column's values that look like ``phone``, ``email`` or ``website``."""
    text = values.dropna().astype(str).str.strip()
    if text.empty:
        return 0.0
    pattern = {
        "email": r"^[^@\s]+@[^@\s]+\.[a-z]{2,}",
        "website": r"^(?:https?://|www\.)|^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/\S*)?$",
        "phone": r"^(?:\+|00)?[\d\s()./-]{7,}$",
    }[kind]
    hits = text.str.contains(pattern, case=False, regex=True)
    if kind == "phone":  # 2024-03-10 and 10/03/2024 are dates, not numbers
        hits &= ~text.str.contains(_DATE, regex=True)
    return float(hits.mean())
