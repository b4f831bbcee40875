"""Atomic writes: outputs appear complete or not at all (write to a temp path, then rename).

Files and folders get the modes the umask gives any new file (``0644``/``0755`` by default),
not ``mkstemp``'s private ``0600``: evidence is read by other reviewers and web servers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def umask() -> int:
    """This process's umask, read without changing it (Linux ``/proc``), else by setting
    and restoring it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a plainly created file gets: ``0o666`` less the umask (``0o644`` usually)."""
    return 0o666 & ~umask()


def dir_mode() -> int:
    """The mode a plainly created folder gets: ``0o777`` less the umask (``0o755`` usually)."""
    return 0o777 & ~umask()


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temp path beside ``target``; rename it onto ``target`` if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.fchmod(fd, file_mode())  # mkstemp makes 0600; outputs are readable like any other file
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextmanager
def atomic_dir(target: Path | str) -> Iterator[Path]:
    """Yield an empty temp folder beside ``target``; swap it in for ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    tmp.chmod(dir_mode())
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_text(target: Path | str, text: str) -> None:
    """Write ``text`` to ``target`` atomically (UTF-8, ``\\n`` line ends)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
