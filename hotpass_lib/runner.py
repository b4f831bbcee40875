"""The stage runner: the one place where papermill, nbconvert, scrapbook, MLflow and
OpenLineage are wired together.

A stage is a notebook declared in :mod:`hotpass_lib.stages`. Running it: emit an
OpenLineage START event (:mod:`~hotpass_lib.lineage`), execute the notebook with papermill
(explicit kernel, cell timeout) into ``runs/<run id>/``, render it to HTML, personal data
masked, collect its scrapbook scraps, update ``runs/<run id>/manifest.json``
(:mod:`~hotpass_lib.record`), log to MLflow (:mod:`~hotpass_lib.tracking`: a parent run
per pipeline run, a child per stage), emit COMPLETE or FAIL. A failed notebook is still
rendered, so the evidence shows where it stopped. Settings are in
:mod:`~hotpass_lib.settings`, run ids in :mod:`~hotpass_lib.runs`.
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import lineage, telemetry, tracking
from .atomic import write_text
from .deferred import defer_iri_grammars
from .errors import HotpassError
from .evidence import relative
from .privacy import mask_text
from .record import mask_executed, render_html, reseal, update_manifest
from .resources import CHECKOUT, notebooks_dir
from .runs import current_run_id, new_run_id, now, seconds
from .settings import Settings
from .stages import BY_NAME, NAMES
from .tracking import finish_tracking, track_in_background

if TYPE_CHECKING:
    from .kernels import KernelZygote, WarmKernel

__all__ = [
    "OFFLINE_ENV",
    "STAGES",
    "Settings",
    "StageFailed",
    "current_run_id",
    "finish_background",
    "finish_tracking",
    "new_run_id",
    "offline_env",
    "run_stage",
    "track_in_background",
    "warm_kernel",
]

defer_iri_grammars()  # before papermill and nbconvert import jsonschema (see hotpass_lib.deferred)

PROJECT_DIR = CHECKOUT
"""The source checkout (tests and the benchmark run from it)."""
NOTEBOOKS_DIR = notebooks_dir()
STAGES: dict[str, str] = {name: BY_NAME[name].notebook for name in NAMES}
"""Each stage's notebook, in pipeline order (from :mod:`hotpass_lib.stages`)."""
OFFLINE_ENV = {
    "GX_ANALYTICS_ENABLED": "false",
    "DVC_NO_ANALYTICS": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    # GX and pandera import pyspark when installed; it warns about pandas 3 on import.
    "PYTHONWARNINGS": "ignore:PySpark does not yet fully support pandas:FutureWarning",
}
"""Set for the runner and every kernel: no telemetry, no spurious warnings in evidence."""


class StageFailed(HotpassError, RuntimeError):
    """A stage notebook raised; its partial notebook and HTML are in the run folder."""


mask_pii = mask_text
"""Mask e-mails and phones in a text (see :mod:`hotpass_lib.privacy`)."""


Progress = Callable[[str, int, int], None]
"""Called with (stage, cells done, cells in all) while a notebook runs."""


ENGINE = "hotpass"
"""The papermill engine stages run on (:func:`_register_engine`)."""


def _register_engine() -> None:
    """Register papermill's nbclient engine as :data:`ENGINE`, writing the executed notebook
    once, when it ends, instead of after every cell (two full writes and schema validations
    per cell: about a second of the runner's CPU per run). A notebook whose kernel dies or
    times out, which papermill would then not write at all, is written as far as it got, so
    the evidence still shows where it stopped."""
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.iorw import write_ipynb

    class EvidenceEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
            target = kwargs.pop("evidence_path")
            try:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            except BaseException:
                write_ipynb(nb_man.nb, target)
                raise

    papermill_engines.register(ENGINE, EvidenceEngine)


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


def start_zygote(stages: list[str], settings: Settings) -> KernelZygote | None:
    """A kernel zygote importing the libraries of ``stages`` (see :mod:`hotpass_lib.kernels`),
    if kernels can be forked here; ``None`` otherwise (each kernel then starts on its own)."""
    from .kernels import LAZY_IMPORTS, KernelZygote, forking_possible

    if len(stages) < 2 or not forking_possible():
        return None
    os.environ.update(offline_env())  # the zygote, and so every kernel, inherits it
    notebooks = {stage: notebooks_dir() / STAGES[stage] for stage in stages}
    try:
        return KernelZygote(settings.kernel, notebooks, LAZY_IMPORTS)
    except Exception as exc:
        logging.getLogger(__name__).debug("no kernel zygote: %s", exc)
        return None


def wait_for_kernels() -> None:
    """Return when the kernels being stopped in the background have stopped."""
    from .kernels import wait_for_shutdowns

    wait_for_shutdowns()


def finish_background() -> None:
    """Wait for what runs in the background (kernels being stopped, MLflow logging); call
    before the process ends. Raises the first error of the MLflow logging."""
    try:
        wait_for_kernels()
    finally:
        finish_tracking()


def warm_kernel(
    stage: str, settings: Settings, zygote: KernelZygote | None = None
) -> WarmKernel | None:
    """Start ``stage``'s kernel now (forked from ``zygote`` if given) and import its
    libraries in the background."""
    from .kernels import LAZY_IMPORTS, WarmKernel

    os.environ.update(offline_env())  # kernels started from here inherit it
    try:
        return WarmKernel(
            settings.kernel,
            notebooks_dir() / STAGES[stage],
            LAZY_IMPORTS.get(stage, ()),
            zygote=zygote,
            stage=stage,
        )
    except Exception as exc:  # papermill then starts a kernel itself, and reports why not
        logging.getLogger(__name__).debug("no warm kernel for %s: %s", stage, exc)
        return None


def _papermill(
    stage: str,
    source: Path,
    executed: Path,
    parameters: dict[str, Any],
    settings: Settings,
    progress: Progress | None,
    kernel: WarmKernel | None,
) -> tuple[str | None, str]:
    """Run the notebook with papermill; (the failing cell's error, its traceback) or
    (``None``, ""). The kernel is shut down afterwards, in the background."""
    import papermill

    hooks: dict[str, Any] = {}
    if progress:  # nbclient calls this as each cell starts: the cells before it are done
        total = len(json.loads(source.read_text(encoding="utf-8"))["cells"]) + 1  # + injected
        hooks["on_cell_start"] = lambda cell, cell_index: progress(stage, cell_index, total)
    try:
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=parameters,
            engine_name=ENGINE,
            request_save_on_cell_execute=False,  # written when it ends (see _register_engine)
            evidence_path=str(executed),
            kernel_name=settings.kernel,
            cwd=str(source.parent),
            progress_bar=False,
            execution_timeout=settings.cell_timeout_s,
            start_timeout=120,
            km=kernel.take() if kernel else None,
            **hooks,
        )
    except Exception as exc:  # papermill raises PapermillExecutionError on a failing cell
        return _failure(exc), traceback.format_exc()
    finally:
        if kernel:  # stopped while the evidence is recorded (see finish_background)
            kernel.shutdown(wait=False)
    return None, ""


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
    :func:`warm_kernel`) and is shut down afterwards. With telemetry on, the stage is a span
    of the run's trace (:mod:`~hotpass_lib.telemetry`).
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {list(STAGES)}")
    run_id = run_id or current_run_id(settings)
    run_dir = settings.runs_dir / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    attributes = {"hotpass.run_id": run_id, "hotpass.stage": stage}
    try:
        with telemetry.span(
            f"hotpass.stage.{stage}",
            attributes,
            run_id=run_id,
            run_dir=run_dir,
            configured=settings.config.telemetry.exporter,
        ) as current:
            record = _stage(stage, settings, run_id, run_dir, progress, kernel)
            if current is not None:
                current.set_attributes({f"hotpass.{k}": v for k, v in record["metrics"].items()})
    finally:
        if (run_dir / telemetry.TRACE_FILE).is_file():
            reseal(settings, run_id)  # the stage's spans are in the trace file now
    return record


def _stage(
    stage: str,
    settings: Settings,
    run_id: str,
    run_dir: Path,
    progress: Progress | None,
    kernel: WarmKernel | None,
) -> dict[str, Any]:
    import papermill

    from .scraps import read_scraps

    _register_engine()

    os.environ.update(offline_env())  # kernels started from here inherit it
    source = notebooks_dir() / STAGES[stage]
    executed = run_dir / STAGES[stage]
    html_path = executed.with_suffix(".html")
    inputs, outputs = settings.lineage_inputs(stage), settings.stage_io(stage)[1]
    client = lineage.lineage_client(
        run_dir, settings.config.lineage.url, settings.config.lineage.timeout_s
    )
    started = now()
    lineage.emit(client, "START", stage, run_id, started, lineage.datasets(inputs, False), [])

    kernel = kernel or warm_kernel(stage, settings)
    declared = papermill.inspect_notebook(str(source))
    parameters = {k: v for k, v in settings.notebook_parameters(run_dir).items() if k in declared}
    try:
        error, trace = _papermill(stage, source, executed, parameters, settings, progress, kernel)
    except KeyboardInterrupt:  # Ctrl-C while the notebook ran, or while its kernel stopped
        stopped = now()
        lineage.emit(client, "ABORT", stage, run_id, stopped, [], [])
        record: dict[str, Any] = {
            "status": "interrupted",
            "started_at": started,
            "finished_at": stopped,
            "duration_s": seconds(started, stopped),
            "notebook": relative(executed, settings.root),
            "html": relative(html_path, settings.root),
            "parameters": parameters,
            "metrics": {},
            "scraps": {},
            "error": "interrupted",
        }
        update_manifest(settings, run_id, stage, record)
        raise
    finished = now()
    if error:
        error = mask_text(error) if settings.mask_pii else error
    if executed.is_file() and settings.mask_pii:
        mask_executed(executed)
    scraps = read_scraps(executed) if executed.is_file() else {}
    metrics = {
        k: v for k, v in scraps.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
    }

    record = {
        "status": "failed" if error else "completed",
        "started_at": started,
        "finished_at": finished,
        "duration_s": seconds(started, finished),
        "notebook": relative(executed, settings.root),
        "html": relative(html_path, settings.root),
        "parameters": parameters,
        "metrics": metrics,
        "scraps": {k: v for k, v in scraps.items() if k not in metrics},
        "error": error,
    }
    if executed.is_file():
        render_html(executed, html_path, settings, stage, run_id, record)
    if error:
        lineage.emit(client, "FAIL", stage, run_id, finished, [], [], mask_pii(trace))
        update_manifest(settings, run_id, stage, record)
        tracking.log(settings, run_id, stage, record, html_path)
        raise StageFailed(
            f"stage {stage!r} failed: {mask_pii(error)}\nSee {html_path} for where it stopped."
        )
    quality = record["scraps"].get("data_quality")
    lineage.emit(
        client,
        "COMPLETE",
        stage,
        run_id,
        finished,
        lineage.datasets(inputs, False, quality),
        lineage.datasets(outputs, True),
    )
    settings.metrics_dir.mkdir(parents=True, exist_ok=True)
    write_text(
        settings.metrics_dir / f"{stage}.json", json.dumps(metrics, indent=2, sort_keys=True)
    )
    update_manifest(settings, run_id, stage, record)
    tracking.log(settings, run_id, stage, record, html_path)
    return record
