"""The match model as MLflow serves it: the champion loads by alias and scores record pairs
as the pipeline scored them."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest

from hotpass_lib import tracking
from hotpass_lib.ingest import IngestResult
from hotpass_lib.match_model import pairs_frame
from hotpass_lib.refine import refine
from hotpass_lib.resolve import features, model_json
from hotpass_lib.store import save_tables


@pytest.fixture(scope="module")
def champion(ingested: IngestResult, profile, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("mlflow")
    result = refine(ingested.organisations, ingested.contacts, ingested.addresses, profile)
    assert result.resolution.model is not None
    model = tmp / "match_model.json"
    model.write_text(model_json(result.resolution.model))
    save_tables({"organisations": ingested.organisations}, tmp / "ingest")
    mlflow.set_tracking_uri(f"sqlite:///{tmp / 'mlflow.db'}")
    mlflow.create_experiment("hotpass", artifact_location=(tmp / "art").as_uri())
    mlflow.set_experiment("hotpass")
    with mlflow.start_run():
        tracking.register_match_model(model, 0.97, tmp / "ingest" / "organisations.parquet")
    loaded = mlflow.pyfunc.load_model(f"models:/{tracking.MODEL_NAME}@champion")
    return loaded, result.resolution.pairs, features(ingested.organisations, profile.legal_suffixes)


def test_the_champion_scores_pairs_as_the_pipeline_did(champion) -> None:
    model, pairs, feats = champion
    sample = pairs.sort_values("match_probability").iloc[[0, len(pairs) // 2, -1]]
    by_id = feats.set_index("unique_id")
    frame = pairs_frame(by_id.loc[sample["left"]], by_id.loc[sample["right"]])
    scored = model.predict(frame)
    assert list(scored.columns) == ["match_probability", "match_weight"]
    expected = sample["match_probability"].astype(float).to_numpy()
    assert scored["match_probability"].to_numpy() == pytest.approx(expected, abs=1e-6)


def test_a_pair_of_strangers_scores_low_and_twins_high(champion) -> None:
    model, _, _ = champion
    one = {
        "name_key": "springbok aircraft maintenance",
        "email_domain": "springbokaero.co.za",
        "phone": "+27823723529",
        "website_host": "springbokaero.co.za",
        "province": "Gauteng",
    }
    other = {"name_key": "zulu air charter", "province": "Limpopo", "phone": "+27111111111"}
    frame = pd.DataFrame(
        [
            {**{f"{k}_l": v for k, v in one.items()}, **{f"{k}_r": v for k, v in one.items()}},
            {**{f"{k}_l": v for k, v in one.items()}, **{f"{k}_r": v for k, v in other.items()}},
        ]
    )
    scored = model.predict(frame)
    assert scored["match_probability"].iloc[0] > 0.99
    assert scored["match_probability"].iloc[1] < 0.01


def test_the_model_is_a_registered_pyfunc_with_a_signature(champion, tmp_path: Path) -> None:
    model, _, _ = champion
    names = [c.name for c in model.metadata.get_input_schema().inputs]
    assert "name_key_l" in names and "province_r" in names
    version = mlflow.MlflowClient().get_model_version_by_alias(tracking.MODEL_NAME, "champion")
    assert version.tags["f1"] == "0.97"
