"""Drafting a profile from the workbooks themselves (``hotpass init``).

Every sheet's header row is detected, its headers are matched against the vocabulary of
the bundled profiles (mapped / suggested / unmapped), and the sheet is classed as
organisations, contacts or addresses from what it holds. Contacts and addresses are linked
to the workbook's organisations sheet by a shared key column when the values match, else
by name. The draft is YAML with comments for the user to confirm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .mapping import map_columns, mapped_fields
from .profile import PROFILES_DIR, Profile, load_profile
from .read import InputError, Workbook, read_sheet

PERSON_FIELDS = {"first_name", "last_name"}
KIND_FIELDS = {"address_type"}
"""Fields named only through a sheet's kind (an addresses sheet's ``Type``)."""
ADDRESS_HINT = re.compile(
    r"\b(?:po box|p\.?o\.? box|street|road|st\b|avenue|hangar|airport|private bag)", re.I
)
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".csv"}


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


def _address_column(frame: pd.DataFrame) -> int | None:
    """1-based position of an unnamed column whose values look like addresses."""
    for pos, name in enumerate(frame.columns):
        if str(name).startswith("column_"):
            values = frame[name].dropna().astype(str)
            if len(values) and values.str.contains(ADDRESS_HINT).mean() >= 0.5:
                return pos + 1
    return None


def draft_sheet(book: Workbook, sheet: str, words: dict[str, list[str]]) -> SheetDraft:
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


def draft_profile(input_dir: Path, name: str = "draft") -> tuple[str, list[SheetDraft]]:
    """A commented profile YAML for every workbook in ``input_dir``, and the sheet drafts."""
    words = vocabulary()
    files = sorted(
        p
        for p in input_dir.iterdir()
        if p.suffix.lower() in WORKBOOK_SUFFIXES and not p.name.startswith(("~$", "."))
    )
    if not files:
        raise InputError(
            f"no workbook (.xlsx, .xlsm, .csv) in {input_dir}. Fix: pass "
            "--input-dir with the folder that holds your workbooks."
        )
    drafts: list[SheetDraft] = []
    sources = []
    for rank, path in enumerate(files):
        book = Workbook(path)
        sheets = [draft_sheet(book, s, words) for s in book.sheet_names]
        orgs = [d for d in sheets if d.kind == "organisations"]
        for d in sheets:
            if d.kind in {"contacts", "addresses"}:
                d.link = _link(d, orgs)
                if d.link is None:
                    d.kind, d.reason = None, "no organisations sheet in this workbook to link to"
        read = [d for d in sheets if d.kind]
        drafts += sheets
        if read:
            sources.append(
                _source(path, read, [d for d in sheets if not d.kind], len(files) - rank)
            )
    if not sources:
        raise InputError(
            f"none of the sheets in {input_dir} has a column that looks like an "
            "organisation name. Fix: name that column 'Organisation' or 'Company', "
            "or write the profile by hand (docs/reference/profiles.md)."
        )
    profile = {
        "name": name,
        "description": f"Drafted by hotpass init from {input_dir.name}/",
        "country": "ZA",
        "default_region": "ZA",
        "legal_suffixes": load_profile("generic").legal_suffixes,
        "province_aliases": {k: v for k, v in load_profile("generic").province_aliases.items()},
        "sources": sources,
    }
    Profile.model_validate(profile)  # the draft must load
    return _commented(profile, drafts), drafts


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
    slug = re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_") or "source"
    return {
        "name": slug,
        "files": path.name,
        "priority": priority,
        "sheets": sheets,
        "skip_sheets": [d.sheet for d in skipped],
    }


def _commented(profile: dict, drafts: list[SheetDraft]) -> str:
    """The profile as YAML, each sheet preceded by its mapping report as comments."""
    lines = [
        "# Draft profile written by `hotpass init`: check every mapping, then delete this line.",
        "# Sources: priority decides which workbook wins a conflicting value (higher wins);",
        "# they are ordered by file name here: reorder them to say which source you trust.",
        "",
    ]
    body = yaml.safe_dump(profile, sort_keys=False, allow_unicode=True, width=100)
    notes: dict[tuple[str, str], list[str]] = {}
    for d in drafts:
        note = [f"# {d.file} / {d.sheet}: {d.rows} rows, header row {d.header_row}"]
        if d.kind is None:
            note.append(f"#   not read: {d.reason}")
        for r in d.report.itertuples() if not d.report.empty else []:
            if r.method == "suggested":
                note.append(
                    f"#   suggested: {r.header!r} -> {r.field} (score {r.score:.0f}); add it to columns to use it"
                )
            elif r.method == "unmapped":
                note.append(f"#   unmapped: {r.header!r}")
            elif r.method == "fuzzy":
                note.append(f"#   fuzzy: {r.header!r} -> {r.field} (score {r.score:.0f}); check it")
        notes[(d.file, d.sheet)] = note
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
                for n in notes.get((current_file, str(yaml.safe_load(sheet.group(2)))), [])
            ]
        out.append(line)
    for d in drafts:
        if d.kind is None and (d.file, d.sheet) in notes:
            out += notes[(d.file, d.sheet)]
    return "\n".join(lines + out) + "\n"
