"""MLflow: a parent run per pipeline run, a child run per stage, and the match model
registered as ``hotpass-entity-resolution``; logged in the caller's thread or a background one."""

from __future__ import annotations

import datetime as dt
import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .runs import seconds

if TYPE_CHECKING:
    from .settings import Settings

EXPERIMENT = "hotpass"
HEADLINE_METRICS = (
    "rows_read",
    "rows_accepted",
    "rows_quarantined",
    "rows_skipped_empty",
    "organisations_out",
    "contacts_out",
    "review_pairs",
    "field_conflicts",
    "checks_run",
    "checks_failed",
    "blocking_failures",
    "warnings",
    "mean_quality_score",
    "precision",
    "recall",
    "f1",
)
"""Stage metrics also logged on the pipeline's parent run: the run's story in numbers."""
MODEL_NAME = "hotpass-entity-resolution"


def _ms(stamp: str) -> int:
    return int(dt.datetime.fromisoformat(stamp).timestamp() * 1000)


def log_stage(
    settings: Settings, run_id: str, stage: str, record: dict[str, Any], html_path: Path
) -> None:
    """One parent run per pipeline run (params, headline metrics, manifest, provenance and
    runs index as artifacts, start and end of the whole run) and one child run per stage
    (its params, metrics and page, its true start and end times; the refine stage also logs
    and registers the match model)."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    mlflow.set_tracking_uri(settings.tracking_uri)
    client = MlflowClient()
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:  # artefacts beside the store
        location = (settings.runs_dir / "mlartifacts").as_uri()
        mlflow.create_experiment(EXPERIMENT, artifact_location=location)
    experiment: Any = mlflow.get_experiment_by_name(EXPERIMENT)  # created just above
    experiment_id = experiment.experiment_id
    run_dir = settings.runs_dir / run_id
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    found = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`hotpass.run_id` = '{run_id}' and tags.`hotpass.kind` = 'pipeline'",
    )
    params = [Param(k, v[:6000]) for k, v in sorted(flat(settings.params).items())]
    if found:
        parent_id = found[0].info.run_id
    else:
        tags = {"hotpass.run_id": run_id, "hotpass.kind": "pipeline"}
        parent_id = client.create_run(
            experiment_id,
            start_time=_ms(manifest["started_at"]),
            tags={**tags, "hotpass.profile": settings.profile},
            run_name=run_id,
        ).info.run_id
        client.log_batch(parent_id, params=params)
    status = "FINISHED" if record["status"] == "completed" else "FAILED"
    child_tags = {
        "mlflow.parentRunId": parent_id,
        "hotpass.run_id": run_id,
        "hotpass.kind": "stage",
        "hotpass.stage": stage,
        "hotpass.status": record["status"],
    }
    child = client.create_run(
        experiment_id, start_time=_ms(record["started_at"]), tags=child_tags, run_name=stage
    ).info.run_id
    stamp = _ms(record["finished_at"])
    metrics = {k: float(v) for k, v in record["metrics"].items()}
    metrics["duration_s"] = record["duration_s"]
    client.log_batch(
        child,
        metrics=[Metric(k, v, stamp, 0) for k, v in sorted(metrics.items())],
        params=params,
    )
    client.log_artifact(child, str(html_path))
    model = settings.interim_dir / "refine" / "match_model.json"
    if stage == "refine" and record["status"] == "completed" and model.is_file():
        with mlflow.start_run(run_id=child):
            rows = settings.interim_dir / "ingest" / "organisations.parquet"
            register_match_model(model, metrics.get("f1"), rows)
    client.set_terminated(child, status, end_time=stamp)

    headline: dict[str, float] = {}
    for done in manifest.get("stages", {}).values():
        headline.update({k: float(v) for k, v in done.get("metrics", {}).items()})
    headline = {k: v for k, v in headline.items() if k in HEADLINE_METRICS}
    headline["duration_s"] = seconds(manifest["started_at"], manifest["finished_at"])
    client.log_batch(parent_id, metrics=[Metric(k, v, stamp, 0) for k, v in headline.items()])
    for name in ("manifest.json", "provenance.json"):
        if (run_dir / name).is_file():
            client.log_artifact(parent_id, str(run_dir / name))
    if (settings.runs_dir / "index.html").is_file():
        client.log_artifact(parent_id, str(settings.runs_dir / "index.html"))
    overall = "FINISHED" if manifest.get("status") == "completed" else "FAILED"
    client.set_terminated(parent_id, overall, end_time=_ms(manifest["finished_at"]))


def register_match_model(path: Path, f1: float | None, rows: Path | None = None) -> None:
    """Log the trained match model under the active run as an MLflow pyfunc model (see
    :mod:`hotpass_lib.match_model`) and register it as a new version of
    ``hotpass-entity-resolution``; it becomes ``champion`` unless its F1 (on data with
    ground truth) is worse than the current champion's. ``rows``: the organisation rows it
    was trained on (Parquet), for the name key term frequencies."""
    import tempfile

    import mlflow
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from .match_model import log_match_model
    from .resolve import tidy_key

    trained = pd.DataFrame()
    if rows:
        found = pd.read_parquet(rows)
        trained = pd.DataFrame(
            {"name_key": found["name_key"], "city": tidy_key(found.get("city", pd.Series()))}
        )
    with tempfile.TemporaryDirectory() as tmp:
        info = log_match_model(path, trained, Path(tmp))
    client = MlflowClient()
    try:
        client.get_registered_model(MODEL_NAME)
    except MlflowException:
        client.create_registered_model(MODEL_NAME, description="Splink match model of Hotpass")
    run: Any = mlflow.active_run()  # inside the stage's run: never None
    tags = {"f1": str(f1)} if f1 is not None else {}
    version = client.create_model_version(
        MODEL_NAME, info.model_uri, run_id=run.info.run_id, tags=tags, await_creation_for=0
    )
    try:
        champion = client.get_model_version_by_alias(MODEL_NAME, "champion")
        best = float(champion.tags.get("f1", "nan"))
    except MlflowException:
        best = None
    if best is None or best != best or (f1 is not None and f1 >= best):
        client.set_registered_model_alias(MODEL_NAME, "champion", version.version)


def flat(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


class _Tracking:
    """MLflow logging, in the caller's thread or (for ``hotpass run``) a background one."""

    def __init__(self) -> None:
        self.executor: ThreadPoolExecutor | None = None
        self.pending: list[Future[Any]] = []

    def log(self, *args: Any) -> None:
        if self.executor is None:
            log_stage(*args)
        else:
            self.pending.append(self.executor.submit(log_stage, *args))


_tracking = _Tracking()


def log(
    settings: Settings, run_id: str, stage: str, record: dict[str, Any], html_path: Path
) -> None:
    """Log a stage to MLflow (:func:`log_stage`): now, or in the background after
    :func:`track_in_background`."""
    _tracking.log(settings, run_id, stage, record, html_path)


def track_in_background() -> None:
    """From now on log to MLflow from a background thread (importing MLflow there at once),
    so the next stage need not wait; call :func:`finish_tracking` before the process ends."""
    if _tracking.executor is None:
        _tracking.executor = ThreadPoolExecutor(1, thread_name_prefix="hotpass-tracking")
        _tracking.pending.append(_tracking.executor.submit(__import__, "mlflow"))


def finish_tracking() -> None:
    """Wait for background MLflow logging, back to logging in the caller's thread; raise
    the first error it met."""
    executor, pending = _tracking.executor, _tracking.pending
    _tracking.executor, _tracking.pending = None, []
    if executor is not None:
        executor.shutdown(wait=True)
    for future in pending:
        future.result()
