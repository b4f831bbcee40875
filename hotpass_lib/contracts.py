"""Data contracts: one pandera model per table the pipeline produces, and their exports.

``contracts/<table>.schema.json`` (JSON Schema) and ``contracts/reference.md`` are generated
from these models by ``hotpass contracts export``; a test fails when the committed files
drift from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandera.typing import Series

RECORD_ID = r"^.+#.+!\d+$"
HTTPS_URL = r"^https://[a-z0-9.-]+\.[a-z]{2,}(?:/\S*)?$"
E164 = r"^\+[1-9]\d{6,14}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"
ORG_ID = r"^org_[0-9a-f]{12}$"
QUALITY_FLAGS = r"^(?:(?:missing_email|missing_phone|missing_website|missing_province|missing_address|invalid_phone|invalid_email)(?:;|$))*$"
REASON_CODES = [
    "missing_name",
    "unlinked_contact",
    "unlinked_address",
    "doubtful_link",
    "no_contact_details",
]
CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"


def _re2_twin(pattern: str) -> str | None:
    """The list-item ``pattern`` for RE2 (Arrow) with Python's meaning (``\\d``, ``\\s``
    spelt out, ``$`` also before a final line break), for the patterns known here."""
    from .normalise import SPACES
    from .read import DECIMAL_DIGITS

    twins = {
        EMAIL: rf"^[^@{SPACES}]+@[^@{SPACES}]+\.[a-z]{{2,}}\n?$",
        E164: rf"^\+[1-9][{DECIMAL_DIGITS}]{{6,14}}\n?$",
        RECORD_ID: rf"^.+#.+![{DECIMAL_DIGITS}]+\n?$",
    }
    return twins.get(pattern)


def _items_match(series: pd.Series, pattern: str) -> pd.Series:
    """Per row, whether every item of its list matches ``pattern`` (``re.match``)."""
    items = series.explode().dropna().astype(str)
    ok = items.str.match(pattern).groupby(level=0).all()
    return ok.reindex(series.index, fill_value=True).astype(bool)


def _items_match_arrow(series: pd.Series, pattern: str) -> pd.Series:
    """:func:`_items_match` in Arrow for lists of text (or None): the failing items' rows."""
    twin = _re2_twin(pattern)
    try:
        lists = pyarrow.array(series.to_numpy(), type=pyarrow.large_list(pyarrow.large_string()))
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):
        lists = None
    if twin is None or lists is None or not series.index.is_unique:
        return _items_match(series, pattern)
    fails = pc.invert(pc.fill_null(pc.match_substring_regex(pc.list_flatten(lists), twin), True))
    rows = pc.list_parent_indices(lists).filter(fails).to_numpy()
    ok = np.ones(len(series), dtype=bool)
    ok[rows] = False
    return pd.Series(ok, index=series.index)


def each_matches(pattern: str) -> pa.Check:
    """Every element of a list column matches ``pattern``."""

    def check(series: pd.Series) -> pd.Series:
        return _items_match_arrow(series, pattern)

    return pa.Check(
        check,
        name="each_matches",
        statistics={"pattern": pattern},
        error=f"each_matches('{pattern}')",
    )


class CanonicalOrganisation(pa.DataFrameModel):
    """An organisation row read from a source sheet, mapped and normalised (ingest)."""

    source_record_id: Series[str] = pa.Field(
        unique=True, str_matches=RECORD_ID, description="file#sheet!row (Excel row number)"
    )
    source: Series[str] = pa.Field(description="the profile source the row came from")
    priority: Series[int] = pa.Field(ge=0, description="source priority (higher wins)")
    organisation_name: Series[str] = pa.Field(str_length={"min_value": 1})
    name_key: Series[str] = pa.Field(nullable=True, description="matching key")
    province: Series[str] = pa.Field(
        nullable=True,
        description="official province name (South African profiles: checked by the GX "
        "suite against the nine names), else the region as written",
    )
    website: Series[str] = pa.Field(nullable=True, str_matches=HTTPS_URL)
    emails: Series[object] = pa.Field(description="valid e-mails")
    phones: Series[object] = pa.Field(description="E.164 phones")

    class Config:
        strict = False


class CanonicalContact(pa.DataFrameModel):
    """A contact (person or mailbox) read from a source row and linked to its organisation row."""

    source_record_id: Series[str] = pa.Field(str_matches=RECORD_ID)
    organisation_source_record_id: Series[str] = pa.Field(str_matches=RECORD_ID)
    source: Series[str]
    name: Series[str] = pa.Field(nullable=True)
    role: Series[str] = pa.Field(nullable=True)
    is_mailbox: Series[bool]
    emails: Series[object] = pa.Field()
    phones: Series[object] = pa.Field()

    class Config:
        strict = False


class QuarantineRow(pa.DataFrameModel):
    """A rejected source row with a machine-readable reason and its raw cells."""

    source_record_id: Series[str] = pa.Field(unique=True, str_matches=RECORD_ID)
    reason_code: Series[str] = pa.Field(isin=REASON_CODES)
    reason: Series[str] = pa.Field(description="the reason in words")
    raw: Series[str] = pa.Field(description="JSON object of the row's non-blank cells")

    class Config:
        strict = False


class SSOTOrganisation(pa.DataFrameModel):
    """One real-world organisation in the single source of truth."""

    organisation_id: Series[str] = pa.Field(
        unique=True, str_matches=ORG_ID, description="stable across re-runs"
    )
    organisation_name: Series[str] = pa.Field(str_length={"min_value": 1})
    organisation_slug: Series[str] = pa.Field(str_matches=r"^[a-z0-9-]+$")
    province: Series[str] = pa.Field(
        nullable=True,
        description="official province name (South African profiles: checked by the GX "
        "suite against the nine names), else the region as written",
    )
    country: Series[str] = pa.Field(
        nullable=True, str_length=2, description="ISO 3166 code; null when the data does not say"
    )
    website: Series[str] = pa.Field(nullable=True, str_matches=HTTPS_URL)
    primary_email: Series[str] = pa.Field(nullable=True, str_matches=EMAIL)
    primary_phone: Series[str] = pa.Field(nullable=True, str_matches=E164)
    secondary_emails: Series[object] = pa.Field()
    secondary_phones: Series[object] = pa.Field()
    source_record_ids: Series[object] = pa.Field()
    selection_provenance: Series[str] = pa.Field(description="JSON: winner per field and why")
    data_quality_score: Series[float] = pa.Field(ge=0, le=1)
    data_quality_flags: Series[str] = pa.Field(str_matches=QUALITY_FLAGS)

    @pa.dataframe_check(error="a primary e-mail is not also a secondary one")
    @classmethod
    def primary_email_not_secondary(cls, df: pd.DataFrame) -> pd.Series:
        secondary = df["secondary_emails"].explode()
        clash = (secondary == df["primary_email"].reindex(secondary.index)).fillna(False)
        return ~clash.groupby(level=0).any().reindex(df.index, fill_value=False)

    class Config:
        strict = False


class SSOTContact(pa.DataFrameModel):
    """One person or mailbox of an SSOT organisation."""

    contact_id: Series[str] = pa.Field(unique=True, str_matches=r"^con_[0-9a-f]{12}$")
    organisation_id: Series[str] = pa.Field(str_matches=ORG_ID)
    name: Series[str] = pa.Field(nullable=True)
    role: Series[str] = pa.Field(nullable=True)
    emails: Series[object] = pa.Field()
    phones: Series[object] = pa.Field()
    source_record_ids: Series[object] = pa.Field()

    class Config:
        strict = False


class ReviewPair(pa.DataFrameModel):
    """A candidate duplicate pair left unmerged for a person to decide: two organisation
    rows (``kind`` organisations), or a contact or address row and the organisation it
    most likely names (``kind`` contact_link / address_link: the left side is the row,
    quarantined as ``doubtful_link`` until decided, so it has no organisation id)."""

    kind: Series[str] = pa.Field(isin=["organisations", "contact_link", "address_link"])
    left_organisation_id: Series[str] = pa.Field(nullable=True, str_matches=ORG_ID)
    right_organisation_id: Series[str] = pa.Field(str_matches=ORG_ID)
    left_record_id: Series[str] = pa.Field(str_matches=RECORD_ID)
    right_record_id: Series[str] = pa.Field(str_matches=RECORD_ID)
    left_name: Series[str]
    right_name: Series[str]
    match_probability: Series[float] = pa.Field(ge=0, le=1)
    match_weight: Series[float] = pa.Field(description="log2 Bayes factor of the pair")
    decided_by: Series[str] = pa.Field(description="the comparison levels that decided")

    class Config:
        strict = False


LIST_ITEMS: dict[str, str] = {
    "emails": EMAIL,
    "phones": E164,
    "secondary_emails": EMAIL,
    "secondary_phones": E164,
    "source_record_ids": RECORD_ID,
}
"""Pattern every item of a list column must match, wherever the column appears."""

MODELS: dict[str, type[pa.DataFrameModel]] = {
    "canonical_organisations": CanonicalOrganisation,
    "canonical_contacts": CanonicalContact,
    "quarantine": QuarantineRow,
    "organisations": SSOTOrganisation,
    "contacts": SSOTContact,
    "review_queue": ReviewPair,
}


def contract(name: str) -> pa.DataFrameSchema:
    """The schema of table ``name``: its model plus the item checks of its list columns."""
    schema = MODELS[name].to_schema()
    for column, pattern in LIST_ITEMS.items():
        if column in schema.columns:
            checks = [*schema.columns[column].checks, each_matches(pattern)]
            schema = schema.update_column(column, checks=checks)
    return schema


# --- exports ----------------------------------------------------------------------------

_JSON_TYPES = {"int64": "integer", "float64": "number", "bool": "boolean", "object": "array"}


def _json_type(dtype: object) -> str:
    """JSON type of a pandera dtype (all string flavours are ``string``)."""
    return _JSON_TYPES.get(str(dtype), "string")


def _constraints(column: Any) -> tuple[dict[str, Any], list[str]]:
    """JSON Schema keywords and readable constraints of a pandera column."""
    keywords: dict[str, Any] = {}
    words: list[str] = []
    for check in column.checks:
        stats = check.statistics or {}
        name = check.name
        if name == "str_matches":
            keywords["pattern"] = stats["pattern"]
            words.append(f"matches `{stats['pattern']}`")
        elif name == "isin":
            keywords["enum"] = sorted(stats["allowed_values"])
            words.append("one of " + ", ".join(f"`{v}`" for v in sorted(stats["allowed_values"])))
        elif name == "greater_than_or_equal_to":
            keywords["minimum"] = stats["min_value"]
            words.append(f"≥ {stats['min_value']}")
        elif name == "less_than_or_equal_to":
            keywords["maximum"] = stats["max_value"]
            words.append(f"≤ {stats['max_value']}")
        elif name == "in_range":
            keywords.update(minimum=stats["min_value"], maximum=stats["max_value"])
            words.append(f"{stats['min_value']}..{stats['max_value']}")
        elif name == "str_length":
            exact = stats.get("exact_value")
            lo, hi = (
                (exact, exact)
                if exact is not None
                else (stats.get("min_value"), stats.get("max_value"))
            )
            if lo is not None:
                keywords["minLength"] = lo
            if hi is not None:
                keywords["maxLength"] = hi
            words.append(f"length {lo if lo is not None else 0}..{hi if hi is not None else '∞'}")
        elif name == "each_matches":
            keywords["items"] = {"type": "string", "pattern": stats["pattern"]}
            words.append(f"each item matches `{stats['pattern']}`")
    if column.unique:
        keywords["x-unique"] = True
        words.append("unique")
    return keywords, words


def json_schema(name: str) -> dict[str, Any]:
    """JSON Schema (2020-12) of one table: an array of row objects."""
    model = MODELS[name]
    schema = contract(name)
    properties, required = {}, []
    for column_name, column in schema.columns.items():
        kind = _json_type(column.dtype)
        keywords, _ = _constraints(column)
        prop: dict[str, Any] = {"type": [kind, "null"] if column.nullable else kind, **keywords}
        if column.description:
            prop["description"] = column.description
        properties[column_name] = prop
        required.append(column_name)
    row = {"type": "object", "properties": properties, "required": required}
    checks = [c.error for c in schema.checks if c.error]
    if checks:
        row["x-row-checks"] = checks
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://hotpass.invalid/contracts/{name}.schema.json",
        "title": name,
        "description": (model.__doc__ or "").strip(),
        "type": "array",
        "items": row,
    }


def reference_markdown() -> str:
    """``contracts/reference.md``: fields, types and constraints of every table."""
    lines = [
        "# Data contracts reference",
        "",
        "Generated from `hotpass_lib/contracts.py` by `hotpass contracts export`; do not edit.",
        "",
    ]
    for name, model in MODELS.items():
        schema = contract(name)
        lines += [
            f"## `{name}`",
            "",
            (model.__doc__ or "").strip(),
            "",
            "| field | type | nullable | constraints | description |",
            "|---|---|---|---|---|",
        ]
        for column_name, column in schema.columns.items():
            _, words = _constraints(column)
            kind = _json_type(column.dtype)
            constraints = "; ".join(words).replace("|", "\\|")
            nullable = "yes" if column.nullable else "no"
            lines.append(
                f"| `{column_name}` | {kind} | {nullable} | {constraints} | "
                f"{column.description or ''} |"
            )
        for check in schema.checks:
            lines.append(f"\nRow check: {check.error}.")
        lines.append("")
    return "\n".join(lines)


def exports() -> dict[str, str]:
    """Every generated contract file (path relative to ``contracts/``) and its text."""
    files = {
        f"{name}.schema.json": json.dumps(json_schema(name), indent=2, ensure_ascii=False) + "\n"
        for name in MODELS
    }
    files["reference.md"] = reference_markdown()
    return files


def drift(contracts_dir: Path = CONTRACTS_DIR) -> list[str]:
    """Generated files whose committed copy is missing or differs."""
    return [
        name
        for name, text in exports().items()
        if not (contracts_dir / name).is_file()
        or (contracts_dir / name).read_text(encoding="utf-8") != text
    ]


def write_exports(contracts_dir: Path = CONTRACTS_DIR) -> list[Path]:
    """Write the generated contract files."""
    from .atomic import write_text

    out = []
    for name, text in exports().items():
        write_text(contracts_dir / name, text)
        out.append(contracts_dir / name)
    return out
