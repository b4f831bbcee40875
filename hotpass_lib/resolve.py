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
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .normalise import website_host
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
COMPARED = ("name_key", "email_domain", "phone", "website_host", "province")


class Engine(BaseModel):
    """Where the match model runs (``resolve:`` in ``params/pipeline.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    backend: Literal["duckdb", "spark"] = "duckdb"
    threads: int = Field(default=2, ge=1, description="DuckDB threads")
    memory_limit: str = Field(default="2GB", description="DuckDB memory limit")
    spark_master: str = Field(default="local[2]", description="e.g. local[*], yarn, spark://h:7077")
    spark_checkpoint_dir: str | None = Field(
        default=None,
        description="shared folder for Splink's intermediate tables on a cluster; "
        "unset: keep them in Spark's memory (local mode)",
    )
    spark_conf: dict[str, str] = Field(default_factory=dict, description="extra Spark settings")


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


def features(orgs: pd.DataFrame) -> pd.DataFrame:
    """One row per organisation row with the compared fields (free-mail domains dropped)
    and the name variants used for blocking."""
    emails = orgs["emails"].explode().dropna().astype("string")
    domains = emails.str.split("@", n=1).str[1]
    first_domain = domains[~domains.isin(FREE_MAIL)].groupby(level=0).first()
    feats = pd.DataFrame(
        {
            "unique_id": orgs["source_record_id"].astype(str),
            "name_key": orgs["name_key"].astype("string"),
            "email_domain": first_domain.reindex(orgs.index).astype("string"),
            "phone": orgs["phones"].explode().groupby(level=0).first().astype("string"),
            "website_host": website_host(orgs["website"]).astype("string"),
            "province": orgs["province"].astype("string"),
        }
    ).sort_values("unique_id", ignore_index=True)
    variants = name_variants(feats["unique_id"], feats["name_key"])
    return feats.assign(name_variants=feats["unique_id"].map(variants))


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
            """
        ).to_arrow_table()
    return pd.Series(found["variants"].to_pylist(), index=found["uid"].to_pylist(), dtype=object)


@dataclass
class MatchModel:
    """Scored candidate pairs and the trained model (settings with m/u probabilities)."""

    pairs: pd.DataFrame
    settings: dict
    levels: dict[str, dict[int, str]]


def train_and_score(
    feats: pd.DataFrame, thresholds: Thresholds, engine: Engine | None = None
) -> MatchModel:
    """Train a Splink model by EM on these rows and score every blocked pair at or above
    the review probability. Deterministic: sorted input, fixed seed."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    engine = engine or Engine()
    with _database(engine) as api:
        rows = feats if engine.backend == "duckdb" else _plain(feats)
        table = api.register(rows, table_name="organisation_rows")
        settings = SettingsCreator(
            link_type="dedupe_only",
            comparisons=[
                cl.JaroWinklerAtThresholds("name_key", [0.95, 0.88]).configure(
                    term_frequency_adjustments=True
                ),
                cl.ExactMatch("email_domain"),
                cl.ExactMatch("phone"),
                cl.ExactMatch("website_host"),
                cl.ExactMatch("province"),
            ],
            blocking_rules_to_generate_predictions=[
                block_on("name_key"),
                block_on("email_domain"),
                block_on("phone"),
                block_on("website_host"),
                block_on("name_variants", arrays_to_explode=["name_variants"]),
            ],
            retain_intermediate_calculation_columns=True,
            linker_uid="hotpass",
        )
        linker = Linker(table, settings, log_level=logging.ERROR)
        training = linker.training
        training.estimate_probability_two_random_records_match(
            [block_on("name_key"), block_on("website_host")], recall=0.7
        )
        training.estimate_u_using_random_sampling(max_pairs=1e6, seed=SEED)
        training.estimate_parameters_using_expectation_maximisation(block_on("name_key"))
        training.estimate_parameters_using_expectation_maximisation(block_on("website_host"))
        scored = linker.inference.predict(threshold_match_probability=thresholds.review_probability)
        pairs = scored.as_pandas_dataframe()
        model = linker.misc.save_model_to_json()
        levels = {
            c.output_column_name: {
                lvl.comparison_vector_value: lvl.label_for_charts for lvl in c.comparison_levels
            }
            for c in linker._settings_obj.comparisons
        }
    keep = [
        "unique_id_l",
        "unique_id_r",
        "match_probability",
        "match_weight",
        *[f"gamma_{c}" for c in COMPARED],
    ]
    pairs = pairs[keep].astype({c: "string" for c in keep[:2]})
    pairs = pairs.sort_values(["unique_id_l", "unique_id_r"], ignore_index=True)
    return MatchModel(pairs, model, levels)


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


class BackendUnavailable(RuntimeError):
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
    parts = []
    for c in COMPARED:
        gamma = pairs[f"gamma_{c}"]
        parts.append(f"{c}: " + gamma.map(levels[c]).fillna(gamma).astype(str))
    return pd.concat(parts, axis=1).agg("; ".join, axis=1)


def key_edges(orgs: pd.DataFrame) -> pd.DataFrame:
    """Deterministic links: rows sharing a name key, or an alt-name key equal to a name key."""
    ids = orgs["source_record_id"]
    keyed = pd.concat(
        [
            pd.DataFrame({"rid": ids, "key": orgs["name_key"]}),
            pd.DataFrame({"rid": ids, "key": orgs["alt_name_key"]}),
        ]
    ).dropna()
    keyed = (
        keyed[keyed["key"] != ""].drop_duplicates().sort_values(["key", "rid"], ignore_index=True)
    )
    first = keyed.groupby("key")["rid"].transform("first")
    edges = pd.DataFrame({"left": first, "right": keyed["rid"]})
    return edges[edges["left"] != edges["right"]].drop_duplicates()


def components(nodes: pd.Series, edges: pd.DataFrame) -> pd.Series:
    """Connected components: each node's label is the smallest node id in its component."""
    label = pd.Series(nodes.to_numpy(), index=nodes.to_numpy())
    if edges.empty:
        return label
    both = pd.concat(
        [
            edges[["left", "right"]],
            edges.rename(columns={"left": "right", "right": "left"})[["left", "right"]],
        ]
    )
    while True:  # min-label propagation; converges in about log(component diameter) rounds
        neighbour = both.assign(lab=both["right"].map(label)).groupby("left")["lab"].min()
        new = label.copy()
        new.loc[neighbour.index] = neighbour.where(
            neighbour < label.loc[neighbour.index], label.loc[neighbour.index]
        )
        new = new.map(new)  # jump to the label's label
        if new.equals(label):
            return label
        label = new


def _honour_apart(label: pd.Series, edges: pd.DataFrame, apart: set[tuple[str, str]]) -> pd.Series:
    """Re-cluster only the components holding a pair a reviewer called different: add their
    edges strongest first (name keys and reviewer merges, then the model's), skipping any
    edge that would join two records kept apart (union-find with cannot-link constraints)."""
    bad = {
        label[a] for a, b in apart if a in label.index and b in label.index and label[a] == label[b]
    }
    if not bad:
        return label
    rank = {"reviewer: same": 0, "same name key": 1, "match model": 2}
    inside = edges[edges["left"].map(label).isin(bad)].assign(rank=edges["reason"].map(rank))
    inside = inside.sort_values(["rank", "left", "right"], kind="stable")
    parent = {node: node for node in label.index[label.isin(bad)]}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    members = {node: {node} for node in parent}
    for left, right in zip(inside["left"], inside["right"], strict=True):
        a, b = root(left), root(right)
        if a == b or any((min(x, y), max(x, y)) in apart for x in members[a] for y in members[b]):
            continue
        parent[b] = a
        members[a] |= members.pop(b)
    out = label.copy()
    for group in members.values():
        out.loc[list(group)] = min(group)
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
    edges = key_edges(orgs).assign(reason="same name key")
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
    if probabilistic and len(orgs) >= MIN_ROWS_FOR_MODEL:
        model = train_and_score(features(orgs), thresholds, engine)
        pairs = model.pairs.assign(comparison=describe(model.pairs, model.levels))
    pairs = pairs.rename(columns={"unique_id_l": "left", "unique_id_r": "right"})
    decided = _decided(decisions)
    pair_key = pairs["left"] + "|" + pairs["right"]
    pairs["decision"] = pair_key.map(decided).astype("string")
    forced_apart = pairs["decision"].eq("different").fillna(False).astype(bool)
    forced_same = pairs["decision"].eq("same").fillna(False).astype(bool)
    likely = pairs["match_probability"] >= thresholds.match_probability
    merge = (likely & ~forced_apart) | forced_same
    same = decisions[decisions["decision"] == "same"][["left", "right"]]
    edges = pd.concat(
        [
            edges,
            pairs.loc[merge, ["left", "right"]].assign(reason="match model"),
            same.assign(reason="reviewer: same"),
        ],
        ignore_index=True,
    )
    apart = {
        tuple(sorted(x))
        for x in decisions.loc[decisions["decision"] == "different", ["left", "right"]].to_numpy()
    }
    label = components(orgs["source_record_id"].sort_values(), edges)
    if apart:
        label = _honour_apart(label, edges, apart)
    pairs["outcome"] = "merged"
    pairs.loc[~merge, "outcome"] = "review"
    pairs.loc[forced_apart, "outcome"] = "kept apart by reviewer"
    pairs.loc[pairs["left"].map(label) == pairs["right"].map(label), "outcome"] = pairs.loc[
        pairs["left"].map(label) == pairs["right"].map(label), "outcome"
    ].replace("review", "merged through other links")
    clusters = orgs["source_record_id"].map(label).set_axis(orgs.index).rename("cluster")
    return Resolution(clusters, pairs, model, decisions)


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
