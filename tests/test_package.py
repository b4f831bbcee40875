"""The installable package: a wheel built from the repository carries the notebooks,
profiles, expectation suites and templates, and runs in a fresh venv outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hotpass_lib.resources import BUNDLED, CHECKOUT, resource_dir

SOURCES = ("pyproject.toml", "README.md", "hotpass_lib", "notebooks", "params", "contracts")
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q")
PACKAGED = {
    "notebooks": "*.ipynb",
    "profiles": "*.yaml",
    "expectations": "*.json",
    "params": "review_decisions.yaml",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built (offline, no build isolation) from a copy of the repository's files."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    for name in SOURCES:
        path = CHECKOUT / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints")
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            src.mkdir(exist_ok=True)
            shutil.copy(path, src / name)
    done = subprocess.run(
        [*PIP_WHEEL, "-w", str(tmp / "dist"), str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (built,) = (tmp / "dist").glob("hotpass-*.whl")
    return built


def test_wheel_carries_the_repository_files_unchanged(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        for resource, pattern in PACKAGED.items():
            repo = sorted((CHECKOUT / BUNDLED[resource]).glob(pattern))
            assert repo, resource
            for path in repo:
                packed = f"hotpass_lib/bundled/{resource}/{path.name}"
                assert whl.read(packed) == path.read_bytes(), packed
        assert {"hotpass_lib/templates/hotpass/index.html.j2", "hotpass_lib/py.typed"} <= names


def test_a_checkout_reads_its_own_folders() -> None:
    assert resource_dir("notebooks") == CHECKOUT / "notebooks"
    assert resource_dir("profiles") == CHECKOUT / "params" / "profiles"


def _venv(tmp: Path, wheel: Path) -> Path:
    """A fresh venv with the wheel and its dependencies pinned by requirements.lock
    (from uv's cache when it holds them)."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (make setup installs it)")
    venv = tmp / "venv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [uv, "pip", "install", "-q", "--python", str(python), "--compile-bytecode"]
    install += ["-c", str(CHECKOUT / "requirements.lock"), str(wheel)]
    done = subprocess.run([*install, "--offline"], capture_output=True, text=True, check=False)
    if done.returncode:  # not all in the cache: the registry is reachable
        done = subprocess.run(install, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return venv


@pytest.mark.e2e
@pytest.mark.wheel
def test_installed_wheel_runs_samples_init_and_run_in_an_empty_folder(
    wheel: Path, tmp_path: Path
) -> None:
    venv = _venv(tmp_path, wheel)
    ws = tmp_path / "empty"
    ws.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH"}
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "jupyter")  # no kernel of another environment

    def hotpass(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / "hotpass"), *args],
            cwd=ws,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )

    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import hotpass_lib; print(hotpass_lib.__file__)"],
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(venv)), where.stdout

    samples = hotpass("samples", "inbox", "--n-orgs", "120")
    assert samples.returncode == 0, samples.stderr
    init = hotpass("init", "--input-dir", "inbox")
    assert init.returncode == 0, init.stderr
    assert hotpass("pipeline", "--check").returncode == 0
    dvc = (ws / "dvc.yaml").read_text()
    assert "inbox/ground_truth.csv" in dvc  # refine reads it: declared
    run = hotpass("run")
    assert run.returncode == 0, run.stderr[-3000:]
    refined = ws / "data" / "refined"
    assert {"organisations.parquet", "organisations.csv", "organisations.xlsx"} <= {
        p.name for p in refined.iterdir()
    }
    (run_dir,) = [p.parent for p in (ws / "runs").glob("*/manifest.json")]
    assert len(list(run_dir.glob("*.html"))) == 4
    assert hotpass("evidence", "verify", run_dir.name).returncode == 0
