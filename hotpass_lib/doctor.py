"""``hotpass doctor``: is this workspace ready to run? Each check says how to fix itself."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from .ingest import find_sources, sheet_problems
from .profile import ProfileError, load_profile
from .read import InputError, Workbook
from .resolve import backend_problem
from .settings import Settings

MIN_FREE_BYTES = 1 << 30
REQUIRED = (
    "pandas",
    "pyarrow",
    "papermill",
    "nbconvert",
    "ipykernel",
    "pandera",
    "great-expectations",
    "mlflow",
    "scrapbook",
    "openlineage-python",
    "dvc",
    "python-calamine",
    "openpyxl",
)


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, whether it passed, what was seen, how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _python() -> Check:
    ok = sys.version_info[:2] == (3, 11)
    return Check(
        "python", ok, sys.version.split()[0], "" if ok else "use Python 3.11 (`make setup`)"
    )


def _packages() -> Check:
    missing, seen = [], []
    for name in REQUIRED:
        try:
            seen.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            missing.append(name)
    if missing:
        return Check(
            "packages",
            False,
            f"missing: {', '.join(missing)}",
            "install the pinned environment: `make setup`",
        )
    return Check("packages", True, "; ".join(seen))


def _kernel(name: str) -> Check:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import start_new_kernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return Check(
            "kernel",
            False,
            f"Jupyter kernel {name!r} is not registered",
            f"`python -m ipykernel install --sys-prefix --name {name}` (or `make setup`)",
        )
    try:
        manager, client = start_new_kernel(kernel_name=name, startup_timeout=60)
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    except Exception as exc:
        return Check(
            "kernel",
            False,
            f"kernel {name!r} does not start: {exc}",
            f"check {spec.resource_dir}/kernel.json points at this environment's python",
        )
    return Check("kernel", True, f"{name!r} registered at {spec.resource_dir} and starts")


def _dvc(root: Path) -> Check:
    if (root / ".dvc").is_dir() or any((p / ".dvc").is_dir() for p in root.parents):
        return Check("dvc", True, "inside a DVC repository")
    return Check(
        "dvc",
        False,
        f"{root} is not in a DVC repository",
        "`hotpass init` (or `dvc init`; `dvc init --no-scm` outside git)",
    )


def _writable(name: str, folder: Path) -> Check:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".hotpass-doctor"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return Check(name, False, f"{folder}: {exc}", f"make {folder} writable or change runs_dir")
    return Check(name, True, f"{folder} is writable")


def _mlflow(settings: Settings) -> Check:
    path = settings.runs_dir / "mlflow.db"
    try:
        settings.runs_dir.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as db:
            db.execute("create table if not exists hotpass_doctor (x)")
            db.execute("drop table hotpass_doctor")
    except sqlite3.Error as exc:
        return Check(
            "mlflow store",
            False,
            f"{settings.tracking_uri}: {exc}",
            f"remove or repair {path}, or make {settings.runs_dir} writable",
        )
    return Check("mlflow store", True, settings.tracking_uri)


def _inputs(settings: Settings) -> list[Check]:
    """The profile loads; every input file opens (and with which reader); every sheet the
    profile names has its required columns."""
    try:
        profile = load_profile(settings.profile)
    except ProfileError as exc:
        return [Check("profile", False, str(exc), "fix the key named above in the profile")]
    checks = [Check("profile", True, f"{profile.name}: {len(profile.sources)} source(s)")]
    if not settings.input_dir.is_dir():
        return [
            *checks,
            Check(
                "inputs",
                False,
                f"{settings.input_dir} does not exist",
                "set input_dir in params/pipeline.yaml or pass --input-dir",
            ),
        ]
    found = 0
    for item in find_sources(settings.input_dir, profile)[0]:
        source, path = item.source, item.path
        found += 1
        try:
            book = Workbook(path)
            reader = book.reader
            problems = sheet_problems(book, source)
        except InputError as exc:
            checks.append(Check(f"input {path.name}", False, str(exc), "see the message"))
            continue
        if problems:
            checks.append(
                Check(
                    f"input {path.name}",
                    False,
                    problems[0],
                    "map the column in the profile or fix the workbook",
                )
            )
        else:
            checks.append(
                Check(
                    f"input {path.name}",
                    True,
                    f"source {source.name!r} by {item.matched_by}; read with {reader}; "
                    "required columns found",
                )
            )
    if not found:
        checks.append(
            Check(
                "inputs",
                False,
                f"no file in {settings.input_dir} matches profile {profile.name!r}",
                "check input_dir and the profile's `files`",
            )
        )
    return checks


def _backend(settings: Settings) -> Check:
    engine = settings.config.resolve  # validated with the params
    problem = backend_problem(engine)
    if problem:
        detail, _, fix = problem.partition(" Fix: ")
        return Check("resolve backend", False, detail, fix)
    return Check("resolve backend", True, f"{engine.backend} can start")


def _disk(root: Path) -> Check:
    free = shutil.disk_usage(root).free
    ok = free >= MIN_FREE_BYTES
    return Check(
        "disk",
        ok,
        f"{free / 2**30:.1f} GiB free at {root}",
        "" if ok else "free at least 1 GiB for outputs, cache and evidence",
    )


def diagnose(settings: Settings) -> list[Check]:
    """Every check, in the order a person would fix them."""
    return [
        _python(),
        _packages(),
        _kernel(settings.kernel),
        _dvc(settings.root),
        _writable("runs folder", settings.runs_dir),
        _mlflow(settings),
        *_inputs(settings),
        _backend(settings),
        _disk(settings.root),
    ]
