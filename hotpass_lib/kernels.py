"""Warm kernels: start the next stage's kernel while the current stage runs.

A warm kernel is started in the notebooks folder and, in the background, imports what its
notebook imports (its cells' top-level ``import`` statements, plus the libraries the stage
loads lazily), silently: no output, no execution count, nothing in the notebook. When the
stage runs, papermill executes the notebook on that kernel, so kernel start-up and imports
overlap the previous stage instead of adding to it.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

from jupyter_client.manager import KernelManager

from .stages import STAGES

LAZY_IMPORTS: dict[str, tuple[str, ...]] = {
    s.name: s.warm_imports for s in STAGES if s.warm_imports
}
"""Libraries a stage's library calls import on first use (not in the notebook's cells),
as the stage registry declares them."""
WARM_TIMEOUT_S = 300
DEFAULT_KERNEL = "hotpass"

log = logging.getLogger(__name__)


def ensure_kernel(name: str) -> bool:
    """Whether Jupyter kernel ``name`` is registered; the default ``hotpass`` kernel is
    registered for this Python (in its environment) when missing, as after ``pip install``."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
        return True
    except NoSuchKernel:
        if name != DEFAULT_KERNEL:
            return False
    import sys

    from ipykernel.kernelspec import install

    try:
        install(kernel_name=name, display_name="Python (hotpass)", prefix=sys.prefix)
    except OSError as exc:
        log.warning("cannot register the %s kernel in %s: %s", name, sys.prefix, exc)
        return False
    return True


def import_code(notebook: Path, extra: tuple[str, ...] = ()) -> str:
    """The notebook's top-level import statements (and ``extra`` modules) as one cell."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    lines = [f"import {name}" for name in extra]
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        try:
            tree = ast.parse(source)
        except SyntaxError:  # IPython magics: nothing to warm there
            continue
        lines += [ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return "\n".join(dict.fromkeys(lines))


class WarmKernel:
    """A started kernel whose imports are under way; hand it to papermill with :meth:`take`."""

    def __init__(self, kernel_name: str, notebook: Path, extra: tuple[str, ...] = ()) -> None:
        self._sockets = Path(tempfile.mkdtemp(prefix="hotpass-kernel-"))
        self.km = KernelManager(  # local sockets: nothing listens on TCP
            kernel_name=kernel_name,
            transport="ipc",
            ip=str(self._sockets / "kernel"),
            client_class="jupyter_client.asynchronous.AsyncKernelClient",
        )
        # the kernel's own stderr (shutdown noise included) goes to a log, not the user's
        # console: papermill reports a cell's errors through the kernel's messages
        self._log = (self._sockets / "kernel.log").open("w", encoding="utf-8")
        self.km.start_kernel(
            cwd=str(notebook.parent),
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
            stderr=self._log,
        )
        self._sent = threading.Event()  # the warm-up is queued in the kernel
        self._warming = threading.Thread(
            target=self._warm, args=(import_code(notebook, extra),), daemon=True
        )
        self._warming.start()

    def _warm(self, code: str) -> None:
        client = self.km.blocking_client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=WARM_TIMEOUT_S)
            msg_id = client.execute(code, silent=True, store_history=False)
            self._sent.set()
            reply: dict = {}
            while reply.get("parent_header", {}).get("msg_id") != msg_id:
                reply = client.get_shell_msg(timeout=WARM_TIMEOUT_S)
        except Exception as exc:  # the notebook's own import cell will show any real problem
            log.debug("warming kernel failed: %s", exc)
        finally:
            self._sent.set()  # also when warming failed: never keep a stage waiting
            client.stop_channels()

    def take(self) -> KernelManager | None:
        """The kernel manager if its kernel is alive (imports may still be running, but are
        queued ahead of the notebook's first cell)."""
        self._sent.wait(timeout=WARM_TIMEOUT_S)
        if self.km.is_alive():
            return self.km
        self.shutdown()
        return None

    def shutdown(self) -> None:
        """Stop the kernel (an unused warm kernel, or one a stage has finished with)."""
        try:
            if self.km.has_kernel:
                # Under coverage (ci/coverage.sh) stop gracefully: a killed kernel never
                # writes its coverage data.
                self.km.shutdown_kernel(now="COVERAGE_PROCESS_CONFIG" not in os.environ)
        finally:
            self.km.cleanup_resources()
            self._log.close()
            shutil.rmtree(self._sockets, ignore_errors=True)
