"""Running Hotpass and DVC as a person would: a module in a subprocess, output captured."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from hotpass_lib.resources import CHECKOUT


def run_module(
    module: str, *args: str, cwd: Path, timeout: int = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m MODULE ARGS`` in ``cwd``; never raises on a non-zero exit."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def hotpass(
    *args: str, cwd: Path, timeout: int = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The ``hotpass`` command through its real entry point."""
    return run_module("hotpass_lib.cli", *args, cwd=cwd, timeout=timeout, env=env)


def copy_project(ws: Path, n_orgs: int = 40) -> None:
    """A workspace that is a copy of the checkout's pipeline (library, notebooks, contracts,
    params, dvc.yaml) with a small sample, ready for ``dvc init --no-scm``."""
    ignore = shutil.ignore_patterns("__pycache__", ".*")
    for name in ("hotpass_lib", "notebooks", "contracts", "params"):
        shutil.copytree(CHECKOUT / name, ws / name, ignore=ignore)
    shutil.copy(CHECKOUT / "dvc.yaml", ws)
    shutil.copy(CHECKOUT / ".dvcignore", ws)
    params = yaml.safe_load((ws / "params" / "pipeline.yaml").read_text())
    params["samples"]["n_orgs"] = n_orgs
    (ws / "params" / "pipeline.yaml").write_text(yaml.safe_dump(params))


def run_dir_of(workspace: Path) -> Path:
    """The one run folder of a workspace that ran once."""
    (run_dir,) = [p.parent for p in (workspace / "runs").glob("*/manifest.json")]
    return run_dir


def evidence_pages(run_dir: Path) -> list[Path]:
    """Every HTML page a reviewer may open for a run: the runs index, the stage pages, the
    Data Docs."""
    return [run_dir.parent / "index.html", *sorted(run_dir.rglob("*.html"))]


def _phone_forms(e164: str) -> set[str]:
    """How a South African number may have been written in the input."""
    national = e164[3:]
    spaced = f"{national[:2]} {national[2:5]} {national[5:]}"
    return {e164, e164[1:], f"0{national}", f"+27 {spaced}", f"0{spaced}"}


def contact_values(workspace: Path) -> set[str]:
    """Every e-mail and phone of a workspace's SSOT, phones in the forms the input used."""
    import pandas as pd

    refined = workspace / "data" / "refined"
    values: set[str] = set()
    for name in ("contacts", "organisations"):
        frame = pd.read_parquet(refined / f"{name}.parquet")
        for column in frame.columns:
            if "email" in column or "phone" in column:
                cells = frame[column].explode().dropna().astype(str)
                values |= {v for v in cells if "@" in v or sum(c.isdigit() for c in v) >= 7}
    out: set[str] = set()
    for value in values:
        out |= _phone_forms(value) if value.startswith("+27") else {value}
    return out
