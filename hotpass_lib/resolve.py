"""Entity resolution: which organisation rows describe the same real organisation.

Two kinds of evidence link rows:

- deterministic: the same name matching key, or an accounting-system name whose key equals
  another row's name key;
- probabilistic: a Splink model trained by EM on each run's data, comparing names
  (Jaro-Winkler, term-frequency adjusted), e-mail domains, phones, website hosts and
  provinces, on embedded DuckDB by default or on Spark (``resolve.backend: spark``) with the
  same settings. Pairs at or above the profile's match probability are merged; pairs
  between the review and match probabilities go to the review queue.

A reviewer's decisions (``params/review_decisions.yaml``) force a pair together (``same``)
or apart (``different``). Clusters are the connected components of the resulting graph.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import HotpassError
from .groups import empty_lists, group_lists
from .names import name_forms
from .normalise import _ascii, clean_text, extract, website_host
from .params import Engine
from .profile import Profile, ProfileError, Thresholds

FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.za",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "mweb.co.za",
        "webmail.co.za",
        "telkomsa.net",
        "vodamail.co.za",
        "iafrica.com",
        "absamail.co.za",
    }
)
"""Shared mailbox providers: a shared domain says nothing about being the same organisation."""
SEED = 42
MIN_ROWS_FOR_MODEL = 50
"""Fewer organisation rows than this cannot train a match model: only name keys link."""
SPARK_CONF = Path(__file__).with_name("spark_conf")
"""Spark configuration used when none is set (SPARK_CONF_DIR): log errors only."""
VARIANT_CAP = 50
"""A name variant shared by more rows than this is not used for blocking."""


def load_engine(data: dict[str, Any] | None) -> Engine:
    """Validate the ``resolve:`` parameters; the message names the key to fix."""
    try:
        return Engine.model_validate(data or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in ("resolve", *err["loc"]))
        raise ProfileError(f"invalid pipeline parameter {where}: {err['msg']}") from None


class Decision(BaseModel):
    """A reviewer's verdict on a pair of source records."""

    model_config = ConfigDict(extra="forbid")
    left: str
    right: str
    decision: str
    note: str = ""


def load_decisions(path: Path | str | None) -> pd.DataFrame:
    """Reviewer decisions (``same``/``different``) from YAML; an absent file means none."""
    columns = ["left", "right", "decision", "note"]
    if path is None or not Path(path).is_file():
        return pd.DataFrame(columns=columns)
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    try:
        items = [Decision.model_validate(d) for d in data.get("decisions", [])]
    except ValidationError as exc:
        raise ProfileError(
            f"invalid review decisions {path}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
        ) from None
    bad = [d for d in items if d.decision not in {"same", "different"}]
    if bad:
        raise ProfileError(
            f"invalid review decisions {path}: decision must be 'same' or "
            f"'different', got {bad[0].decision!r} for {bad[0].left} / {bad[0].right}"
        )
    return pd.DataFrame([d.model_dump() for d in items], columns=columns)


def features(orgs: pd.DataFrame, legal_suffixes: list[str] | None = None) -> pd.DataFrame:
    """One row per organisation row with the compared fields (free-mail domains dropped),
    the name forms (:mod:`hotpass_lib.names`) and the name variants used for blocking."""
    emails = orgs["emails"].explode().dropna().astype("string")
    domains = emails.str.split("@", n=1).str[1]
    first_domain = domains[~domains.isin(FREE_MAIL)].groupby(level=0).first()
    forms = name_forms(orgs["organisation_name"], legal_suffixes or [])
    alt = orgs["alt_name_key"].astype("string") if "alt_name_key" in orgs else None
    squashes = pd.concat([forms["squash"], forms["raw_squash"], _squash_words(forms["trading"])])
    if alt is not None:
        squashes = pd.concat([squashes, _squash_words(alt)])
        extra = alt.dropna()
        all_forms = pd.concat([forms["forms"].explode().dropna(), extra[extra != ""]])
        forms["forms"] = empty_lists(
            group_lists(all_forms.index, all_forms, distinct=True, sort=True, index=orgs.index)
        )
    squashes = squashes.dropna()
    squashes = squashes[squashes.str.len() > 0]
    address = orgs["address"].astype("string") if "address" in orgs else None
    phones = pd.Series(
        [sorted(v) if len(v) else None for v in orgs["phones"]], index=orgs.index, dtype=object
    )
    feats = pd.DataFrame(
        {
            "unique_id": orgs["source_record_id"].astype(str),
            "name_key": orgs["name_key"].astype("string"),
            "name_core": forms["core"].astype("string"),
            "name_squash": forms["squash"].astype("string"),
            "base_squash": forms["base_squash"].astype("string"),
            "name_forms": forms["forms"].map(lambda v: v if v else None),
            "name_squashes": group_lists(
                squashes.index, squashes, distinct=True, sort=True, index=orgs.index
            ),
            "qualified": forms["qualified"],
            "qualifier": forms["qualifier"].astype("string"),
            "email_domain": first_domain.reindex(orgs.index).astype("string"),
            "phones": phones,
            "phone": orgs["phones"].explode().groupby(level=0).first().astype("string"),
            "website_host": website_host(orgs["website"]).astype("string"),
            "website_path": extract(orgs["website"], r"^https://[^/]+(?P<path>/.+)$")["path"],
            "province": orgs["province"].astype("string"),
            "city": _optional(orgs, "city"),
            "postcode": _optional(orgs, "postcode"),
            "address_key": address_key(address) if address is not None else None,
            "house_number": (
                extract(address, r"^\s*(?P<n>\d+)\b")["n"] if address is not None else None
            ),
        }
    ).sort_values("unique_id", ignore_index=True)
    feats["address_key"] = feats["address_key"].astype("string")
    feats["house_number"] = feats["house_number"].astype("string")
    feats["name_squashes"] = feats["name_squashes"].map(
        lambda v: v if isinstance(v, list) and v else None
    )
    variants = name_variants(feats["unique_id"], feats["name_core"]).to_dict()
    listed = [variants.get(uid) for uid in feats["unique_id"]]
    return feats.assign(name_variants=pd.Series(listed, index=feats.index, dtype=object))


def _optional(orgs: pd.DataFrame, column: str) -> pd.Series:
    if column not in orgs:
        return pd.Series(pd.NA, index=orgs.index, dtype="string")
    return tidy_key(orgs[column])


def tidy_key(values: pd.Series) -> pd.Series:
    """A place value for exact comparison: lower case, whitespace collapsed."""
    return values.astype("string").str.lower().str.replace(r"\s+", " ", regex=True)


def _squash_words(keys: pd.Series) -> pd.Series:
    return keys.astype("string").str.replace(" ", "", regex=False)


_ADDRESS_WORDS = {
    "street": "st", "avenue": "ave", "av": "ave", "boulevard": "blvd", "road": "rd",
    "drive": "dr", "lane": "ln", "place": "pl", "court": "ct", "highway": "hwy",
    "north": "n", "south": "s", "east": "e", "west": "w", "suite": "ste", "building": "bldg",
}  # fmt: skip


def address_key(address: pd.Series) -> pd.Series:
    """An address for comparison: ASCII lower case, common street words abbreviated
    (``Boulevard`` -> ``blvd``), punctuation dropped."""
    key = _ascii(clean_text(address)).str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True)
    pattern = r"\b(" + "|".join(sorted(_ADDRESS_WORDS, key=len, reverse=True)) + r")\b"
    key = key.str.replace(pattern, lambda m: _ADDRESS_WORDS[m.group(1)], regex=True)
    key = key.str.replace(r"\s+", " ", regex=True).str.strip()
    return key.mask(key == "")


def name_variants(ids: pd.Series, name_key: pd.Series, cap: int = VARIANT_CAP) -> pd.Series:
    """Each name key with one word left out, per row id: two spellings that differ in one
    word (a typo, a missing or extra word) share a variant. Variants more than ``cap``
    rows share are dropped: they say little and would make huge blocks."""
    import duckdb

    with duckdb.connect() as con:
        con.register("names", pd.DataFrame({"uid": ids, "name_key": name_key}))
        found = con.sql(
            f"""
            with words as (
                select uid, string_split(name_key, ' ') as w from names
                where name_key is not null and len(string_split(name_key, ' ')) >= 2
            ),
            variants as (
                select distinct uid, unnest(list_transform(range(len(w)), lambda i:
                    array_to_string(list_filter(w, lambda x, j: j != i + 1), ' '))) as variant
                from words
            ),
            kept as (select variant from variants group by variant having count(*) <= {cap})
            select uid, list(variant order by variant) as variants
            from variants semi join kept using (variant) group by uid
            """  # nosec B608 # only module constants and validated numbers are interpolated
        ).to_arrow_table()
    return pd.Series(found["variants"].to_pylist(), index=found["uid"].to_pylist(), dtype=object)


@dataclass
class MatchModel:
    """Scored candidate pairs and the trained model (settings with m/u probabilities);
    ``plan`` says which comparisons were used and why, ``trained`` whether EM ran."""

    pairs: pd.DataFrame
    settings: dict
    levels: dict[str, dict[int, str]]
    plan: pd.DataFrame
    trained: bool = True
    note: str = ""


MIN_SHARE = 0.05
"""A field is compared when at least this share of rows has a value..."""
MIN_SHARED = 2
"""...and at least this many pairs of rows share one (else it cannot tell rows apart)."""
U_PAIRS = 3e5
"""Random pairs sampled to estimate u probabilities, in one pass. Against 1e6 it cut
refine at 10k realistic rows from 21 s to 6 s; accuracy on both sample generators moved by
0.003 recall (``python -m bench.accuracy``)."""
MIN_TRAINING_PAIRS = 20
"""EM needs at least this many pairs under a training rule; fewer: no model, a fallback."""
OPTIONAL_FIELDS = {
    "phones": "phone numbers (any in common)",
    "email_domain": "e-mail domain (free-mail domains ignored)",
    "website_host": "website host",
    "address_key": "address (abbreviations normalised)",
    "postcode": "postcode",
    "city": "city",
    "province": "province / region",
}
SCORE_DECIMALS = 9
"""Decimals kept of a pair's match probability and weight (see :func:`train_and_score`)."""


def plan(feats: pd.DataFrame) -> pd.DataFrame:
    """Which fields the model compares, from the data present: the name always; every
    other field when enough rows have it and some rows share a value. One row per field:
    ``field``, ``used``, ``filled`` (share of rows), ``shared`` (rows in a shared value),
    ``why``."""
    rows = [("name", True, 1.0, len(feats), "always: the organisation name in all its forms")]
    for column, label in OPTIONAL_FIELDS.items():
        values = feats[column]
        if column == "phones":
            values = values.explode()
        values = values.dropna()
        filled = float(feats[column].notna().mean()) if len(feats) else 0.0
        counts = values.value_counts()
        shared = int(counts[counts > 1].sum())
        used = filled >= MIN_SHARE and shared >= MIN_SHARED
        why = (
            f"{label}: {filled:.0%} of rows, {shared} rows share a value"
            if used
            else f"{label}: not used ({filled:.0%} of rows have it, {shared} share a value)"
        )
        rows.append((column, used, round(filled, 4), shared, why))
    return pd.DataFrame(rows, columns=["field", "used", "filled", "shared", "why"])


def _name_comparison() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_key"),
            cll.ExactMatchLevel("name_key").configure(
                tf_adjustment_column="name_key", label_for_charts="same name"
            ),
            cll.ExactMatchLevel("name_squash").configure(
                label_for_charts="same name but spacing or suffixes"
            ),
            cll.ArrayIntersectLevel("name_squashes", 1).configure(
                label_for_charts="legal or trading names agree"
            ),
            cll.DamerauLevenshteinLevel("name_squash", 1).configure(
                label_for_charts="one typo apart"
            ),
            cll.CustomLevel(
                '(list_contains("name_variants_l", "name_core_r") '
                'or list_contains("name_variants_r", "name_core_l")) '
                "and split_part(\"name_core_l\", ' ', 1) = split_part(\"name_core_r\", ' ', 1) "
                "and regexp_extract(\"name_core_l\", '(\\S+)$', 1) "
                "= regexp_extract(\"name_core_r\", '(\\S+)$', 1)",
                label_for_charts="one inner word left out",
                base_dialect_str="duckdb",
            ),
            cll.JaroWinklerLevel("name_key", 0.92).configure(label_for_charts="very similar"),
            cll.JaroWinklerLevel("name_key", 0.8).configure(label_for_charts="similar"),
            cll.ElseLevel(),
        ],
    )


def _comparisons(used: list[str]) -> list:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    out = [_name_comparison()]
    for column in used:
        if column == "phones":
            out.append(
                cl.CustomComparison(
                    output_column_name="phones",
                    comparison_levels=[
                        cll.NullLevel("phones"),
                        cll.ArrayIntersectLevel("phones", 1).configure(
                            label_for_charts="a phone in common"
                        ),
                        cll.ElseLevel(),
                    ],
                )
            )
        elif column == "address_key":
            out.append(cl.JaroWinklerAtThresholds("address_key", [0.92]))
        elif column == "website_host":
            out.append(
                cl.CustomComparison(
                    output_column_name="website",
                    comparison_levels=[
                        cll.NullLevel("website_host"),
                        cll.CustomLevel(
                            '"website_host_l" = "website_host_r" and '
                            "coalesce(\"website_path_l\", '') = coalesce(\"website_path_r\", '')",
                            label_for_charts="same website",
                            base_dialect_str="duckdb",
                        ),
                        cll.CustomLevel(
                            '"website_host_l" = "website_host_r" and '
                            '("website_path_l" is null or "website_path_r" is null)',
                            label_for_charts="same site, one with a page path",
                            base_dialect_str="duckdb",
                        ),
                        cll.CustomLevel(
                            '"website_host_l" = "website_host_r"',
                            label_for_charts="same site, different pages (branches?)",
                            base_dialect_str="duckdb",
                        ),
                        cll.ElseLevel(),
                    ],
                )
            )
        elif column == "city":
            out.append(cl.ExactMatch("city").configure(term_frequency_adjustments=True))
        else:
            out.append(cl.ExactMatch(column))
    return out


BLOCK_CAP = 50
"""A value shared by more rows than this (an address that is only a region, a shared
switchboard, a chain's website, a common name form) does not block: it says little and
would make a block of n rows into n²/2 pairs. Such rows are still compared on it when
another rule blocks them, and linked by name without a model (:func:`deterministic_edges`)."""
BLOCKED = {
    "phones": "phones",
    "phone": "phone",
    "email_domain": "email_domain",
    "website_host": "website_host",
    "address_key": "address_key",
    "postcode": "postcode || coalesce(' ' || substr(address_key, 1, 4), '')",
}
"""The blocking key of each optional field: ``phone`` (the first) trains the model, the
postcode goes with the start of the address where there is one."""


def block_keys(feats: pd.DataFrame, used: list[str], cap: int = BLOCK_CAP) -> pd.DataFrame:
    """``feats`` with a ``<field>_block`` column per blocking key (:data:`BLOCKED`, and
    the name forms ``name_squashes``): its values shared by more than ``cap`` rows left out."""
    import duckdb

    present = {*used, "phone"} if "phones" in used else set(used)
    fields = ["name_squashes", *(c for c in BLOCKED if c in present)]
    lists = [f for f in fields if f in {"phones", "name_squashes"}]
    with duckdb.connect() as con:
        con.register("f", feats[list(dict.fromkeys(["unique_id", "address_key", *fields]))])
        parts = []
        for field in fields:
            key = f"unnest({field})" if field in lists else BLOCKED[field]
            kept = "list(distinct k order by k)" if field in lists else "any_value(k)"
            parts.append(
                f"""(with v as (select unique_id, {key} as k from f),
                     c as (select k from v where k is not null group by k
                           having count(distinct unique_id) <= {cap})
                     select unique_id, {kept} as "{field}_block"
                     from v semi join c using (k) group by unique_id)"""  # nosec B608 # module constants
            )
        columns = "".join(f', p{i}."{field}_block"' for i, field in enumerate(fields))
        joins = "".join(f" left join {part} p{i} using (unique_id)" for i, part in enumerate(parts))
        query = f"select f.unique_id{columns} from f{joins}"  # nosec B608 # module constants
        blocks = con.sql(query).df()  # nosec B608 # only module constants are interpolated
    blocks = blocks.set_index("unique_id").reindex(feats["unique_id"])
    blocks.index = feats.index
    return feats.assign(
        **{c: blocks[c].astype(object).where(blocks[c].notna(), None) for c in blocks.columns}
    )


def _blocking(used: list[str]) -> list:
    from splink import block_on

    rules = [
        block_on("name_key"),
        block_on("name_squash"),
        block_on("name_squashes_block", arrays_to_explode=["name_squashes_block"]),
        block_on("name_variants", arrays_to_explode=["name_variants"]),
    ]
    for column in used:
        if column == "phones":
            rules.append(block_on("phones_block", arrays_to_explode=["phones_block"]))
        elif column in BLOCKED:
            rules.append(block_on(f"{column}_block"))
    return rules


def _training_rules(feats: pd.DataFrame, used: list[str]) -> list[tuple[str, int]]:
    """EM training rules with their pair counts: one on the name (trains the rest), one
    on the strongest other field present (trains the name), counted on the capped keys."""
    counts = []
    for column in ["name_key", *[c for c in ("phone", "website_host", "email_domain",
                                               "address_key", "postcode") if
                                  (c if c != "phone" else "phones") in used]]:  # fmt: skip
        key = column if column == "name_key" else f"{column}_block"
        sizes = feats[key].dropna().value_counts()
        counts.append((column, int((sizes * (sizes - 1) // 2).sum())))
    return counts


def _training_rule(column: str) -> Any:
    """Blocks on ``column`` within its capped key, so Splink still sees the compared
    column in the rule (and holds its m probabilities while training on it)."""
    from splink import block_on

    return block_on(column) if column == "name_key" else block_on(column, f"{column}_block")


def train_and_score(
    feats: pd.DataFrame, thresholds: Thresholds, engine: Engine | None = None
) -> MatchModel:
    """Build a Splink model from the fields present (:func:`plan`), train it by EM on
    these rows and score every blocked pair at or above the review probability.

    When EM cannot train (too few pairs under a training rule), no model is trained: the
    pairs are scored by name similarity alone (:func:`name_only_scores`) and ``trained`` is
    False with the reason in ``note``. Deterministic: sorted input, fixed seed."""
    from splink import Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    engine = engine or Engine()
    problem = backend_problem(engine)
    if problem:  # before any work: say what to install
        raise BackendUnavailable(problem)
    planned = plan(feats)
    used = planned.loc[planned["used"] & (planned["field"] != "name"), "field"].tolist()
    feats = block_keys(feats, used)
    rules = _training_rules(feats, used)
    trainable = [(c, n) for c, n in rules if n >= MIN_TRAINING_PAIRS]
    name_rule = next((c for c, n in trainable if c == "name_key"), None)
    other_rule = next((c for c, n in trainable if c != "name_key"), None)
    if name_rule is None or other_rule is None or len(feats) < MIN_ROWS_FOR_MODEL:
        counts = ", ".join(f"{c}: {n} pairs" for c, n in rules)
        note = (
            f"no match model: EM needs {MIN_TRAINING_PAIRS}+ pairs under a rule on the name "
            f"and under one on another field, and {MIN_ROWS_FOR_MODEL}+ rows "
            f"({len(feats)} rows; {counts}); scored by name similarity alone"
        )
        pairs = name_only_scores(feats, thresholds)
        return MatchModel(pairs, {}, {}, planned, trained=False, note=note)
    with _database(engine) as api:
        # DuckDB scans an Arrow table in parallel; a pandas frame with object (list)
        # columns it converts under the GIL, once per query that reads it
        rows = _arrow_table(feats) if engine.backend == "duckdb" else _plain(feats)
        table = api.register(rows, table_name="organisation_rows")
        settings = SettingsCreator(
            link_type="dedupe_only",
            comparisons=_comparisons(used),
            blocking_rules_to_generate_predictions=_blocking(used),
            retain_intermediate_calculation_columns=True,
            linker_uid="hotpass",
        )
        linker = Linker(table, settings, log_level=logging.ERROR)
        training = linker.training
        deterministic: list[Any] = [block_on("name_key"), _training_rule(other_rule)]
        training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
        # one pass: with mostly distinct phones and e-mails the sampler never stops early
        training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=SEED, num_chunks=1)
        training.estimate_parameters_using_expectation_maximisation(_training_rule(name_rule))
        training.estimate_parameters_using_expectation_maximisation(_training_rule(other_rule))
        scored = linker.inference.predict(threshold_match_probability=thresholds.review_probability)
        pairs = scored.as_pandas_dataframe()
        model = linker.misc.save_model_to_json()
        # the capped keys are this run's candidate search, not the model: a scorer of pairs
        # (match_model) has no such columns
        model["blocking_rules_to_generate_predictions"] = [
            r for r in model["blocking_rules_to_generate_predictions"] if "_block" not in str(r)
        ]
        levels = {
            c.output_column_name: {
                lvl.comparison_vector_value: lvl.label_for_charts for lvl in c.comparison_levels
            }
            for c in linker._settings_obj.comparisons
        }
    gammas = [c for c in pairs.columns if c.startswith("gamma_")]
    keep = ["unique_id_l", "unique_id_r", "match_probability", "match_weight", *gammas]
    pairs = pairs[keep].astype({c: "string" for c in keep[:2]})
    # DuckDB sums in parallel, so the last bits of a trained weight vary from run to run
    # (about 1e-15); rounded, the same input gives the same bytes
    scores = ["match_probability", "match_weight"]
    pairs[scores] = pairs[scores].round(SCORE_DECIMALS)
    pairs = pairs.sort_values(["unique_id_l", "unique_id_r"], ignore_index=True)
    note = f"EM trained on rules name_key and {other_rule}; compared: name, {', '.join(used)}"
    return MatchModel(pairs, model, levels, planned, trained=True, note=note)


def name_only_scores(feats: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """The fallback when no model can be trained: pairs sharing a name variant scored by
    the Jaro-Winkler similarity of their name keys (at or above the review probability),
    so that near-identical names reach the review queue rather than being lost."""
    import duckdb

    with duckdb.connect() as con:
        con.register("f", feats[["unique_id", "name_key", "name_variants"]])
        found = con.sql(
            f"""
            with v as (select unique_id, name_key, unnest(name_variants) as variant from f),
            p as (
                select distinct a.unique_id as l, b.unique_id as r,
                       jaro_winkler_similarity(a.name_key, b.name_key) as sim
                from v a join v b on a.variant = b.variant and a.unique_id < b.unique_id
            )
            select l as unique_id_l, r as unique_id_r, sim as match_probability
            from p where sim >= {thresholds.review_probability}
            order by l, r
            """  # nosec B608 # only module constants and validated numbers are interpolated
        ).df()
    found["match_weight"] = 0.0
    return found.astype({"unique_id_l": "string", "unique_id_r": "string"})


def _arrow_table(feats: pd.DataFrame) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(feats, preserve_index=False)


def _plain(feats: pd.DataFrame) -> pd.DataFrame:
    """Compared fields as plain Python strings and None, which Spark accepts."""
    return feats.astype(object).where(feats.notna(), None)


@contextmanager
def _database(engine: Engine) -> Iterator[Any]:
    """A Splink database API on a connection configured here, closed afterwards."""
    if engine.backend == "spark":
        with _spark(engine) as api:
            yield api
        return
    import duckdb
    from splink import DuckDBAPI

    con = duckdb.connect(config={"threads": engine.threads, "memory_limit": engine.memory_limit})
    try:
        yield DuckDBAPI(connection=con)
    finally:
        con.close()


class BackendUnavailable(HotpassError, RuntimeError):
    """The configured resolve backend cannot start on this machine; says what to install."""


def backend_problem(engine: Engine) -> str | None:
    """Why the engine's backend cannot start here (with the fix), or None if it can."""
    if engine.backend != "spark":
        return None
    if importlib.util.find_spec("pyspark") is None:
        return (
            "resolve.backend is 'spark' but pyspark is not installed. "
            "Fix: pip install 'hotpass[spark]', or set resolve.backend: duckdb."
        )
    if java_runtime() is None:
        return (
            "resolve.backend is 'spark' but no Java runtime (17 or newer) is on PATH or in "
            "JAVA_HOME. Fix: install one (Debian: apt-get install openjdk-17-jre-headless), "
            "or set resolve.backend: duckdb."
        )
    return None


def java_runtime() -> str | None:
    """The Java executable Spark would use (``JAVA_HOME`` first, then ``PATH``), if any."""
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").is_file():
        return str(Path(home, "bin", "java"))
    return shutil.which("java")


@contextmanager
def _spark(engine: Engine) -> Iterator[Any]:
    """A Spark session with Splink's similarity functions registered; one started here is
    stopped afterwards. Local masters bind to the loopback interface."""
    problem = backend_problem(engine)
    if problem:
        raise BackendUnavailable(problem)
    with warnings.catch_warnings():  # pyspark 4.3 warns on every pandas 3 conversion
        warnings.filterwarnings("ignore", module=r"pyspark(\.|$)")
        from pyspark.sql import SparkSession
        from splink.backends.spark import SparkAPI, similarity_jar_location

        os.environ.setdefault("SPARK_CONF_DIR", str(SPARK_CONF))
        local = engine.spark_master.startswith("local")
        builder = (
            SparkSession.builder.master(engine.spark_master)
            .appName("hotpass-resolve")
            .config("spark.jars", similarity_jar_location())
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(2 * engine.threads))
            .config("spark.default.parallelism", str(2 * engine.threads))
            .config("spark.sql.session.timeZone", "UTC")
        )
        if local:
            builder = builder.config("spark.driver.host", "127.0.0.1").config(
                "spark.driver.bindAddress", "127.0.0.1"
            )
        for key, value in sorted(engine.spark_conf.items()):
            builder = builder.config(key, value)
        owned = SparkSession.getActiveSession() is None  # else a session the caller set up
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        scratch = engine.spark_checkpoint_dir or tempfile.mkdtemp(prefix="hotpass-spark-")
        spark.sparkContext.setCheckpointDir(scratch)
        lineage = "parquet" if engine.spark_checkpoint_dir else "persist"
        try:
            yield SparkAPI(spark_session=spark, break_lineage_method=lineage)
        finally:
            spark.catalog.clearCache()
            if owned:
                spark.stop()
            if not engine.spark_checkpoint_dir:
                shutil.rmtree(scratch, ignore_errors=True)


def describe(pairs: pd.DataFrame, levels: dict[str, dict[int, str]]) -> pd.Series:
    """The comparison levels that decided each pair, in words."""
    if not levels:
        return ("name similarity " + pairs["match_probability"].round(3).astype(str)).astype(
            "string"
        )
    parts = []
    for c in levels:
        gamma = pairs[f"gamma_{c}"]
        parts.append(f"{c}: " + gamma.map(levels[c]).fillna(gamma).astype(str))
    out = parts[0]
    for part in parts[1:]:  # vectorised concatenation, not a Python join per row
        out = out + "; " + part
    return out


TYPO_MIN = 9
"""Names (squashed) shorter than this are never linked on one typo: too many neighbours."""
TYPO_BLOCK_CAP = 50
"""A one-letter-left-out form shared by more rows than this is not searched for typos
(a symmetric-deletion index: two names one edit apart share such a form)."""


def deterministic_edges(feats: pd.DataFrame) -> pd.DataFrame:
    """Links that need no model, each with its reason:

    - ``same name key``: the same matching key;
    - ``same name form``: the core name of one row (squashed: spacing and glued suffixes
      ignored) equal to the core, trading or alternative name of the other (two rows that
      share only a trading name are left to the model); a qualified core (``X (Flight
      School)``) counts against an unqualified name only, so ``X (Durban)`` and
      ``X (Cape Town)`` stay apart;
    - ``one typo``: squashed names of 9+ letters one edit (or transposition) apart, with
      the same digits.

    None links rows that contradict each other: both have phones and none in common, and
    they differ in postcode, city or province.
    """
    import duckdb

    cols = ["unique_id", "name_key", "name_squash", "name_squashes", "qualified", "qualifier",
            "phones", "province", "city", "postcode", "house_number"]  # fmt: skip
    with duckdb.connect() as con:
        con.register("f", feats[cols])
        edges = con.sql(
            f"""
            with sq as (
                select unique_id, qualified, qualifier, name_key, unnest(name_squashes) as sq,
                       unnest(name_squashes) = name_squash as is_core
                from f where name_squashes is not null
            ),
            keyed as (
                select a.unique_id as l, b.unique_id as r, 'same name key' as reason, 0 as rank
                from f a join f b on a.name_key = b.name_key and a.unique_id < b.unique_id
            ),
            formed as (
                select a.unique_id as l, b.unique_id as r, 'same name form' as reason, 1 as rank
                from sq a join sq b on a.sq = b.sq and a.unique_id < b.unique_id
                where (a.is_core or b.is_core)
                  and not (a.is_core and b.is_core and coalesce(a.qualifier <> b.qualifier, false))
            ),
            typed as (
                select row_number() over (order by unique_id) as rid, unique_id,
                       name_squash as s, regexp_replace(name_squash, '[^0-9]', '', 'g') as digits,
                       qualifier
                from f where length(name_squash) >= {TYPO_MIN}
            ),
            deletions as (  -- every name with one letter left out: one edit apart share one
                select distinct rid, unnest(list_transform(range(length(s)),
                       lambda i: substr(s, 1, i) || substr(s, i + 2))) as k
                from typed
                union
                select rid, s from typed
            ),
            capped as (  -- narrow rows (an integer and the form): millions of them at 1M
                select rid, k from deletions
                qualify count(*) over (partition by k) <= {TYPO_BLOCK_CAP}
            ),
            near as (
                select distinct a.rid as l, b.rid as r
                from capped a join capped b on a.k = b.k and a.rid < b.rid
            ),
            near_left as materialized (  -- else the planner joins both sides on digits first
                select near.r, a.unique_id as l, a.s, a.digits, a.qualifier
                from near join typed a on a.rid = near.l
            ),
            typo as (
                select a.l, b.unique_id as r, 'one typo' as reason, 2 as rank
                from near_left a join typed b on b.rid = a.r
                where a.s <> b.s and a.digits = b.digits
                  and not coalesce(a.qualifier <> b.qualifier, false)
                  and damerau_levenshtein(a.s, b.s) = 1
            ),
            candidates as (
                select l, r, min_by(reason, rank) as reason
                from (select * from keyed union all select * from formed
                      union all select * from typo)
                group by l, r
            )
            select c.l as "left", c.r as "right", c.reason,
                   {CONTRADICTS} as contradicts
            from candidates c join f a on a.unique_id = c.l join f b on b.unique_id = c.r
            order by "left", "right"
            """  # nosec B608 # only module constants and validated numbers are interpolated
        ).df()
    return edges.astype({"left": "string", "right": "string", "reason": "string"})


CONTRADICTS = """(
    a.phones is not null and b.phones is not null and not list_has_any(a.phones, b.phones)
    and (coalesce(a.postcode <> b.postcode, false) or coalesce(a.city <> b.city, false)
         or coalesce(a.province <> b.province, false)
         or coalesce(a.house_number <> b.house_number, false))
)"""
"""Two rows that cannot be one organisation: both have phones, none in common, and they
differ in postcode, city, province or house number (branches of one brand, namesakes
elsewhere)."""


def kept_apart(feats: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Pairs that must never end in one organisation, even through other links: those of
    ``pairs`` (``left``, ``right``) that contradict each other (:data:`CONTRADICTS`), and
    rows with the same core name but different qualifiers or branches (``X (Durban)``,
    ``X - Cape Town``)."""
    import duckdb

    cols = ["unique_id", "base_squash", "qualifier", "phones", "province", "city", "postcode",
            "house_number"]  # fmt: skip
    with duckdb.connect() as con:
        con.register("f", feats[cols])
        con.register("p", pairs[["left", "right"]])
        found = con.sql(
            f"""
            select p."left", p."right" from p
            join f a on a.unique_id = p."left" join f b on b.unique_id = p."right"
            where {CONTRADICTS}
            union
            select a.unique_id, b.unique_id
            from (select * from f where qualifier is not null
                  qualify count(*) over (partition by base_squash) <= {VARIANT_CAP}) a
            join (select * from f where qualifier is not null) b
              on a.base_squash = b.base_squash and a.unique_id < b.unique_id
             and a.qualifier <> b.qualifier
            """  # nosec B608 # only module constants and validated numbers are interpolated
        ).df()
    return found


def components(nodes: pd.Series, edges: pd.DataFrame) -> pd.Series:
    """Connected components: each node's label is the smallest node id in its component.

    Min-label propagation over integer codes (ordered as the ids are), with pointer
    jumping, in numpy: about log(component diameter) rounds of whole-array steps."""
    ids = nodes.to_numpy()
    codes, found = pd.factorize(ids, sort=True)
    uniques = pd.Index(found)
    label = np.arange(len(uniques))
    if not edges.empty:
        left = uniques.get_indexer(edges["left"].to_numpy())
        right = uniques.get_indexer(edges["right"].to_numpy())
        known = (left >= 0) & (right >= 0)
        left, right = left[known], right[known]
        while True:
            before = label.copy()
            low = np.minimum(label[left], label[right])
            np.minimum.at(label, left, low)
            np.minimum.at(label, right, low)
            while not np.array_equal(jumped := label[label], label):
                label = jumped
            if np.array_equal(label, before):
                break
    return pd.Series(uniques.take(label[codes]), index=ids)


def _honour_apart(label: pd.Series, edges: pd.DataFrame, apart: set[tuple[str, str]]) -> pd.Series:
    """Re-cluster only the components holding a pair a reviewer called different: add their
    edges strongest first (name keys and reviewer merges, then the model's), skipping any
    edge that would join two records kept apart (union-find with cannot-link constraints)."""
    bad = {
        label[a] for a, b in apart if a in label.index and b in label.index and label[a] == label[b]
    }
    if not bad:
        return label
    rank = {"reviewer: same": 0, "same name key": 1, "same name form": 2, "one typo": 3,
            "match model": 4}  # fmt: skip
    inside = edges[edges["left"].map(label).isin(bad)].assign(rank=edges["reason"].map(rank))
    inside = inside.sort_values(["rank", "left", "right"], kind="stable")
    parent = {node: node for node in label.index[label.isin(bad)]}
    members = {node: {node} for node in parent}
    partners: dict[str, set[str]] = {node: set() for node in parent}  # kept apart from
    for x, y in apart:
        if x in parent and y in parent:
            partners[x].add(y)
            partners[y].add(x)

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for left, right in zip(inside["left"], inside["right"], strict=True):
        a, b = root(left), root(right)
        if a == b or not partners[a].isdisjoint(members[b]):
            continue  # joined already, or a member of one is kept apart from one of the other
        parent[b] = a
        members[a] |= members.pop(b)
        partners[a] |= partners.pop(b)
    relabel = {node: min(group) for group in members.values() for node in group}
    out = label.copy()
    out.loc[list(relabel)] = list(relabel.values())
    return out


@dataclass
class Resolution:
    """Cluster per row, the scored pairs with their fate, and the trained model."""

    clusters: pd.Series
    pairs: pd.DataFrame
    model: MatchModel | None
    decisions: pd.DataFrame


def resolve(
    orgs: pd.DataFrame,
    profile: Profile,
    decisions: pd.DataFrame | None = None,
    probabilistic: bool = True,
    engine: Engine | None = None,
) -> Resolution:
    """Cluster organisation rows; see the module docstring for the rules."""
    decisions = decisions if decisions is not None else load_decisions(None)
    thresholds = profile.thresholds
    feats = features(orgs, profile.legal_suffixes)
    candidates = deterministic_edges(feats)
    edges = candidates[~candidates["contradicts"]].drop(columns="contradicts")
    model = None
    pairs = pd.DataFrame(
        {
            "unique_id_l": pd.Series(dtype="string"),
            "unique_id_r": pd.Series(dtype="string"),
            "match_probability": pd.Series(dtype="float64"),
            "match_weight": pd.Series(dtype="float64"),
            "comparison": pd.Series(dtype="string"),
        }
    )
    if probabilistic and len(orgs) >= 2:
        model = train_and_score(feats, thresholds, engine)
        pairs = model.pairs.assign(comparison=describe(model.pairs, model.levels))
    pairs = pairs.rename(columns={"unique_id_l": "left", "unique_id_r": "right"})
    decided = _decided(decisions)
    pair_key = pairs["left"] + "|" + pairs["right"]
    pairs["decision"] = pair_key.map(decided).astype("string")
    forced_apart = pairs["decision"].eq("different").fillna(False).astype(bool)
    forced_same = pairs["decision"].eq("same").fillna(False).astype(bool)
    likely = pairs["match_probability"] >= thresholds.match_probability
    if model is not None and not model.trained:
        likely = pd.Series(False, index=pairs.index)  # name similarity alone merges nothing
    never = kept_apart(feats, pd.concat([candidates[["left", "right"]], pairs[["left", "right"]]]))
    never_key = set(never["left"] + "|" + never["right"])
    contradicting = (pairs["left"] + "|" + pairs["right"]).isin(never_key)
    unrelated = unrelated_names(pairs, feats)
    merge = (likely & ~forced_apart & ~contradicting & ~unrelated) | forced_same
    same = decisions[decisions["decision"] == "same"][["left", "right"]]
    edges = pd.concat(
        [
            edges,
            pairs.loc[merge, ["left", "right"]].assign(reason="match model"),
            same.assign(reason="reviewer: same"),
        ],
        ignore_index=True,
    )
    reviewer_apart = decisions.loc[decisions["decision"] == "different", ["left", "right"]]
    apart = {tuple(sorted(x)) for x in pd.concat([reviewer_apart, never]).astype(str).to_numpy()}
    label = components(orgs["source_record_id"].sort_values(), edges)
    if apart:
        label = _honour_apart(label, edges, apart)
    pairs["outcome"] = "merged"
    pairs.loc[~merge, "outcome"] = "review"
    pairs.loc[contradicting & ~forced_same, "outcome"] = "kept apart: contradicting details"
    pairs.loc[unrelated & likely & ~contradicting & ~merge, "outcome"] = "review"
    pairs.loc[forced_apart, "outcome"] = "kept apart by reviewer"
    pairs.loc[pairs["left"].map(label) == pairs["right"].map(label), "outcome"] = pairs.loc[
        pairs["left"].map(label) == pairs["right"].map(label), "outcome"
    ].replace("review", "merged through other links")
    clusters = orgs["source_record_id"].map(label).set_axis(orgs.index).rename("cluster")
    return Resolution(clusters, pairs, model, decisions)


def unrelated_names(pairs: pd.DataFrame, feats: pd.DataFrame) -> pd.Series:
    """Pairs whose names share no word, no name form and are not alike even with spaces
    ignored (``Aurora Insurance`` / ``AuroraI nsurance`` are alike): however much else
    agrees (a hotel switchboard, a shared office address), they are queued for review,
    never merged. Shared words and forms by DuckDB, Jaro-Winkler by rapidfuzz's ``cpdist``
    (pair by pair in C++)."""
    import duckdb
    from rapidfuzz.distance import JaroWinkler
    from rapidfuzz.process import cpdist

    f = feats[["unique_id", "name_core", "name_squashes", "name_squash"]]
    p = pd.DataFrame({"i": np.arange(len(pairs)), "l": pairs["left"], "r": pairs["right"]})
    with duckdb.connect() as con:
        con.register("f", f)
        con.register("p", p)
        found = con.sql(
            """
            select coalesce(list_has_any(
                       list_filter(string_split(coalesce(a.name_core, ''), ' '), lambda w: w <> ''),
                       string_split(coalesce(b.name_core, ''), ' ')), false)
                   or coalesce(list_has_any(a.name_squashes, b.name_squashes), false) as shared,
                   coalesce(a.name_squash, '') as sl, coalesce(b.name_squash, '') as sr
            from p left join f a on a.unique_id = p.l left join f b on b.unique_id = p.r
            order by p.i
            """
        ).df()
    alike = cpdist(
        found["sl"].tolist(),
        found["sr"].tolist(),
        scorer=JaroWinkler.normalized_similarity,
        dtype=np.float64,
    )
    unrelated = ~found["shared"].to_numpy(dtype=bool) & (alike < 0.8)
    return pd.Series(unrelated, index=pairs.index, dtype=bool)


def _decided(decisions: pd.DataFrame) -> dict[str, str]:
    """``left|right`` (both orders) -> decision."""
    out: dict[str, str] = {}
    for d in decisions.itertuples():
        out[f"{d.left}|{d.right}"] = d.decision
        out[f"{d.right}|{d.left}"] = d.decision
    return out


def model_json(model: MatchModel) -> str:
    """The trained model (Splink settings with m/u probabilities) as stable JSON."""
    return json.dumps(model.settings, indent=2, sort_keys=True, default=str)
