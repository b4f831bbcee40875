"""Foreign-data test corpus: folders of spreadsheets in layouts and locales the bundled
samples never use, each with its ``ground_truth.csv`` (``source_record_id``, ``true_org_id``).

Nothing here is tuned to Hotpass: headers, formats and spellings are what public listings
in those countries look like (restaurant guides, GP practice lists, school registers,
childcare site lists), and every value is synthetic (Faker with a fixed seed; phone
numbers built from phonenumbers' own example numbers).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
import xlsxwriter
from faker import Faker


@dataclass
class Org:
    """A true organisation with the values sources copy (and spoil)."""

    oid: str
    name: str
    street: str
    city: str
    postcode: str
    state: str
    phone: str  # E.164
    kind: str
    email: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _phone(rng: random.Random, region: str) -> str:
    """A valid E.164 number of ``region`` (an example number with random digits)."""
    base = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    digits = str(base.national_number)
    for attempt in range(500):
        keep = 2 if attempt < 400 else len(digits) - 4
        tail = "".join(rng.choice("0123456789") for _ in range(len(digits) - keep))
        candidate = phonenumbers.parse(f"+{base.country_code}{digits[:keep]}{tail}")
        if phonenumbers.is_valid_number(candidate):
            return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    raise RuntimeError(region)


def national(e164: str, style: str) -> str:
    """An E.164 number written as people write it: ``slash`` (``310/246-1501``), ``dash``,
    ``paren`` (``(310) 246-1501``), ``national`` (the region's own format), ``intl``."""
    number = phonenumbers.parse(e164)
    nat = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    digits = str(number.national_number)
    if number.country_code == 1 and len(digits) == 10:
        area, mid, end = digits[:3], digits[3:6], digits[6:]
        return {
            "slash": f"{area}/{mid}-{end}",
            "dash": f"{area}-{mid}-{end}",
            "paren": f"({area}) {mid}-{end}",
            "dots": f"{area}.{mid}.{end}",
        }.get(style, nat)
    if style == "intl":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return nat


def _truth(rows: list[tuple[str, str]], folder: Path) -> None:
    with (folder / "ground_truth.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["source_record_id", "true_org_id"])
        out.writerows(sorted(rows))


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, int | float):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value))
    wb.close()


def _text(path: Path, rows: list[list[object]], delimiter: str, encoding: str) -> None:
    with path.open("w", newline="", encoding=encoding, errors="replace") as f:
        csv.writer(f, delimiter=delimiter, lineterminator="\r\n").writerows(
            [["" if v is None else v for v in row] for row in rows]
        )


# --- spellings that differ between sources ------------------------------------------------

_STREET_ABBREV = {
    "Street": "St.",
    "Avenue": "Ave.",
    "Boulevard": "Blvd.",
    "Road": "Rd.",
    "Drive": "Dr.",
    "Lane": "Ln.",
}


def _abbreviate(street: str) -> str:
    for long, short in _STREET_ABBREV.items():
        street = street.replace(long, short)
    return street


def _respell(name: str, rng: random.Random) -> str:
    """Another source's spelling of a name: case, an ``&``/``and`` swap, ``The``, a dropped
    apostrophe, or a location suffix."""
    choice = rng.random()
    if choice < 0.2:
        return name.upper()
    if choice < 0.35:
        return name.replace(" & ", " and ") if " & " in name else "The " + name
    if choice < 0.5:
        return name.replace("'", "")
    if choice < 0.6:
        return name + " Restaurant" if "Restaurant" not in name else name
    return name


# --- the folders ---------------------------------------------------------------------------

_CUISINES = ["American", "Italian", "French", "Mexican", "Thai", "Japanese", "Steakhouse"]
_WORDS = ["Grill", "Bistro", "Cafe", "Kitchen", "Diner", "House", "Tavern", "Trattoria"]


def us_restaurants(folder: Path, n: int = 120, seed: int = 7) -> Path:
    """Two restaurant guides of one sheet each (xlsx and csv), no e-mail or website,
    US phones written ``310/246-1501`` in one and ``310-246-1501`` in the other; about a
    quarter of the restaurants are in both."""
    folder.mkdir(parents=True, exist_ok=True)
    fake, rng = Faker("en_US"), random.Random(seed)
    fake.seed_instance(seed)
    orgs = []
    for i in range(n):
        base = rng.choice([fake.last_name() + "'s", fake.first_name() + "'s", fake.last_name()])
        name = (
            f"{base} {rng.choice(_WORDS)}" if rng.random() < 0.7 else f"{base} & {fake.last_name()}"
        )
        street = f"{rng.randint(10, 9999)} {fake.street_name()}"
        orgs.append(
            Org(
                f"r{i}",
                name,
                street,
                fake.city(),
                fake.zipcode(),
                fake.state_abbr(),
                _phone(rng, "US"),
                rng.choice(_CUISINES),
            )
        )
    a = [["Restaurant", "Address", "City", "Phone", "Cuisine"]]
    b = [["name", "addr", "city", "phone", "type"]]
    truth = []
    for o in orgs:
        in_a, in_b = rng.random() < 0.7, rng.random() < 0.5
        if not (in_a or in_b):
            in_a = True
        if in_a:
            a.append([o.name, o.street, o.city, national(o.phone, "slash"), o.kind])
            truth.append((f"Guide A.xlsx#Restaurants!{len(a)}", o.oid))
        if in_b:
            street = _abbreviate(o.street) if rng.random() < 0.6 else o.street
            phone = national(o.phone, "dash")
            b.append([_respell(o.name, rng), street, o.city, phone, o.kind.lower()])
            truth.append((f"guide_b.csv#guide_b!{len(b)}", o.oid))
    _xlsx(folder / "Guide A.xlsx", {"Restaurants": a})
    _text(folder / "guide_b.csv", b, ",", "utf-8")
    _truth(truth, folder)
    return folder


def uk_practices(folder: Path, n: int = 80, seed: int = 11) -> Path:
    """GP practices: an ``.ods`` register (Practice Name, Street, Town, Postcode, Telephone,
    Email) and a Latin-1, semicolon-separated export with other headers and ``£``/accents."""
    folder.mkdir(parents=True, exist_ok=True)
    fake, rng = Faker("en_GB"), random.Random(seed)
    fake.seed_instance(seed)
    orgs = []
    for i in range(n):
        name = f"{fake.last_name()} {rng.choice(['Surgery', 'Medical Centre', 'Health Centre', 'Practice'])}"
        email = f"reception@{name.split()[0].lower()}{i}.nhs.uk"
        orgs.append(
            Org(
                f"p{i}",
                name,
                fake.street_address().replace("\n", ", "),
                fake.city(),
                fake.postcode(),
                "",
                _phone(rng, "GB"),
                "GP",
                email,
            )
        )
    reg = [["Practice Name", "Street", "Town", "Postcode", "Telephone", "Email"]]
    exp = [["Practice", "Adresse", "Ville", "Code postal", "Tél.", "Notes"]]
    truth = []
    for o in orgs:
        reg.append([o.name, o.street, o.city, o.postcode, national(o.phone, "national"), o.email])
        truth.append((f"GP register.ods#Practices!{len(reg)}", o.oid))
        if rng.random() < 0.4:
            exp.append(
                [
                    o.name.replace("Centre", "Ctr"),
                    o.street,
                    o.city,
                    o.postcode,
                    national(o.phone, "intl"),
                    "Frais £12 – café ouvert",
                ]
            )
            truth.append((f"export_clinique.csv#export_clinique!{len(exp)}", o.oid))
    _ods(folder / "GP register.ods", {"Practices": reg})
    _text(folder / "export_clinique.csv", exp, ";", "latin-1")
    _truth(truth, folder)
    return folder


def _ods(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    """A minimal OpenDocument spreadsheet (what LibreOffice saves), text cells only."""
    import zipfile
    from xml.sax.saxutils import escape

    body = []
    for name, rows in sheets.items():
        body.append(f'<table:table table:name="{escape(name)}">')
        for row in rows:
            cells = "".join(
                '<table:table-cell office:value-type="string"><text:p>'
                f"{escape(str(v))}</text:p></table:table-cell>"
                if v not in (None, "")
                else "<table:table-cell/>"
                for v in row
            )
            body.append(f"<table:table-row>{cells}</table:table-row>")
        body.append("</table:table>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        "<office:body><office:spreadsheet>" + "".join(body) + "</office:spreadsheet>"
        "</office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest)


def de_schools(folder: Path, n: int = 60, seed: int = 13) -> Path:
    """A German school register as a macro-enabled workbook (``.xlsm``): Schule, Straße,
    PLZ, Ort, Telefon, Webseite; phone numbers as numeric cells on some rows."""
    folder.mkdir(parents=True, exist_ok=True)
    fake, rng = Faker("de_DE"), random.Random(seed)
    fake.seed_instance(seed)
    rows = [["Schule", "Straße", "PLZ", "Ort", "Telefon", "Webseite"]]
    truth = []
    for i in range(n):
        city = fake.city()
        name = f"{rng.choice(['Grundschule', 'Gymnasium', 'Realschule'])} {fake.last_name()} {city}"
        phone = _phone(rng, "DE")
        shown: object = national(phone, "national")
        if rng.random() < 0.2:
            shown = float(phone.lstrip("+"))
        rows.append(
            [
                name,
                fake.street_address(),
                fake.postcode(),
                city,
                shown,
                f"www.{name.split()[1].lower()}-{i}.de",
            ]
        )
        truth.append((f"Schulen.xlsm#Schulen!{len(rows)}", f"s{i}"))
    _xlsx(folder / "Schulen.xlsm", {"Schulen": rows, "Hinweise": []})
    _truth(truth, folder)
    return folder


def non_latin(folder: Path, seed: int = 17) -> Path:
    """Names in Cyrillic, Arabic, Chinese, Japanese and with emoji (no two the same),
    in a ``Name``/``City``/``Phone`` sheet, and a tab-separated second list repeating some."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    rows = [["Name", "City", "Phone"]]
    tsv = [["Название", "Город", "Телефон"]]
    truth = []
    i = 0
    for locale, region in (("ru_RU", "RU"), ("ar_AA", "AE"), ("zh_CN", "CN"), ("ja_JP", "JP")):
        fake = Faker(locale)
        fake.seed_instance(seed)
        for _ in range(8):
            name = fake.company()
            if rng.random() < 0.2:
                name += " ☕"
            phone = _phone(rng, region)
            rows.append([name, fake.city(), national(phone, "intl")])
            truth.append((f"Liste.xlsx#Sheet1!{len(rows)}", f"n{i}"))
            if rng.random() < 0.4:
                tsv.append([name, fake.city(), phone])
                truth.append((f"список.tsv#список!{len(tsv)}", f"n{i}"))
            i += 1
    _xlsx(folder / "Liste.xlsx", {"Sheet1": rows})
    _text(folder / "список.tsv", tsv, "\t", "utf-8")
    _truth(truth, folder)
    return folder


def childcare_sites(folder: Path, lists: int = 9, n: int = 90, seed: int = 19) -> Path:
    """Nine overlapping public lists of childcare sites (``Site name, Address, Zip, Phone,
    Capacity``), as csv and xlsx, each holding a random half of the sites, with its own
    spellings; some sites have two phones in one cell."""
    folder.mkdir(parents=True, exist_ok=True)
    fake, rng = Faker("en_US"), random.Random(seed)
    fake.seed_instance(seed)
    sites = [
        Org(
            f"c{i}",
            f"{fake.last_name()} {rng.choice(['Learning Center', 'Day Care', 'Kids Academy', 'Child Development Center', 'Preschool'])}",
            f"{rng.randint(10, 9999)} {fake.street_name()}",
            fake.city(),
            fake.zipcode(),
            "IL",
            _phone(rng, "US"),
            "childcare",
        )
        for i in range(n)
    ]
    truth = []
    for k in range(lists):
        rows = [["Site name", "Address", "Zip", "Phone", "Capacity"]]
        name = f"sites_{k + 1:02d}"
        for s in sites:
            if rng.random() < 0.5:
                continue
            phone = national(s.phone, rng.choice(["dash", "paren", "dots"]))
            if rng.random() < 0.1:
                phone += " / " + national(_phone(rng, "US"), "dash")
            rows.append(
                [
                    _respell(s.name, rng) if rng.random() < 0.3 else s.name,
                    _abbreviate(s.street) if rng.random() < 0.5 else s.street,
                    s.postcode,
                    phone,
                    rng.randint(10, 120),
                ]
            )
            truth.append(
                (
                    f"{name}.{'xlsx' if k % 3 == 0 else 'csv'}#"
                    f"{'Sites' if k % 3 == 0 else name}!{len(rows)}",
                    s.oid,
                )
            )
        if k % 3 == 0:
            _xlsx(folder / f"{name}.xlsx", {"Sites": rows})
        else:
            _text(folder / f"{name}.csv", rows, ",", "utf-8")
    _truth(truth, folder)
    return folder


def names_only(folder: Path, seed: int = 23) -> Path:
    """A one-column list of business names (no phone, e-mail, website or address) and a
    second list naming some of them with legal suffixes."""
    folder.mkdir(parents=True, exist_ok=True)
    fake, rng = Faker("en_GB"), random.Random(seed)
    fake.seed_instance(seed)
    names = sorted(
        {
            f"{fake.last_name()} {rng.choice(['Joinery', 'Bakery', 'Motors', 'Florist'])}"
            for _ in range(40)
        }
    )
    a = [["Business name"], *[[n] for n in names]]
    b = [["Company", "Town"]]
    truth = [(f"a.xlsx#Sheet1!{i + 2}", f"b{i}") for i in range(len(names))]
    for i, n in enumerate(names):
        if rng.random() < 0.5:
            b.append([n + rng.choice([" Ltd", " Limited", " LTD."]), fake.city()])
            truth.append((f"b.xlsx#Sheet1!{len(b)}", f"b{i}"))
    _xlsx(folder / "a.xlsx", {"Sheet1": a})
    _xlsx(folder / "b.xlsx", {"Sheet1": b})
    _truth(truth, folder)
    return folder


def contacts_elsewhere(folder: Path, n: int = 40, seed: int = 29) -> Path:
    """An Australian client list (``Clients.csv``: Business Name, Suburb, State, Postcode,
    Website) and a second workbook holding only people (``People.xlsx``: Company,
    First Name, Last Name, Mobile, Email) whose company is spelled another way."""
    folder.mkdir(parents=True, exist_ok=True)
    fake, rng = Faker("en_AU"), random.Random(seed)
    fake.seed_instance(seed)
    clients = [["Business Name", "Suburb", "State", "Postcode", "Website"]]
    people = [["Company", "First Name", "Last Name", "Mobile", "Email"]]
    truth = []
    for i in range(n):
        name = f"{fake.last_name()} {rng.choice(['Plumbing', 'Electrical', 'Landscaping', 'Builders'])}"
        clients.append(
            [
                name + " Pty Ltd",
                fake.city(),
                fake.state_abbr(),
                fake.postcode(),
                f"www.{name.split()[0].lower()}{i}.com.au",
            ]
        )
        truth.append((f"Clients.csv#Clients!{len(clients)}", f"a{i}"))
        for _ in range(rng.randint(0, 2)):
            spelled = name.upper() if rng.random() < 0.5 else name + " P/L"
            mobile = national(
                phonenumbers.format_number(
                    phonenumbers.example_number_for_type("AU", phonenumbers.PhoneNumberType.MOBILE),
                    phonenumbers.PhoneNumberFormat.E164,
                )[:-3]
                + f"{rng.randint(0, 999):03d}",
                "national",
            )
            people.append(
                [
                    spelled,
                    fake.first_name(),
                    fake.last_name(),
                    mobile,
                    f"{fake.user_name()}{i}@example.com.au",
                ]
            )
            truth.append((f"People.xlsx#Sheet1!{len(people)}", f"a{i}"))
    _text(folder / "Clients.csv", clients, ",", "utf-8")
    _xlsx(folder / "People.xlsx", {"Sheet1": people})
    _truth(truth, folder)
    return folder


FOLDERS: dict[str, Callable[[Path], Path]] = {
    "us_restaurants": us_restaurants,
    "uk_practices": uk_practices,
    "de_schools": de_schools,
    "non_latin": non_latin,
    "childcare_sites": childcare_sites,
    "names_only": names_only,
    "contacts_elsewhere": contacts_elsewhere,
}
"""Every folder of the corpus, by name."""


def write_corpus(root: Path) -> dict[str, Path]:
    """Write every folder under ``root``."""
    return {name: make(root / name) for name, make in FOLDERS.items()}
