"""Atomic writes leave files and folders readable like any other output (umask respected)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotpass_lib.atomic import atomic_dir, umask, write_text


@pytest.fixture
def mask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_written_files_and_folders_get_the_umask_modes(tmp_path: Path, mask: None) -> None:
    write_text(tmp_path / "index.html", "<p>hi</p>")
    with atomic_dir(tmp_path / "tables") as tmp:
        (tmp / "a.parquet").write_bytes(b"x")
    assert _mode(tmp_path / "index.html") == 0o644
    assert _mode(tmp_path / "tables") == 0o755
    assert _mode(tmp_path / "tables" / "a.parquet") == 0o644


def test_a_stricter_umask_is_respected(tmp_path: Path, mask: None) -> None:
    os.umask(0o077)
    assert umask() == 0o077
    write_text(tmp_path / "manifest.json", "{}")
    with atomic_dir(tmp_path / "private"):
        pass
    assert _mode(tmp_path / "manifest.json") == 0o600
    assert _mode(tmp_path / "private") == 0o700
