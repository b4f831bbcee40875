"""Drafting a profile from the workbooks themselves (``hotpass init``).

Every sheet's header row is detected, its headers are matched against the vocabulary of
the bundled profiles (many domains and languages: mapped / suggested / unmapped), and
columns no header explains are judged by their values (names, e-mails, websites, phones;
:mod:`hotpass_lib.infer`). Each sheet is classed as organisations, contacts or addresses
from what it holds. Contacts and addresses are linked to the workbook's organisations sheet
by a shared key column when the values match, else by name. The country (and so the phone
region, legal suffixes and provinces) is inferred from the data. The draft is YAML with
comments giving the evidence for every inference, for the user to confirm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml
from anyascii import anyascii

from . import infer
from .mapping import map_columns, mapped_fields
from .profile import PROFILES_DIR, Profile, load_profile
from .read import SPREADSHEET_SUFFIXES, InputError, Workbook, read_sheet, spreadsheets

PERSON_FIELDS = {"first_name", "last_name"}
KIND_FIELDS = {"address_type"}
"""Fields named only through a sheet's kind (an addresses sheet's ``Type``)."""
ADDRESS_HINT = re.compile(
    r"\b(?:po box|p\.?o\.? box|street|road|st\b|avenue|hangar|airport|private bag)", re.I
)
CONTENT_FIELDS = ("email", "website", "phone")
"""Fields recognised by their values when no header names them."""


def vocabulary(profiles_dir: Path = PROFILES_DIR) -> dict[str, list[str]]:
    """Canonical field -> every header synonym the bundled profiles know (a synonym belongs
    to the first field that claims it; sheet-kind fields are derived later)."""
    owner: dict[str, str] = {}
    for path in sorted(profiles_dir.glob("*.yaml")):
        for source in load_profile(path).sources:
            for spec in source.sheets:
                for name, synonyms in spec.columns.items():
                    if name in KIND_FIELDS:
                        continue
                    target = "organisation_name" if name == "org_ref_name" else name
                    for synonym in synonyms:
                        owner.setdefault(synonym, target)
    words: dict[str, list[str]] = {}
    for synonym, target in owner.items():
        words.setdefault(target, []).append(synonym)
    return words


@dataclass
class SheetDraft:
    """What the draft proposes for one sheet."""

    file: str
    sheet: str
    header_row: int
    kind: str | None  # None: not read
    columns: dict[str, list[str]]
    report: pd.DataFrame
    rows: int
    link: dict[str, str] | None = None
    address_column: int | None = None
    reason: str = ""
    keys: set[str] = field(default_factory=set)
    frame: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    inferred: list[str] = field(default_factory=list)
    """How columns no header explained were mapped, in words."""


def _address_column(frame: pd.DataFrame) -> int | None:
    """1-based position of an unnamed column whose values look like addresses."""
    for pos, name in enumerate(frame.columns):
        if str(name).startswith("column_"):
            values = frame[name].dropna().astype(str)
            if len(values) and values.str.contains(ADDRESS_HINT).mean() >= 0.5:
                return pos + 1
    return None


def _by_content(
    frame: pd.DataFrame, report: pd.DataFrame, fields: dict[str, str], name_column: str | None
) -> list[str]:
    """Map columns no header explained by what their values look like; returns what was
    inferred, in words (``fields`` and ``report`` are updated)."""
    notes = []
    free = [str(h) for h, m in zip(report["header"], report["method"], strict=True)
            if m in {"unmapped", "suggested"}]  # fmt: skip
    if name_column is not None:
        if name_column not in frame.columns:
            raise InputError(
                f"--name-column {name_column!r} is not a header of this sheet (headers: "
                f"{[str(c) for c in frame.columns]}). Fix: give the header exactly as written."
            )
        previous = fields.get("organisation_name")
        for taken in [f for f, h in fields.items() if h == name_column]:
            del fields[taken]
        fields["organisation_name"] = name_column
        report.loc[report["header"] == name_column, ["field", "method", "score"]] = [
            "organisation_name", "override", 100.0,
        ]  # fmt: skip
        if previous and previous != name_column:
            report.loc[report["header"] == previous, ["field", "method"]] = [None, "unmapped"]
        notes.append(f"{name_column!r} -> organisation_name (--name-column)")
        free = [h for h in free if h != name_column]
    for kind in CONTENT_FIELDS:
        if kind in fields:
            continue
        shares = {h: infer.looks_like(frame[h], kind) for h in free}
        best = max(shares, key=lambda h: shares[h], default=None)
        if best is not None and shares[best] >= 0.6:
            fields[kind] = best
            free.remove(best)
            report.loc[report["header"] == best, ["field", "method", "score"]] = [
                kind, "content", round(100 * shares[best], 1),
            ]  # fmt: skip
            notes.append(f"{best!r} -> {kind} (by content: {shares[best]:.0%} of values)")
    if "organisation_name" not in fields:
        found = infer.name_column(frame, free)
        if found.value:
            fields["organisation_name"] = found.value
            report.loc[report["header"] == found.value, ["field", "method", "score"]] = [
                "organisation_name", "content", 100.0,
            ]  # fmt: skip
            notes.append(f"{found.value!r} -> organisation_name ({found.evidence})")
    return notes


def draft_sheet(
    book: Workbook, sheet: str, words: dict[str, list[str]], name_column: str | None = None
) -> SheetDraft:
    """Header row, mappings and kind of one sheet."""
    every = {s for names in words.values() for s in names}
    data = read_sheet(book, sheet, "auto", every)
    frame = data.frame
    rows = int(frame.notna().any(axis=1).sum()) if not frame.empty else 0
    if frame.columns.empty or rows == 0:
        return SheetDraft(
            book.path.name, sheet, data.header_row, None, {}, pd.DataFrame(), rows, reason="empty"
        )
    report = map_columns([str(c) for c in frame.columns], words)
    fields = mapped_fields(report)
    use_override = name_column is not None and name_column in frame.columns
    inferred = _by_content(frame, report, fields, name_column if use_override else None)
    columns = {f: [h] for f, h in fields.items()}
    address = _address_column(frame)
    has_person = bool(PERSON_FIELDS & set(fields))
    has_name = "organisation_name" in fields
    kind: str | None = None
    reason = ""
    if has_name and has_person:
        kind = "contacts"
    elif has_name and address and not ({"website", "email", "phone"} & set(fields)):
        kind = "addresses"
    elif has_name:
        kind = "organisations"
    else:
        reason = "no column looks like an organisation name"
    if kind in {"contacts", "addresses"}:  # the name column refers to the organisation
        columns["org_ref_name"] = columns.pop("organisation_name")
    if kind == "addresses" and "organisation_type" in columns:
        columns["address_type"] = columns.pop("organisation_type")
    keys = set(frame[fields["org_key"]].dropna().astype(str)) if "org_key" in fields else set()
    return SheetDraft(
        book.path.name,
        sheet,
        data.header_row,
        kind,
        columns,
        report,
        rows,
        address_column=address if kind == "addresses" else None,
        reason=reason,
        keys=keys,
        frame=frame.rename(columns={h: f for f, h in fields.items()})[list(fields)],
        inferred=inferred,
    )


def _link(draft: SheetDraft, organisations: list[SheetDraft]) -> dict[str, str] | None:
    """Link a contacts/addresses sheet to the workbook's organisations sheet: by key when
    most of its key values are organisation keys, else by name."""
    if not organisations:
        return None
    target = max(organisations, key=lambda d: d.rows)
    if draft.keys and target.keys:
        useful = {k for k in draft.keys if k not in {"0", ""}}
        if useful and len(useful & target.keys) / len(useful) >= 0.8:
            return {"sheet": target.sheet, "by": "key"}
    draft.columns.pop("org_key", None)
    return {"sheet": target.sheet, "by": "name"}


def _column(drafts: list[SheetDraft], fields: tuple[str, ...]) -> pd.Series:
    """Every value of ``fields`` across the sheets that are read."""
    parts = [d.frame[f] for d in drafts if d.kind for f in fields if f in d.frame]
    return pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype="string")


def locale(drafts: list[SheetDraft], region: str | None = None) -> tuple[dict, list[str]]:
    """Country, phone region, legal suffixes and provinces for the data, and the evidence
    as comment lines. ``region`` overrides the inference."""
    if region:
        found = infer.Finding(region.upper(), "given with --region")
    else:
        found = infer.infer_region(
            _column(drafts, ("phone", "landline", "whatsapp")),
            _column(drafts, ("website", "email")),
            _column(drafts, ("province",)),
        )
    country = found.value
    settings: dict = {
        "country": country,
        "default_region": country or "ZZ",
        "legal_suffixes": infer.legal_suffixes(country),
    }
    if country == "ZA":
        settings["province_aliases"] = dict(load_profile("generic").province_aliases)
    notes = [f"# country: {country or 'unknown'} ({found.evidence})."]
    if country is None:
        notes.append(
            "#   Phone numbers need a country code (+..) to be read; set country and "
            "default_region, or pass --region."
        )
    elif country == "ZA":
        notes.append("#   South African data: provinces are mapped to the nine official names.")
    else:
        notes.append(
            f"#   Legal suffixes for {country}; the province column keeps regions as written."
        )
    return settings, notes


def _link_across(sheets: list[SheetDraft], drafts: list[SheetDraft]) -> None:
    """Contacts/addresses sheets of a workbook without an organisations sheet link by name
    to the organisations of every source, when any other workbook has some."""
    if any(d.kind == "organisations" for d in drafts):
        for d in sheets:
            if d.kind in {"contacts", "addresses"} and d.link is None:
                d.link = {"by": "name"}
                d.columns.pop("org_key", None)


def draft_profile(
    input_dir: Path,
    name: str = "draft",
    name_column: str | None = None,
    region: str | None = None,
) -> tuple[str, list[SheetDraft]]:
    """A commented profile YAML for every workbook in ``input_dir``, and the sheet drafts.
    ``name_column`` names the organisation-name column where a sheet has it; ``region``
    sets the country instead of inferring it."""
    words = vocabulary()
    files = spreadsheets(input_dir)
    if not files:
        raise InputError(
            f"no workbook ({', '.join(sorted(SPREADSHEET_SUFFIXES))}) in {input_dir}. Fix: "
            "pass --input-dir with the folder that holds your workbooks."
        )
    drafts: list[SheetDraft] = []
    books: list[tuple[Path, list[SheetDraft]]] = []
    for path in files:
        book = Workbook(path)
        sheets = [draft_sheet(book, s, words, name_column) for s in book.sheet_names]
        orgs = [d for d in sheets if d.kind == "organisations"]
        for d in sheets:
            if d.kind in {"contacts", "addresses"}:
                d.link = _link(d, orgs)
        drafts += sheets
        books.append((path, sheets))
    sources: list[dict] = []
    for rank, (path, sheets) in enumerate(books):
        _link_across(sheets, drafts)
        for d in sheets:
            if d.kind in {"contacts", "addresses"} and d.link is None:
                d.kind, d.reason = None, "no organisations sheet in any workbook to link to"
        read = [d for d in sheets if d.kind]
        if read:
            source = _source(path, read, [d for d in sheets if not d.kind], len(files) - rank)
            taken = {s["name"] for s in sources}
            base, n = source["name"], 2
            while source["name"] in taken:
                source["name"], n = f"{base}_{n}", n + 1
            sources.append(source)
    if not sources:
        raise InputError(
            f"none of the sheets in {input_dir} has a column that looks like an "
            "organisation name, by header or by content. Fix: pass --name-column with the "
            "header of the column that names each organisation, or write the profile by "
            "hand (docs/reference/profiles.md)."
        )
    settings, notes = locale(drafts, region)
    profile = {
        "name": name,
        "description": f"Drafted by hotpass init from {input_dir.name}/",
        **settings,
        "sources": sources,
    }
    Profile.model_validate(profile)  # the draft must load
    return _commented(profile, drafts, notes), drafts


def _source(path: Path, read: list[SheetDraft], skipped: list[SheetDraft], priority: int) -> dict:
    sheets = []
    for d in read:
        spec: dict = {
            "sheet": d.sheet,
            "kind": d.kind,
            "header_row": d.header_row,
            "columns": d.columns,
        }
        if d.link:
            spec["link"] = d.link
        if d.address_column:
            spec["address_column"] = d.address_column
        sheets.append(spec)
    slug = re.sub(r"[^a-z0-9]+", "_", anyascii(path.stem).lower()).strip("_") or "source"
    return {
        "name": slug,
        "files": path.name,
        "priority": priority,
        "sheets": sheets,
        "skip_sheets": [d.sheet for d in skipped],
    }


def _commented(profile: dict, drafts: list[SheetDraft], notes: list[str]) -> str:
    """The profile as YAML, each sheet preceded by its mapping report as comments."""
    lines = [
        "# Draft profile written by `hotpass init`: check every mapping, then delete this line.",
        "# Sources: priority decides which workbook wins a conflicting value (higher wins);",
        "# they are ordered by file name here: reorder them to say which source you trust.",
        *notes,
        "",
    ]
    body = yaml.safe_dump(profile, sort_keys=False, allow_unicode=True, width=100)
    sheet_notes: dict[tuple[str, str], list[str]] = {}
    for d in drafts:
        note = [f"# {d.file} / {d.sheet}: {d.rows} rows, header row {d.header_row}"]
        if d.kind is None:
            note.append(f"#   not read: {d.reason}")
        note += [f"#   inferred: {line}" for line in d.inferred]
        for r in d.report.itertuples() if not d.report.empty else []:
            if r.method == "suggested":
                note.append(
                    f"#   suggested: {r.header!r} -> {r.field} (score {r.score:.0f}); add it to columns to use it"
                )
            elif r.method == "unmapped":
                note.append(f"#   unmapped: {r.header!r}")
            elif r.method == "fuzzy":
                note.append(f"#   fuzzy: {r.header!r} -> {r.field} (score {r.score:.0f}); check it")
        sheet_notes[(d.file, d.sheet)] = note
    out = []
    current_file = None
    for line in body.splitlines():
        found = re.match(r"^\s+files: (.+)$", line)
        if found:
            current_file = yaml.safe_load(found.group(1))
        sheet = re.match(r"^(\s+)- sheet: (.+)$", line)
        if sheet and current_file:
            indent = sheet.group(1) + "  "
            out += [
                indent + n
                for n in sheet_notes.get((current_file, str(yaml.safe_load(sheet.group(2)))), [])
            ]
        out.append(line)
    for d in drafts:
        if d.kind is None and (d.file, d.sheet) in sheet_notes:
            out += sheet_notes[(d.file, d.sheet)]
    return "\n".join(lines + out) + "\n"
