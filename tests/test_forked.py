"""Forked calls: the result or the error comes back, a dead child is named, nothing leaks."""

from __future__ import annotations

import gc
import os
import signal
import time
from pathlib import Path

import pytest

from hotpass_lib.forked import Forked, ForkedCallError


def _pid_and_sum(values: list[int]) -> tuple[int, int]:
    return os.getpid(), sum(values)


def test_the_call_runs_in_another_process_and_its_result_comes_back() -> None:
    with Forked(_pid_and_sum, list(range(1000))) as call:
        pid, total = call.result()
    assert pid != os.getpid() and total == 499500


def _fail(text: str) -> None:
    raise ValueError(text)


def test_an_error_in_the_child_is_raised_in_the_caller_with_where_it_happened() -> None:
    with (
        pytest.raises(ValueError, match="sheet 'Data', row 7") as info,
        Forked(_fail, "sheet 'Data', row 7") as call,
    ):
        call.result()
    assert any("in a forked child process" in note for note in info.value.__notes__)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would


def test_a_child_that_dies_is_an_error_naming_the_call_and_exit_code() -> None:
    dead = r"_die ended .* without a result \(exit code -9\)"
    with pytest.raises(ForkedCallError, match=dead), Forked(_die) as call:
        call.result()


def _unpicklable() -> object:
    return lambda: None


def test_a_result_that_cannot_be_sent_back_is_an_error() -> None:
    with pytest.raises(ForkedCallError, match="_unpicklable failed"), Forked(_unpicklable) as call:
        call.result()


def test_a_caller_that_fails_first_leaves_no_child_running() -> None:
    with pytest.raises(RuntimeError), Forked(time.sleep, 60) as call:
        child = call._process
        raise RuntimeError("the caller's own work failed")
    assert child is not None and not child.is_alive()


class _Cycle:
    """Garbage with a finaliser, as a cycle holding a DuckDB connection is."""

    def __init__(self, log: Path) -> None:
        self.me, self.log = self, log

    def __del__(self) -> None:
        with self.log.open("a") as out:
            out.write(f"{os.getpid()}\n")


def _collect_garbage() -> int:
    gc.collect()
    return os.getpid()


def test_the_callers_garbage_is_finalised_in_the_caller_not_in_the_child(tmp_path: Path) -> None:
    """A cycle holding a DuckDB connection (as Splink leaves them) crashed the child when
    its collector finalised it there, the connection's threads being gone in the child: the
    caller collects its garbage before forking."""
    log = tmp_path / "finalised"
    _Cycle(log)  # garbage now: only its own cycle holds it
    with Forked(_collect_garbage) as call:
        child = call.result()
    assert log.read_text().split() == [str(os.getpid())] != [str(child)]
