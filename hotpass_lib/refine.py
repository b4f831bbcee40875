"""Refine: resolve organisation rows into organisations, pick surviving values with
provenance, dedupe contacts, queue doubtful pairs for review.

Which rows are one organisation is decided in :mod:`hotpass_lib.resolve`. Values survive
by source priority, then completeness, then recency; ``selection_provenance`` records which
row won each field and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .forked import Forked
from .groups import empty_lists, group_lists
from .normalise import phone_kind, slugify
from .profile import Profile
from .resolve import Engine, Resolution, model_json, resolve
from .telemetry import traced

ORG_FIELDS = (
    "organisation_name",
    "province",
    "website",
    "category",
    "organisation_type",
    "status",
    "address",
    "city",
    "postcode",
)


@dataclass
class RefineResult:
    """Refined tables: SSOT organisations and contacts, the review queue, the conflict log."""

    organisations: pd.DataFrame
    contacts: pd.DataFrame
    review_queue: pd.DataFrame
    conflicts: pd.DataFrame
    resolution: Resolution

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables the refine stage writes, by file name."""
        pairs = self.resolution.pairs.drop(
            columns=[c for c in self.resolution.pairs if c.startswith("gamma_")]
        )
        return {
            "organisations": self.organisations,
            "contacts": self.contacts,
            "review_queue": self.review_queue,
            "conflicts": self.conflicts,
            "match_pairs": pairs.astype({"left": "string", "right": "string"}),
            "match_plan": self.match_plan(),
        }

    def match_plan(self) -> pd.DataFrame:
        """Which fields the match model compared and why (empty when no model ran), with
        whether EM trained and the note saying how the pairs were scored."""
        model = self.resolution.model
        if model is None:
            return pd.DataFrame(
                {"field": [], "used": [], "filled": [], "shared": [], "why": []}
            ).astype({"field": "string", "used": bool, "filled": float, "shared": "int64",
                      "why": "string"})  # fmt: skip
        return model.plan.assign(trained=model.trained, note=model.note)

    def texts(self) -> dict[str, str]:
        """Text files the refine stage writes: the trained match model, when there is one."""
        model = self.resolution.model
        return {"match_model.json": model_json(model)} if model and model.trained else {}

    def headline(self, rows_in: int) -> dict[str, int]:
        """Organisation rows in; organisations, contacts, review pairs and conflicts out;
        whether a match model was trained (1) or pairs were scored by name alone (0)."""
        model = self.resolution.model
        return {
            "organisation_rows_in": rows_in,
            "organisations_out": len(self.organisations),
            "contacts_out": len(self.contacts),
            "review_pairs": len(self.review_queue),
            "field_conflicts": len(self.conflicts),
            "match_model_trained": int(bool(model and model.trained)),
        }


def _hash_id(prefix: str, values: pd.Series) -> pd.Series:
    """``prefix`` and the first 12 hex digits of the SHA-1 of each value's text, hashed by
    DuckDB (its ``sha1`` is hashlib's, without a Python call per value)."""
    import duckdb

    text = pa.table({"i": np.arange(len(values)), "v": values.astype(str).to_numpy(dtype=object)})
    with duckdb.connect() as con:
        con.register("t", text)
        query = "select ? || substr(sha1(v), 1, 12) as h from t order by i"
        ids = con.execute(query, [prefix]).fetchnumpy()["h"]
    return pd.Series(ids, index=values.index, dtype="string")


def _survivor_order(orgs: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered best-first within a cluster: priority, completeness, recency, id."""
    completeness = orgs[list(ORG_FIELDS)].notna().sum(axis=1)
    return orgs.assign(
        _completeness=completeness, _recency=orgs["last_contact_date"].fillna(pd.Timestamp(0))
    ).sort_values(
        ["cluster", "priority", "_completeness", "_recency", "source_record_id"],
        ascending=[True, False, False, False, True],
        kind="stable",
    )


def _survive(ordered: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """First non-null value per cluster and field, its provenance, and the conflicts."""
    values, provenance, conflicts = {}, {}, []
    for field in ORG_FIELDS:
        present = ordered.dropna(subset=[field])
        first = present.groupby("cluster", sort=False).head(1).set_index("cluster")
        values[field] = first[field]
        provenance[field] = first[["source_record_id", "source", "priority"]]
        distinct = present.groupby("cluster")[field].nunique()
        clash = distinct[distinct > 1].index
        if len(clash):
            clashing = present[present["cluster"].isin(clash)]
            alts = group_lists(
                clashing["cluster"], clashing[field].astype(str), distinct=True, sort=True
            ).map(lambda v: json.dumps(v, ensure_ascii=False))
            conflicts.append(
                pd.DataFrame(
                    {
                        "cluster": clash,
                        "field": field,
                        "chosen": first.loc[clash, field].astype(str).to_numpy(),
                        "chosen_record_id": first.loc[clash, "source_record_id"].to_numpy(),
                        "candidates": alts.loc[clash].to_numpy(),
                    }
                )
            )
    conflict_df = (
        pd.concat(conflicts, ignore_index=True)
        if conflicts
        else pd.DataFrame(columns=["cluster", "field", "chosen", "chosen_record_id", "candidates"])
    )
    return pd.DataFrame(values), provenance, conflict_df


_PLAIN_JSON = r"^[ !#-\[\]-~]*$"
"""Printable ASCII without ``"`` or ``\\``: text ``json.dumps`` writes as it is, quoted."""


def _json_texts(values: pd.Series) -> pa.Array:
    """Each value as ``json.dumps`` writes it (missing: ``null``): plain text quoted in
    Arrow, the rest (escapes, non-ASCII) by ``json.dumps`` once per distinct value."""
    text = pa.array(values, from_pandas=True).cast(pa.string())
    quoted = pc.binary_join_element_wise('"', text, '"', "")
    odd = pc.invert(pc.fill_null(pc.match_substring_regex(text, _PLAIN_JSON), True))
    if odd.true_count:
        rare = text.filter(odd).to_pylist()
        codes = {v: json.dumps(v) for v in set(rare)}
        quoted = pc.replace_with_mask(quoted, odd, pa.array([codes[v] for v in rare]))
    return pc.fill_null(quoted, "null")


def _provenance_json(clusters: pd.Index, provenance: dict, conflicts: pd.DataFrame) -> pd.Series:
    """Per cluster, where each surviving value came from, as the JSON text
    ``json.dumps(..., sort_keys=True)`` gives, assembled column-wise in Arrow."""
    entries = []
    for field in sorted(provenance):
        frame = provenance[field]
        frame = frame[~frame.index.duplicated(keep="last")]
        clash = frame.index.isin(conflicts.loc[conflicts["field"] == field, "cluster"])
        rule = pa.array(np.where(clash, '"highest source priority"', '"only value"'))
        priority = pa.array(frame["priority"].astype(int).to_numpy()).cast(pa.string())
        entry = pc.binary_join_element_wise(
            f'{json.dumps(field)}: {{"priority": ',
            priority,
            ', "record": ',
            _json_texts(frame["source_record_id"]),
            ', "rule": ',
            rule,
            ', "source": ',
            _json_texts(frame["source"]),
            "}, ",
            "",
        )
        at = np.full(len(clusters), -1)
        at[clusters.get_indexer(frame.index)] = np.arange(len(frame))
        entries.append(pc.fill_null(entry.take(pa.array(at, mask=at < 0)), ""))
    if not entries:
        return pd.Series("{}", index=clusters, dtype="string")
    # each entry ends "}, ": the last separator is cut (binary_join_element_wise's
    # null_handling="skip" drops rows whose inputs are all null, pyarrow 25)
    body = pc.utf8_rtrim(pc.binary_join_element_wise("{", *entries, ""), characters=", ")
    text = pc.binary_join_element_wise(body, "}", "")
    return pd.Series(pd.array(text, dtype="string"), index=clusters)


def _flatten(frame: pd.DataFrame, column: str, key: str) -> pd.Series:
    """Sorted distinct list values per ``key`` of a list column."""
    exploded = frame[[key, column]].explode(column)
    return group_lists(exploded[key], exploded[column], distinct=True, sort=True)


def _contacts(contacts: pd.DataFrame, row_org: pd.Series) -> pd.DataFrame:
    """Deduplicate contacts within an organisation: same person name, or same mailbox; one
    row per person key (the index), without ids (:func:`_with_contact_ids`). Runs in a
    forked child: no DuckDB here."""
    c = contacts.assign(organisation_id=contacts["organisation_source_record_id"].map(row_org))
    first = _firsts(_text_lists(c["emails"]))
    first_email = pd.Series(pd.array(pc.fill_null(first, ""), dtype="string"), index=c.index)
    person = c["name"].astype("string").str.lower().str.replace(r"[^a-z]+", " ", regex=True)
    person = person.str.strip()
    c["_key"] = c["organisation_id"] + "|" + person.fillna("mailbox:" + first_email)
    c = c.sort_values(
        ["_key", "priority", "source_record_id"], ascending=[True, False, True], kind="stable"
    )
    grouped = c.groupby("_key", sort=True)
    out = grouped[["organisation_id", "name", "role", "is_mailbox"]].first()
    out["emails"] = empty_lists(_flatten(c, "emails", "_key").reindex(out.index))
    out["phones"] = empty_lists(_flatten(c, "phones", "_key").reindex(out.index))
    out["source_record_ids"] = group_lists(
        c["_key"], c["source_record_id"], distinct=True, sort=True, index=out.index
    )
    out["best_priority"] = grouped["priority"].max()
    numbers = out["phones"].explode().dropna()
    out["phone_kinds"] = group_lists(numbers.index, phone_kind(numbers), index=out.index)
    return out


def _with_contact_ids(people: pd.DataFrame) -> pd.DataFrame:
    """:func:`_contacts`'s people with their ids (hashed from their keys) in front."""
    people.insert(0, "contact_id", _hash_id("con_", people.index.to_series()))
    return people.reset_index(drop=True)


REVIEW_COLUMNS = [
    "kind",
    "left_organisation_id",
    "right_organisation_id",
    "left_record_id",
    "right_record_id",
    "left_name",
    "right_name",
    "match_probability",
    "match_weight",
    "decided_by",
]


def _review_queue(pairs: pd.DataFrame, orgs: pd.DataFrame, row_org: pd.Series) -> pd.DataFrame:
    """Pairs the model scored between the review and match probabilities whose records
    ended in different organisations: one row per organisation pair (its best-scoring
    record pair), with the comparison levels that decided."""
    queued = pairs[pairs["outcome"] == "review"]
    names = orgs.set_index("source_record_id")["organisation_name"]
    out = pd.DataFrame(
        {
            "kind": "organisations",
            "left_organisation_id": queued["left"].map(row_org),
            "right_organisation_id": queued["right"].map(row_org),
            "left_record_id": queued["left"],
            "right_record_id": queued["right"],
            "left_name": queued["left"].map(names),
            "right_name": queued["right"].map(names),
            "match_probability": queued["match_probability"].astype(float),
            "match_weight": queued["match_weight"].astype(float),
            "decided_by": queued["comparison"],
        },
        columns=REVIEW_COLUMNS,
    )
    swap = out["left_organisation_id"] > out["right_organisation_id"]
    for a, b in (
        ("left_organisation_id", "right_organisation_id"),
        ("left_record_id", "right_record_id"),
        ("left_name", "right_name"),
    ):
        out.loc[swap, [a, b]] = out.loc[swap, [b, a]].to_numpy()
    out = out.sort_values(
        ["left_organisation_id", "right_organisation_id", "match_probability", "left_record_id"],
        ascending=[True, True, False, True],
        kind="stable",
    )
    out = out.drop_duplicates(["left_organisation_id", "right_organisation_id"])
    types = {c: "string" for c in REVIEW_COLUMNS} | {
        "match_probability": "float64",
        "match_weight": "float64",
    }
    return out.astype(types).reset_index(drop=True)


def _link_reviews(link_review: pd.DataFrame, row_org: pd.Series) -> pd.DataFrame:
    """Doubtful contact/address links (ingest's ``link_review``) as review-queue rows."""
    kind = link_review["kind"].map({"contacts": "contact_link", "addresses": "address_link"})
    out = pd.DataFrame(
        {
            "kind": kind,
            "left_organisation_id": pd.NA,
            "right_organisation_id": link_review["organisation_record_id"].map(row_org),
            "left_record_id": link_review["record_id"],
            "right_record_id": link_review["organisation_record_id"],
            "left_name": link_review["name"],
            "right_name": link_review["organisation_name"],
            "match_probability": link_review["similarity"].astype(float),
            "match_weight": 0.0,
            "decided_by": "name similarity " + link_review["similarity"].astype(str),
        },
        columns=REVIEW_COLUMNS,
    )
    return out.sort_values(["left_record_id"], kind="stable")


@traced("hotpass.refine.refine")
def refine(
    orgs: pd.DataFrame,
    contacts: pd.DataFrame,
    addresses: pd.DataFrame,
    profile: Profile,
    decisions: pd.DataFrame | None = None,
    probabilistic: bool = True,
    engine: Engine | None = None,
    link_review: pd.DataFrame | None = None,
) -> RefineResult:
    """Turn canonical organisation/contact/address rows into SSOT tables; doubtful
    contact/address links found by ingest (``link_review``) join the review queue."""
    resolution = resolve(orgs, profile, decisions, probabilistic, engine)
    country = profile.country
    orgs = orgs.assign(cluster=resolution.clusters)
    labels = orgs["cluster"].drop_duplicates()
    org_id = _hash_id("org_", pd.Series(labels.to_numpy(), index=labels.to_numpy()))
    row_org = orgs.set_index("source_record_id")["cluster"].map(org_id)
    # contacts are consolidated in a forked child while survivorship runs here: both hold
    # the GIL for most of their time (9 and 11 s at 1M source rows)
    with Forked(_contacts, contacts, row_org) as consolidating:
        ssot, conflicts = _organisations(orgs, addresses, org_id, country)
        people = _with_contact_ids(consolidating.result())
    ssot = _primary_contacts(ssot, people, orgs, row_org)
    for column, flag in (("invalid_phones", "invalid_phone"), ("invalid_emails", "invalid_email")):
        bad = (orgs[column].map(len) > 0).groupby(orgs["cluster"]).any()
        ssot[f"_{flag}"] = bad.reindex(ssot.index, fill_value=False).to_numpy()
    ssot = _quality(ssot)
    ssot = ssot.sort_values("organisation_id", kind="stable").reset_index(drop=True)
    conflicts["organisation_id"] = conflicts["cluster"].map(org_id)
    conflicts = conflicts.drop(columns="cluster").sort_values(
        ["organisation_id", "field"], ignore_index=True
    )
    people = people.drop(columns="best_priority").sort_values("contact_id", ignore_index=True)
    queue = _review_queue(resolution.pairs, orgs, row_org)
    if link_review is not None and len(link_review):
        types = queue.dtypes.to_dict()
        queue = pd.concat([queue, _link_reviews(link_review, row_org).astype(types)])
        queue = queue.reset_index(drop=True)
    return RefineResult(ssot, people, queue, conflicts, resolution)


def _organisations(
    orgs: pd.DataFrame, addresses: pd.DataFrame, org_id: pd.Series, country: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per cluster with its surviving values, ids, sources, source record ids and
    selection provenance; and the conflicts (by cluster)."""
    row_addresses = (
        addresses.dropna(subset=["address"])
        .drop_duplicates("organisation_source_record_id")
        .set_index("organisation_source_record_id")["address"]
    )
    orgs = orgs.assign(
        address=orgs["address"].fillna(orgs["source_record_id"].map(row_addresses).astype("string"))
    )
    ordered = _survivor_order(orgs)
    values, provenance, conflicts = _survive(ordered)
    clusters = values.index
    ssot = values.reindex(clusters)
    ssot.insert(0, "organisation_id", org_id)
    name_winner = provenance["organisation_name"]["source_record_id"]
    ssot.insert(2, "name_key", name_winner.map(orgs.set_index("source_record_id")["name_key"]))
    ssot.insert(3, "organisation_slug", slugify(ssot["name_key"].fillna(ssot["organisation_name"])))
    ssot["country"] = country
    ssot["source_datasets"] = group_lists(orgs["cluster"], orgs["source"], distinct=True, sort=True)
    linked = pd.concat(
        [
            orgs[["cluster", "source_record_id"]],
            addresses.assign(
                cluster=addresses["organisation_source_record_id"].map(
                    orgs.set_index("source_record_id")["cluster"]
                )
            )[["cluster", "source_record_id"]],
        ]
    )
    ssot["source_record_ids"] = group_lists(
        linked["cluster"], linked["source_record_id"], distinct=True, sort=True
    )
    ssot["selection_provenance"] = _provenance_json(clusters, provenance, conflicts)
    return ssot, conflicts


def _org_values(
    orgs: pd.DataFrame, people: pd.DataFrame, row_org: pd.Series, column: str, pid: pd.Series
) -> pa.LargeListArray:
    """Per organisation of ``pid``, its sorted distinct e-mails (or phones), from its rows
    and contacts (``row_org``: each organisation row's organisation id, in row order)."""
    owners, values = [], []
    for owner, lists in ((row_org, orgs[column]), (people["organisation_id"], people[column])):
        items = _text_lists(lists)
        owners.append(pa.array(owner, from_pandas=True).take(pc.list_parent_indices(items)))
        values.append(pc.list_flatten(items))
    both = group_lists(
        pa.concat_arrays(owners),
        pa.concat_arrays(values),
        distinct=True,
        sort=True,
        index=pd.Index(pid),
    )
    return _text_lists(both)


def _text_lists(lists: pd.Series) -> pa.LargeListArray:
    """A column of lists of text as one Arrow list array."""
    return pa.array(lists, type=pa.large_list(pa.string()), from_pandas=True)


def _firsts(lists: pa.LargeListArray) -> pa.Array:
    """Each list's first item (null for an empty list)."""
    offsets = np.asarray(lists.offsets)
    at = offsets[:-1].copy()
    empty = offsets[1:] == at
    at[empty] = 0
    return lists.values.take(pa.array(at, mask=empty))


def _primary_contacts(
    ssot: pd.DataFrame, people: pd.DataFrame, orgs: pd.DataFrame, row_org: pd.Series
) -> pd.DataFrame:
    """Primary contact (a named person before a mailbox, best source first) and the rest of
    the organisation's e-mails and phones as secondaries."""
    filled = pc.add(
        pc.list_value_length(_text_lists(people["emails"])),
        pc.list_value_length(_text_lists(people["phones"])),
    )
    ranked = people.assign(_has=np.asarray(filled) > 0).sort_values(
        ["organisation_id", "is_mailbox", "_has", "best_priority", "contact_id"],
        ascending=[True, True, False, False, True],
        kind="stable",
    )
    primary = ranked.groupby("organisation_id").head(1).set_index("organisation_id")
    pid = ssot["organisation_id"]
    ssot["primary_contact_name"] = pid.map(primary["name"]).astype("string")
    ssot["primary_contact_role"] = pid.map(primary["role"]).astype("string")
    for column, kind in (("emails", "email"), ("phones", "phone")):
        lists = _org_values(orgs, people, row_org, column, pid)
        firsts = pd.Series(
            pd.array(_firsts(_text_lists(primary[column])), dtype="string"), index=primary.index
        )
        own = pid.map(firsts).astype("string")
        chosen = own.fillna(pd.Series(pd.array(_firsts(lists), dtype="string"), index=pid.index))
        ssot[f"primary_{kind}"] = chosen
        lengths = np.diff(np.asarray(lists.offsets))
        owner = np.repeat(np.arange(len(lists)), lengths)
        chosen_each = pa.array(chosen, from_pandas=True).take(pa.array(owner))
        keep = pc.fill_null(pc.not_equal(lists.values, chosen_each), True)
        kept = np.bincount(owner[np.asarray(keep)], minlength=len(lists))
        rest = pa.LargeListArray.from_arrays(
            pa.array(np.r_[0, np.cumsum(kept)], type=pa.int64()), lists.values.filter(keep)
        )
        ssot[f"secondary_{column}"] = pd.Series(rest.to_pylist(), index=ssot.index, dtype=object)
    return ssot


QUALITY_FIELDS = {
    "primary_email": "missing_email",
    "primary_phone": "missing_phone",
    "website": "missing_website",
    "province": "missing_province",
    "address": "missing_address",
}


def _quality(ssot: pd.DataFrame) -> pd.DataFrame:
    """Quality score (share of key fields present) and flags naming what is missing, and
    which organisations had a phone or e-mail in their sources that could not be read."""
    present = ssot[list(QUALITY_FIELDS)].notna()
    ssot["data_quality_score"] = present.mean(axis=1).round(3).astype(float)
    flags = pd.Series("", index=ssot.index, dtype="string")
    for field, flag in QUALITY_FIELDS.items():
        flags = flags + pd.Series(np.where(present[field], "", flag + ";"), index=ssot.index)
    for flag in ("invalid_phone", "invalid_email"):  # a source row held a value that failed
        flags = flags + pd.Series(np.where(ssot[f"_{flag}"], flag + ";", ""), index=ssot.index)
    ssot["data_quality_flags"] = flags.str.rstrip(";")
    return ssot.drop(columns=["_invalid_phone", "_invalid_email"])
