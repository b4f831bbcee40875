"""Data contracts: one pandera model per table the pipeline produces."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from .normalise import OFFICIAL_PROVINCES

RECORD_ID = r"^.+#.+!\d+$"
HTTPS_URL = r"^https://[a-z0-9.-]+\.[a-z]{2,}(?:/\S*)?$"
E164 = r"^\+[1-9]\d{6,14}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"


class CanonicalOrganisation(pa.DataFrameModel):
    """An organisation row read from a source sheet, mapped and normalised (ingest)."""

    source_record_id: Series[str] = pa.Field(unique=True, str_matches=RECORD_ID)
    source: Series[str]
    priority: Series[int] = pa.Field(ge=0)
    organisation_name: Series[str] = pa.Field(str_length={"min_value": 1})
    name_key: Series[str] = pa.Field(nullable=True)
    province: Series[str] = pa.Field(nullable=True, isin=list(OFFICIAL_PROVINCES))
    website: Series[str] = pa.Field(nullable=True, str_matches=HTTPS_URL)

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

    class Config:
        strict = False


class QuarantineRow(pa.DataFrameModel):
    """A rejected source row with a machine-readable reason and its raw cells."""

    source_record_id: Series[str] = pa.Field(unique=True, str_matches=RECORD_ID)
    reason_code: Series[str] = pa.Field(
        isin=["missing_name", "unlinked_contact", "unlinked_address", "no_contact_details"]
    )
    reason: Series[str]
    raw: Series[str]

    class Config:
        strict = False


class SSOTOrganisation(pa.DataFrameModel):
    """One real-world organisation in the single source of truth."""

    organisation_id: Series[str] = pa.Field(unique=True, str_matches=r"^org_[0-9a-f]{12}$")
    organisation_name: Series[str] = pa.Field(str_length={"min_value": 1})
    organisation_slug: Series[str] = pa.Field(str_matches=r"^[a-z0-9-]+$")
    province: Series[str] = pa.Field(nullable=True, isin=list(OFFICIAL_PROVINCES))
    country: Series[str] = pa.Field(str_length=2)
    website: Series[str] = pa.Field(nullable=True, str_matches=HTTPS_URL)
    primary_email: Series[str] = pa.Field(nullable=True, str_matches=EMAIL)
    primary_phone: Series[str] = pa.Field(nullable=True, str_matches=E164)
    data_quality_score: Series[float] = pa.Field(ge=0, le=1)

    class Config:
        strict = False


class SSOTContact(pa.DataFrameModel):
    """One person or mailbox of an SSOT organisation."""

    contact_id: Series[str] = pa.Field(unique=True, str_matches=r"^con_[0-9a-f]{12}$")
    organisation_id: Series[str] = pa.Field(str_matches=r"^org_[0-9a-f]{12}$")
    name: Series[str] = pa.Field(nullable=True)
    role: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = False


class ReviewPair(pa.DataFrameModel):
    """A candidate duplicate pair left unmerged for a person to decide."""

    left_organisation_id: Series[str]
    right_organisation_id: Series[str]
    left_name: Series[str]
    right_name: Series[str]
    match_probability: Series[float] = pa.Field(ge=0, le=1)
    decided_by: Series[str]

    class Config:
        strict = False


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "canonical_organisations": CanonicalOrganisation,
    "canonical_contacts": CanonicalContact,
    "quarantine": QuarantineRow,
    "organisations": SSOTOrganisation,
    "contacts": SSOTContact,
    "review_queue": ReviewPair,
}
