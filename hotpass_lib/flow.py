"""Scheduled runs: a Prefect 3 flow that runs the DVC pipeline, one task per stage.

The stage list is read from the workspace's ``dvc.yaml`` (:func:`dvcfile.stage_order`), not
restated; each task is ``dvc repro --single-item <stage>``, so DVC decides what is stale and
holds its repository lock, and every stage of one flow run writes into one run folder
(``HOTPASS_RUN_ID``). Parameter overrides are written into ``params/pipeline.yaml`` first,
as ``dvc exp run --set-param`` does (:func:`params.set_params`), so DVC re-runs the stages
that read them and the manifest records them. A failing stage fails its task and the flow
run; the stages after it do not run, and DVC never commits a failed stage's outputs.

This is the only module that imports Prefect (it takes seconds to import): the CLI and the
stage notebooks never load it. ``prefect.yaml`` deploys :func:`hotpass_pipeline`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task

from . import telemetry
from .dvcfile import stage_order
from .errors import HotpassError
from .params import set_params
from .privacy import mask_text
from .runner import offline_env
from .runs import new_run_id
from .settings import Settings

FLOW_NAME = "hotpass-pipeline"


class StageRunFailed(HotpassError, RuntimeError):
    """``dvc repro`` of one stage exited non-zero; the message ends with its output."""


def _environment(run_id: str) -> dict[str, str]:
    """The stage's environment: offline settings, the shared run id, this interpreter's
    ``bin`` first on ``PATH`` (so ``dvc`` and ``hotpass`` are this environment's)."""
    bin_dir = Path(sys.executable).parent
    return {
        **offline_env(),
        "HOTPASS_RUN_ID": run_id,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def repro_stage(stage: str, root: Path, run_id: str, force: bool = False) -> bool:
    """``dvc repro --single-item <stage>`` in ``root``; whether DVC ran it (else it was up
    to date). Raises :class:`StageRunFailed` with the (masked) end of DVC's output."""
    env = _environment(run_id)
    dvc = shutil.which("dvc", path=env["PATH"]) or "dvc"
    command = [dvc, "repro", "--single-item", *(["--force"] if force else []), stage]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    output = mask_text(done.stdout + done.stderr)
    if done.returncode:
        tail = "\n".join(output.strip().splitlines()[-25:])
        raise StageRunFailed(
            f"stage {stage!r} failed (`dvc repro --single-item {stage}` exited "
            f"{done.returncode}) in {root}:\n{tail}"
        )
    return f"Running stage '{stage}'" in done.stdout


@task(task_run_name="{stage}", retries=0)
def stage_task(stage: str, root: str, run_id: str, force: bool = False) -> bool:
    """One pipeline stage as a Prefect task (see :func:`repro_stage`)."""
    ran = repro_stage(stage, Path(root), run_id, force)
    get_run_logger().info("%s: %s", stage, "ran" if ran else "up to date, skipped by DVC")
    return ran


@flow(name=FLOW_NAME, log_prints=True)
def hotpass_pipeline(
    workspace: str = ".",
    params: dict[str, Any] | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Run the workspace's DVC pipeline: each stage of ``dvc.yaml`` in order, one run id.

    ``params`` overrides ``params/pipeline.yaml`` (dotted or nested keys, validated; e.g.
    ``{"resolve.threads": 1}``); ``force`` re-runs every stage. Returns the run id, each
    stage's outcome and the run folder (``None`` when DVC found nothing stale)."""
    logger = get_run_logger()
    root = Path(workspace).expanduser().resolve()
    if params:
        changed = set_params(root / "params" / "pipeline.yaml", params)
        logger.info("params/pipeline.yaml: %s", json.dumps(changed) if changed else "unchanged")
    run_id = new_run_id()
    stages = stage_order(root)
    logger.info("run %s: stages %s from %s", run_id, stages, root / "dvc.yaml")
    settings = Settings.load(root)
    with telemetry.run(settings, run_id, {"hotpass.command": "prefect flow"}):
        outcome = {
            s: "ran" if stage_task(s, str(root), run_id, force) else "skipped" for s in stages
        }
    run_dir = settings.runs_dir / run_id
    return {
        "run_id": run_id,
        "stages": outcome,
        "run_dir": str(run_dir) if run_dir.is_dir() else None,
    }
