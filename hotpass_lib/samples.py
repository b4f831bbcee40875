"""Seeded generator of synthetic look-alikes of the three aviation source workbooks.

The workbooks reproduce the layouts and quirks described in ``source-workbooks.md``:
formula-filled empty rows, numeric phone cells, non-breaking spaces, ``Name (Role); ...``
cells, em-dash contacts, and suffix/spelling variants of one organisation across files.
A ground-truth CSV maps every source record id (``file#sheet!row``) to its true
organisation (and contact), so that matching can be scored. Nothing here is real: names
come from Faker with a fixed seed, domains and numbers are random.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from faker import Faker

from .atomic import atomic_dir
from .normalise import OFFICIAL_PROVINCES

SACAA_FILE = "SACAA Flight Schools - Cleaned.xlsx"
REACHOUT_FILE = "Reachout Database.xlsx"
CONTACT_DB_FILE = "Contact Database.xlsx"
GROUND_TRUTH_FILE = "ground_truth.csv"

PROVINCES = OFFICIAL_PROVINCES
LOOSE_PROVINCE = {
    "KwaZulu-Natal": ["Kwa-Zulu Natal", "KZN", "kwazulu-natal"],
    "Western Cape": ["Western Cape", "W Cape", "WC"],
    "Gauteng": ["Gauteng", "GP", "gauteng"],
    "Eastern Cape": ["Eastern Cape", "EC"],
    "Free State": ["Free State", "Freestate"],
    "Limpopo": ["Limpopo"],
    "Mpumalanga": ["Mpumalanga", "MP"],
    "Northern Cape": ["Northern Cape", "NC"],
    "North West": ["North West", "North-West"],
}
PREFIXES = (
    "360",
    "Aero",
    "Aeronav",
    "Africa",
    "Apex",
    "Atlas",
    "Avian",
    "Baobab",
    "Blue Sky",
    "Bushveld",
    "Cape",
    "Cirrus",
    "Condor",
    "Crosswind",
    "Delta",
    "Eagle",
    "Equator",
    "Falcon",
    "Fynbos",
    "Golden Wings",
    "Horizon",
    "Ibis",
    "Impala",
    "Jacaranda",
    "Kestrel",
    "Kingfisher",
    "Kudu",
    "Lowveld",
    "Highveld",
    "Madiba",
    "Marula",
    "Meridian",
    "Mopane",
    "Nimbus",
    "Orion",
    "Pegasus",
    "Protea",
    "Rand",
    "Sable",
    "Savanna",
    "Silverline",
    "Skyward",
    "Springbok",
    "Stratus",
    "Summit",
    "Sunbird",
    "Table Mountain",
    "Tailwind",
    "Thunder",
    "Titan",
    "Ubuntu",
    "Umoya",
    "Vector",
    "Vulcan",
    "Waterberg",
    "Zenith",
    "Zulu",
    "Karoo",
    "Drakensberg",
    "Blue Crane",
)
PLACES = (
    "",
    "Lanseria",
    "Wonderboom",
    "Grand Central",
    "Rand",
    "Virginia",
    "Stellenbosch",
    "Morningside",
    "Polokwane",
    "Nelspruit",
    "Kimberley",
    "Bloemfontein",
    "George",
    "Margate",
    "Brits",
    "Heidelberg",
    "Vereeniging",
    "Tempe",
    "Kittyhawk",
    "Krugersdorp",
)
CORES = {
    "Flight School": (
        "Flight School",
        "Aviation Academy",
        "Flying Club",
        "Flight Training",
        "Aero Club",
        "Aviation",
        "Academy",
    ),
    "AMO": ("Aircraft Maintenance", "Aero Engineering", "Avionics", "Aircraft Services"),
    "AMO - Heli": ("Helicopters", "Heli Services", "Rotorcraft"),
    "Brokers": ("Aviation Brokers", "Insurance Brokers", "Risk Partners"),
    "Insurance": ("Aviation Insurance", "Assurance"),
    "Underwriter": ("Underwriting Managers", "Underwriters"),
    "Motorsport": ("Motorsport", "Racing"),
}
CATEGORY_WEIGHTS = {
    "Flight School": 0.45,
    "AMO": 0.2,
    "AMO - Heli": 0.08,
    "Brokers": 0.08,
    "Insurance": 0.06,
    "Underwriter": 0.05,
    "Motorsport": 0.08,
}
SUFFIXES = ("", "", "", " (Pty) Ltd", " (pty) Ltd", " (PTY) LTD", " CC", " Ltd", " Pty Ltd")
ROLES = (
    "Accountable Manager",
    "Head of Training",
    "Chief Flying Instructor",
    "Owner",
    "Operations Manager",
    "Quality Manager",
    "Director",
    "Admin",
    "Sales",
    "Bookings",
)
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "mweb.co.za")
AIRCRAFT = ("C172", "C152", "PA-28", "Robinson R44", "Sling 2", "Bell 206", "Jabiru", "C210")
TYPES = (
    "Fixed-wing",
    "Helicopter",
    "Fixed-wing and Helicopter",
    "UAVs",
    "Fixed-wing (status uncertain)",
)
MOBILE_PREFIXES = ("60", "61", "71", "72", "73", "74", "76", "78", "79", "82", "83", "84")
LANDLINE_PREFIXES = ("11", "12", "21", "31", "41", "51")
CREATED = dt.datetime(2025, 10, 10, 8, 0, 0)
# Realistic mode: the prefixes phonenumbers accepts for South African mobiles/landlines.
REAL_MOBILE: tuple[str, ...] = (
    "60",
    "61",
    "62",
    "63",
    "64",
    "65",
    "66",
    "71",
    "72",
    "73",
    "74",
    "76",
    "78",
    "79",
)
REAL_MOBILE += ("81", "82", "83", "84")
REAL_LANDLINE: tuple[str, ...] = (
    "10",
    "11",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "18",
    "21",
    "22",
    "23",
    "27",
)
REAL_LANDLINE += ("31", "32", "33", "34", "35", "36", "39", "41", "42", "43", "44", "46", "51")
REAL_LANDLINE += ("53", "54", "56", "57", "58")
FOREIGN = ("+1 {a}{b} {c}", "+44 7{a} {b}{c}", "+49 15{a} {b}{c}", "+61 4{a} {b}{c}")
NOTE_WORDS = (
    "called", "no answer", "left message", "wants quote", "renewal", "in March", "fleet",
    "moved to", "new owner", "ask for", "after 2pm", "closed Fridays", "see email", "CAA audit",
    "price list", "sent brochure", "follow up", "busy season", "Cessna", "hangar", "rates",
)  # fmt: skip

# Share of true organisations each sheet lists (real files: 190, 175, 430 and 30 rows).
SHARE = {"sacaa": 0.34, "reachout": 0.31, "company_cat": 0.77, "capture": 0.054}


@dataclass(frozen=True)
class SampleResult:
    """Paths written by :func:`write_samples` and the number of true organisations."""

    files: tuple[Path, ...]
    ground_truth: Path
    n_orgs: int


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _truth_orgs(n_orgs: int, rng: np.random.Generator, fake: Faker | None = None) -> pd.DataFrame:
    """One row per real organisation: canonical name, category, domain, province (with
    ``fake``: realistic names from a wide pool of surnames and towns, varied landlines)."""
    cats = list(CATEGORY_WEIGHTS)
    category = rng.choice(cats, size=n_orgs, p=list(CATEGORY_WEIGHTS.values()))
    names: list[str] = []
    seen: set[str] = set()
    words = _word_pool(fake) if fake is not None else ()
    for i, cat in enumerate(category):
        for _ in range(20):
            place = _pick(rng, PLACES) if rng.random() < 0.25 else ""
            parts = [_pick(rng, PREFIXES), place, _pick(rng, CORES[cat])]
            if words:
                parts[int(rng.integers(0, 2))] = _pick(rng, words)
            name = " ".join(p for p in parts if p)
            if name not in seen:
                break
        else:  # the name space is exhausted (large benchmark samples): number it
            name = f"{name} {i}"
        seen.add(name)
        names.append(name)
    orgs = pd.DataFrame(
        {"true_org_id": [f"T{i:07d}" for i in range(n_orgs)], "name": names, "category": category}
    )
    trading = rng.random(n_orgs) < 0.04
    orgs["trade_name"] = np.where(trading, [f"{_pick(rng, PREFIXES)} Air" for _ in names], "")
    slug = orgs["name"].str.lower().str.replace(r"[^a-z0-9]+", "", regex=True)
    orgs["domain"] = slug + np.where(rng.random(n_orgs) < 0.8, ".co.za", ".com")
    orgs["province"] = rng.choice(PROVINCES, size=n_orgs)
    prefixes = REAL_LANDLINE if fake is not None else LANDLINE_PREFIXES
    orgs["landline"] = [
        f"+27{_pick(rng, prefixes)}{int(rng.integers(1000000, 9999999))}" for _ in range(n_orgs)
    ]
    return orgs


def _word_pool(fake: Faker) -> tuple[str, ...]:
    """Surnames and towns for realistic organisation names (a few thousand words)."""
    pool = {fake.last_name() for _ in range(6000)} | {fake.city() for _ in range(3000)}
    return tuple(sorted(pool))


def _local_part(first: str, last: str, rng: np.random.Generator) -> str:
    """A mailbox name as people choose them: ``jane.doe``, ``jdoe``, ``jane_doe42``..."""
    first, last = (re.sub(r"[^a-z]", "", x.lower()) or "x" for x in (first, last))
    form = int(rng.integers(0, 6))
    local = (
        f"{first}.{last}",
        f"{first[0]}{last}",
        f"{first}{last[0]}",
        f"{first}_{last}",
        f"{first[0]}.{last}",
        f"{first}",
    )[form]
    return local + (str(int(rng.integers(1, 999))) if rng.random() < 0.5 else "")


def _phone_shape(e164: str, rng: np.random.Generator) -> str:
    """A South African E.164 number as people type it: national, spaced, bracketed,
    dashed, ``+27 (0)``, ``0027``, plus lost, with a note after it."""
    nat = "0" + e164[3:]
    r = rng.random()
    if r < 0.2:
        return e164
    if r < 0.4:
        return f"{nat[:3]} {nat[3:6]} {nat[6:]}"
    if r < 0.5:
        return nat
    if r < 0.6:
        return f"({nat[:3]}) {nat[3:6]}-{nat[6:]}"
    if r < 0.7:
        return _spaced(e164)
    if r < 0.76:
        return f"+27 (0){nat[1:3]} {nat[3:6]} {nat[6:]}"
    if r < 0.8:
        return f"0027 {nat[1:3]} {nat[3:]}"
    if r < 0.86:
        return e164[1:]
    if r < 0.9:
        return f"{nat[:3]}-{nat[3:6]}-{nat[6:]}"
    if r < 0.94:
        return f"{nat[:3]} {nat[3:6]} {nat[6:]} (cell)"
    if r < 0.97:
        return f"{nat[:3]}.{nat[3:6]}.{nat[6:]}"
    return f"{nat[:3]} {nat[3:6]} {nat[6:8]}"  # a digit short: invalid


def _foreign(rng: np.random.Generator) -> str:
    """A foreign mobile in international form (US, GB, DE, AU)."""
    form = _pick(rng, FOREIGN)
    a, b, c = (int(rng.integers(lo, hi)) for lo, hi in ((10, 99), (200, 999), (1000, 9999)))
    if form.startswith("+1"):
        a = int(rng.integers(201, 989))
        return f"+1 {a} {int(rng.integers(200, 999))} {c}"
    return form.format(a=a, b=b, c=c)


def _phone_cell(e164: str, rng: np.random.Generator) -> str:
    """A realistic phone cell: mostly the number in some shape, sometimes a foreign one,
    sometimes two numbers."""
    r = rng.random()
    if r < 0.03:
        return _foreign(rng)
    if r < 0.08:
        return f"{_phone_shape(e164, rng)} / {_phone_shape(e164[:-4] + '0000', rng)}"
    return _phone_shape(e164, rng)


def _blank_rows(used: int) -> int:
    """Pre-filled blank rows a realistic sheet carries below its data."""
    return max(5, used // 10)


def _note(rng: np.random.Generator) -> str:
    """Free text, as people leave in a notes column."""
    n = int(rng.integers(2, 7))
    words = [_pick(rng, NOTE_WORDS) for _ in range(n)]
    return f"{' '.join(words).capitalize()} {int(rng.integers(1, 28))}/{int(rng.integers(1, 12))}"


def _truth_contacts(
    orgs: pd.DataFrame, rng: np.random.Generator, fake: Faker, realistic: bool = False
) -> pd.DataFrame:
    """Each organisation's people (1-3; realistic: 1-4), with a mobile and an e-mail each."""
    first_pool = sorted({fake.first_name() for _ in range(400)})
    last_pool = sorted({fake.last_name() for _ in range(400)})
    if realistic:
        first_pool = sorted({fake.first_name() for _ in range(6000)})
        last_pool = sorted({fake.last_name() for _ in range(6000)})
    rows = []
    mobiles = REAL_MOBILE if realistic else MOBILE_PREFIXES
    for org in orgs.itertuples():
        for k in range(int(rng.integers(1, 5 if realistic else 4))):
            first, last = _pick(rng, first_pool), _pick(rng, last_pool)
            local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
            if realistic:
                local = _local_part(first, last, rng)
            domain = org.domain if rng.random() < 0.75 else _pick(rng, FREE_MAIL)
            rows.append(
                {
                    "true_org_id": org.true_org_id,
                    "true_contact_id": f"{org.true_org_id}-P{k}",
                    "first_name": first,
                    "last_name": last,
                    "role": _pick(rng, ROLES),
                    "email": f"{local}@{domain}",
                    "mobile": f"+27{_pick(rng, mobiles)}{int(rng.integers(1000000, 9999999))}",
                }
            )
    return pd.DataFrame(rows)


def _variant(name: str, trade: str, rng: np.random.Generator) -> str:
    """A source's spelling of an organisation name: suffix, case, t/a, punctuation, typos."""
    out = name
    if trade:
        out = f"{out} (t/a {trade})" if rng.random() < 0.5 else f"{out} (trading as {trade})"
    out += _pick(rng, SUFFIXES)
    r = rng.random()
    if r < 0.08:
        out = out.upper()
    elif r < 0.14:
        out = out.lower()
    elif r < 0.18:
        out = out.replace(" ", "-", 1)
    elif r < 0.21:
        out = f" {out}  "
    elif r < 0.25:  # a typing slip: two neighbouring letters swapped inside a word
        at = int(rng.integers(1, max(2, len(out) - 2)))
        if out[at].isalpha() and out[at + 1].isalpha():
            out = out[:at] + out[at + 1] + out[at] + out[at + 2 :]
    return out


def _spaced(e164: str) -> str:
    """``+27823723529`` -> ``+27 82 372 3529``."""
    return f"{e164[:3]} {e164[3:5]} {e164[5:8]} {e164[8:]}"


def _website(domain: str, rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.15:
        return ""
    forms = (
        f"https://www.{domain}",
        f"www.{domain}",
        f"http://{domain}/",
        f"{domain}",
        f"https://{domain}/?utm_source=list",
        f"HTTPS://WWW.{domain.upper()}/about",
    )
    return _pick(rng, forms)


def _rid(file: str, sheet: str, row: int) -> str:
    return f"{file}#{sheet}!{row}"


class _Book:
    """Thin helper over xlsxwriter keeping the ground truth as rows are written."""

    def __init__(self, path: Path, truth: list[dict[str, str]]) -> None:
        self.name = path.name
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
        self.wb.set_properties({"created": CREATED, "author": "hotpass sample generator"})
        self.date_fmt = self.wb.add_format({"num_format": "yyyy-mm-dd"})
        self.truth = truth

    def sheet(self, name: str, header: Sequence[str | None], header_row: int = 1) -> Any:
        ws = self.wb.add_worksheet(name)
        for c, h in enumerate(header):
            if h is not None:
                ws.write_string(header_row - 1, c, h)
        return ws

    def mark(self, sheet: str, row: int, expected: str, org: str = "", contact: str = "") -> None:
        self.truth.append(
            {
                "source_record_id": _rid(self.name, sheet, row),
                "expected": expected,
                "true_org_id": org,
                "true_contact_id": contact,
            }
        )

    def close(self) -> None:
        self.wb.close()


def _write_sacaa(
    path: Path,
    orgs: pd.DataFrame,
    people: dict[str, Any],
    rng: np.random.Generator,
    truth: list[dict[str, str]],
    realistic: bool = False,
) -> None:
    book = _Book(path, truth)
    header = [
        "Name of Organisation",
        "Province",
        "Status",
        "Website URL",
        "Contact Person",
        "Contact Number",
        "Contact Email Address",
    ]
    ws = book.sheet("Cleaned", header)
    issues: list[tuple[int, str]] = []
    for r, org in enumerate(orgs.itertuples(), start=2):
        staff = people.get(org.true_org_id, [])
        notes = []
        province = org.province if rng.random() > 0.08 else "Unknown"
        if province == "Unknown":
            notes.append("Unknown province")
        website = _website(org.domain, rng)
        if not website:
            notes.append("Missing/invalid website")
        chosen = staff[: int(rng.integers(1, 3))]
        if rng.random() < 0.1 or not chosen:
            person = "Accountable Manager (Not Publicly Listed)"
        else:
            person = "; ".join(f"{p['first_name']} {p['last_name']} ({p['role']})" for p in chosen)
        r_phone = rng.random()
        phone = chosen[0]["mobile"] if chosen else org.landline
        if realistic and r_phone >= 0.05:
            phone = _phone_cell(phone, rng)
        elif r_phone < 0.25:
            phone = _spaced(phone)
        elif r_phone < 0.3:
            phone, _ = "", notes.append("Invalid/missing phone")  # type: ignore[func-returns-value]
        elif r_phone < 0.33:
            phone, _ = "012 345", notes.append("Invalid/missing phone")  # type: ignore[func-returns-value]
        emails = [p["email"] for p in chosen] or [f"info@{org.domain}"]
        email = "" if rng.random() < 0.08 else "; ".join(emails)
        values = [
            _variant(org.name, org.trade_name, rng),
            province,
            "Active" if rng.random() < 0.85 else "Invalid",
            website,
            person,
            phone,
            email,
        ]
        for c, v in enumerate(values):
            ws.write_string(r - 1, c, v)
        book.mark("Cleaned", r, "merged", org.true_org_id)
        if notes:
            issues.append((r, "; ".join(notes)))
    ws_issues = book.sheet("Issues", ["Row", "Issues"])
    for i, (row, text) in enumerate(issues, start=1):
        ws_issues.write_number(i, 0, row)
        ws_issues.write_string(i, 1, text)
    ws_lists = book.sheet("Lists", ["Provinces", "Statuses"])
    for i, p in enumerate([*PROVINCES, "Unknown"], start=1):
        ws_lists.write_string(i, 0, p)
    for i, s in enumerate(("Active", "Invalid"), start=1):
        ws_lists.write_string(i, 1, s)
    book.close()


def _messy_email(email: str, rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.1:
        return f"\u00a0{email}\u00a0"
    if r < 0.15:
        return f"{email}."
    if r < 0.18:
        return "https://www.facebook.com/" + email.split("@")[0].replace(".", "")
    if r < 0.22:
        return email.upper()
    return email


def _write_reachout(
    path: Path,
    orgs: pd.DataFrame,
    people: dict[str, Any],
    rng: np.random.Generator,
    truth: list[dict[str, str]],
    realistic: bool = False,
) -> None:
    book = _Book(path, truth)
    header = [
        "Organisation Name",
        "ID",
        "Reachout Date",
        "Recent_Touch_Ind",
        "Area",
        "Distance",
        "Type",
        "Website",
        "Address",
        "Planes",
        "Description Type",
        "Notes",
        "Open Questions",
        None,
        None,
        None,
    ]
    ws = book.sheet("Organisation", header)
    allocated = max(len(orgs) + 5, round(len(orgs) * 1030 / 175))
    if realistic:
        allocated = len(orgs) + 1 + _blank_rows(len(orgs))
    org_row: dict[str, int] = {}
    for r, org in enumerate(orgs.itertuples(), start=2):
        org_row[org.true_org_id] = r
        ws.write_string(r - 1, 0, _variant(org.name, org.trade_name, rng))
        if rng.random() < 0.3:
            ws.write_datetime(
                r - 1,
                2,
                dt.datetime(2025, 1, 1) + dt.timedelta(days=int(rng.integers(0, 300))),
                book.date_fmt,
            )
        ws.write_string(r - 1, 3, "Y" if rng.random() < 0.3 else "N")
        if rng.random() < 0.8:
            ws.write_string(r - 1, 4, _pick(rng, LOOSE_PROVINCE[org.province]))
        ws.write_string(r - 1, 5, _pick(rng, ("100km-220km", "220km+", "<100km")))
        if rng.random() < 0.3:
            ws.write_string(r - 1, 6, _pick(rng, TYPES))
        ws.write_string(r - 1, 7, _website(org.domain, rng))
        if rng.random() < 0.4:
            ws.write_string(r - 1, 8, f"Hangar {int(rng.integers(1, 40))}, {org.province}")
        if rng.random() < 0.5:
            fleet = rng.choice(AIRCRAFT, size=int(rng.integers(1, 4)), replace=False)
            ws.write_string(r - 1, 9, "; ".join(fleet))
        if realistic and rng.random() < 0.6:
            ws.write_string(r - 1, 11, _note(rng))
        elif rng.random() < 0.2:
            ws.write_string(r - 1, 11, "Follow up after AGM")
        book.mark("Organisation", r, "merged", org.true_org_id)
    # One row with notes but no organisation name: data, yet not an organisation.
    stray = len(orgs) + 2
    ws.write_string(stray - 1, 11, "Called - number belongs to someone else")
    book.mark("Organisation", stray, "quarantined")
    for r in range(2, allocated + 2):
        ws.write_formula(r - 1, 1, f"=ROW(A{r})", None, r)
        if r > stray:
            book.mark("Organisation", r, "skipped")

    header = [
        "ID",
        "Organisation Name",
        "Reachout Date",
        "Firstname",
        "Surname",
        "Position",
        "Phone",
        "WhatsApp",
        "Email",
        "Invalid",
        None,
    ]
    wc = book.sheet("Contact Info", header)
    r = 2
    for org in orgs.itertuples():
        if rng.random() > (0.8 if realistic else 0.55):
            continue
        staff = people.get(org.true_org_id, [])
        for p in staff if realistic else staff[: int(rng.integers(1, 3))]:
            wc.write_formula(
                r - 1,
                0,
                f"=IFERROR(INDEX(Organisation!B:B,MATCH(B{r},Organisation!A:A,0)),0)",
                None,
                org_row[org.true_org_id],
            )
            wc.write_string(r - 1, 1, org.name)
            wc.write_string(r - 1, 3, p["first_name"])
            wc.write_string(r - 1, 4, p["last_name"])
            wc.write_string(r - 1, 5, p["role"])
            if realistic:
                wc.write_string(r - 1, 6, _phone_cell(p["mobile"], rng))
            else:
                wc.write_string(
                    r - 1, 6, p["mobile"] if rng.random() < 0.7 else _spaced(p["mobile"])
                )
            if rng.random() < 0.3:
                wc.write_string(r - 1, 7, p["mobile"])
            wc.write_string(r - 1, 8, _messy_email(p["email"], rng))
            book.mark("Contact Info", r, "merged", org.true_org_id, p["true_contact_id"])
            r += 1
        if rng.random() < 0.15:  # generic mailbox
            wc.write_formula(
                r - 1,
                0,
                f"=IFERROR(INDEX(Organisation!B:B,MATCH(B{r},Organisation!A:A,0)),0)",
                None,
                org_row[org.true_org_id],
            )
            wc.write_string(r - 1, 1, org.name)
            for c, v in ((3, "-"), (4, "-"), (5, "Office")):
                wc.write_string(r - 1, c, v)
            mailbox = _messy_email(f"info@{org.domain}", rng)
            wc.write_string(r - 1, 8, mailbox)
            wc.write_string(r - 1, 10, "generic mailbox")
            # A mailbox row whose only e-mail is a pasted URL has nothing usable left.
            fate = "quarantined" if mailbox.startswith("https://") else "merged"
            book.mark("Contact Info", r, fate, org.true_org_id, f"{org.true_org_id}-INFO")
            r += 1
    allocated_contacts = max(r + 5, round(len(orgs) * 2100 / 175))
    if realistic:
        allocated_contacts = r + _blank_rows(r)
    for rr in range(r, allocated_contacts + 2):
        wc.write_formula(
            rr - 1,
            0,
            f"=IFERROR(INDEX(Organisation!B:B,MATCH(B{rr},Organisation!A:A,0)),0)",
            None,
            0,
        )
        book.mark("Contact Info", rr, "skipped")
    book.sheet("Sheet1", [])
    book.close()


def _write_contact_db(
    path: Path,
    orgs: pd.DataFrame,
    capture: pd.DataFrame,
    people: dict[str, Any],
    rng: np.random.Generator,
    truth: list[dict[str, str]],
    realistic: bool = False,
) -> None:
    book = _Book(path, truth)
    header: list[str | None] = [
        "C_ID",
        "Company",
        "QuickNooks_Name",
        "Last_Order_Date",
        "Category",
        "Strat",
        "Priority",
        "Status",
        "LoadDate",
        "Checked",
        "Website",
    ]
    ws = book.sheet("Company_Cat", header)
    statuses = ("Investigate", "Contacted - Email", "Last Order", "NTC", "DNC", "Likely Closed")
    allocated = max(len(orgs) + 5, round(len(orgs) * 620 / 430))
    if realistic:
        allocated = len(orgs) + _blank_rows(len(orgs))
    qb_name: dict[str, str] = {}
    company_name: dict[str, str] = {}
    for r in range(2, allocated + 2):
        ws.write_formula(r - 1, 0, "=ROW()-1", None, r - 1)
        ws.write_formula(
            r - 1, 3, f"=IFERROR(MAXIFS('Order Dates'!B:B,'Order Dates'!A:A,C{r}),\"\")", None, ""
        )
        if r - 2 >= len(orgs):
            book.mark("Company_Cat", r, "skipped")
    for r, org in enumerate(orgs.itertuples(), start=2):
        name = _variant(org.name, org.trade_name, rng)
        company_name[org.true_org_id] = name
        ws.write_string(r - 1, 1, name)
        if rng.random() < 0.7:
            qb = (org.name + _pick(rng, SUFFIXES)).upper() if rng.random() < 0.5 else org.name
            qb_name[org.true_org_id] = qb
            ws.write_string(r - 1, 2, qb)
        if rng.random() < 0.35:
            ws.write_string(r - 1, 4, org.category)
        ws.write_string(r - 1, 5, _pick(rng, ("A", "B", "C")))
        ws.write_number(r - 1, 6, int(rng.integers(1, 4)))
        if rng.random() < 0.6:
            ws.write_string(r - 1, 7, _pick(rng, statuses))
        ws.write_datetime(
            r - 1,
            8,
            dt.datetime(2024, 3, 1) + dt.timedelta(days=int(rng.integers(0, 500))),
            book.date_fmt,
        )
        ws.write_string(r - 1, 9, "Y" if rng.random() < 0.5 else "")
        ws.write_string(r - 1, 10, _website(org.domain, rng))
        book.mark("Company_Cat", r, "merged", org.true_org_id)

    header = [
        "C_ID",
        "Company",
        "Status",
        "FirstName",
        "Surname",
        "Position",
        "Cellnumber",
        "Email",
        "Landline",
    ]
    wc = book.sheet("Company_Contacts", header)
    r = 2
    chosen = orgs[rng.random(len(orgs)) < (0.5 if realistic else 0.16)]
    pairs = [
        (org, p)
        for org in chosen.itertuples()
        for p in (people[org.true_org_id] if realistic else people[org.true_org_id][:1])
    ]
    for org, p in pairs:
        qb = qb_name.get(org.true_org_id)
        wc.write_formula(
            r - 1, 0, f"=IFERROR(VLOOKUP(B{r},Company_Cat!B:C,2,FALSE),0)", None, qb or 0
        )
        # Contacts name the company as typed in Company_Cat, or its accounting name.
        ref = company_name[org.true_org_id] if not qb or rng.random() < 0.6 else qb
        wc.write_string(r - 1, 1, ref.strip())
        wc.write_string(r - 1, 2, _pick(rng, ("Active", "Left", "")))
        q = rng.random()
        contact, email = p["true_contact_id"], p["email"]
        if q < 0.08:  # full name typed into FirstName
            wc.write_string(r - 1, 3, f"{p['first_name']} {p['last_name']}")
        elif q < 0.13:  # a mailbox, not a person
            wc.write_string(r - 1, 3, _pick(rng, ("Admin", "Johannesburg Office")))
            contact, email = f"{org.true_org_id}-INFO", f"info@{org.domain}"
        else:
            wc.write_string(r - 1, 3, p["first_name"])
            wc.write_string(r - 1, 4, p["last_name"])
        wc.write_string(r - 1, 5, p["role"])
        if realistic and rng.random() < 0.5:
            wc.write_string(r - 1, 6, _phone_cell(p["mobile"], rng))
        else:
            wc.write_number(r - 1, 6, int(p["mobile"][1:]))
        wc.write_string(r - 1, 7, email)
        if rng.random() < 0.5:
            if realistic and rng.random() < 0.5:
                wc.write_string(r - 1, 8, _phone_shape(org.landline, rng))
            else:
                wc.write_number(r - 1, 8, int(org.landline[1:]))
        book.mark("Company_Contacts", r, "merged", org.true_org_id, contact)
        r += 1
    end = r + _blank_rows(r) if realistic else max(r + 5, round(len(orgs) * 1000 / 430))
    for rr in range(r, end + 2):
        wc.write_formula(rr - 1, 0, f"=IFERROR(VLOOKUP(B{rr},Company_Cat!B:C,2,FALSE),0)", None, 0)
        book.mark("Company_Contacts", rr, "skipped")

    wa = book.sheet("Company_Addresses", ["C_ID", "Company", "Type", "Airport", None])
    with_address = orgs[rng.random(len(orgs)) < 0.085]
    for r, org in enumerate(with_address.itertuples(), start=2):
        wa.write_formula(r - 1, 0, f"=IFERROR(VLOOKUP(B{r},Company_Cat!B:A,1,FALSE),0)", None, 0)
        wa.write_string(r - 1, 1, company_name[org.true_org_id].strip())
        wa.write_string(r - 1, 2, _pick(rng, ("Postal", "Head", "Hangar")))
        wa.write_string(r - 1, 3, _pick(rng, ("FALA", "FAWB", "FAGC", "FAOR", "")))
        wa.write_string(r - 1, 4, f"PO Box {int(rng.integers(100, 9999))}, {org.province}")
        book.mark("Company_Addresses", r, "merged", org.true_org_id)

    header = [
        None,
        "School",
        "Contact person (role)",
        "Phone",
        "Email",
        "Addresses",
        "Planes",
        "Website",
        "Description",
        "Type",
    ]
    wx = book.sheet("10-10-25 Capture", header)
    for r, org in enumerate(capture.itertuples(), start=2):
        p = people[org.true_org_id][0]
        values = [
            "",
            _variant(org.name, org.trade_name, rng),
            f"{p['first_name']} {p['last_name']} — {p['role']}",
            _spaced(p["mobile"]),
            p["email"],
            f"{org.province}",
            _pick(rng, AIRCRAFT),
            _website(org.domain, rng),
            "Captured at the 10 October expo",
            _pick(rng, TYPES),
        ]
        for c, v in enumerate(values):
            if v:
                wx.write_string(r - 1, c, v)
        book.mark("10-10-25 Capture", r, "merged", org.true_org_id)

    _scratch_sheets(book, orgs, rng)
    book.close()


def _scratch_sheets(book: _Book, orgs: pd.DataFrame, rng: np.random.Generator) -> None:
    """Lookup and scratch sheets that carry no organisations (the profile skips them)."""
    ws = book.sheet("Admin", ["Category", "Status"])
    for i, c in enumerate(CATEGORY_WEIGHTS, start=1):
        ws.write_string(i, 0, c)
    ws = book.sheet("Order Dates", ["QuickNooks_Name", "Order Date"])
    for i, org in enumerate(orgs.head(40).itertuples(), start=1):
        ws.write_string(i, 0, org.name.upper())
        ws.write_datetime(
            i,
            1,
            dt.datetime(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 600))),
            book.date_fmt,
        )
    ws = book.sheet("Sheet1", [])
    for i in range(6):
        ws.write_string(i, 0, f"note {i}")
        ws.write_number(i, 1, i * 3)
    book.sheet("Company_Notes", ["C_ID", "Note"]).write_string(1, 1, "Prefers e-mail")
    ws = book.sheet(
        "CAA",
        ["#", "AMO Number", "NAME", "CATEGORIES", "MAIN/ SATELLITE", "LOCATION"],
        header_row=2,
    )
    ws.write_string(0, 0, "Approved Maintenance Organisations (synthetic extract)")
    for i in range(1, 16):
        ws.write_number(i + 1, 0, i)
        ws.write_string(i + 1, 1, f"AMO{int(rng.integers(100, 1500)):04d}")
        ws.write_string(i + 1, 2, f"{_pick(rng, PREFIXES)} {_pick(rng, CORES['AMO'])}".upper())
        ws.write_string(i + 1, 3, _pick(rng, ("A1, C4", "A2", "B1, B2")))
        ws.write_string(i + 1, 4, _pick(rng, ("MAIN", "SATELLITE")))
        ws.write_string(i + 1, 5, _pick(rng, PROVINCES))
    ws = book.sheet("Aviation Codes", ["Code", "Airport"])
    for i, (code, ap) in enumerate(
        (("FALA", "Lanseria"), ("FAWB", "Wonderboom"), ("FAGC", "Grand Central")), start=1
    ):
        ws.write_string(i, 0, code)
        ws.write_string(i, 1, ap)
    book.sheet("Sheet", [])
    book.sheet("Sheet 1", [])
    for name in ("Flight schools", "FL extended"):
        ws = book.sheet(name, ["Name", "Region"])
        for i in range(1, 6):
            ws.write_string(i, 0, f"{_pick(rng, PREFIXES)} Flight School")
            ws.write_string(i, 1, _pick(rng, PROVINCES))


def write_samples(
    out_dir: Path | str, n_orgs: int = 560, seed: int = 42, realistic: bool = False
) -> SampleResult:
    """Write the three synthetic workbooks and ``ground_truth.csv`` into ``out_dir``.

    ``n_orgs`` is the number of real organisations; with the default the workbooks hold
    about 800 organisation rows, like the real files. Output is byte-identical for a seed.
    ``realistic`` gives the distinct-value ratios of a real CRM (the benchmark's realistic
    series): names from a wide pool, every contact their own mobile and e-mail, mostly
    unique domains, phones in many national/international shapes, free-text notes, and
    few pre-filled blank rows.
    """
    if n_orgs < 10:
        raise ValueError("n_orgs must be at least 10")
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    fake = Faker(["en_GB", "zu_ZA"])
    fake.seed_instance(seed)
    orgs = _truth_orgs(n_orgs, rng, fake if realistic else None)
    contacts = _truth_contacts(orgs, rng, fake, realistic)
    people = {k: g.to_dict("records") for k, g in contacts.groupby("true_org_id", sort=True)}

    member = {k: rng.random(n_orgs) < p for k, p in SHARE.items()}
    member["company_cat"] |= ~(member["sacaa"] | member["reachout"] | member["capture"])
    subset = {k: orgs[m].sample(frac=1.0, random_state=seed) for k, m in member.items()}

    truth: list[dict[str, str]] = []
    with atomic_dir(out_dir) as tmp:
        _write_sacaa(tmp / SACAA_FILE, subset["sacaa"], people, rng, truth, realistic)
        _write_reachout(tmp / REACHOUT_FILE, subset["reachout"], people, rng, truth, realistic)
        _write_contact_db(
            tmp / CONTACT_DB_FILE,
            subset["company_cat"],
            subset["capture"],
            people,
            rng,
            truth,
            realistic,
        )
        pd.DataFrame(truth).to_csv(tmp / GROUND_TRUTH_FILE, index=False, lineterminator="\n")
    files = tuple(out_dir / f for f in (SACAA_FILE, REACHOUT_FILE, CONTACT_DB_FILE))
    return SampleResult(files=files, ground_truth=out_dir / GROUND_TRUTH_FILE, n_orgs=n_orgs)
