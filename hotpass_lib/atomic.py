"""Atomic writes: outputs appear complete or not at all.

A file is written to a hidden temp file beside it, then renamed onto it. A folder (a
stage's tables, the published SSOT) is written to a hidden temp folder beside it, then
swapped in with one atomic exchange (Linux ``renameat2(RENAME_EXCHANGE)``), so a reader
sees the whole old set or the whole new set and the folder is never missing; where the
exchange is not available it takes two renames, and :func:`recover` puts the previous
folder back if a crash falls between them. Temps are named ``.<name>.<random>.hotpass-tmp``:
a writer killed mid-write leaves one behind (never inside the output folder), and
:func:`recover` removes it before the next run writes.

A write that fails for lack of space or permission raises :class:`OutputError`, naming
the file and the fix; the previous output is unchanged.

Files and folders get the modes the umask gives any new file (``0644``/``0755`` by default),
not ``mkstemp``'s private ``0600``: evidence is read by other reviewers and web servers.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import HotpassError

TEMP_SUFFIX = ".hotpass-tmp"
OLD_SUFFIX = ".hotpass-old"
FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


class OutputError(HotpassError, OSError):
    """An output could not be written (disk full, folder not writable); the previous
    output is unchanged."""


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


def cannot_write(target: Path, exc: OSError, folder: Path | None = None) -> OutputError | None:
    """The :class:`OutputError` for a write to ``target`` (in ``folder``, by default its
    parent) that failed with ``exc``, if it failed for lack of space or permission
    (``None`` otherwise)."""
    code = exc.errno
    if code is None:  # pyarrow puts the errno in its message only
        found = re.search(r"\[errno (\d+)\]", str(exc), re.IGNORECASE)
        code = int(found.group(1)) if found else None
    folder = folder or target.parent
    if code in FULL:
        why = "the disk is full (or the file size limit was reached)"
        fix = f"free space on the disk that holds {folder}"
    elif code in DENIED:
        why = "permission denied (or a read-only file system)"
        fix = f"make {folder} writable by this user (chmod u+w)"
    else:
        return None
    return OutputError(
        f"cannot write {target}: {why}. The previous {target.name} is unchanged and nothing "
        f"partial was left. Fix: {fix}, or point the output elsewhere in "
        "params/pipeline.yaml, then run again."
    )


def ensure_writable(folder: Path) -> None:
    """Raise :class:`OutputError` unless this user may create files in ``folder`` (or, if it
    does not exist yet, in its nearest existing parent)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK):
        problem = cannot_write(folder, PermissionError(errno.EACCES, "denied"), probe)
        if problem:
            raise problem


@contextmanager
def _explained(target: Path) -> Iterator[None]:
    """Re-raise a failed write as :class:`OutputError` when it is a full disk or a
    permission problem."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        problem = cannot_write(target, exc)
        if problem is None:
            raise
        raise problem from exc


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temp path beside ``target``; rename it onto ``target`` if the block succeeds."""
    target = Path(target)
    with _explained(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
        os.fchmod(fd, file_mode())  # mkstemp makes 0600; outputs are readable like any other
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
    with _explained(target):
        for folder in (target, target.parent):
            if folder.exists():
                ensure_writable(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(
            tempfile.mkdtemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
        )
        tmp.chmod(dir_mode())
        try:
            yield tmp
            _swap(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # after an exchange: the old folder


def _swap(new: Path, target: Path) -> None:
    """Put folder ``new`` in ``target``'s place; the old ``target``, if any, ends at ``new``
    (exchange) or is removed (two renames, the old kept as ``.<name>.hotpass-old`` between)."""
    if not target.exists():
        os.replace(new, target)
    elif not exchange(new, target):
        old = target.with_name(f".{target.name}{OLD_SUFFIX}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``, ``RENAME_EXCHANGE``); ``False``
    where the system or file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def recover(folder: Path) -> list[Path]:
    """Undo what an interrupted writer left in ``folder``: remove its temp files and folders,
    and put back a folder whose two-rename swap was cut between the renames. Returns the
    paths removed. Call it only while no writer runs (under the workspace lock)."""
    removed: list[Path] = []
    try:
        entries = sorted(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return removed
    for path in entries:
        name = path.name
        if not name.startswith("."):
            continue
        if name.endswith(OLD_SUFFIX):
            original = path.with_name(name[1 : -len(OLD_SUFFIX)])
            if not original.exists():
                os.replace(path, original)
                continue
        elif not name.endswith(TEMP_SUFFIX):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        removed.append(path)
    return removed


def write_text(target: Path | str, text: str) -> None:
    """Write ``text`` to ``target`` atomically (UTF-8, ``\\n`` line ends)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
