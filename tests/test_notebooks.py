"""The stage notebooks run top to bottom with their default parameters (nbval)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hotpass_lib.runner import NOTEBOOKS_DIR
from hotpass_lib.samples import write_samples

from .helpers import run_module

pytestmark = pytest.mark.notebooks


def test_notebooks_validate_with_nbval(tmp_path: Path) -> None:
    """A copy of the repository layout (notebooks/ beside data/) so defaults resolve as in
    JupyterLab, without touching the checkout's data/."""
    shutil.copytree(NOTEBOOKS_DIR, tmp_path / "notebooks", ignore=shutil.ignore_patterns(".*"))
    write_samples(tmp_path / "data" / "samples", n_orgs=40, seed=5)
    done = run_module(
        "pytest",
        "--nbval-lax",
        "--nbval-kernel-name",
        "hotpass",
        "-p",
        "no:cacheprovider",
        "-q",
        "notebooks",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "failed" not in done.stdout.splitlines()[-1]
    assert (tmp_path / "data" / "refined" / "organisations.parquet").is_file()
