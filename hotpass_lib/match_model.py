"""The entity-resolution match model as an MLflow model: a pyfunc that scores record pairs.

The refine stage trains a Splink model (``match_model.json``: settings with m and u
probabilities). Logged through :func:`log_match_model`, it loads anywhere with
``mlflow.pyfunc.load_model("models:/hotpass-entity-resolution@champion")`` and scores a
DataFrame of pairs: one row per pair, each compared field twice, ``<field>_l`` and
``<field>_r`` (fields: :data:`FIELDS`, as :func:`hotpass_lib.resolve.features` makes them
from organisation rows). It returns ``match_probability`` and ``match_weight`` per pair.
"""

from __future__ import annotations

import json
import logging
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd

FIELDS = ("name_key", "email_domain", "phone", "website_host", "province")
"""The fields the model compares (missing ones count as unknown)."""


def term_frequencies(name_keys: pd.Series) -> dict[str, float]:
    """Share of rows per name key, as Splink's term-frequency adjustment uses them."""
    return name_keys.dropna().astype(str).value_counts(normalize=True).sort_index().to_dict()


def pairs_frame(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Model input from two aligned frames of features (``resolve.features`` output)."""
    left = left.reset_index(drop=True)
    right = right.reset_index(drop=True)
    return pd.concat(
        [left[list(FIELDS)].add_suffix("_l"), right[list(FIELDS)].add_suffix("_r")], axis=1
    )


class MatchModel(mlflow.pyfunc.PythonModel):
    """Scores record pairs with a trained Splink model (embedded DuckDB)."""

    def load_context(self, context: Any) -> None:
        from splink import DuckDBAPI, Linker

        logging.getLogger("splink").setLevel(logging.ERROR)
        settings = json.loads(Path(context.artifacts["settings"]).read_text(encoding="utf-8"))
        self.tf = json.loads(Path(context.artifacts["term_frequencies"]).read_text("utf-8"))
        self.rare = min(self.tf.values(), default=1.0)
        seed = pd.DataFrame([self._record("seed", {})])
        api = DuckDBAPI()
        self.linker = Linker(api.register(seed, table_name="seed"), settings)

    def _record(self, uid: str, values: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {"unique_id": uid, "name_variants": []}
        for name in FIELDS:
            value = values.get(name)
            record[name] = None if value is None or pd.isna(value) else str(value)
        record["tf_name_key"] = self.tf.get(record["name_key"], self.rare)
        return record

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        """``match_probability`` and ``match_weight`` for each row's pair of records."""
        rows = []
        for i, row in enumerate(model_input.to_dict("records")):
            left = self._record(f"l{i}", {f: row.get(f"{f}_l") for f in FIELDS})
            right = self._record(f"r{i}", {f: row.get(f"{f}_r") for f in FIELDS})
            scored = self.linker.inference.score_pair(left, right).as_pandas_dataframe()
            rows.append(scored[["match_probability", "match_weight"]].iloc[0].to_dict())
        return pd.DataFrame(rows, columns=["match_probability", "match_weight"], dtype=float)


def _signature() -> Any:
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    inputs = [ColSpec("string", f"{f}_{side}", required=False) for side in "lr" for f in FIELDS]
    outputs = [ColSpec("double", "match_probability"), ColSpec("double", "match_weight")]
    return ModelSignature(inputs=Schema(inputs), outputs=Schema(outputs))


def log_match_model(settings_file: Path, name_keys: pd.Series, workdir: Path) -> Any:
    """Log the trained model as a pyfunc under the active MLflow run; returns its info."""
    tf_file = workdir / "term_frequencies.json"
    tf_file.write_text(json.dumps(term_frequencies(name_keys), sort_keys=True), encoding="utf-8")
    requirements = [f"{p}=={metadata.version(p)}" for p in ("splink", "duckdb", "pandas", "mlflow")]
    with warnings.catch_warnings():  # no input example on purpose: it would be personal data
        warnings.filterwarnings("ignore", ".*An input example was not provided", UserWarning)
        return mlflow.pyfunc.log_model(
            name="match_model",
            python_model=MatchModel(),
            artifacts={"settings": str(settings_file), "term_frequencies": str(tf_file)},
            signature=_signature(),
            pip_requirements=requirements,
        )
