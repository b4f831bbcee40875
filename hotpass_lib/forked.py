"""Run a function in a forked child process while the caller goes on.

The child starts with the caller's memory, so the frames it works on are not copied or
pickled on the way in; only its result comes back, pickled through a pipe. Used where a
step's work splits in two parts that hold the GIL (publish's workbook beside its Parquet and
CSV files; refine's contacts beside survivorship), so that the second core does half.

The child runs library code only (pandas, Arrow, the XLSX writer): no DuckDB connection
and no thread of the parent is used in it, and the parent's garbage is collected before
the fork (so the child never finalises the parent's native resources): that is what makes
the fork safe in a kernel.
Where ``fork`` is not available (Windows), the call runs in the caller when its result is
asked for, with the same result.
"""

from __future__ import annotations

import faulthandler
import gc
import multiprocessing
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ForkedCallError(ChildProcessError):
    """The child ended without a result (killed, out of memory) or its error could not be
    sent back as it was."""


class Forked(Generic[T]):
    """``fn(*args, **kwargs)`` running in a forked child; :meth:`result` waits for it.

    As a context manager it makes sure the child is gone when the block ends: a caller
    that fails before asking for the result does not leave the child running."""

    def __init__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> None:
        self._call = (fn, args, kwargs)
        self._process: Any = None
        if "fork" not in multiprocessing.get_all_start_methods():
            return
        # garbage is freed here, not in the child: a cycle holding a DuckDB connection (as
        # Splink leaves them) finalised in the child crashed it, its threads being gone
        gc.collect()
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(writer, fn, args, kwargs))
        self._process.daemon = True
        self._process.start()
        writer.close()

    def result(self) -> T:
        """The call's return value; its exception is raised here."""
        fn, args, kwargs = self._call
        if self._process is None:
            return fn(*args, **kwargs)
        try:
            ok, value = self._reader.recv()
        except EOFError:
            self._process.join()
            raise ForkedCallError(
                f"{fn.__name__} ended in its child process without a result "
                f"(exit code {self._process.exitcode})"
            ) from None
        finally:
            self._reader.close()
        self._process.join()
        if not ok:
            raise value
        return value

    def __enter__(self) -> Forked[T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join()


def _child(writer: Any, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    if sys.__stderr__ is not None:  # a crash says where, on the real stderr
        faulthandler.enable(file=sys.__stderr__)
    try:
        outcome: tuple[bool, Any] = (True, fn(*args, **kwargs))
    except BaseException as exc:  # sent back and raised in the parent
        exc.add_note(
            "in a forked child process:\n" + "".join(traceback.format_tb(exc.__traceback__))
        )
        outcome = (False, exc)
    try:
        writer.send(outcome)
    except Exception:  # an error (or result) that does not pickle: its text instead
        text = "".join(traceback.format_exception(outcome[1])) if not outcome[0] else ""
        writer.send((False, ForkedCallError(f"{fn.__name__} failed in its child:\n{text}")))
    finally:
        writer.close()
