"""The stage runner: the one place where papermill, nbconvert, scrapbook, MLflow and
OpenLineage are wired together.

A stage is a notebook in ``notebooks/``. Running it: emit an OpenLineage START event,
execute the notebook with papermill (explicit kernel, cell timeout) into
``runs/<run id>/``, render it to HTML (personal data masked), collect its scrapbook scraps,
log params/metrics/HTML to MLflow (a parent run per pipeline run, a child per stage),
emit COMPLETE or FAIL, and update ``runs/<run id>/manifest.json``. A failed notebook is
still rendered, so the evidence shows where it stopped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import re
import secrets
import subprocess
import threading
import traceback
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .atomic import write_text
from .evidence import evidence_hashes, provenance_statement, sha256, write_runs_index
from .profile import PROFILES_DIR
from .sbom import run_references

if TYPE_CHECKING:
    from .kernels import WarmKernel

PROJECT_DIR = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = PROJECT_DIR / "notebooks"
STAGES: dict[str, str] = {
    "ingest": "01_ingest.ipynb",
    "validate": "02_validate.ipynb",
    "refine": "03_refine.ipynb",
    "publish": "04_publish.ipynb",
}
OFFLINE_ENV = {
    "GX_ANALYTICS_ENABLED": "false",
    "DVC_NO_ANALYTICS": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    # GX and pandera import pyspark when installed; it warns about pandas 3 on import.
    "PYTHONWARNINGS": "ignore:PySpark does not yet fully support pandas:FutureWarning",
}
"""Set for the runner and every kernel: no telemetry, no spurious warnings in evidence."""
PRODUCER = "https://hotpass.invalid/hotpass_lib"
NAMESPACE = "hotpass"
EXPERIMENT = "hotpass"
TRACKED_PACKAGES = (
    "hotpass",
    "pandas",
    "pyarrow",
    "pandera",
    "great-expectations",
    "mlflow",
    "papermill",
    "nbconvert",
    "scrapbook",
    "openlineage-python",
    "dvc",
    "python-calamine",
    "openpyxl",
    "phonenumbers",
    "email-validator",
    "rapidfuzz",
    "xlsxwriter",
)


class StageFailed(RuntimeError):
    """A stage notebook raised; its partial notebook and HTML are in the run folder."""


@dataclass(frozen=True)
class Settings:
    """Pipeline parameters (``params/pipeline.yaml``) resolved against a workspace root."""

    root: Path
    profile: str
    input_dir: Path
    interim_dir: Path
    refined_dir: Path
    runs_dir: Path
    metrics_dir: Path
    plots_dir: Path
    mask_pii: bool
    kernel: str
    cell_timeout_s: int
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(
        cls, root: Path | str = ".", params_file: Path | str | None = None, **overrides: Any
    ) -> Settings:
        """Read the params file (default ``<root>/params/pipeline.yaml``, else the project's)."""
        root = Path(root).resolve()
        path = Path(params_file) if params_file else root / "params" / "pipeline.yaml"
        if not path.is_file():
            path = PROJECT_DIR / "params" / "pipeline.yaml"
        params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in overrides.items():
            if isinstance(value, dict):  # a nested override changes only the keys it names
                params[key] = {**(params.get(key) or {}), **value}
            elif value is not None:
                params[key] = value

        def where(key: str) -> Path:
            return (root / params[key]).resolve()

        runner = params.get("runner", {})
        from .resolve import load_engine

        load_engine(params.get("resolve"))  # a bad backend fails here, before any stage runs
        return cls(
            root=root,
            profile=_profile_ref(root, str(params["profile"])),
            input_dir=where("input_dir"),
            interim_dir=where("interim_dir"),
            refined_dir=where("refined_dir"),
            runs_dir=where("runs_dir"),
            metrics_dir=where("metrics_dir"),
            plots_dir=where("plots_dir"),
            mask_pii=bool(params.get("evidence", {}).get("mask_pii", True)),
            kernel=str(runner.get("kernel", "hotpass")),
            cell_timeout_s=int(runner.get("cell_timeout_s", 600)),
            params=params,
        )

    @property
    def tracking_uri(self) -> str:
        """MLflow's SQLite store under ``runs/`` (absolute, as MLflow 3 requires)."""
        return f"sqlite:///{self.runs_dir / 'mlflow.db'}"

    def stage_io(self, stage: str) -> tuple[list[Path], list[Path]]:
        """The folders a stage reads and writes."""
        ingest, validate, refine = (self.interim_dir / s for s in ("ingest", "validate", "refine"))
        return {
            "ingest": ([self.input_dir], [ingest]),
            "validate": ([ingest], [validate]),
            "refine": ([ingest, validate], [refine]),
            "publish": ([ingest, refine], [self.refined_dir, self.plots_dir]),
        }[stage]

    def notebook_parameters(self, run_dir: Path) -> dict[str, Any]:
        """Every parameter a stage notebook may declare; each takes those it declares."""
        return {
            "profile": self.profile,
            "input_dir": str(self.input_dir),
            "interim_dir": str(self.interim_dir),
            "refined_dir": str(self.refined_dir),
            "run_dir": str(run_dir),
            "plots_dir": str(self.plots_dir),
            "decisions_file": str(self.root / "params" / "review_decisions.yaml"),
            "mask_pii": self.mask_pii,
            "resolve": dict(self.params.get("resolve") or {}),
        }


def _profile_ref(root: Path, name: str) -> str:
    """A workspace's own profile (``params/profiles/<name>.yaml``) wins over a bundled one."""
    own = root / "params" / "profiles" / f"{name}.yaml"
    return str(own) if own.is_file() and own.parent.resolve() != PROFILES_DIR else name


# --- run ids ----------------------------------------------------------------------------


def new_run_id() -> str:
    """``20261127T153000Z-1a2b3c``: sortable by time, unique."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def _dvc_ancestor() -> str | None:
    """``pid:start`` of the ``dvc`` process this stage runs under, if any (Linux /proc)."""
    pid = os.getppid()
    for _ in range(6):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        if re.search(r"(^|/|\s)dvc(\s|$)", cmd):
            return f"{pid}:{stat[19]}"
        pid = int(stat[1])
    return None


def current_run_id(settings: Settings) -> str:
    """The run this stage belongs to: ``HOTPASS_RUN_ID`` if set; otherwise all stages run by
    one ``dvc repro`` share a run; otherwise a new run."""
    if os.environ.get("HOTPASS_RUN_ID"):
        return os.environ["HOTPASS_RUN_ID"]
    owner = _dvc_ancestor()
    active = settings.runs_dir / ".active.json"
    if owner and active.is_file():
        state = json.loads(active.read_text())
        if state.get("owner") == owner:
            return state["run_id"]
    run_id = new_run_id()
    if owner:
        write_text(active, json.dumps({"owner": owner, "run_id": run_id}))
    return run_id


# --- evidence helpers -------------------------------------------------------------------

EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
PHONE_RE = re.compile(r"(?<![\w.])(\+?\d[\d \u00a0-]{6,14})(\d{2})(?![\w.])")


def mask_pii(text: str) -> str:
    """``jane.doe@x.co.za`` -> ``j***@x.co.za``; ``+27823723529`` -> ``+*********29``."""
    text = EMAIL_RE.sub(r"\1***@\2", text)
    return PHONE_RE.sub(lambda m: re.sub(r"\d", "*", m.group(1)) + m.group(2), text)


def _mask_notebook(nb: Any) -> None:
    """Mask e-mails and phones in every cell output of an in-memory notebook."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = mask_pii(out["text"])
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") or mime == "application/json":
                    out["data"][mime] = mask_pii(value) if isinstance(value, str) else value
            if "traceback" in out:
                out["traceback"] = [mask_pii(t) for t in out["traceback"]]
            if "evalue" in out:
                out["evalue"] = mask_pii(out["evalue"])


def render_html(notebook: Path, target: Path, mask: bool) -> None:
    """Render an executed notebook to HTML (outputs masked unless ``mask`` is off)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    if mask:
        _mask_notebook(nb)
    with warnings.catch_warnings():  # scrapbook's scrap mimetype has no HTML form: fine
        warnings.simplefilter("ignore", UserWarning)
        body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    write_text(target, body)


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            )
        elif p.is_file():
            out.append(p)
    return out


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def _versions() -> dict[str, str]:
    found = {}
    for name in TRACKED_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


# --- OpenLineage ------------------------------------------------------------------------


def _lineage_client(run_dir: Path, url: str | None = None) -> Any:
    """File transport into the run folder, or HTTP when ``OPENLINEAGE_URL`` (or the params'
    ``lineage.url``) is set."""
    from openlineage.client import OpenLineageClient
    from openlineage.client.transport.file import FileConfig, FileTransport

    url = os.environ.get("OPENLINEAGE_URL") or url
    if url:
        from openlineage.client.transport.http import HttpConfig, HttpTransport

        return OpenLineageClient(transport=HttpTransport(HttpConfig(url=url)))
    config = FileConfig(log_file_path=str(run_dir / "lineage.jsonl"), append=True)
    return OpenLineageClient(transport=FileTransport(config))


def _datasets(
    paths: list[Path],
    root: Path,
    output: bool,
    quality: dict[str, list[dict[str, Any]]] | None = None,
) -> list[Any]:
    """One OpenLineage dataset per file, with schema facet and row count for Parquet, and
    the stage's validation results as a data-quality facet on the inputs it validated."""
    import pyarrow.parquet as pq
    from openlineage.client.event_v2 import InputDataset, OutputDataset
    from openlineage.client.generated import data_quality_assertions_dataset as dq
    from openlineage.client.generated import output_statistics_output_dataset as stats
    from openlineage.client.generated import schema_dataset as schema

    out: list[Any] = []
    for f in _files(paths):
        facets: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        if f.suffix == ".parquet":
            meta = pq.read_schema(f)
            facets["schema"] = schema.SchemaDatasetFacet(
                fields=[
                    schema.SchemaDatasetFacetFields(name=n, type=str(t))
                    for n, t in zip(meta.names, meta.types, strict=True)
                ]
            )
            if output:
                rows = pq.read_metadata(f).num_rows
                extra["outputStatistics"] = stats.OutputStatisticsOutputDatasetFacet(
                    rowCount=rows, size=f.stat().st_size
                )
        name = _rel(f, root)
        if output:
            out.append(
                OutputDataset(
                    namespace=f"file://{root}", name=name, facets=facets, outputFacets=extra
                )
            )
        else:
            checks = (quality or {}).get(str(f.resolve()))
            if checks:
                extra["dataQualityAssertions"] = dq.DataQualityAssertionsDatasetFacet(
                    assertions=[dq.Assertion(**c) for c in checks]
                )
            out.append(
                InputDataset(
                    namespace=f"file://{root}", name=name, facets=facets, inputFacets=extra
                )
            )
    return out


def _emit(
    client: Any,
    state: str,
    stage: str,
    run_id: str,
    when: str,
    inputs: list,
    outputs: list,
    error: str | None = None,
) -> None:
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.generated import error_message_run, parent_run

    facets: dict[str, Any] = {
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=str(uuid.uuid5(uuid.NAMESPACE_URL, run_id))),
            job=parent_run.Job(namespace=NAMESPACE, name="hotpass.pipeline"),
        )
    }
    if error:
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error[:2000], programmingLanguage="python"
        )
    event = RunEvent(
        eventType=getattr(RunState, state),
        eventTime=when,
        producer=PRODUCER,
        run=Run(runId=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run_id}/{stage}")), facets=facets),
        job=Job(namespace=NAMESPACE, name=f"hotpass.{stage}"),
        inputs=inputs,
        outputs=outputs,
    )
    client.emit(event)


# --- MLflow -----------------------------------------------------------------------------


def _log_mlflow(
    settings: Settings, run_id: str, stage: str, record: dict[str, Any], html_path: Path
) -> None:
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    mlflow.set_tracking_uri(settings.tracking_uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:  # artefacts beside the store
        location = (settings.runs_dir / "mlartifacts").as_uri()
        mlflow.create_experiment(EXPERIMENT, artifact_location=location)
    experiment = mlflow.set_experiment(EXPERIMENT)
    found = mlflow.search_runs(
        experiment_ids=[experiment.experiment_id],
        output_format="list",
        filter_string=f"tags.`hotpass.run_id` = '{run_id}' and tags.`hotpass.kind` = 'pipeline'",
    )
    parent_kwargs = {"run_id": found[0].info.run_id} if found else {"run_name": run_id}
    status = "FINISHED" if record["status"] == "completed" else "FAILED"
    with mlflow.start_run(**parent_kwargs) as parent:
        mlflow.set_tags(
            {
                "hotpass.run_id": run_id,
                "hotpass.kind": "pipeline",
                "hotpass.profile": settings.profile,
            }
        )
        if not found:
            mlflow.log_params(_flat(settings.params))
        with mlflow.start_run(run_name=stage, nested=True, parent_run_id=parent.info.run_id):
            mlflow.set_tags(
                {
                    "hotpass.run_id": run_id,
                    "hotpass.kind": "stage",
                    "hotpass.stage": stage,
                    "hotpass.status": record["status"],
                }
            )
            mlflow.log_params(_flat(settings.params))
            metrics = {k: float(v) for k, v in record["metrics"].items()}
            metrics["duration_s"] = record["duration_s"]
            mlflow.log_metrics(metrics)
            mlflow.log_artifact(str(html_path))
            model = settings.interim_dir / "refine" / "match_model.json"
            if stage == "refine" and record["status"] == "completed" and model.is_file():
                _register_match_model(model, metrics.get("f1"))
            mlflow.end_run(status=status)
        mlflow.end_run(status=status)


MODEL_NAME = "hotpass-entity-resolution"


def _register_match_model(path: Path, f1: float | None) -> None:
    """Log the trained match model under the active run and register it as a new version
    of ``hotpass-entity-resolution``; it becomes ``champion`` unless its F1 (on data with
    ground truth) is worse than the current champion's."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    mlflow.log_artifact(str(path), artifact_path="match_model")
    client = MlflowClient()
    try:
        client.get_registered_model(MODEL_NAME)
    except MlflowException:
        client.create_registered_model(MODEL_NAME, description="Splink match model of Hotpass")
    run: Any = mlflow.active_run()  # called inside the stage's active run: never None
    tags = {"f1": str(f1)} if f1 is not None else {}
    version = client.create_model_version(
        MODEL_NAME, f"{run.info.artifact_uri}/match_model", run_id=run.info.run_id, tags=tags
    )
    try:
        champion = client.get_model_version_by_alias(MODEL_NAME, "champion")
        best = float(champion.tags.get("f1", "nan"))
    except MlflowException:
        best = None
    if best is None or best != best or (f1 is not None and f1 >= best):
        client.set_registered_model_alias(MODEL_NAME, "champion", version.version)


def _flat(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


# --- manifest ---------------------------------------------------------------------------


def _update_manifest(settings: Settings, run_id: str, stage: str, record: dict[str, Any]) -> Path:
    run_dir = settings.runs_dir / run_id
    path = run_dir / "manifest.json"
    manifest = (
        json.loads(path.read_text())
        if path.is_file()
        else {
            "run_id": run_id,
            "started_at": record["started_at"],
            "profile": settings.profile,
            "params": settings.params,
            "git_commit": _git_commit(settings.root),
            "workspace": str(settings.root),
            "python": platform.python_version(),
            "packages": _versions(),
            "stages": {},
            "files": {},
            "row_accounting": [],
            "mask_pii": settings.mask_pii,
            **run_references(settings.root),  # SBOM digest, git URI (hotpass_lib.sbom)
        }
    )
    manifest["stages"][stage] = record
    manifest["finished_at"] = record["finished_at"]
    manifest["status"] = (
        "failed"
        if any(s["status"] != "completed" for s in manifest["stages"].values())
        else "completed"
    )
    inputs, outputs = settings.stage_io(stage)
    for role, paths in (("input", inputs), ("output", outputs)):
        for f in _files(paths):
            manifest["files"][_rel(f, settings.root)] = {
                "role": role,
                "stage": stage,
                "sha256": sha256(f),
            }
    if "row_accounting" in record.get("scraps", {}):
        manifest["row_accounting"] = record["scraps"]["row_accounting"]
    manifest["evidence"] = evidence_hashes(run_dir)
    write_text(run_dir / "provenance.json", json.dumps(provenance_statement(manifest), indent=2))
    write_text(path, json.dumps(manifest, indent=2, default=str))
    write_runs_index(settings.runs_dir)
    return path


# --- running ----------------------------------------------------------------------------


def _seconds(start: str, end: str) -> float:
    return round(
        (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds(), 3
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


Progress = Callable[[str, int, int], None]
"""Called with (stage, cells done, cells in all) while a notebook runs."""


class _CellWatcher(threading.Thread):
    """Reports cell progress by reading the executed notebook papermill saves per cell."""

    def __init__(self, stage: str, path: Path, total: int, report: Progress) -> None:
        super().__init__(daemon=True)
        self.stage, self.path, self.total, self.report = stage, path, total, report
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.3):
            try:
                cells = json.loads(self.path.read_text(encoding="utf-8"))["cells"]
            except (OSError, ValueError, KeyError):
                continue
            finished = sum(
                c.get("metadata", {}).get("papermill", {}).get("status") == "completed"
                for c in cells
            )
            self.report(self.stage, finished, self.total)


def _failure(exc: Exception) -> str:
    """One line for a failed notebook: the cell's exception, not papermill's wrapper."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    return f"{ename}: {evalue}" if ename else f"{type(exc).__name__}: {exc}"


def offline_env() -> dict[str, str]:
    """This process's environment with :data:`OFFLINE_ENV` applied; a warnings filter the
    user set is kept, ours added after it."""
    env = {**os.environ, **OFFLINE_ENV}
    own, ours = os.environ.get("PYTHONWARNINGS"), OFFLINE_ENV["PYTHONWARNINGS"]
    if own:
        env["PYTHONWARNINGS"] = own if ours in own else f"{own},{ours}"
    return env


def warm_kernel(stage: str, settings: Settings) -> WarmKernel | None:
    """Start ``stage``'s kernel now and import its libraries in the background."""
    from .kernels import LAZY_IMPORTS, WarmKernel

    os.environ.update(offline_env())  # kernels started from here inherit it
    try:
        return WarmKernel(
            settings.kernel, NOTEBOOKS_DIR / STAGES[stage], LAZY_IMPORTS.get(stage, ())
        )
    except Exception as exc:  # papermill then starts a kernel itself, and reports why not
        logging.getLogger(__name__).debug("no warm kernel for %s: %s", stage, exc)
        return None


class _Tracking:
    """MLflow logging, in the caller's thread or (for ``hotpass run``) a background one."""

    def __init__(self) -> None:
        self.executor: ThreadPoolExecutor | None = None
        self.pending: list[Future[Any]] = []

    def log(self, *args: Any) -> None:
        if self.executor is None:
            _log_mlflow(*args)
        else:
            self.pending.append(self.executor.submit(_log_mlflow, *args))


_tracking = _Tracking()


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


def run_stage(
    stage: str,
    settings: Settings,
    run_id: str | None = None,
    progress: Progress | None = None,
    kernel: WarmKernel | None = None,
) -> dict[str, Any]:
    """Execute one stage notebook into ``runs/<run id>/`` and record its evidence.

    Returns the stage's manifest record; raises :class:`StageFailed` if the notebook failed
    (after rendering its partial HTML and recording the failure everywhere). ``progress``,
    if given, is called as cells complete; ``kernel``, if given, runs the notebook (see
    :func:`warm_kernel`) and is shut down afterwards.
    """
    import papermill

    from .scraps import read_scraps

    os.environ.update(offline_env())  # kernels started from here inherit it
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {list(STAGES)}")
    run_id = run_id or current_run_id(settings)
    run_dir = settings.runs_dir / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    source = NOTEBOOKS_DIR / STAGES[stage]
    executed = run_dir / STAGES[stage]
    html_path = executed.with_suffix(".html")
    inputs, outputs = settings.stage_io(stage)
    client = _lineage_client(run_dir, (settings.params.get("lineage") or {}).get("url"))
    started = _now()
    _emit(client, "START", stage, run_id, started, _datasets(inputs, settings.root, False), [])

    kernel = kernel or warm_kernel(stage, settings)
    declared = papermill.inspect_notebook(str(source))
    parameters = {k: v for k, v in settings.notebook_parameters(run_dir).items() if k in declared}
    error = None
    watcher = None
    if progress:
        total = len(json.loads(source.read_text(encoding="utf-8"))["cells"]) + 1  # + injected
        watcher = _CellWatcher(stage, executed, total, progress)
        watcher.start()
    try:
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=parameters,
            kernel_name=settings.kernel,
            cwd=str(NOTEBOOKS_DIR),
            progress_bar=False,
            request_save_on_cell_execute=progress is not None,
            execution_timeout=settings.cell_timeout_s,
            start_timeout=120,
            km=kernel.take() if kernel else None,
        )
    except Exception as exc:  # papermill raises PapermillExecutionError on a failing cell
        error = _failure(exc)
        trace = traceback.format_exc()
    except KeyboardInterrupt:
        stopped = _now()
        _emit(client, "ABORT", stage, run_id, stopped, [], [])
        record: dict[str, Any] = {
            "status": "interrupted",
            "started_at": started,
            "finished_at": stopped,
            "duration_s": _seconds(started, stopped),
            "notebook": _rel(executed, settings.root),
            "html": _rel(html_path, settings.root),
            "parameters": parameters,
            "metrics": {},
            "scraps": {},
            "error": "interrupted",
        }
        _update_manifest(settings, run_id, stage, record)
        raise
    finally:
        if kernel:
            kernel.shutdown()
        if watcher:
            watcher.done.set()
            watcher.join()
    finished = _now()
    if executed.is_file():
        render_html(executed, html_path, settings.mask_pii)
    scraps = read_scraps(executed) if executed.is_file() else {}
    metrics = {
        k: v for k, v in scraps.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
    }

    record = {
        "status": "failed" if error else "completed",
        "started_at": started,
        "finished_at": finished,
        "duration_s": _seconds(started, finished),
        "notebook": _rel(executed, settings.root),
        "html": _rel(html_path, settings.root),
        "parameters": parameters,
        "metrics": metrics,
        "scraps": {k: v for k, v in scraps.items() if k not in metrics},
        "error": error,
    }
    _tracking.log(settings, run_id, stage, record, html_path)
    if error:
        _emit(client, "FAIL", stage, run_id, finished, [], [], mask_pii(trace))
        _update_manifest(settings, run_id, stage, record)
        raise StageFailed(
            f"stage {stage!r} failed: {mask_pii(error)}\nSee {html_path} for where it stopped."
        )
    quality = record["scraps"].get("data_quality")
    _emit(
        client,
        "COMPLETE",
        stage,
        run_id,
        finished,
        _datasets(inputs, settings.root, False, quality),
        _datasets(outputs, settings.root, True),
    )
    settings.metrics_dir.mkdir(parents=True, exist_ok=True)
    write_text(
        settings.metrics_dir / f"{stage}.json", json.dumps(metrics, indent=2, sort_keys=True)
    )
    _update_manifest(settings, run_id, stage, record)
    return record
