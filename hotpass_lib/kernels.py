"""Warm kernels: start the next stage's kernel while the current stage runs.

A warm kernel is started in the notebooks folder and, in the background, imports what its
notebook imports (its cells' top-level ``import`` statements, plus the libraries the stage
loads lazily), silently: no output, no execution count, nothing in the notebook. When the
stage runs, papermill executes the notebook on that kernel, so kernel start-up and imports
overlap the previous stage instead of adding to it.

For a whole run, a :class:`KernelZygote` imports every stage's libraries once and each
stage's kernel is forked from it (:mod:`hotpass_lib.forkserver`): a kernel then starts in a
fraction of a second with its imports already done, and Great Expectations, which the
validate and publish stages both use, is imported once instead of twice.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager

from .stages import STAGES

LAZY_IMPORTS: dict[str, tuple[str, ...]] = {
    s.name: s.warm_imports for s in STAGES if s.warm_imports
}
"""Libraries a stage's library calls import on first use (not in the notebook's cells),
as the stage registry declares them."""
WARM_TIMEOUT_S = 300
DEFAULT_KERNEL = "hotpass"
FORK_ENV = "HOTPASS_FORK_KERNELS"
"""Set to ``0`` to start every kernel from scratch instead of forking it (:class:`KernelZygote`)."""
LAUNCHER = Path(__file__).with_name("kernel_launcher.py")

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


FREEZE = '__import__("gc").freeze()'
"""Run after a kernel's imports: the objects they made (a million or more with Great
Expectations and Splink) are set apart from garbage collection, which would otherwise walk
them all on every full collection while a stage allocates millions of values (loading the
1M-row publish inputs: 4.4 → 3.2 s). The zygote runs it before each fork."""


def warm_up_code(notebook: Path, extra: tuple[str, ...] = ()) -> str:
    """What a warm kernel runs before the notebook: :func:`import_code`, after deferring
    work the imports would do eagerly (:mod:`hotpass_lib.deferred`), then :data:`FREEZE`."""
    defer = '__import__("hotpass_lib.deferred").deferred.defer_iri_grammars()'
    return f"{defer}\n{import_code(notebook, extra)}\n{FREEZE}"


def fork_prefix(argv: list[str]) -> list[str] | None:
    """The interpreter and its options in a kernel command, if it is an IPython kernel
    (``... -m ipykernel_launcher ...``) of this very Python, whose libraries a zygote run by
    this Python imports; else ``None``."""
    for i in range(1, len(argv) - 1):
        if argv[i : i + 2] == ["-m", "ipykernel_launcher"]:
            same = Path(argv[0]).absolute() == Path(sys.executable).absolute()
            return argv[:i] if same else None
    return None


def forking_possible() -> bool:
    """Whether kernels may be forked here: on Linux, unless turned off (:data:`FORK_ENV`)."""
    return sys.platform == "linux" and os.environ.get(FORK_ENV, "1") != "0"


class _ForkedSpecs(KernelSpecManager):
    """Kernel specs whose command starts the kernel through the zygote's launcher."""

    def __init__(self, socket: Path, stage: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._socket, self._stage = socket, stage

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        spec = super().get_kernel_spec(kernel_name)
        launcher = [sys.executable, "-I", "-S", str(LAUNCHER), str(self._socket), self._stage]
        spec.argv = [*launcher, "--", *spec.argv]
        return spec


class KernelZygote:
    """A process that imports the libraries of ``stages`` once, in pipeline order, and forks
    each stage's kernel from itself (:mod:`hotpass_lib.forkserver`). Raises ``ValueError``
    if ``kernel_name`` is not an IPython kernel of this Python."""

    def __init__(
        self, kernel_name: str, notebooks: dict[str, Path], lazy: dict[str, tuple[str, ...]]
    ) -> None:
        from .forkserver import KERNEL_IMPORTS

        spec = KernelSpecManager().get_kernel_spec(kernel_name)
        prefix = fork_prefix(spec.argv)
        if prefix is None:
            raise ValueError(f"kernel {kernel_name!r} is not an IPython kernel of {sys.executable}")
        self.kernel_name = kernel_name
        self._dir = Path(tempfile.mkdtemp(prefix="hotpass-zygote-"))
        self.socket = self._dir / "zygote.sock"
        phases = [("", KERNEL_IMPORTS)]
        phases += [(stage, import_code(nb, lazy.get(stage, ()))) for stage, nb in notebooks.items()]
        plan = self._dir / "plan.json"
        plan.write_text(json.dumps(phases), encoding="utf-8")
        folders = {nb.parent for nb in notebooks.values()}
        self._log = (self._dir / "zygote.log").open("w", encoding="utf-8")
        # listening before the zygote starts: a kernel asked for early waits in the backlog
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(str(self.socket))
            listener.listen(16)
            self.process = subprocess.Popen(
                [*prefix, "-m", "hotpass_lib.forkserver", str(listener.fileno()), str(plan)],
                cwd=str(folders.pop()) if len(folders) == 1 else None,
                env={**os.environ, **spec.env},
                stdin=subprocess.PIPE,  # its lifeline: it ends when this closes
                stdout=self._log,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
                start_new_session=True,  # a Ctrl-C is the runner's to handle
            )

    def specs(self, stage: str) -> KernelSpecManager:
        """Kernel specs that fork ``stage``'s kernel from this zygote."""
        return _ForkedSpecs(self.socket, stage)

    def shutdown(self) -> None:
        """Stop the zygote (kernels forked from it end with their own launchers)."""
        try:
            if self.process.stdin:
                self.process.stdin.close()
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        finally:
            self._log.close()
            if self.process.returncode:  # its kernels started on their own: say why
                tail = (self._dir / "zygote.log").read_text(encoding="utf-8", errors="replace")
                log.debug("kernel zygote ended with %s: %s", self.process.returncode, tail[-2000:])
            shutil.rmtree(self._dir, ignore_errors=True)


_STOPPING: list[threading.Thread] = []
"""Kernels being shut down in the background."""


def wait_for_shutdowns() -> None:
    """Return when every kernel shut down in the background has stopped."""
    while _STOPPING:
        _STOPPING.pop().join()


class WarmKernel:
    """A started kernel whose imports are under way; hand it to papermill with :meth:`take`.
    With ``zygote``, the kernel is forked from it."""

    def __init__(
        self,
        kernel_name: str,
        notebook: Path,
        extra: tuple[str, ...] = (),
        zygote: KernelZygote | None = None,
        stage: str = "",
    ) -> None:
        self._sockets = Path(tempfile.mkdtemp(prefix="hotpass-kernel-"))
        specs: dict[str, Any] = {"kernel_spec_manager": zygote.specs(stage)} if zygote else {}
        self.km = KernelManager(  # local sockets: nothing listens on TCP
            kernel_name=kernel_name,
            transport="ipc",
            ip=str(self._sockets / "kernel"),
            client_class="jupyter_client.asynchronous.AsyncKernelClient",
            **specs,
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
            target=self._warm, args=(warm_up_code(notebook, extra),), daemon=True
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

    def shutdown(self, wait: bool = True) -> None:
        """Stop the kernel (an unused warm kernel, or one a stage has finished with); with
        ``wait=False`` in a background thread, so the next stage need not wait for it (see
        :func:`wait_for_shutdowns`)."""
        if not wait:
            stopping = threading.Thread(target=self.shutdown, name="hotpass-kernel-shutdown")
            _STOPPING.append(stopping)
            stopping.start()
            return
        try:
            if self.km.has_kernel:
                # Under coverage (ci/coverage.sh) stop gracefully: a killed kernel never
                # writes its coverage data.
                self.km.shutdown_kernel(now="COVERAGE_PROCESS_CONFIG" not in os.environ)
        finally:
            self.km.cleanup_resources()
            self._log.close()
            shutil.rmtree(self._sockets, ignore_errors=True)
