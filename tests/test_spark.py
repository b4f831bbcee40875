"""The Spark backend: the same Splink model on pyspark (local mode) gives the same records.

Runs when pyspark and a Java runtime are present (CI installs both); skipped otherwise.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hotpass_lib.evaluate import organisation_scores
from hotpass_lib.ingest import IngestResult
from hotpass_lib.profile import load_profile
from hotpass_lib.refine import refine
from hotpass_lib.resolve import BackendUnavailable, Engine, backend_problem, train_and_score

PROFILE = load_profile("aviation")
SPARK = Engine(backend="spark", spark_master="local[2]")

pytestmark = pytest.mark.skipif(
    backend_problem(SPARK) is not None,
    reason=f"Spark backend unavailable: {backend_problem(SPARK)}",
)


@pytest.fixture(scope="module")
def both(ingested: IngestResult):
    def run(engine: Engine):
        return refine(
            ingested.organisations, ingested.contacts, ingested.addresses, PROFILE, engine=engine
        )

    return run(Engine()), run(SPARK)


def test_spark_gives_the_duckdb_records(both, truth: pd.DataFrame) -> None:
    duck, spark = both
    assert (
        spark.organisations["organisation_id"].tolist()
        == duck.organisations["organisation_id"].tolist()
    )
    assert (
        spark.organisations["source_record_ids"].tolist()
        == duck.organisations["source_record_ids"].tolist()
    )
    assert spark.contacts["contact_id"].tolist() == duck.contacts["contact_id"].tolist()
    scores = organisation_scores(spark.organisations, truth)
    assert scores["precision"] >= 0.98 and scores["recall"] >= 0.95, scores


def test_spark_trains_the_same_model(both) -> None:
    duck, spark = both
    d, s = (json.loads(json.dumps(r.resolution.model.settings)) for r in (duck, spark))
    assert [c["output_column_name"] for c in s["comparisons"]] == [
        c["output_column_name"] for c in d["comparisons"]
    ]
    for dc, sc in zip(d["comparisons"], s["comparisons"], strict=True):
        for dl, sl in zip(dc["comparison_levels"], sc["comparison_levels"], strict=True):
            for p in ("m_probability", "u_probability"):
                if p in dl:
                    assert sl[p] == pytest.approx(dl[p], rel=0.05, abs=1e-3), (dc, p)
    pairs = spark.resolution.pairs
    assert (pairs["match_probability"] >= PROFILE.thresholds.review_probability).all()


def test_a_missing_java_is_reported_with_the_fix(monkeypatch, ingested: IngestResult) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(BackendUnavailable, match="apt-get install openjdk-17-jre-headless"):
        train_and_score(pd.DataFrame(), PROFILE.thresholds, SPARK)
