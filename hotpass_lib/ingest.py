"""Ingest: read every sheet a profile names, map and normalise it, account for every row.

Each source row gets a stable id ``<file>#<sheet>!<row>`` and ends in exactly one bucket:
accepted (an organisation, contact or address row), quarantined with a reason, or skipped
as empty (nothing in any mapped field apart from identifier formulas such as ``ID``).
"""

from __future__ import annotations

import fnmatch
import gc
import json
import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, process

from . import normalise as norm
from .mapping import map_columns, mapped_fields
from .names import name_forms
from .profile import Profile, SheetSpec, SourceSpec
from .read import NOT_SOURCES, InputError, Workbook, read_sheet, spreadsheets
from .telemetry import traced

KEY_FIELDS = {"org_key"}
"""Fields that identify a row (often a formula) but are not content of their own."""


@dataclass
class IngestResult:
    """The ingest stage's tables (see ``docs/reference/data.md``)."""

    organisations: pd.DataFrame
    contacts: pd.DataFrame
    addresses: pd.DataFrame
    quarantine: pd.DataFrame
    skipped: pd.DataFrame
    accounting: pd.DataFrame
    link_review: pd.DataFrame
    mapping: pd.DataFrame
    unread: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables the ingest stage writes, by file name."""
        return {
            "organisations": self.organisations,
            "contacts": self.contacts,
            "addresses": self.addresses,
            "quarantine": self.quarantine,
            "skipped": self.skipped,
            "accounting": self.accounting,
            "link_review": self.link_review,
            "mapping": self.mapping,
            "unread": self.unread,
        }

    def headline(self) -> dict[str, int]:
        """Rows read, accepted, quarantined and skipped as empty, across all sheets."""
        acc = self.accounting
        return {
            "rows_read": int(acc["rows_read"].sum()),
            "rows_accepted": int(acc["accepted"].sum()),
            "rows_quarantined": int(acc["quarantined"].sum()),
            "rows_skipped_empty": int(acc["skipped_empty"].sum()),
            "organisation_rows": len(self.organisations),
            "contact_rows": len(self.contacts),
            "sheets_read": len(acc),
            "sheets_not_read": int(self.unread["sheet"].notna().sum()),
        }


@dataclass
class _SheetRows:
    source: SourceSpec
    spec: SheetSpec
    file: str
    canonical: pd.DataFrame  # canonical fields, index = source_record_id
    raw: pd.DataFrame  # raw cells, same index


def record_ids(file: str, sheet: str, rows: pd.Index) -> pd.Index:
    """``<file>#<sheet>!<row>`` ids for Excel row numbers."""
    return pd.Index([f"{file}#{sheet}!{r}" for r in rows], name="source_record_id")


class _Unusable(Exception):
    """A sheet matched by a pattern that holds no organisations (listed, not fatal)."""


def _closest(headers: list[str], synonyms: list[str]) -> str:
    """The headers most like the expected ones, for an error message."""
    scored: dict[str, float] = {}
    for name in synonyms:
        for header, score, _ in process.extract(name, headers, scorer=fuzz.WRatio, limit=3):
            scored[header] = max(score, scored.get(header, 0))
    best = sorted(scored.items(), key=lambda kv: -kv[1])[:3]
    return ", ".join(f"{h!r}" for h, score in best if score >= 50) or "none"


def _read_source_sheet(
    book: Workbook, source: SourceSpec, spec: SheetSpec, optional: bool = False
) -> tuple[_SheetRows, pd.DataFrame]:
    synonyms = {s for names in spec.columns.values() for s in names}
    sheet = read_sheet(book, spec.sheet, spec.header_row, synonyms)
    where = f"{book.path.name} sheet {spec.sheet!r}"
    if sheet.frame.columns.empty:
        if optional:
            raise _Unusable("empty sheet")
        raise InputError(
            f"{where} is empty: no header row and no data. Fix: point the "
            "profile at the sheet that holds the data, or fill this one."
        )
    report = map_columns(list(sheet.frame.columns), spec.columns)
    fields = mapped_fields(report)
    if spec.address_column is not None:
        pos = spec.address_column - 1
        if pos < len(sheet.frame.columns):
            fields["address"] = sheet.frame.columns[pos]
            report.loc[pos, ["field", "method", "score"]] = ["address", "position", 100.0]
    required = {"organisations": "organisation_name", "contacts": "org_ref_name"}.get(spec.kind)
    if spec.kind == "contacts" and spec.link and spec.link.by == "key":
        required = "org_key"
    if required and required not in fields:
        if optional:
            raise _Unusable(f"no column maps to {required}")
        headers = [str(h) for h in sheet.frame.columns]
        raise InputError(
            f"{where}, header row {sheet.header_row}: no column for {required!r} "
            f"(expected one of {spec.columns.get(required, [])}); closest headers found: "
            f"{_closest(headers, spec.columns.get(required, [required]))}. Fix: add the "
            f"header to 'columns.{required}' of this sheet in the profile, or rename the "
            "column in the workbook."
        )
    ids = record_ids(book.path.name, spec.sheet, sheet.frame.index)
    raw = sheet.frame.set_axis(ids, axis=0)
    canonical = pd.DataFrame({f: raw[h] for f, h in fields.items()}, index=ids)
    report.insert(0, "sheet", spec.sheet)
    report.insert(0, "file", book.path.name)
    return _SheetRows(source, spec, book.path.name, canonical, raw), report


def _sheet_specs(book: Workbook, source: SourceSpec) -> list[tuple[SheetSpec, bool]]:
    """Concrete sheet specs for a workbook; pattern specs expand to the matching sheets
    not named otherwise (and not skipped). The flag marks the optional ones."""
    named = {s.sheet for s in source.sheets if not s.is_pattern} | set(source.skip_sheets)
    out: list[tuple[SheetSpec, bool]] = []
    for spec in source.sheets:
        if not spec.is_pattern:
            out.append((spec, False))
            continue
        taken = {s.sheet for s, _ in out}
        for name in book.sheet_names:
            if fnmatch.fnmatchcase(name, spec.sheet) and name not in named | taken:
                out.append((spec.model_copy(update={"sheet": name}), True))
    return out


@dataclass(frozen=True)
class SourceFile:
    """A file a source reads, and the rule that matched it (for the evidence)."""

    source: SourceSpec
    path: Path
    matched_by: str


def _fits(path: Path, source: SourceSpec) -> str | None:
    """Why a file no pattern claimed is this source's workbook by content (its named
    sheets are all there, and the first one has the required column), or None."""
    named = [s for s in source.sheets if not s.is_pattern]
    if not named:
        return None  # a pattern-only source reads by file pattern alone
    try:
        book = Workbook(path)
    except InputError:
        return None
    if not all(s.sheet in book.sheet_names for s in named):
        return None
    try:
        _read_source_sheet(book, source, named[0], optional=True)
    except (_Unusable, InputError):
        return None
    return f"content: sheets {[s.sheet for s in named]} with their headers"


def find_sources(input_dir: Path, profile: Profile) -> tuple[list[SourceFile], list[Path]]:
    """Each source's files in ``input_dir``: those its file patterns match (letter case
    ignored), then files no pattern claimed whose sheets and headers fit the source (a
    renamed copy, an ``.xlsm`` saved from an ``.xlsx``). Also the spreadsheets no source
    reads."""
    files = spreadsheets(input_dir)
    found: list[SourceFile] = []
    claimed: set[Path] = set()
    for source in profile.sources:
        for path in files:
            pattern = next(
                (g for g in source.patterns if fnmatch.fnmatch(path.name.lower(), g.lower())),
                None,
            )
            if pattern is not None and path not in claimed:
                found.append(SourceFile(source, path, f"file pattern {pattern!r}"))
                claimed.add(path)
    for path in files:
        if path in claimed:
            continue
        for source in profile.sources:
            why = _fits(path, source)
            if why:
                found.append(SourceFile(source, path, why))
                claimed.add(path)
                break
    order = {id(s): i for i, s in enumerate(profile.sources)}
    found.sort(key=lambda f: (order[id(f.source)], f.path.name))
    return found, [p for p in files if p not in claimed]


def sheet_problems(book: Workbook, source: SourceSpec) -> list[str]:
    """Why the sheets ``source`` reads from ``book`` cannot be ingested (a required column
    missing, ...), one message per sheet; empty when every sheet can be read."""
    problems = []
    for spec, optional in _sheet_specs(book, source):
        try:
            _read_source_sheet(book, source, spec, optional)
        except _Unusable:
            continue
        except InputError as exc:
            problems.append(str(exc))
    return problems


def _raw_json(raw: pd.DataFrame) -> pd.Series:
    """Each row's non-blank raw cells as a JSON object (header -> text)."""
    records = raw.astype(object).where(raw.notna(), None).to_dict("index")
    return pd.Series(
        {
            k: json.dumps({h: v for h, v in r.items() if v is not None}, ensure_ascii=False)
            for k, r in records.items()
        },
        dtype="string",
    )


def _quarantine(
    rows: _SheetRows, mask: pd.Series, code: str, reason: pd.Series | str
) -> pd.DataFrame:
    ids = mask.index[mask.to_numpy()]
    if len(ids) == 0:
        return pd.DataFrame()
    reasons = reason if isinstance(reason, str) else reason.loc[ids]
    return pd.DataFrame(
        {
            "source_record_id": ids,
            "source": rows.source.name,
            "file": rows.file,
            "sheet": rows.spec.sheet,
            "row": [int(i.rsplit("!", 1)[1]) for i in ids],
            "reason_code": code,
            "reason": reasons,
            "raw": _raw_json(rows.raw.loc[ids]).to_numpy(),
        }
    )


def _organisation_fields(frame: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Normalise the organisation-level fields of accepted organisation rows."""

    def col(name: str) -> pd.Series:
        return frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="string")

    out = pd.DataFrame(index=frame.index)
    out["organisation_name"] = norm.display_name(col("organisation_name"))
    out["name_key"] = norm.name_key(col("organisation_name"), profile.legal_suffixes)
    out["alt_name"] = norm.clean_text(col("alt_name"))
    out["alt_name_key"] = norm.name_key(col("alt_name"), profile.legal_suffixes)
    out["org_key"] = norm.clean_text(col("org_key"))
    out["province"] = norm.normalise_provinces(
        col("province"), profile.province_aliases, profile.country
    )
    for name in ("status", "category", "organisation_type", "notes", "city", "postcode"):
        out[name] = norm.clean_text(col(name))
    out["address"] = norm.combine_address(
        col("address"), col("street"), col("suburb"), out["city"], col("province"), out["postcode"]
    )
    person = norm.split_full_name(col("first_name"), col("last_name"))["name"]
    role = norm.clean_text(col("role"))
    named = (person + (" (" + role + ")").fillna("")).astype("string")
    out["contact_person"] = norm.clean_text(col("contact_person")).fillna(named)
    out = out.join(norm.normalise_websites(col("website")))
    out = out.join(norm.normalise_emails(col("email")))
    out = out.join(norm.normalise_phones(col("phone"), profile.default_region))
    out["last_contact_date"] = norm.normalise_dates(col("last_contact_date"))
    return out


def _link(rows: _SheetRows, orgs: pd.DataFrame, profile: Profile) -> pd.Series:
    """The organisation source record id each contact/address row belongs to (or NA)."""
    assert rows.spec.link is not None
    target = orgs[(orgs["file"] == rows.file) & (orgs["sheet"] == rows.spec.link.sheet)]
    linked = pd.Series(pd.NA, index=rows.canonical.index, dtype="string")
    if rows.spec.link.by == "key" and "org_key" in rows.canonical:
        by_key = target.dropna(subset=["org_key"]).drop_duplicates("org_key")
        lookup = pd.Series(by_key.index, index=by_key["org_key"].to_numpy())
        keys = norm.clean_text(rows.canonical["org_key"])
        linked = keys.map(lookup).astype("string")
    if "org_ref_name" in rows.canonical:
        ref = norm.name_key(rows.canonical["org_ref_name"], profile.legal_suffixes)
        names = pd.concat(
            [
                pd.Series(target.index, index=target["name_key"].to_numpy()),
                pd.Series(target.index, index=target["alt_name_key"].to_numpy()),
            ]
        )
        names = names[names.index.notna() & ~names.index.duplicated()]
        linked = linked.fillna(ref.map(names).astype("string"))
        missing = linked.isna() & rows.canonical["org_ref_name"].notna()
        if missing.any():
            found = link_by_name(
                rows.canonical.loc[missing, "org_ref_name"], orgs, rows.file, profile
            )
            linked = linked.fillna(found.reindex(linked.index))
    return linked


def link_by_name(refs: pd.Series, orgs: pd.DataFrame, file: str, profile: Profile) -> pd.Series:
    """The organisation row each organisation name in ``refs`` names, across all sources:
    the same name in any of its forms (legal, trading, qualified, squashed:
    :mod:`hotpass_lib.names`), else one typo away in a name of 9+ letters. Rows of the
    referring workbook win, then higher priority, then the first id; NA when none."""
    both = name_forms(  # one vocabulary: which qualifiers merely describe
        pd.concat([orgs["organisation_name"], refs], ignore_index=True), profile.legal_suffixes
    )
    org_forms = both.iloc[: len(orgs)].set_axis(orgs.index)
    ref_forms = both.iloc[len(orgs) :].set_axis(refs.index)
    own = (orgs["file"] != file).astype(int)
    rank = pd.DataFrame(
        {"rid": orgs.index, "own": own.to_numpy(), "priority": -orgs["priority"].to_numpy()}
    )
    keys = pd.concat(
        [
            org_forms["squash"],
            org_forms["raw_squash"],
            org_forms["trading"].str.replace(" ", "", regex=False),
        ]
    ).dropna()
    table = rank.set_index(orgs.index).loc[keys.index].assign(key=keys.to_numpy())
    table = table[table["key"] != ""].sort_values(["key", "own", "priority", "rid"])
    lookup = table.drop_duplicates("key").set_index("key")["rid"]
    wanted = pd.concat(
        [
            ref_forms["squash"],
            ref_forms["raw_squash"],
            ref_forms["trading"].str.replace(" ", "", regex=False),
        ]
    ).dropna()
    hit = wanted.map(lookup).dropna()
    found = hit.groupby(level=0).first().reindex(refs.index).astype("string")
    rest = found.isna() & ref_forms["squash"].str.len().ge(9)
    if rest.any():
        from rapidfuzz.distance import DamerauLevenshtein
        from rapidfuzz.process import extractOne

        choices = lookup[lookup.index.str.len() >= 9]
        names = list(choices.index)
        for rid, squash in ref_forms.loc[rest, "squash"].items():  # the few left unlinked
            best = extractOne(squash, names, scorer=DamerauLevenshtein.distance, score_cutoff=1)
            if best is not None:
                found[rid] = choices.iloc[best[2]]
    return found


REVIEW_SIMILARITY = 0.85
"""A contact or address naming an organisation this similar (Jaro-Winkler of canonical
names) to an existing one, but not the same in any form, is queued for review."""


def closest_organisation(refs: pd.Series, orgs: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """For organisation names that matched nothing: the most similar organisation row
    (``organisation_record_id``, ``organisation_name``, ``similarity``) when at least
    :data:`REVIEW_SIMILARITY`; the rows of ``refs`` without one are left out."""
    from rapidfuzz.distance import JaroWinkler
    from rapidfuzz.process import extractOne

    columns = ["organisation_record_id", "organisation_name", "similarity"]
    refs = refs.dropna()
    if refs.empty or orgs.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], dtype="string"))
    forms = name_forms(
        pd.concat([orgs["organisation_name"], refs], ignore_index=True), profile.legal_suffixes
    )
    cores = forms["core"].iloc[: len(orgs)].fillna("").tolist()
    rows = {}
    for rid, core in zip(refs.index, forms["core"].iloc[len(orgs) :], strict=True):
        if pd.isna(core):
            continue
        best = extractOne(
            core, cores, scorer=JaroWinkler.normalized_similarity, score_cutoff=REVIEW_SIMILARITY
        )  # a few unlinked rows against the organisations, in C
        if best is not None:
            pos = best[2]
            rows[rid] = (orgs.index[pos], orgs["organisation_name"].iloc[pos], round(best[1], 3))
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def _decided_links(decisions: pd.DataFrame | None, ids: pd.Index, orgs: pd.Index) -> pd.DataFrame:
    """Reviewer decisions on (row, organisation row) pairs of this sheet: ``decision`` per
    row id and organisation row id, whichever side each was written on."""
    if decisions is None or decisions.empty:
        return pd.DataFrame(columns=["row", "org", "decision"])
    both = pd.concat(
        [
            decisions.rename(columns={"left": "row", "right": "org"}),
            decisions.rename(columns={"right": "row", "left": "org"}),
        ]
    )
    return both[both["row"].isin(ids) & both["org"].isin(orgs)][["row", "org", "decision"]]


def _contacts_from_sheet(rows: _SheetRows, frame: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    def col(name: str) -> pd.Series:
        return frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="string")

    people = norm.split_full_name(col("first_name"), col("last_name"))
    joined = col("phone").astype("string").fillna("")
    for name in ("whatsapp", "landline"):
        joined = joined + "; " + col(name).astype("string").fillna("")
    out = pd.DataFrame(index=frame.index)
    out["name"] = people["name"]
    out["role"] = norm.clean_text(col("role"))
    out["is_mailbox"] = people["is_mailbox"]
    out = out.join(norm.normalise_emails(col("email")))
    out = out.join(norm.normalise_phones(joined, profile.default_region))
    out["last_contact_date"] = norm.normalise_dates(col("last_contact_date"))
    return out


def _contacts_from_orgs(orgs: pd.DataFrame) -> pd.DataFrame:
    """People named in organisation rows' contact cells, with that row's e-mails/phones.

    The n-th person gets the n-th e-mail and phone of the row when the counts line up;
    otherwise the first person takes them all.
    """
    people = norm.parse_contact_people(orgs["contact_person"])
    if people.empty:
        return pd.DataFrame()
    people = people.join(
        orgs[["source", "priority", "emails", "phones", "invalid_emails", "invalid_phones"]]
    )
    counts = people.groupby(level=0)["part"].transform("size")
    for name in ("emails", "phones"):
        n = people[name].map(len)
        aligned = n == counts
        people[name] = [
            [v[p]] if ok else (v if p == 0 else [])
            for v, p, ok in zip(people[name], people["part"], aligned, strict=True)
        ]
    people["is_mailbox"] = people["name"].isna()
    people.index.name = "source_record_id"
    return people.drop(columns="part")


def _unread(book: Workbook, source: SourceSpec, read: set[str]) -> list[dict[str, object]]:
    out = []
    for name in book.sheet_names:
        if name in read:
            continue
        rows = sum(any(str(v).strip() for v in r) for r in book.rows(name))
        reason = "skipped by profile" if name in source.skip_sheets else "not named in profile"
        out.append({"file": book.path.name, "sheet": name, "rows": rows, "reason": reason})
    return out


@dataclass(frozen=True)
class _SheetTask:
    """One sheet to read: its file, source, spec, whether it may be unusable."""

    path: Path
    source: SourceSpec
    spec: SheetSpec
    optional: bool
    profile: Profile


@dataclass
class _Sheet:
    """A sheet read, with the work that needs no other sheet done: its rows (the empty ones
    dropped from ``canonical``), column report, empty-row mask, and normalised fields (of
    organisation rows with a name, the others quarantined in ``nameless``; of every contact
    row, before they are linked to organisations). An organisation sheet's rows keep no
    cells: nothing after this needs them, and they are most of what a worker sends back."""

    rows: _SheetRows
    report: pd.DataFrame
    empty: pd.Series
    fields: pd.DataFrame | None
    nameless: pd.DataFrame | None


def _prepare_sheet(task: _SheetTask, book: Workbook | None = None) -> _Sheet | dict[str, object]:
    """Read and normalise one sheet (:class:`_Sheet`), or say why it is not read; ``book``:
    the task's workbook, if the caller has it open."""
    book = book or Workbook(task.path)
    try:
        rows, report = _read_source_sheet(book, task.source, task.spec, task.optional)
    except _Unusable as exc:
        rows_in = sum(any(str(v).strip() for v in r) for r in book.rows(task.spec.sheet))
        return {"file": task.path.name, "sheet": task.spec.sheet, "rows": rows_in,
                "reason": str(exc)}  # fmt: skip
    content = [c for c in rows.canonical.columns if c not in KEY_FIELDS]
    empty = (
        rows.canonical[content].isna().all(axis=1)
        if content
        else pd.Series(True, index=rows.canonical.index)
    )
    kept = rows.canonical[~empty]
    rows.canonical = kept
    fields = nameless = None
    if rows.spec.kind == "organisations":
        named = kept["organisation_name"].notna()
        fields = _organisation_fields(kept[named], task.profile)
        reason = "row has data but no organisation name"
        nameless = _quarantine(rows, ~named, "missing_name", reason)
        rows.raw, rows.canonical = rows.raw.iloc[:0], kept.iloc[:0]
    elif rows.spec.kind == "contacts":
        fields = _contacts_from_sheet(rows, kept, task.profile)
    return _Sheet(rows, report, empty, fields, nameless)


INGEST_WORKERS = 2
"""Worker processes at most: each holds a sheet, so memory grows with them (at 1M source
rows the largest sheet's worker peaks at 1.5 GB), and with two the largest sheet already
takes half of the work."""

PARALLEL_BYTES = 8_000_000
"""Input size from which sheets are read in worker processes. Below it the gain is small
and, inside ``hotpass run``, nil: at 6.8 MB (100k realistic source rows) the workers took
ingest from 3.2 to 2.3 s in a kernel of its own, but not in a run, where the second core is
busy importing the later stages' libraries while ingest runs."""


def _workers(tasks: list[_SheetTask]) -> int:
    """Worker processes for ``tasks``: ``INGEST_WORKERS`` (no more than cores or sheets)
    when the files hold ``PARALLEL_BYTES`` or more, else 1 (read here)."""
    if "fork" not in multiprocessing.get_all_start_methods():  # Windows: read here
        return 1
    size = sum(p.stat().st_size for p in {t.path for t in tasks})
    workers = min(len(tasks), os.cpu_count() or 1, INGEST_WORKERS)
    return workers if size >= PARALLEL_BYTES else 1


def _prepare_sheets(
    tasks: list[_SheetTask], books: Mapping[Path, Workbook], workers: int
) -> list[_Sheet | dict[str, object]]:
    """:func:`_prepare_sheet` of every task, in order, in ``workers`` forked worker
    processes (:func:`_workers`), or here from the open ``books`` when that is one.

    Forked: a worker starts with the libraries imported, opens its own workbook and sends
    its sheet back pickled (Arrow-backed columns as buffers). Largest files first, so that
    the big sheet does not start last."""
    if workers < 2:
        return [_prepare_sheet(t, books[t.path]) for t in tasks]
    size = {t.path: t.path.stat().st_size for t in tasks}
    order = sorted(range(len(tasks)), key=lambda i: -size[tasks[i].path])
    gc.collect()  # the caller's garbage is freed here, not in a worker (hotpass_lib.forked)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {i: pool.submit(_prepare_sheet, tasks[i]) for i in order}
        return [futures[i].result() for i in range(len(tasks))]


@traced("hotpass.ingest.ingest")
def ingest(
    input_dir: Path | str, profile: Profile, decisions: pd.DataFrame | None = None
) -> IngestResult:
    """Read, map, link and normalise every source of ``profile`` found in ``input_dir``.
    ``decisions`` (reviewer decisions) attach or keep apart contact and address rows
    queued for review as doubtful links."""
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise InputError(f"input folder {input_dir} does not exist. Fix: pass --input-dir.")
    reports, unread, warnings = [], [], []
    found, unclaimed = find_sources(input_dir, profile)
    matched: dict[str, str] = {}
    for source in profile.sources:
        if not any(f.source is source for f in found):
            warnings.append(
                f"source {source.name!r}: no file matches {source.files!r} in {input_dir}"
            )
    tasks: list[_SheetTask] = []
    others: dict[Path, list[dict[str, object]]] = {}  # each file's sheets no spec names
    books: dict[Path, Workbook] = {}
    for item in found:
        source, path = item.source, item.path
        matched[path.name] = item.matched_by
        book = books[path] = Workbook(path)
        specs = _sheet_specs(book, source)
        tasks += [_SheetTask(path, source, spec, optional, profile) for spec, optional in specs]
        others[path] = _unread(book, source, {spec.sheet for spec, _ in specs})
    workers = _workers(tasks)
    if workers > 1:
        books.clear()  # workers open their own: the files' cells are not held here meanwhile
    sheets: list[_Sheet] = []
    prepared = _prepare_sheets(tasks, books, workers)
    for item in found:
        for task, done in zip(tasks, prepared, strict=True):
            if task.path != item.path:
                continue
            if isinstance(done, dict):
                unread.append(done)
            else:
                sheets.append(done)
                reports.append(done.report)
        unread.extend(others[item.path])
    if not sheets and found:
        reasons = "; ".join(f"{u['file']}/{u['sheet']}: {u['reason']}" for u in unread[:5])
        raise InputError(
            f"no sheet in {input_dir} could be read with profile {profile.name!r} ({reasons}). "
            "Fix: add the headers to the profile's column synonyms, or use another profile."
        )
    if not sheets:
        raise InputError(
            f"no workbook in {input_dir} matches profile {profile.name!r} "
            f"(patterns: {[s.files for s in profile.sources]}), by name or by its sheets and "
            "headers. Fix: check --input-dir and --profile, or draft a profile with "
            "`hotpass init`."
        )
    for path in unclaimed:
        unread.append(
            {"file": path.name, "sheet": None, "rows": None, "reason": "file matches no source"}
        )
    for name in sorted(NOT_SOURCES):
        if (input_dir / name).is_file():
            unread.append(
                {"file": name, "sheet": None, "rows": None, "reason": "ground truth, never data"}
            )

    quarantine, skipped, accounting = [], [], []
    org_parts: list[pd.DataFrame] = []
    pending: list[_Sheet] = []
    for sheet in sheets:
        rows, empty = sheet.rows, sheet.empty
        skipped.append(
            pd.DataFrame(
                {
                    "source_record_id": empty.index[empty.to_numpy()],
                    "file": rows.file,
                    "sheet": rows.spec.sheet,
                }
            )
        )
        if rows.spec.kind == "organisations":
            assert sheet.nameless is not None and sheet.fields is not None
            quarantine.append(sheet.nameless)
            frame = sheet.fields
            frame.insert(0, "source", rows.source.name)
            frame.insert(1, "priority", rows.source.priority)
            frame.insert(2, "file", rows.file)
            frame.insert(3, "sheet", rows.spec.sheet)
            org_parts.append(frame)
        else:
            pending.append(sheet)
        accounting.append(
            {
                "file": rows.file,
                "sheet": rows.spec.sheet,
                "kind": rows.spec.kind,
                "rows_read": len(empty),
                "skipped_empty": int(empty.sum()),
                "matched_by": matched[rows.file],
            }
        )

    orgs = pd.concat(org_parts)
    orgs.index = orgs.index.astype(str)  # typed also when no sheet has a data row
    orgs.index.name = "source_record_id"
    address_parts: list[pd.DataFrame]
    contact_parts, address_parts = (
        [
            _contacts_from_orgs(orgs).assign(
                organisation_source_record_id=lambda f: f.index.to_series()
            )
        ],
        [],
    )
    reviews = []
    for sheet in pending:
        rows = sheet.rows
        link = _link(rows, orgs, profile)
        decided = _decided_links(decisions, rows.canonical.index, orgs.index)
        same = decided[decided["decision"] == "same"].drop_duplicates("row")
        link.loc[same["row"].to_numpy()] = same["org"].to_numpy()  # a reviewer attached it
        ref = rows.canonical.get("org_ref_name", rows.canonical.get("org_key"))
        unlinked = link.isna()
        close = closest_organisation(
            rows.canonical.loc[unlinked, "org_ref_name"]
            if "org_ref_name" in rows.canonical
            else pd.Series(dtype="string"),
            orgs,
            profile,
        )
        rejected = set(
            zip(
                *[decided.loc[decided["decision"] == "different", c] for c in ("row", "org")],
                strict=True,
            )
        )
        close = close[
            [
                (r, o) not in rejected
                for r, o in zip(close.index, close["organisation_record_id"], strict=True)
            ]
        ]
        doubtful = pd.Series(rows.canonical.index.isin(close.index), index=rows.canonical.index)
        target = (
            f"sheet {rows.spec.link.sheet!r}"
            if rows.spec.link and rows.spec.link.sheet
            else "its organisations"
        )
        reason = (
            "names organisation "
            + ref.fillna("(blank)").astype(str)
            + f", which matches no row of {target} or of any source"
        )
        code = {"contacts": "unlinked_contact", "addresses": "unlinked_address"}[rows.spec.kind]
        quarantine.append(_quarantine(rows, unlinked & ~doubtful, code, reason))
        if len(close):
            why = (
                "names organisation "
                + ref.loc[close.index].astype(str)
                + "; closest is "
                + close["organisation_name"].astype(str)
                + " ("
                + close["organisation_record_id"]
                + ", similarity "
                + close["similarity"].astype(str)
                + "): queued for review; "
                "decide in params/review_decisions.yaml"
            )
            quarantine.append(_quarantine(rows, doubtful, "doubtful_link", why))
            reviews.append(
                close.assign(
                    kind=rows.spec.kind,
                    record_id=close.index,
                    name=ref.loc[close.index].astype(str),
                )
            )
        kept = rows.canonical[~unlinked]
        if rows.spec.kind == "contacts":
            assert sheet.fields is not None
            frame = sheet.fields[~unlinked.to_numpy()]
            bare = (
                frame["name"].isna()
                & (frame["emails"].map(len) == 0)
                & (frame["phones"].map(len) == 0)
            )
            quarantine.append(
                _quarantine(
                    rows,
                    bare.reindex(rows.raw.index, fill_value=False),
                    "no_contact_details",
                    "contact row has no name, valid e-mail or valid phone",
                )
            )
            frame = frame[~bare]
            parts = contact_parts
        else:
            frame = pd.DataFrame(
                {
                    "address": norm.clean_text(kept["address"]) if "address" in kept else pd.NA,
                    "address_type": norm.clean_text(
                        kept.get("address_type", pd.Series(pd.NA, index=kept.index))
                    ),
                }
            )
            parts = address_parts
        frame["organisation_source_record_id"] = link.loc[frame.index]
        frame.insert(0, "source", rows.source.name)
        frame.insert(1, "priority", rows.source.priority)
        parts.append(frame)

    quarantine_df = _frame(
        quarantine,
        ["source_record_id", "source", "file", "sheet", "row", "reason_code", "reason", "raw"],
    )
    skipped_df = _frame(skipped, ["source_record_id", "file", "sheet"])
    acc = pd.DataFrame(accounting)
    q_counts = quarantine_df.groupby(["file", "sheet"]).size().rename("quarantined")
    acc = acc.join(q_counts, on=["file", "sheet"]).fillna({"quarantined": 0})
    acc["quarantined"] = acc["quarantined"].astype(int)
    acc["accepted"] = acc["rows_read"] - acc["skipped_empty"] - acc["quarantined"]
    contacts = _typed(contact_parts, CONTACT_COLUMNS)
    addresses = _typed(address_parts, ADDRESS_COLUMNS)
    link_review = pd.concat(reviews, ignore_index=True) if reviews else pd.DataFrame()
    link_review = link_review.reindex(columns=list(LINK_REVIEW_COLUMNS)).astype(LINK_REVIEW_COLUMNS)
    return IngestResult(
        organisations=orgs.reset_index(),
        contacts=contacts.reset_index(),
        addresses=addresses.reset_index(),
        quarantine=quarantine_df,
        skipped=skipped_df,
        accounting=acc,
        link_review=link_review,
        mapping=pd.concat(reports, ignore_index=True),
        unread=pd.DataFrame(unread, columns=["file", "sheet", "rows", "reason"]).astype(
            {"rows": "Int64"}
        ),
        warnings=warnings,
    )


LINK_REVIEW_COLUMNS = {
    "kind": "string",
    "record_id": "string",
    "name": "string",
    "organisation_record_id": "string",
    "organisation_name": "string",
    "similarity": "float64",
}
"""A doubtful link: the contact/address row, the organisation it names, and the closest."""

CONTACT_COLUMNS = {
    "source": "string",
    "priority": "int64",
    "name": "string",
    "role": "string",
    "is_mailbox": "bool",
    "emails": object,
    "invalid_emails": object,
    "phones": object,
    "invalid_phones": object,
    "last_contact_date": "datetime64[ms]",
    "organisation_source_record_id": "string",
}
ADDRESS_COLUMNS = {
    "source": "string",
    "priority": "int64",
    "address": "string",
    "address_type": "string",
    "organisation_source_record_id": "string",
}


def _typed(parts: list[pd.DataFrame], columns: Mapping[str, object]) -> pd.DataFrame:
    """Concatenate parts (indexed by source record id) into the given columns and types,
    also when there are none."""
    parts = [p for p in parts if not p.empty]
    frame = pd.concat(parts) if parts else pd.DataFrame(index=pd.Index([], dtype="string"))
    frame = frame.reindex(columns=list(columns))
    lists = [c for c, t in columns.items() if t is object]
    for c in lists:
        values = [v if isinstance(v, list) else [] for v in frame[c]]
        frame[c] = pd.Series(values, index=frame.index, dtype=object)
    frame = frame.astype({c: t for c, t in columns.items() if t is not object})
    frame.index.name = "source_record_id"
    return frame


def _frame(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Concatenate parts into a frame whose column types hold even when it is empty."""
    parts = [p for p in parts if not p.empty]
    frame = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
    return frame.astype({c: "int64" if c == "row" else "string" for c in columns})
