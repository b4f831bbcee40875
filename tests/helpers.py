"""Running Hotpass and DVC as a person would: a module in a subprocess, output captured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


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
