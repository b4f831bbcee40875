"""A second, independent generator of messy look-alikes of the three aviation workbooks.

Same files, sheets, headers and layout quirks as :mod:`hotpass_lib.samples` (so the
``aviation`` profile reads them and ``ground_truth.csv`` scores them the same way), but a
different corruption model, written to judge entity resolution on data it was not fitted to:

* names: trading-as forms in many spellings (``X (t/a Y)``, ``X t/a Y``, ``X ta Y``,
  ``X (Trading As Y) Ltd``, garbled ``(T/AK aroo Wings)``), holding-company legal names
  (``M A D Investments``) trading as a school, parenthesised qualifiers, legal suffixes in
  any form and position, abbreviations (``Aero``/``Aeronautical``, ``Intl``, ``&``),
  dropped words, ``The``, numbers as digits or words, transpositions, dropped letters,
  split and merged tokens (``Flyin gInstitute``, ``InstituteP ty Ltd``), case and spacing;
* hard negatives that must stay apart: a name and the same name with one more
  distinguishing word (``Tugela Skies School`` / ``Tugela Skies School Cape``), and branches
  of one brand in different provinces (own phones, website paths under the brand's host);
* fields: many rows without phone, e-mail or website; some organisations only on free mail;
  each person their own mobile and e-mail; organisation domains otherwise unique;
* contacts naming their company in another spelling than the organisation sheet (the
  lookup formula then caches ``0``), a few naming a company listed only in another workbook;
  within-sheet duplicate organisation rows.

``ground_truth.csv`` has the columns of the bundled generator (``source_record_id``,
``expected``, ``true_org_id``, ``true_contact_id``), contact rows included. Everything is
synthetic: words from fixed lists, people from Faker with a fixed seed, numbers at random.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from faker import Faker

from .atomic import atomic_dir
from .normalise import OFFICIAL_PROVINCES
from .samples import (
    CONTACT_DB_FILE,
    GROUND_TRUTH_FILE,
    REACHOUT_FILE,
    SACAA_FILE,
    SampleResult,
    _Book,
    _scratch_sheets,
)

DISTINCT = (
    "Tugela", "Kalahari", "Hex River", "Magalies", "Zululand", "Lebombo", "Crocodile",
    "Outeniqua", "Cederberg", "Soutpansberg", "Amatola", "Pilanesberg", "Tsitsikamma",
    "Swartberg", "Langeberg", "Sabie", "Letaba", "Olifants", "Vaal", "Orange River",
    "Richtersveld", "Namaqua", "Maluti", "Mkuze", "Hluhluwe", "Pongola", "Kosi Bay",
    "Wild Coast", "Garden Route", "Overberg", "Boland", "Bushbuck", "Nyala", "Eland", "Oryx",
    "Gemsbok", "Secretary Bird", "Fish Eagle", "Hornbill", "Oxpecker", "Hamerkop", "Korhaan",
    "Black Eagle", "Bateleur", "Klipspringer", "Rooikat", "Duiker", "Steenbok", "Blesbok",
    "Southern Cross", "Aurora", "Polaris", "Sirius", "Altair", "Riverside", "Hilltop",
    "Sandveld", "Suikerbos", "Marico", "Karee", "Witbank", "Vryheid", "Ermelo", "Komati",
    "Tzaneen", "Mokopane", "Makhado", "Phalaborwa", "Umhlanga", "Ballito", "Plettenberg",
    "Knysna", "Hermanus", "Langebaan", "Saldanha", "Upington", "Springbok Flats", "Kuruman",
    "Mafikeng", "Rustenburg", "Potch", "Parys", "Harrismith", "Bethlehem", "Ficksburg",
)  # fmt: skip
SECOND = ("Skies", "Wings", "Air", "Sky", "Airborne", "Heights", "Valley", "Ridge", "Peak")
OPTIONAL = frozenset({*SECOND, "Flight", "Flying", "Aviation", "Pilot", "Aircraft", "General"})
NUMBERED = ("Runway", "Hangar", "Sector", "Echo", "Papa", "Whiskey", "Foxtrot")
NUMBER_WORDS = {"4": "Four", "7": "Seven", "9": "Nine", "12": "Twelve", "21": "Twenty One"}
CORES = {
    "Flight School": (
        "Flight School", "Flying Institute", "School of Flight", "Flight Training Centre",
        "Aero Club", "Aeronautical Academy", "Aviation Academy", "Flying Club",
        "Pilot Academy", "Skies School", "International Flight School", "Flight and Charter",
    ),
    "AMO": (
        "Aero Maintenance", "Aircraft Maintenance Organisation", "Aeronautical Engineering",
        "Aero Solutions", "Avionics and Instruments", "Aircraft Services", "Aero Works",
    ),
    "AMO - Heli": ("Heli Maintenance", "Helicopter Services", "Rotor Works", "Heli Solutions"),
    "Brokers": ("Aviation Brokers", "Insurance Brokers", "Risk and Insurance Brokers"),
    "Insurance": ("Aviation Insurance", "Aero Assurance", "General Insurance"),
    "Underwriter": ("Underwriting Managers", "Aviation Underwriters"),
    "Motorsport": ("Motorsport", "Racing and Aero"),
}  # fmt: skip
CATEGORY_P = {
    "Flight School": 0.5,
    "AMO": 0.2,
    "AMO - Heli": 0.07,
    "Brokers": 0.07,
    "Insurance": 0.05,
    "Underwriter": 0.04,
    "Motorsport": 0.07,
}
ABBREVIATIONS = (
    ("Aeronautical", ("Aero",)),
    ("Aero", ("Aeronautical",)),
    ("International", ("Intl", "Int'l", "Intl.")),
    ("and", ("&",)),
    ("Services", ("Svcs", "Service")),
    ("Maintenance", ("Maint",)),
    ("Centre", ("Center", "Ctr")),
    ("Helicopter", ("Heli",)),
    ("Engineering", ("Eng", "Engineers")),
    ("Organisation", ("Org", "Organization")),
    ("Academy", ("Acad",)),
)
LEGAL_FORMS = {
    "Pty Ltd": (
        "Pty Ltd",
        "(Pty) Ltd",
        "PTY LTD",
        "(PTY) LTD",
        "Pty. Ltd.",
        "(Pty)Ltd",
        "(pty) ltd",
    ),
    "CC": ("CC", "cc", "C.C."),
    "Ltd": ("Ltd", "Limited", "LTD"),
    "NPC": ("NPC", "(NPC)", "NPC (RF)"),
}
LEGAL_P = {"": 0.35, "Pty Ltd": 0.4, "CC": 0.15, "Ltd": 0.06, "NPC": 0.04}
HOLDING = ("Investments", "Holdings", "Trust", "Enterprises", "Group")
QUALIFIERS = ("Flight School", "ATO", "Training", "Head Office", "Flying School", "Aviation")
EXTENSIONS = ("Cape", "North", "East", "Academy", "Heli", "Charter", "Two", "Technical")
CITIES = {
    "George": "Western Cape", "Polokwane": "Limpopo", "Nelspruit": "Mpumalanga",
    "Durban": "KwaZulu-Natal", "Bloemfontein": "Free State", "Kimberley": "Northern Cape",
    "Gqeberha": "Eastern Cape", "Rustenburg": "North West", "Lanseria": "Gauteng",
}  # fmt: skip
AREA = {
    "KwaZulu-Natal": ("KZN", "Kwa-Zulu Natal", "Natal", "KwaZulu Natal"),
    "Western Cape": ("Western Cape", "WC", "Cape Town"),
    "Gauteng": ("Gauteng", "GP", "Johannesburg", "Pretoria"),
    "Eastern Cape": ("Eastern Cape", "EC", "E Cape"),
    "Free State": ("Free State", "FS", "OFS"),
    "Limpopo": ("Limpopo", "LP", "Northern Province"),
    "Mpumalanga": ("Mpumalanga", "MP"),
    "Northern Cape": ("Northern Cape", "NC", "N Cape"),
    "North West": ("North West", "NW", "Northwest"),
}
ROLES = (
    "Accountable Manager", "Head of Training", "CFI", "Owner", "Managing Director",
    "Quality Manager", "Maintenance Manager", "Admin", "Bookings", "Ops",
)  # fmt: skip
FREE_MAIL = ("gmail.com", "yahoo.co.uk", "outlook.com", "mweb.co.za", "telkomsa.net", "iafrica.com")
MOBILE = ("60", "61", "62", "71", "72", "73", "74", "76", "78", "79", "81", "82", "83", "84")
LANDLINE = ("10", "11", "12", "13", "14", "15", "16", "17", "18", "21", "22", "23", "31", "33")
AIRCRAFT = ("C172", "C182", "PA-28", "PA-34", "R44", "R22", "Sling 4", "Bell 407", "Tecnam")
TYPES = ("Fixed-wing", "Helicopter", "Fixed-wing and Helicopter", "UAVs", "Gyro", "Microlight")
CREATED = dt.datetime(2025, 11, 1, 9, 0, 0)
# Share of true organisations each organisation sheet lists.
SHARE = {"sacaa": 0.38, "reachout": 0.4, "company_cat": 0.8, "capture": 0.08}
# Name form per sheet for organisations with a trading name: combined, trading, legal.
TRADE_FORMS = {
    "sacaa": (0.55, 0.3, 0.15),
    "reachout": (0.3, 0.6, 0.1),
    "company": (0.5, 0.3, 0.2),
    "quicknooks": (0.2, 0.0, 0.8),
    "capture": (0.2, 0.75, 0.05),
    "contact": (0.35, 0.45, 0.2),
}


@dataclass(frozen=True)
class MessySampleResult(SampleResult):
    """Paths written by :func:`write_messy_samples`, plus the hard-negative pairs
    (``kind``, ``left``/``right`` true org ids and canonical names) that must stay apart."""

    hard_negatives: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class _Org:
    true_org_id: str
    legal: str  # legal name without suffix
    trade: str  # trading name ("" when none)
    legal_form: str  # key of LEGAL_FORMS or ""
    category: str
    province: str
    domain: str  # "" when the organisation uses free mail only
    website: str  # "" when it has none
    landline: str
    qualifier: str = ""
    city: str = ""  # branch city, for branches of one brand
    protected: tuple[str, ...] = ()  # words no corruption may touch or drop
    shortened: frozenset[str] = frozenset()  # names with a word dropped that stay unambiguous
    people: list[dict[str, str]] = field(default_factory=list)


def _pick(rng: np.random.Generator, options: tuple | list) -> Any:
    return options[int(rng.integers(len(options)))]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


class _Numbers:
    """Unique random phone numbers and e-mail addresses."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng, self.seen = rng, set[str]()

    def phone(self, prefixes: tuple[str, ...]) -> str:
        while True:
            number = f"+27{_pick(self.rng, prefixes)}{int(self.rng.integers(1_000_000, 9_999_999))}"
            if number not in self.seen:
                self.seen.add(number)
                return number

    def unique(self, value: str) -> str:
        out, k = value, 1
        while out in self.seen:
            k += 1
            local, _, host = value.partition("@")
            out = f"{local}{k}@{host}" if host else f"{value}{k}"
        self.seen.add(out)
        return out


def _base_name(rng: np.random.Generator, category: str) -> str:
    if rng.random() < 0.06:
        first = f"{_pick(rng, NUMBERED)} {_pick(rng, tuple(NUMBER_WORDS))}"
    else:
        first = _pick(rng, DISTINCT)
        if rng.random() < 0.35:
            first += " " + _pick(rng, SECOND)
    core = _pick(rng, CORES[category])
    if first.split()[-1] in core.split():  # no "Skies Skies School"
        first = first.rsplit(" ", 1)[0]
    return f"{first} {core}"


def _truth(n_orgs: int, rng: np.random.Generator, fake: Faker) -> tuple[list[_Org], list[dict]]:
    """The real organisations (with extension siblings and branches) and hard negatives."""
    nums = _Numbers(rng)
    categories = rng.choice(list(CATEGORY_P), size=n_orgs, p=list(CATEGORY_P.values()))
    forms = rng.choice(list(LEGAL_P), size=n_orgs, p=list(LEGAL_P.values()))
    provinces = rng.choice(OFFICIAL_PROVINCES, size=n_orgs)
    last_pool = sorted({fake.last_name() for _ in range(300)})
    first_pool = sorted({fake.first_name() for _ in range(500)})
    orgs: list[_Org] = []
    pairs: list[dict] = []
    names: set[str] = set()
    domains: set[str] = set()

    def domain_for(name: str, extra: str = "") -> str:
        words = [w for w in re.findall(r"[A-Za-z0-9]+", name) if w.lower() not in {"and", "of"}]
        stem = _slug("".join(words[:2])) + _slug(extra)
        for candidate in (stem, _slug("".join(words[:3])), f"{stem}sa", f"fly{stem}"):
            host = candidate + _pick(rng, (".co.za", ".co.za", ".com", ".aero", ".org.za"))
            if host not in domains:
                domains.add(host)
                return host
        return nums.unique(stem) + ".co.za"

    def new_name(category: str) -> str:
        for _ in range(30):
            name = _base_name(rng, category)
            if name not in names:
                break
        else:
            name = f"{name} {len(orgs)}"
        names.add(name)
        return name

    def add(org: _Org) -> _Org:
        orgs.append(org)
        return org

    i = 0
    while len(orgs) < n_orgs:
        category, form, province = categories[i], forms[i], provinces[i]
        i += 1
        oid = f"M{len(orgs):06d}"
        legal, trade = new_name(category), ""
        r = rng.random()
        if r < 0.13:  # trading-as: a holding company, or one aviation name trading as another
            trade = new_name(category)
            if rng.random() < 0.5:
                initials = " ".join(rng.choice(list("ABCDGJKLMNPRST"), size=3))
                owner = initials if rng.random() < 0.6 else _pick(rng, last_pool)
                legal = f"{owner} {_pick(rng, HOLDING)}"
                if legal in names:
                    legal = f"{legal} {len(orgs)}"
                names.add(legal)
        own_domain = rng.random() > 0.15
        domain = domain_for(trade or legal) if own_domain else ""
        website = f"{domain}" if domain and rng.random() < 0.85 else ""
        org = add(
            _Org(
                oid, legal, trade, form, category, province, domain, website,
                nums.phone(LANDLINE),
                qualifier=_pick(rng, QUALIFIERS) if rng.random() < 0.07 and not trade else "",
            )
        )  # fmt: skip
        if len(orgs) < n_orgs and not trade and rng.random() < 0.045:
            # Hard negative: the same name with one more distinguishing word.
            extra = _pick(rng, [e for e in EXTENSIONS if e not in legal.split()])
            sibling = f"{legal} {extra}"
            names.add(sibling)
            other = add(
                _Org(
                    f"M{len(orgs):06d}", sibling, "", _pick(rng, list(LEGAL_FORMS)), category,
                    _pick(rng, OFFICIAL_PROVINCES), domain_for(legal, extra), "",
                    nums.phone(LANDLINE), protected=(extra,),
                )
            )  # fmt: skip
            other.website = other.domain if rng.random() < 0.7 else ""
            pairs.append(
                {"kind": "extra_word", "left": oid, "right": other.true_org_id,
                 "left_name": legal, "right_name": sibling}
            )  # fmt: skip
        elif len(orgs) + 2 <= n_orgs and not trade and rng.random() < 0.03:
            # Hard negatives: branches of one brand in different provinces.
            cities = list(rng.choice(sorted(CITIES), size=int(rng.integers(2, 4)), replace=False))
            host = org.domain or domain_for(legal)
            org.city, org.province, org.protected = cities[0], CITIES[cities[0]], (cities[0],)
            org.domain, org.website = host, f"{host}/{_slug(cities[0])}"
            for city in cities[1:]:
                if len(orgs) >= n_orgs:
                    break
                branch = add(
                    _Org(
                        f"M{len(orgs):06d}", legal, "", form, category, CITIES[city], host,
                        f"{host}/{_slug(city)}", nums.phone(LANDLINE), city=city,
                        protected=(city,),
                    )
                )  # fmt: skip
                pairs.append(
                    {"kind": "branch", "left": oid, "right": branch.true_org_id,
                     "left_name": f"{legal} ({cities[0]})", "right_name": f"{legal} ({city})"}
                )  # fmt: skip

    for org in orgs:
        for k in range(int(rng.choice([0, 1, 1, 2, 2, 3, 4]))):
            first, last = _pick(rng, first_pool), _pick(rng, last_pool)
            f, s = _slug(first), _slug(last)
            local = _pick(rng, (f, f"{f}.{s}", f"{f[0]}{s}", f"{f}{s[0]}", f"{f[0]}.{s}"))
            if org.domain and rng.random() < 0.8:
                email = nums.unique(f"{local}@{org.domain}")
            else:
                email = nums.unique(f"{local}{int(rng.integers(1, 99))}@{_pick(rng, FREE_MAIL)}")
            org.people.append(
                {
                    "true_contact_id": f"{org.true_org_id}-C{k}",
                    "first_name": first,
                    "last_name": last,
                    "role": _pick(rng, ROLES),
                    "email": email,
                    "mobile": nums.phone(MOBILE),
                }
            )
    _shortenings(orgs)
    return orgs, pairs


def _shortenings(orgs: list[_Org]) -> None:
    """Allow dropping an optional middle word only where the shortened name is no other
    organisation's name nor another organisation's shortened name."""
    taken = {n for o in orgs for n in (o.legal, o.trade) if n}
    short: dict[str, set[str]] = {}
    for o in orgs:
        for name in (o.legal, o.trade):
            words = name.split()
            for i in range(1, len(words) - 1):
                if words[i] in OPTIONAL and words[i] not in o.protected:
                    short.setdefault(" ".join(words[:i] + words[i + 1 :]), set()).add(o.true_org_id)
    for o in orgs:
        o.shortened = frozenset(
            n for n, ids in short.items() if ids == {o.true_org_id} and n not in taken
        )


def _abbreviate(words: list[str], rng: np.random.Generator, locked: set[int]) -> list[str]:
    spots = [
        (i, alts)
        for i, w in enumerate(words)
        if i not in locked
        for full, alts in ABBREVIATIONS
        if w == full
    ]
    if spots:
        i, alts = spots[int(rng.integers(len(spots)))]
        words = [*words[:i], _pick(rng, alts), *words[i + 1 :]]
    return words


def _word_edits(name: str, org: _Org, rng: np.random.Generator) -> str:
    """Word-level changes: abbreviations, a dropped word, ``The``, numbers as words."""
    words = name.split()
    drops = [
        i for i in range(1, len(words) - 1)
        if " ".join(words[:i] + words[i + 1 :]) in org.shortened
    ]  # fmt: skip
    if drops and rng.random() < 0.12:
        del words[_pick(rng, drops)]
    locked = {i for i, w in enumerate(words) if w in org.protected} | {0}
    if rng.random() < 0.3:
        words = _abbreviate(words, rng, locked)
    out = " ".join(words)
    for digits, word in NUMBER_WORDS.items():
        if re.search(rf"\b{digits}\b", out) and rng.random() < 0.3:
            out = re.sub(rf"\b{digits}\b", word, out)
    if rng.random() < 0.04:
        out = f"The {out}"
    return out


def _suffix(org: _Org, rng: np.random.Generator, keep: float = 0.55) -> str:
    if not org.legal_form or rng.random() > keep:
        return ""
    return " " + _pick(rng, LEGAL_FORMS[org.legal_form])


def _trading(legal: str, trade: str, suffix: str, rng: np.random.Generator) -> str:
    """``legal`` trading as ``trade``, in one of many spellings."""
    r = rng.random()
    if r < 0.07:  # the space after T/A slipped one letter to the right
        return f"{legal}{suffix} (T/A{trade[0]} {trade[1:]})"
    templates = (
        "{l}{s} (t/a {t})",
        "{l} (t/a {t}){s}",
        "{l}{s} t/a {t}",
        "{l} (Trading As {t}){s}",
        "{l} (trading as {t}){s}",
        "{l}{s} T/A {t}",
        "{l}{s} - t/a {t}",
        "{l}{s} ta {t}",
        "{l}{s} (T/A {t})",
    )
    return _pick(rng, templates).format(l=legal, s=suffix, t=trade)


def _spans(text: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for w in words for m in re.finditer(re.escape(w), text)]


def _char_slip(text: str, org: _Org, rng: np.random.Generator) -> str:
    """At most one keyboard slip, never inside a protected word."""
    spans = _spans(text, org.protected)

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in spans)

    r = rng.random()
    words = [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z]{5,}", text)]
    spaces = [m.start() for m in re.finditer(r"(?<=[A-Za-z]{3}) (?=[A-Za-z]{3})", text)]
    words = [(a, b) for a, b in words if free(a, b)]
    spaces = [p for p in spaces if free(p - 2, p + 2)]
    if r < 0.08 and words:  # transposition: School -> Shcool
        a, b = words[int(rng.integers(len(words)))]
        at = int(rng.integers(a + 1, b - 1))
        return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    if r < 0.12 and spaces:  # space one letter to the left: Flyin gInstitute
        p = _pick(rng, spaces)
        return text[: p - 1] + " " + text[p - 1] + text[p + 1 :]
    if r < 0.15 and spaces:  # space one letter to the right: InstituteP ty
        p = _pick(rng, spaces)
        return text[:p] + text[p + 1] + " " + text[p + 2 :]
    if r < 0.19 and spaces:  # merged tokens: SkyWings
        p = _pick(rng, spaces)
        return text[:p] + text[p + 1 :]
    if r < 0.21 and words:  # split token: Aero nautical
        a, b = words[int(rng.integers(len(words)))]
        at = int(rng.integers(a + 2, b - 2))
        return text[:at] + " " + text[at:]
    if r < 0.24 and words:  # a letter left out: Kalahri
        a, b = words[int(rng.integers(len(words)))]
        at = int(rng.integers(a + 1, b - 1))
        return text[:at] + text[at + 1 :]
    return text


def _spell(org: _Org, rng: np.random.Generator, style: str) -> str:
    """One source's spelling of an organisation's name."""
    legal = _word_edits(org.legal, org, rng)
    if org.trade:
        form = rng.choice(3, p=TRADE_FORMS[style])
        trade = _word_edits(org.trade, org, rng)
        if form == 0:
            out = _trading(legal, trade, _suffix(org, rng), rng)
        else:
            out = (trade if form == 1 else legal) + _suffix(org, rng, 0.4 if form == 1 else 0.7)
    else:
        out = legal + _suffix(org, rng)
    if org.city and (style in {"company", "quicknooks"} or rng.random() < 0.65):
        out += _pick(rng, (" ({c})", " - {c}", " {c}", " {c} Branch")).format(c=org.city)
    if org.qualifier and rng.random() < 0.45:
        out = f"{out} ({org.qualifier})" if rng.random() < 0.7 else f"({org.qualifier}) {out}"
    out = _char_slip(out, org, rng)
    r = rng.random()
    if r < 0.07:
        out = out.upper()
    elif r < 0.11:
        out = out.lower()
    elif r < 0.14:
        out = f"{out} "
    elif r < 0.16:
        out = out.replace(" ", "  ", 1)
    elif r < 0.18:
        out = f"{out}."
    return out


def _respell(org: _Org, rng: np.random.Generator, style: str, avoid: str) -> str:
    """A spelling other than ``avoid`` (if one comes up within a few tries)."""
    out = avoid
    for _ in range(6):
        out = _spell(org, rng, style)
        if out.strip().lower() != avoid.strip().lower():
            break
    return out


def _spaced(e164: str, rng: np.random.Generator) -> str:
    forms = (
        f"{e164[:3]} {e164[3:5]} {e164[5:8]} {e164[8:]}",
        f"0{e164[3:5]} {e164[5:8]} {e164[8:]}",
        f"({e164[3:6]}) {e164[6:9]} {e164[9:]}",
        f"0{e164[3:]}",
        e164,
    )
    return _pick(rng, forms)


def _website(org: _Org, rng: np.random.Generator, keep: float = 0.65) -> str:
    if not org.website or rng.random() > keep:
        return ""
    host, _, path = org.website.partition("/")
    tail = f"/{path}" if path else ""
    forms = (
        f"https://www.{host}{tail}",
        f"www.{host}{tail}",
        f"http://{host}{tail}",
        f"{host}{tail}",
        f"https://{host}{tail}/contact-us",
        f"WWW.{host.upper()}{tail}",
    )
    return _pick(rng, forms)


def _messy_email(email: str, rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.08:
        return f"\u00a0{email} "
    if r < 0.12:
        return f"{email}."
    if r < 0.17:
        return email.capitalize()
    if r < 0.2:
        return f"<{email}>"
    return email


def _write_sacaa(path: Path, orgs: list[_Org], rng: np.random.Generator, truth: list) -> None:
    book = _Book(path, truth)
    ws = book.sheet(
        "Cleaned",
        [
            "Name of Organisation",
            "Province",
            "Status",
            "Website URL",
            "Contact Person",
            "Contact Number",
            "Contact Email Address",
        ],
    )
    issues: list[tuple[int, str]] = []
    for r, org in enumerate(orgs, start=2):
        notes: list[str] = []
        province = org.province if org.city or rng.random() > 0.1 else "Unknown"
        website = _website(org, rng)
        chosen = org.people[: int(rng.integers(0, 3))]
        if chosen and rng.random() > 0.12:
            person = "; ".join(f"{p['first_name']} {p['last_name']} ({p['role']})" for p in chosen)
        else:
            person = _pick(
                rng, ("Accountable Manager (Not Publicly Listed)", "", "Head of Training")
            )
        phone = ""
        if org.city or rng.random() < 0.72:
            phone = _spaced(chosen[0]["mobile"] if chosen else org.landline, rng)
        if chosen and rng.random() < 0.75:
            email = "; ".join(p["email"] for p in chosen)
        elif org.domain and rng.random() < 0.5:
            email = f"info@{org.domain}"
        else:
            email = ""
        for cond, note in (
            (province == "Unknown", "Unknown province"),
            (not website, "Missing/invalid website"),
            (not phone, "Invalid/missing phone"),
            (not email, "Missing email"),
        ):
            if cond:
                notes.append(note)
        values = [
            _spell(org, rng, "sacaa"),
            province,
            "Active" if rng.random() < 0.8 else "Invalid",
            website,
            person,
            phone,
            email,
        ]
        for c, v in enumerate(values):
            if v:
                ws.write_string(r - 1, c, v)
        book.mark("Cleaned", r, "merged", org.true_org_id)
        if notes:
            issues.append((r, "; ".join(notes)))
    ws = book.sheet("Issues", ["Row", "Issues"])
    for i, (row, text) in enumerate(issues, start=1):
        ws.write_number(i, 0, row)
        ws.write_string(i, 1, text)
    ws = book.sheet("Lists", ["Provinces", "Statuses"])
    for i, p in enumerate([*OFFICIAL_PROVINCES, "Unknown"], start=1):
        ws.write_string(i, 0, p)
    for i, s in enumerate(("Active", "Invalid"), start=1):
        ws.write_string(i, 1, s)
    book.close()


def _write_reachout(
    path: Path, orgs: list[_Org], others: list[_Org], rng: np.random.Generator, truth: list
) -> None:
    book = _Book(path, truth)
    header = [
        "Organisation Name", "ID", "Reachout Date", "Recent_Touch_Ind", "Area", "Distance",
        "Type", "Website", "Address", "Planes", "Description Type", "Notes", "Open Questions",
        None, None, None,
    ]  # fmt: skip
    ws = book.sheet("Organisation", header)
    spelled: dict[str, tuple[int, str]] = {}
    for r, org in enumerate(orgs, start=2):
        name = _spell(org, rng, "reachout")
        spelled[org.true_org_id] = (r, name)
        ws.write_string(r - 1, 0, name)
        if rng.random() < 0.25:
            day = dt.datetime(2025, 2, 1) + dt.timedelta(days=int(rng.integers(0, 250)))
            ws.write_datetime(r - 1, 2, day, book.date_fmt)
        ws.write_string(r - 1, 3, _pick(rng, ("Y", "N", "N", "")))
        if org.city or rng.random() < 0.7:
            ws.write_string(r - 1, 4, _pick(rng, AREA[org.province]))
        ws.write_string(r - 1, 5, _pick(rng, ("<100km", "100km-220km", "220km+")))
        if rng.random() < 0.25:
            ws.write_string(r - 1, 6, _pick(rng, TYPES))
        if website := _website(org, rng, 0.55):
            ws.write_string(r - 1, 7, website)
        if org.city or rng.random() < 0.3:
            town = org.city or _pick(rng, sorted(CITIES))
            ws.write_string(r - 1, 8, f"Hangar {int(rng.integers(1, 60))}, {town} Airfield")
        if rng.random() < 0.4:
            fleet = rng.choice(AIRCRAFT, size=int(rng.integers(1, 4)), replace=False)
            ws.write_string(r - 1, 9, "; ".join(fleet))
        if rng.random() < 0.15:
            ws.write_string(r - 1, 11, _pick(rng, ("Call back in March", "Sent brochure")))
        book.mark("Organisation", r, "merged", org.true_org_id)
    allocated = max(len(orgs) + 5, round(len(orgs) * 1030 / 175))
    for r in range(2, allocated + 2):
        ws.write_formula(r - 1, 1, f"=ROW(A{r})", None, r)
        if r > len(orgs) + 1:
            book.mark("Organisation", r, "skipped")

    header = [
        "ID", "Organisation Name", "Reachout Date", "Firstname", "Surname", "Position",
        "Phone", "WhatsApp", "Email", "Invalid", None,
    ]  # fmt: skip
    wc = book.sheet("Contact Info", header)
    r = 2
    listed = [o for o in orgs if o.people and rng.random() < 0.8]
    stray = [o for o in others if o.people and rng.random() < 0.04]
    for org in listed + stray:
        row, name = spelled.get(org.true_org_id, (0, ""))
        # The lookup formula finds the row only when the name is typed exactly the same.
        if not name or rng.random() < 0.35:
            name = _respell(org, rng, "contact", name)
        cached = row if name == spelled.get(org.true_org_id, (0, ""))[1] else 0
        for p in org.people[: int(rng.integers(1, 4))]:
            formula = f"=IFERROR(INDEX(Organisation!B:B,MATCH(B{r},Organisation!A:A,0)),0)"
            wc.write_formula(r - 1, 0, formula, None, cached)
            wc.write_string(r - 1, 1, name)
            wc.write_string(r - 1, 3, p["first_name"])
            wc.write_string(r - 1, 4, p["last_name"])
            wc.write_string(r - 1, 5, p["role"])
            if rng.random() < 0.85:
                wc.write_string(r - 1, 6, _spaced(p["mobile"], rng))
            if rng.random() < 0.25:
                wc.write_string(r - 1, 7, p["mobile"])
            if rng.random() < 0.8:
                wc.write_string(r - 1, 8, _messy_email(p["email"], rng))
            book.mark("Contact Info", r, "merged", org.true_org_id, p["true_contact_id"])
            r += 1
    allocated = max(r + 5, round(len(orgs) * 2100 / 175))
    for rr in range(r, allocated + 2):
        formula = f"=IFERROR(INDEX(Organisation!B:B,MATCH(B{rr},Organisation!A:A,0)),0)"
        wc.write_formula(rr - 1, 0, formula, None, 0)
        book.mark("Contact Info", rr, "skipped")
    book.sheet("Sheet1", [])
    book.close()


def _write_contact_db(
    path: Path,
    orgs: list[_Org],
    capture: list[_Org],
    others: list[_Org],
    rng: np.random.Generator,
    truth: list,
) -> None:
    book = _Book(path, truth)
    header: list[str | None] = [
        "C_ID", "Company", "QuickNooks_Name", "Last_Order_Date", "Category", "Strat",
        "Priority", "Status", "LoadDate", "Checked", "Website",
    ]  # fmt: skip
    ws = book.sheet("Company_Cat", header)
    statuses = ("Investigate", "Contacted - Email", "Last Order", "NTC", "DNC", "Likely Closed")
    # A few organisations were catalogued twice, under two spellings.
    rows = orgs + [o for o in orgs if rng.random() < 0.04]
    order = rng.permutation(len(rows))
    rows = [rows[int(k)] for k in order]
    allocated = max(len(rows) + 5, round(len(rows) * 620 / 430))
    company: dict[str, str] = {}
    quicknooks: dict[str, str] = {}
    for r in range(2, allocated + 2):
        ws.write_formula(r - 1, 0, "=ROW()-1", None, r - 1)
        ws.write_formula(
            r - 1, 3, f"=IFERROR(MAXIFS('Order Dates'!B:B,'Order Dates'!A:A,C{r}),\"\")", None, ""
        )
        if r - 2 >= len(rows):
            book.mark("Company_Cat", r, "skipped")
    for r, org in enumerate(rows, start=2):
        name = _spell(org, rng, "company")
        if org.true_org_id in company:
            name = _respell(org, rng, "company", company[org.true_org_id])
        company.setdefault(org.true_org_id, name)
        ws.write_string(r - 1, 1, name)
        if rng.random() < 0.6:
            qb = _spell(org, rng, "quicknooks").upper()
            quicknooks.setdefault(org.true_org_id, qb)
            ws.write_string(r - 1, 2, qb)
        if rng.random() < 0.3:
            ws.write_string(r - 1, 4, org.category)
        ws.write_string(r - 1, 5, _pick(rng, ("A", "B", "C", "")))
        ws.write_number(r - 1, 6, int(rng.integers(1, 4)))
        if rng.random() < 0.55:
            ws.write_string(r - 1, 7, _pick(rng, statuses))
        day = dt.datetime(2024, 1, 15) + dt.timedelta(days=int(rng.integers(0, 600)))
        ws.write_datetime(r - 1, 8, day, book.date_fmt)
        ws.write_string(r - 1, 9, "Y" if rng.random() < 0.4 else "")
        if website := _website(org, rng, 0.6):
            ws.write_string(r - 1, 10, website)
        book.mark("Company_Cat", r, "merged", org.true_org_id)

    header = [
        "C_ID", "Company", "Status", "FirstName", "Surname", "Position", "Cellnumber",
        "Email", "Landline",
    ]  # fmt: skip
    wc = book.sheet("Company_Contacts", header)
    r = 2
    listed = [o for o in orgs if o.people and rng.random() < 0.7]
    stray = [o for o in others if o.people and rng.random() < 0.05]
    for org in listed + stray:
        typed = company.get(org.true_org_id, "")
        q = rng.random()
        if not typed or q < 0.3:
            ref = _respell(org, rng, "contact", typed)
        elif q < 0.5 and org.true_org_id in quicknooks:
            ref = quicknooks[org.true_org_id]
        else:
            ref = typed
        cached = quicknooks.get(org.true_org_id, 0) if ref == typed else 0
        for p in org.people[: int(rng.integers(1, 4))]:
            formula = f"=IFERROR(VLOOKUP(B{r},Company_Cat!B:C,2,FALSE),0)"
            wc.write_formula(r - 1, 0, formula, None, cached)
            wc.write_string(r - 1, 1, ref)
            wc.write_string(r - 1, 2, _pick(rng, ("Active", "Left", "", "")))
            if rng.random() < 0.1:  # a full name typed into FirstName
                wc.write_string(r - 1, 3, f"{p['first_name']} {p['last_name']}")
            else:
                wc.write_string(r - 1, 3, p["first_name"])
                wc.write_string(r - 1, 4, p["last_name"])
            wc.write_string(r - 1, 5, p["role"])
            if rng.random() < 0.85:
                wc.write_number(r - 1, 6, int(p["mobile"][1:]))
            wc.write_string(r - 1, 7, _messy_email(p["email"], rng))
            if rng.random() < 0.35:
                wc.write_number(r - 1, 8, int(org.landline[1:]))
            book.mark("Company_Contacts", r, "merged", org.true_org_id, p["true_contact_id"])
            r += 1
    for rr in range(r, max(r + 5, round(len(orgs) * 1000 / 430)) + 2):
        wc.write_formula(rr - 1, 0, f"=IFERROR(VLOOKUP(B{rr},Company_Cat!B:C,2,FALSE),0)", None, 0)
        book.mark("Company_Contacts", rr, "skipped")

    wa = book.sheet("Company_Addresses", ["C_ID", "Company", "Type", "Airport", None])
    with_address = [o for o in orgs if rng.random() < 0.09]
    for r, org in enumerate(with_address, start=2):
        typed = company[org.true_org_id]
        ref = typed if rng.random() < 0.7 else _respell(org, rng, "contact", typed)
        wa.write_formula(r - 1, 0, f"=IFERROR(VLOOKUP(B{r},Company_Cat!B:A,1,FALSE),0)", None, 0)
        wa.write_string(r - 1, 1, ref)
        wa.write_string(r - 1, 2, _pick(rng, ("Postal", "Head", "Hangar", "Physical")))
        wa.write_string(r - 1, 3, _pick(rng, ("FALA", "FAWB", "FAGC", "FAGG", "FAPP", "")))
        town = org.city or _pick(rng, sorted(CITIES))
        box = f"PO Box {int(rng.integers(10, 9999))}, {town}, {org.province}"
        wa.write_string(r - 1, 4, box)
        book.mark("Company_Addresses", r, "merged", org.true_org_id)

    header = [
        None, "School", "Contact person (role)", "Phone", "Email", "Addresses", "Planes",
        "Website", "Description", "Type",
    ]  # fmt: skip
    wx = book.sheet("10-10-25 Capture", header)
    for r, org in enumerate(capture, start=2):
        p = org.people[0] if org.people else None  # type: ignore[assignment]
        values = [
            "",
            _spell(org, rng, "capture"),
            f"{p['first_name']} {p['last_name']} — {p['role']}" if p else "",
            _spaced(p["mobile"] if p else org.landline, rng) if rng.random() < 0.8 else "",
            p["email"] if p and rng.random() < 0.8 else "",
            f"{org.city or ''} {org.province}".strip() if rng.random() < 0.6 else "",
            _pick(rng, AIRCRAFT) if rng.random() < 0.5 else "",
            _website(org, rng, 0.5),
            _pick(rng, ("Met at the expo", "Wants a quote", "")),
            _pick(rng, TYPES),
        ]
        for c, v in enumerate(values):
            if v:
                wx.write_string(r - 1, c, v)
        book.mark("10-10-25 Capture", r, "merged", org.true_org_id)

    frame = pd.DataFrame({"name": [o.legal for o in orgs]})
    _scratch_sheets(book, frame, rng)
    book.close()


def write_messy_samples(
    out_dir: Path | str, n_orgs: int = 700, seed: int = 1313
) -> MessySampleResult:
    """Write the three messy workbooks and ``ground_truth.csv`` into ``out_dir``.

    ``n_orgs`` is the number of real organisations (default 700: about 2,200 organisation,
    contact and address rows). Output is byte-identical for a seed.
    """
    if n_orgs < 10:
        raise ValueError("n_orgs must be at least 10")
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    fake = Faker(["en_GB", "zu_ZA"])
    fake.seed_instance(seed)
    orgs, pairs = _truth(n_orgs, rng, fake)

    member = {k: rng.random(len(orgs)) < p for k, p in SHARE.items()}
    member["capture"] &= np.array([o.category == "Flight School" for o in orgs]) | (
        rng.random(len(orgs)) < 0.2
    )
    member["company_cat"] |= ~(member["sacaa"] | member["reachout"] | member["capture"])
    subset = {
        k: [orgs[int(i)] for i in rng.permutation(np.flatnonzero(m))] for k, m in member.items()
    }
    outside = {k: [o for o, m in zip(orgs, member[k], strict=True) if not m] for k in member}
    # A handful of organisation rows listed twice in the regulator's list, spelled anew.
    sacaa = subset["sacaa"] + [o for o in subset["sacaa"] if rng.random() < 0.02]

    truth: list[dict[str, str]] = []
    with atomic_dir(out_dir) as tmp:
        _write_sacaa(tmp / SACAA_FILE, sacaa, rng, truth)
        _write_reachout(tmp / REACHOUT_FILE, subset["reachout"], outside["reachout"], rng, truth)
        _write_contact_db(
            tmp / CONTACT_DB_FILE,
            subset["company_cat"],
            subset["capture"],
            outside["company_cat"],
            rng,
            truth,
        )
        pd.DataFrame(truth).to_csv(tmp / GROUND_TRUTH_FILE, index=False, lineterminator="\n")
    files = tuple(out_dir / f for f in (SACAA_FILE, REACHOUT_FILE, CONTACT_DB_FILE))
    hard = pd.DataFrame(pairs, columns=["kind", "left", "right", "left_name", "right_name"])
    return MessySampleResult(
        files=files, ground_truth=out_dir / GROUND_TRUTH_FILE, n_orgs=len(orgs), hard_negatives=hard
    )
