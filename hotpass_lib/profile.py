"""Industry profiles: which files and sheets are read and how their columns map, as data.

A profile is a YAML file under ``params/profiles/``; it is validated on load so that a typo
is reported with the offending key rather than surfacing later as a missing column.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import HotpassError
from .resources import profiles_dir

CANONICAL_FIELDS: tuple[str, ...] = (
    "organisation_name",
    "alt_name",
    "org_key",
    "org_ref_name",
    "province",
    "status",
    "category",
    "organisation_type",
    "website",
    "address",
    "street",
    "suburb",
    "city",
    "postcode",
    "address_type",
    "contact_person",
    "first_name",
    "last_name",
    "role",
    "phone",
    "landline",
    "whatsapp",
    "email",
    "contact_invalid",
    "last_contact_date",
    "notes",
)
"""Fields a sheet's columns can be mapped to."""

SheetKind = Literal["organisations", "contacts", "addresses"]

PROFILES_DIR = profiles_dir()
"""The bundled profiles (``params/profiles/`` of the repository, shipped in the wheel)."""


class ProfileError(HotpassError, ValueError):
    """A profile file is missing or invalid; the message names the key to fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Link(_Strict):
    """How rows of a contacts/addresses sheet find their organisation row."""

    sheet: str | None = Field(
        default=None,
        description="organisations sheet of the same workbook; null: the organisations of "
        "every source (a workbook that only lists contacts or addresses, linked by name)",
    )
    by: Literal["key", "name"] = Field(
        description="'key': the row's org_key equals the organisation's org_key; "
        "'name': the row's org_ref_name matches the organisation's name or alt_name"
    )

    @model_validator(mode="after")
    def _key_needs_a_sheet(self) -> Link:
        if self.sheet is None and self.by == "key":
            raise ValueError("a link by key names the organisations 'sheet' it keys into")
        return self


class SheetSpec(_Strict):
    """One sheet to read and how its columns map to canonical fields.

    ``sheet`` may be a glob pattern (``"*"``): every matching sheet not named otherwise is
    read, and one without a column for the organisation name is listed as not read instead
    of stopping the run.
    """

    sheet: str
    kind: SheetKind = "organisations"
    header_row: int | Literal["auto"] = "auto"
    columns: dict[str, list[str]] = Field(
        description="canonical field -> column headers (synonyms) that hold it"
    )
    link: Link | None = None
    address_column: int | None = Field(
        default=None,
        description="1-based position of an unnamed column holding the address",
    )

    @property
    def is_pattern(self) -> bool:
        """Whether ``sheet`` is a glob pattern rather than a sheet name."""
        return any(ch in self.sheet for ch in "*?[")

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(columns) - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown canonical field(s) {unknown}; use one of {list(CANONICAL_FIELDS)}"
            )
        return columns

    @field_validator("header_row")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("header_row is 1-based (as Excel shows it) or 'auto'")
        return value


class SourceSpec(_Strict):
    """One workbook (or CSV) family, found by a file glob under the input folder."""

    name: str
    files: str | list[str] = Field(description="glob(s) matched in the input folder")
    priority: int = Field(default=1, description="higher wins a field conflict")
    sheets: list[SheetSpec]
    skip_sheets: list[str] = Field(default_factory=list)

    @property
    def patterns(self) -> list[str]:
        """The file globs as a list."""
        return [self.files] if isinstance(self.files, str) else list(self.files)

    @field_validator("sheets")
    @classmethod
    def _links_resolve(cls, sheets: list[SheetSpec]) -> list[SheetSpec]:
        names = {s.sheet for s in sheets}
        for spec in sheets:
            if spec.kind != "organisations" and spec.link is None:
                raise ValueError(f"sheet {spec.sheet!r} of kind {spec.kind} needs a 'link'")
            if spec.is_pattern and spec.link:
                raise ValueError(f"sheet pattern {spec.sheet!r} cannot have a link")
            if spec.link and spec.link.sheet is not None and spec.link.sheet not in names:
                raise ValueError(f"sheet {spec.sheet!r} links to unknown sheet {spec.link.sheet!r}")
        return sheets


class Thresholds(_Strict):
    """Match and validation tolerances."""

    match_probability: float = Field(default=0.9, ge=0, le=1)
    review_probability: float = Field(default=0.5, ge=0, le=1)
    email_valid_mostly: float = Field(default=0.9, ge=0, le=1)
    phone_valid_mostly: float = Field(default=0.9, ge=0, le=1)
    name_present_mostly: float = Field(default=1.0, ge=0, le=1)
    min_rows_for_ratio: int = Field(
        default=20,
        ge=1,
        description="ratio checks ('mostly') over fewer rows warn instead of stopping the run",
    )


class Profile(_Strict):
    """An industry profile: sources, locale defaults and thresholds."""

    name: str
    description: str = ""
    country: str | None = Field(
        default="ZA", min_length=2, max_length=2, description="ISO 3166 code; null: unknown"
    )
    default_region: str = Field(
        default="ZA",
        min_length=2,
        max_length=2,
        description="region for phone numbers written without a country code (ZZ: none)",
    )
    province_aliases: dict[str, list[str]] = Field(default_factory=dict)
    legal_suffixes: list[str] = Field(default_factory=list)
    sources: list[SourceSpec] = Field(min_length=1)
    thresholds: Thresholds = Thresholds()

    def source(self, name: str) -> SourceSpec:
        """The source called ``name``."""
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)


def load_profile(name_or_path: str | Path, profiles_dir: Path | None = None) -> Profile:
    """Load and validate a profile by name (``params/profiles/<name>.yaml``) or path."""
    path = Path(name_or_path)
    if path.suffix not in {".yaml", ".yml"}:
        path = (profiles_dir or PROFILES_DIR) / f"{name_or_path}.yaml"
    if not path.is_file():
        available = sorted(p.stem for p in (profiles_dir or PROFILES_DIR).glob("*.yaml"))
        raise ProfileError(
            f"profile {str(name_or_path)!r} not found at {path}; available: {available}"
        )
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_explain(err) for err in exc.errors())
        raise ProfileError(f"invalid profile {path}: {problems}") from None


def _known_keys(model: type[BaseModel]) -> set[str]:
    """Every key the profile models accept, at any depth."""
    keys = set(model.model_fields)
    for sub in (Link, SheetSpec, SourceSpec, Thresholds):
        keys |= set(sub.model_fields)
    return keys


def _explain(err: Any) -> str:
    """One validation error as ``a.b.c: message``, suggesting the key meant for a typo."""
    loc = ".".join(str(p) for p in err["loc"])
    message = f"{loc}: {err['msg']}"
    if err.get("type") == "extra_forbidden":
        close = difflib.get_close_matches(str(err["loc"][-1]), sorted(_known_keys(Profile)), n=1)
        if close:
            message += f" (did you mean {close[0]!r}?)"
    return message
