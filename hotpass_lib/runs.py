"""Run ids (one per pipeline run, shared by the stages of one ``dvc repro``) and the
timestamps of stage records."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import write_text

if TYPE_CHECKING:
    from .settings import Settings


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


def seconds(start: str, end: str) -> float:
    return round(
        (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds(), 3
    )


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
