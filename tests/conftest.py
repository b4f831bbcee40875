"""Shared fixtures: small seeded sample workbooks and the aviation profile."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from hotpass_lib.ingest import IngestResult, ingest
from hotpass_lib.profile import Profile, load_profile
from hotpass_lib.samples import write_samples

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DVC_NO_ANALYTICS", "1")

SMALL_N_ORGS = 80


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile("aviation")


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples") / "in"
    write_samples(out, n_orgs=SMALL_N_ORGS, seed=7)
    return out


@pytest.fixture(scope="session")
def ingested(sample_dir: Path, profile: Profile) -> IngestResult:
    return ingest(sample_dir, profile)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with its own (held-out) samples after one real ``hotpass run``: shared by
    the end-to-end and browser tests, so the pipeline runs once per session."""
    from .helpers import hotpass

    ws = tmp_path_factory.mktemp("ws")
    write_samples(ws / "data" / "samples", n_orgs=60, seed=11)
    done = hotpass("run", cwd=ws)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "SSOT:" in done.stderr and "Evidence:" in done.stderr
    return ws


@pytest.fixture(scope="session")
def truth(sample_dir: Path) -> pd.DataFrame:
    return pd.read_csv(sample_dir / "ground_truth.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def mlflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow store with its tables made (MLflow's first use of a store costs about
    10 s): a test that starts a fresh workspace copies it to ``runs/mlflow.db``."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


def fresh_workspace(root: Path, samples: Path | None, mlflow_db: Path) -> Path:
    """A workspace at ``root`` with a copy of ``samples`` as its input folder (none if
    ``None``) and a ready MLflow store; nothing run yet."""
    import shutil

    if samples is not None:
        shutil.copytree(samples, root / "data" / "samples")
    (root / "runs").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mlflow_db, root / "runs" / "mlflow.db")
    return root
