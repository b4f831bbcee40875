"""Faults: killed writers and runs, two runs at once, a full disk, an unwritable folder.

The unit tests kill real writer processes and hold the real lock; the end-to-end tests
SIGKILL real ``hotpass run`` process groups and compare every output byte for byte with
an uninterrupted run of the same samples (the session ``workspace``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hotpass_lib import atomic
from hotpass_lib.atomic import OLD_SUFFIX, TEMP_SUFFIX, _swap, recover
from hotpass_lib.settings import Settings
from hotpass_lib.workspace import ENV, WorkspaceBusy, workspace_lock

from .conftest import fresh_workspace
from .helpers import hotpass

PY = sys.executable


def _python(code: str, cwd: Path) -> subprocess.Popen[str]:
    """``python -c code`` in ``cwd``, without this process's lock token."""
    env = {k: v for k, v in os.environ.items() if k != ENV}
    return subprocess.Popen(
        [PY, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(predicate, timeout: float = 120, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc is None or proc.poll() is None, proc.communicate() if proc else ""
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if p.name.endswith((TEMP_SUFFIX, OLD_SUFFIX))]


def _data(workspace: Path) -> dict[str, bytes]:
    """Every output under ``data/`` (not the input samples), by path, with its bytes."""
    data = workspace / "data"
    return {
        str(p.relative_to(data)): p.read_bytes()
        for p in sorted(data.rglob("*"))
        if p.is_file() and p.relative_to(data).parts[0] != "samples"
    }


# --- atomic writes under SIGKILL --------------------------------------------------------

WRITER = """
    import sys
    from pathlib import Path
    from hotpass_lib.atomic import atomic_dir
    target, version = Path(sys.argv[1]), 0
    while True:
        version += 1
        with atomic_dir(target) as tmp:
            for i in range(20):
                (tmp / f"part{i}.txt").write_text(str(version) * 2000)
        print(version, flush=True)
"""


def _read_at(folder_fd: int, name: str) -> bytes:
    """The bytes of ``name`` in the folder open as ``folder_fd``."""
    fd = os.open(name, os.O_RDONLY, dir_fd=folder_fd)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _still_at(folder_fd: int, path: Path) -> bool:
    """Whether the folder open as ``folder_fd`` is (still) the one at ``path``."""
    try:
        return os.fstat(folder_fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _snapshot(folder: Path) -> dict[str, bytes] | None:
    """Every file in ``folder`` as of one moment, read through one folder descriptor; None
    when the folder was swapped out while being read. FileNotFoundError when there is none."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        seen = {name: _read_at(fd, name) for name in os.listdir(fd)}
        return seen if _still_at(fd, folder) else None
    except FileNotFoundError:
        return None  # a file went with the old folder: swapped out
    finally:
        os.close(fd)


class _Reader(threading.Thread):
    """Reads ``target`` over and over through a folder descriptor (one folder, one moment)
    and records any view that is not one whole version."""

    def __init__(self, target: Path, names: set[str]) -> None:
        super().__init__(daemon=True)
        self.target, self.names = target, names
        self.views, self.bad, self.missing = 0, [], 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                seen = _snapshot(self.target)
            except FileNotFoundError:
                self.missing += 1
                continue
            if seen is None:
                continue
            self.views += 1
            contents = set(seen.values())
            if set(seen) != self.names or len(contents) != 1:
                self.bad.append((sorted(seen), sorted(contents)))


def test_a_folder_is_seen_whole_or_not_at_all_even_when_its_writer_is_killed(
    tmp_path: Path,
) -> None:
    target = tmp_path / "refined"
    proc = subprocess.Popen(
        [PY, "-c", textwrap.dedent(WRITER), str(target)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the first version is in place
    reader = _Reader(target, {f"part{i}.txt" for i in range(20)})
    reader.start()
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.stop.set()
    reader.join()
    assert reader.views > 50 and not reader.bad[:3] and reader.missing == 0
    recover(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refined"]
    assert len({p.read_text() for p in target.iterdir()}) == 1


def test_a_file_write_killed_midway_leaves_the_old_file_and_a_temp_that_recover_removes(
    tmp_path: Path,
) -> None:
    target = tmp_path / "metrics" / "ingest.json"
    target.parent.mkdir()
    target.write_text("previous")
    proc = _python(
        f"""
        import time
        from hotpass_lib.atomic import atomic_path
        with atomic_path({str(target)!r}) as tmp:
            tmp.write_text("half")
            print("writing", flush=True)
            time.sleep(60)
        """,
        tmp_path,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "writing\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (left,) = _temps(target.parent)
    assert left.name.startswith(".ingest.json.") and target.read_text() == "previous"
    assert recover(target.parent) == [left] and not _temps(target.parent)


def test_a_two_rename_swap_cut_between_its_renames_is_undone(tmp_path: Path, monkeypatch) -> None:
    """Where the file system has no atomic exchange, a folder is swapped in by two renames;
    cut between them, the previous folder comes back."""
    target, new = tmp_path / "refined", tmp_path / f".refined.x{TEMP_SUFFIX}"
    target.mkdir()
    (target / "a.csv").write_text("old")
    new.mkdir()
    (new / "a.csv").write_text("new")
    os.replace(target, tmp_path / f".refined{OLD_SUFFIX}")  # the first rename, then a crash
    recover(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["refined"]
    assert (target / "a.csv").read_text() == "old"
    new.mkdir()
    (new / "a.csv").write_text("new")
    monkeypatch.setattr(atomic, "exchange", lambda a, b: False)  # such a file system
    _swap(new, target)
    assert [p.name for p in tmp_path.iterdir()] == ["refined"]
    assert (target / "a.csv").read_text() == "new"


# --- the workspace lock -----------------------------------------------------------------

HOLD = """
    import sys, time
    from pathlib import Path
    from hotpass_lib.settings import Settings
    from hotpass_lib.workspace import workspace_lock
    with workspace_lock(Settings.load(Path.cwd()), "20260101T000000Z-aaaaaa", "holder"):
        print("held", flush=True)
        time.sleep(float(sys.argv[1]))
"""


def _holder(workspace: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [PY, "-c", textwrap.dedent(HOLD), str(seconds)],
        cwd=workspace,
        env={k: v for k, v in os.environ.items() if k != ENV},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_a_killed_holder_never_leaves_a_stale_lock(tmp_path: Path) -> None:
    proc = _holder(tmp_path, 60)
    settings = Settings.load(tmp_path)
    second = workspace_lock(settings, "20260101T000001Z-bbbbbb", "second")
    with pytest.raises(WorkspaceBusy, match=f"pid {proc.pid}, run 20260101T000000Z-aaaaaa"):
        second.__enter__()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with workspace_lock(settings, "20260101T000001Z-bbbbbb", "second"):
        assert os.environ[ENV]


def test_wait_starts_when_the_holder_finishes(tmp_path: Path) -> None:
    proc = _holder(tmp_path, 1.5)
    told: list[str] = []
    started = time.monotonic()
    with workspace_lock(Settings.load(tmp_path), "20260101T000001Z-b", "second", True, told.append):
        waited = time.monotonic() - started
    assert waited > 1.0 and "`holder`" in told[0]  # it held the lock 1.5 s after "held"
    proc.wait()


def test_a_process_the_holder_started_runs_inside_its_hold(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path)
    child = "from hotpass_lib.workspace import *; from hotpass_lib.settings import Settings\n"
    child += "with workspace_lock(Settings.load('.'), 'r', 'child'): print('ran')"
    with workspace_lock(settings, "20260101T000000Z-aaaaaa", "hotpass pipeline"):
        inside = subprocess.run([PY, "-c", child], cwd=tmp_path, capture_output=True, text=True)
        stranger = _python(child, tmp_path)
        err = stranger.communicate()[1]
    assert inside.stdout == "ran\n", inside.stderr
    assert stranger.returncode != 0 and "in use by `hotpass pipeline`" in err


def test_a_second_run_stops_at_once_naming_the_holder(tmp_path: Path, sample_dir: Path) -> None:
    shutil.copytree(sample_dir, tmp_path / "data" / "samples")
    settings = Settings.load(tmp_path)
    with workspace_lock(settings, "20260101T000000Z-aaaaaa", "hotpass run"):
        env = {k: v for k, v in os.environ.items() if k != ENV}
        started = time.monotonic()
        done = hotpass("run", cwd=tmp_path, env=env)
    assert done.returncode == 75 and time.monotonic() - started < 20
    assert f"pid {os.getpid()}, run 20260101T000000Z-aaaaaa" in done.stderr
    assert "--wait" in done.stderr and "Traceback" not in done.stderr
    assert [p.name for p in settings.runs_dir.iterdir()] == [".lock"]
    assert not (tmp_path / "data" / "interim").exists()


# --- full disk, unwritable folder -------------------------------------------------------

FULL_DISK = """
    import atexit, resource, signal, sys
    import pandas as pd
    from hotpass_lib.atomic import OutputError
    from hotpass_lib.store import save_tables
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, resource.RLIM_INFINITY))
    atexit.register(resource.setrlimit, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
    frame = pd.DataFrame({"name": [f"organisation {i}" * 3 for i in range(20_000)]})
    try:
        save_tables({"small": frame.head(5), "organisations": frame}, sys.argv[1])
    except OutputError as exc:
        print(exc)
        sys.exit(3)
"""


def test_a_full_disk_leaves_the_previous_tables_intact(tmp_path: Path) -> None:
    target = tmp_path / "refined"
    target.mkdir()
    (target / "organisations.parquet").write_bytes(b"previous SSOT")
    done = subprocess.run(
        [PY, "-c", textwrap.dedent(FULL_DISK), str(target)], capture_output=True, text=True
    )
    assert done.returncode == 3, done.stderr[-2000:]
    assert f"cannot write {target}: the disk is full" in done.stdout
    assert "Fix: free space on the disk that holds" in done.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["refined"]
    assert [p.name for p in target.iterdir()] == ["organisations.parquet"]
    assert (target / "organisations.parquet").read_bytes() == b"previous SSOT"


FULL_KERNEL = """
import atexit, resource, signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, resource.RLIM_INFINITY))
# space is back when the kernel exits (coverage, under ci/coverage.sh, then saves its data)
atexit.register(resource.setrlimit, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
"""


@pytest.fixture
def ran(tmp_path: Path, workspace: Path, mlflow_db: Path) -> Path:
    """A copy of the session's completed workspace, to run again in."""
    copy = tmp_path / "ws"
    shutil.copytree(workspace / "data", copy / "data")
    fresh_workspace(copy, None, mlflow_db)
    return copy


@pytest.mark.e2e
def test_a_full_disk_while_publishing_fails_clearly_and_keeps_the_ssot(ran: Path) -> None:
    """The publish kernel may write no file over 20 kB (``RLIMIT_FSIZE``, set by an IPython
    startup file, so only the kernel writing the SSOT is limited), like a full disk."""
    startup = ran / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-full-disk.py").write_text(FULL_KERNEL)
    before = _data(ran)
    done = hotpass(
        "run", "--stage", "publish", cwd=ran, env={**os.environ, "IPYTHONDIR": str(ran / "ipython")}
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert "OutputError: cannot write" in done.stderr and "the disk is full" in done.stderr
    assert str(ran / "data" / "refined") in done.stderr and "Fix: free space" in done.stderr
    assert "Traceback" not in done.stderr
    assert _data(ran) == before and not _temps(ran / "data")


@contextmanager
def _unwritable(folder: Path) -> Iterator[None]:
    """Make ``folder`` unwritable, even for root (``chattr +i``), for the block."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)]).returncode:
        pytest.skip("running as root, and chattr +i is not available here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.e2e
def test_an_unwritable_output_folder_stops_the_run_before_any_stage(ran: Path) -> None:
    before = _data(ran)
    refined = ran / "data" / "refined"
    with _unwritable(refined):
        done = hotpass("run", cwd=ran)
    assert done.returncode == 2, done.stderr[-3000:]
    assert f"cannot write {refined}: permission denied" in done.stderr
    assert "Fix: make" in done.stderr and "Traceback" not in done.stderr
    assert _data(ran) == before and not (ran / "runs" / ".lock").exists()


# --- killed runs, runs at once ----------------------------------------------------------

KILL_AT = {"ingest": 0.4, "validate": 0.5, "refine": 0.5, "publish": 0.8}
"""Share of a stage's cells done when its run is killed."""


def _cells_done(notebook: Path) -> int:
    import json

    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return 0
    return sum(
        c.get("metadata", {}).get("papermill", {}).get("status") == "completed" for c in cells
    )


class _Watch(threading.Thread):
    """Looks into data/refined over and over while runs come and go: whenever it exists it
    must hold exactly the published files, each byte-identical to the reference."""

    def __init__(self, refined: Path, reference: dict[str, bytes]) -> None:
        super().__init__(daemon=True)
        self.refined, self.reference = refined, reference
        self.views, self.bad = 0, []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            try:
                seen = _snapshot(self.refined)
            except FileNotFoundError:
                continue
            if seen is None:
                continue
            self.views += 1
            if seen != self.reference:
                self.bad.append(sorted(n for n in seen if seen[n] != self.reference.get(n)))


def _start_run(
    workspace: Path, log: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``hotpass run`` in its own process group, output to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [PY, "-m", "hotpass_lib.cli", "run", *args],
            cwd=workspace,
            env={k: v for k, v in os.environ.items() if k != ENV} | (env or {}),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _kill_during(stage: str, workspace: Path, log: Path) -> None:
    """Start ``hotpass run`` and SIGKILL its process group once ``stage`` has done its share
    of cells (:data:`KILL_AT`)."""
    import json

    from hotpass_lib.resources import notebooks_dir
    from hotpass_lib.stages import BY_NAME

    notebook = BY_NAME[stage].notebook
    total = len(json.loads((notebooks_dir() / notebook).read_text(encoding="utf-8"))["cells"])
    before = set((workspace / "runs").glob("2*"))
    # Kernels of their own: a kernel forked from the zygote, killed under coverage's fork
    # patch, takes longer to exit than the next run's wait for orphans (its end through the
    # lifeline is tested in test_forkserver); the rerun below forks as usual.
    proc = _start_run(workspace, log, env={"HOTPASS_FORK_KERNELS": "0"})

    def reached() -> bool:
        new = set((workspace / "runs").glob("2*")) - before
        return any(_cells_done(run / notebook) >= KILL_AT[stage] * total for run in new)

    _wait_for(reached, proc=proc)
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL


@pytest.mark.e2e
def test_a_run_killed_in_any_stage_then_run_again_matches_an_uninterrupted_run(
    tmp_path: Path, workspace: Path, mlflow_db: Path
) -> None:
    from hotpass_lib.stages import NAMES

    ws = fresh_workspace(tmp_path / "ws", workspace / "data" / "samples", mlflow_db)
    reference = _data(workspace)
    published = {
        k.removeprefix("refined/"): v for k, v in reference.items() if k.startswith("refined/")
    }
    watch = _Watch(ws / "data" / "refined", published)
    watch.start()
    for stage in NAMES:  # each run is SIGKILLed a little further on
        _kill_during(stage, ws, tmp_path / f"{stage}.log")
    done = hotpass("run", cwd=ws, env={k: v for k, v in os.environ.items() if k != ENV})
    watch.stop.set()
    watch.join()
    assert done.returncode == 0, done.stderr[-3000:]
    assert _data(ws) == reference  # every output of every stage, byte for byte
    assert not _temps(ws / "data") and not _temps(ws / "runs")
    assert watch.views > 20 and not watch.bad, watch.bad[:3]


@pytest.mark.e2e
def test_two_runs_started_together_in_one_workspace_do_not_corrupt_each_other(
    tmp_path: Path, workspace: Path, mlflow_db: Path
) -> None:
    ws = fresh_workspace(tmp_path / "ws", workspace / "data" / "samples", mlflow_db)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}"  # a lineage endpoint that refuses
    closed.close()
    procs = [
        _start_run(ws, tmp_path / f"{i}.log", "--stage", "ingest", env={"OPENLINEAGE_URL": url})
        for i in range(2)
    ]
    codes = [p.wait(timeout=300) for p in procs]
    assert sorted(codes) == [0, 75], codes
    winner, loser = (procs[0], procs[1]) if codes[0] == 0 else (procs[1], procs[0])
    message = (tmp_path / f"{procs.index(loser)}.log").read_text()
    assert f"in use by `hotpass run --stage ingest` (pid {winner.pid}, run 2" in message
    log = (tmp_path / f"{procs.index(winner)}.log").read_text()
    assert log.count(f"OpenLineage endpoint {url} failed") == 1  # one warning, run goes on
    ingest = {k: v for k, v in _data(ws).items() if k.startswith("interim/ingest/")}
    assert ingest == {k: v for k, v in _data(workspace).items() if k.startswith("interim/ingest/")}
    (run,) = [p.parent for p in (ws / "runs").glob("2*/manifest.json")]
    assert len((run / "lineage.jsonl").read_text().splitlines()) == 2  # START, COMPLETE
