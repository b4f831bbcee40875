"""The entity-resolution match model as an MLflow model: a pyfunc that scores record pairs.

The refine stage trains a Splink model (``match_model.json``: settings with m and u
probabilities). Logged through :func:`log_match_model`, it loads anywhere with
``mlflow.pyfunc.load_model("models:/hotpass-entity-resolution@champion")`` and scores a
DataFrame of pairs: one row per pair, each compared field twice, ``<field>_l`` and
``<field>_r`` (fields: :data:`FIELDS` and the list fields :data:`LIST_FIELDS`, as
:func:`hotpass_lib.resolve.features` makes them from organisation rows; a field the run's
model did not compare is ignored, a missing one counts as unknown). It returns
``match_probability`` and ``match_weight`` per pair.
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

FIELDS = (
    "name_key", "name_core", "name_squash", "email_domain", "website_host", "website_path",
    "address_key", "city", "postcode", "province",
)  # fmt: skip
"""Text fields a model may compare (which ones a run's model uses depends on its data)."""
LIST_FIELDS = ("name_squashes", "name_variants", "phones")
"""List fields a model may compare: name forms, name variants, phone numbers."""
TF_FIELDS = ("name_key", "city")
"""Fields compared with term-frequency adjustments."""


def term_frequencies(rows: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Share of rows per value of each :data:`TF_FIELDS` column of ``rows`` (features),
    as Splink's term-frequency adjustment uses them."""
    return {
        f: rows[f].dropna().astype(str).value_counts(normalize=True).sort_index().to_dict()
        for f in TF_FIELDS
        if f in rows
    }


def pairs_frame(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Model input from two aligned frames of features (``resolve.features`` output)."""
    left = left.reset_index(drop=True)
    right = right.reset_index(drop=True)
    fields = [f for f in (*FIELDS, *LIST_FIELDS) if f in left]
    return pd.concat([left[fields].add_suffix("_l"), right[fields].add_suffix("_r")], axis=1)


class MatchModel(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined]  # mlflow.pyfunc is imported lazily
    """Scores record pairs with a trained Splink model (embedded DuckDB)."""

    def load_context(self, context: Any) -> None:
        from splink import DuckDBAPI, Linker

        logging.getLogger("splink").setLevel(logging.ERROR)
        settings = json.loads(Path(context.artifacts["settings"]).read_text(encoding="utf-8"))
        self.tf = json.loads(Path(context.artifacts["term_frequencies"]).read_text("utf-8"))
        self.rare = {f: min(v.values(), default=1.0) for f, v in self.tf.items()}
        seed = pd.DataFrame([self._record("seed", {})])
        api = DuckDBAPI()
        self.linker = Linker(api.register(seed, table_name="seed"), settings)

    def _record(self, uid: str, values: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {"unique_id": uid}
        for name in FIELDS:
            value = values.get(name)
            record[name] = None if value is None or pd.isna(value) else str(value)
        for name in LIST_FIELDS:
            value = values.get(name)
            items = [] if value is None or isinstance(value, float) else [str(v) for v in value]
            record[name] = items or ([] if name == "name_variants" else None)
        for name, table in self.tf.items():
            record[f"tf_{name}"] = table.get(record[name], self.rare[name])
        return record

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        """``match_probability`` and ``match_weight`` for each row's pair of records."""
        rows = []
        for i, row in enumerate(model_input.to_dict("records")):
            fields = (*FIELDS, *LIST_FIELDS)
            left = self._record(f"l{i}", {f: row.get(f"{f}_l") for f in fields})
            right = self._record(f"r{i}", {f: row.get(f"{f}_r") for f in fields})
            scored = self.linker.inference.score_pair(left, right).as_pandas_dataframe()
            rows.append(scored[["match_probability", "match_weight"]].iloc[0].to_dict())
        return pd.DataFrame(rows, columns=["match_probability", "match_weight"], dtype=float)


def _signature() -> Any:
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, DataType, Schema
    from mlflow.types.schema import Array

    inputs: list[Any] = [
        ColSpec("string", f"{f}_{side}", required=False) for side in "lr" for f in FIELDS
    ]
    inputs += [
        ColSpec(Array(DataType.string), f"{f}_{side}", required=False)
        for side in "lr"
        for f in LIST_FIELDS
    ]
    outputs: list[Any] = [ColSpec("double", "match_probability"), ColSpec("double", "match_weight")]
    return ModelSignature(inputs=Schema(inputs), outputs=Schema(outputs))


def log_match_model(settings_file: Path, rows: pd.DataFrame, workdir: Path) -> Any:
    """Log the trained model as a pyfunc under the active MLflow run; returns its info.
    ``rows``: the features it was trained on (for the term frequencies)."""
    tf_file = workdir / "term_frequencies.json"
    tf_file.write_text(json.dumps(term_frequencies(rows), sort_keys=True), encoding="utf-8")
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
