"""One run at a time per workspace, and the clean-up of what a killed run left behind.

``hotpass run``, ``hotpass stage`` and ``hotpass pipeline`` hold an exclusive ``flock`` on
``runs/.lock`` for as long as they run. The kernel drops the lock when its holder exits in
any way (SIGKILL included), so it is never stale. The holder writes who it is (pid, run id,
command, start time) into the file; a second run that finds the lock held stops at once
with that in its message (:class:`WorkspaceBusy`), or with ``--wait`` waits its turn.

The processes a holder starts (``dvc repro`` and the ``hotpass stage`` it runs, the
notebooks' kernels) inherit ``HOTPASS_LOCK``, the holder's token: a ``hotpass stage`` that
finds the lock held under its own token runs inside its parent's hold.

On taking the lock, before anything is written, Hotpass waits for processes a killed
holder left running (its kernels stop within a second or two of it), then removes the
temp files and folders of interrupted writes (:func:`hotpass_lib.atomic.recover`).
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import recover
from .errors import HotpassError
from .runs import now
from .stages import NAMES

if TYPE_CHECKING:
    from .settings import Settings

ENV = "HOTPASS_LOCK"
LOCK_FILE = ".lock"
ORPHAN_WAIT_S = 20.0


class WorkspaceBusy(HotpassError):
    """Another Hotpass run holds this workspace; the message names it."""


def describe(holder: dict[str, Any]) -> str:
    """The lock holder in words: command, pid, run id, start time."""
    if not holder:
        return "another Hotpass run (starting up)"
    return (
        f"`{holder.get('command')}` (pid {holder.get('pid')}, run {holder.get('run_id')}, "
        f"started {holder.get('started_at')})"
    )


@contextmanager
def workspace_lock(
    settings: Settings,
    run_id: str,
    command: str,
    wait: bool = False,
    waiting: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the workspace's lock for the block; raise :class:`WorkspaceBusy` if another run
    holds it (unless ``wait``: then call ``waiting`` with the holder, and wait)."""
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.runs_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            holder = _holder(fd, patient=True)
            if holder.get("token") == os.environ.get(ENV, "-") and _descends_from(holder["pid"]):
                yield  # started by the holder (hotpass pipeline -> dvc repro -> hotpass stage)
                return
            if not wait:
                raise WorkspaceBusy(
                    f"this workspace ({settings.root}) is in use by {describe(holder)}. "
                    "Nothing was changed. Fix: wait for that run to finish, or run again "
                    "with --wait to start when it does."
                )
            if waiting:
                waiting(describe(holder))
            fcntl.flock(fd, fcntl.LOCK_EX)
        previous = _holder(fd)
        token = f"{os.getpid()}-{secrets.token_hex(6)}"
        mine = {"pid": os.getpid(), "run_id": run_id, "command": command}
        _write(fd, {**mine, "started_at": now(), "token": token})
        _wait_for_orphans(previous.get("token"))
        for folder in output_folders(settings):
            recover(folder)
        saved = os.environ.get(ENV)
        os.environ[ENV] = token
        try:
            yield
        finally:
            if saved is None:
                os.environ.pop(ENV, None)
            else:
                os.environ[ENV] = saved
    finally:
        os.close(fd)  # drops the lock


def _descends_from(pid: int) -> bool:
    """Whether this process was started (directly or not) by process ``pid``; ``True``
    where that cannot be read (no Linux ``/proc``)."""
    current = os.getpid()
    while current > 1:
        if current == pid:
            return True
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
        except OSError:
            return current == os.getpid()
        current = int(stat.rsplit(")", 1)[1].split()[1])
    return False


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(fd: int, patient: bool = False) -> dict[str, Any]:
    """Who holds (or last held) the lock; ``patient``: give a holder that is starting up
    (it has the lock, but has not written yet) a second to write."""
    for _ in range(10 if patient else 1):
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        try:
            found = json.loads(text)
            return found if isinstance(found, dict) else {}
        except ValueError:
            if patient:
                time.sleep(0.1)
    return {}


def _write(fd: int, holder: dict[str, Any]) -> None:
    data = json.dumps(holder).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def _carrying(token: str) -> list[int]:
    """Pids of running processes whose environment holds ``HOTPASS_LOCK=token`` (Linux)."""
    needle = f"{ENV}={token}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or not ours to read
            continue
        if needle in environ.split(b"\0") and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def _wait_for_orphans(token: str | None) -> None:
    """Wait until no process of the previous holder runs (a killed run's kernels write
    until they notice, within a second or two); :class:`WorkspaceBusy` if they do not stop."""
    if not token:
        return
    deadline = time.monotonic() + ORPHAN_WAIT_S
    while pids := _carrying(token):
        if time.monotonic() > deadline:
            raise WorkspaceBusy(
                f"processes of an earlier run that was stopped are still running "
                f"(pids {', '.join(map(str, pids))}). Fix: stop them (kill {pids[0]}), "
                "then run again."
            )
        time.sleep(0.1)


def output_folders(settings: Settings) -> list[Path]:
    """Every folder Hotpass writes into: the stages' outputs and the folders beside them
    (where their temps live), metrics, and the run folders (two levels deep)."""
    folders = {settings.runs_dir, settings.metrics_dir, settings.plots_dir}
    for name in NAMES:
        for out in settings.stage_io(name)[1]:
            folders |= {out, out.parent}
    if settings.runs_dir.is_dir():
        for run in settings.runs_dir.iterdir():
            if run.is_dir() and run.name != "mlartifacts":
                folders |= {run, *(p for p in run.iterdir() if p.is_dir())}
    return sorted(folders)
