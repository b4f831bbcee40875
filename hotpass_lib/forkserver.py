"""The kernel zygote: one process imports every stage's libraries once, then forks a kernel
per stage, so no kernel starts Python, IPython, pandas or Great Expectations from scratch.

Started by :class:`hotpass_lib.kernels.KernelZygote` in the notebooks folder, with the
kernel's interpreter and environment (``python -m hotpass_lib.forkserver FD PLAN``, ``FD``
a Unix socket already listening, so a kernel can be asked for from the first moment).
The plan lists the import code of each stage in pipeline order (the warm-up code of
:func:`hotpass_lib.kernels.import_code`), after IPython's kernel machinery. The zygote
imports them phase by phase; a kernel asked for (by :mod:`hotpass_lib.kernel_launcher`) is
forked as soon as its stage's phase is imported, so the first stage's kernel does not wait
for the last stage's libraries (a kernel asked for later may find later stages' libraries
imported too; a run's executed notebooks were compared with those of kernels started on
their own: the same but for object addresses).

A forked kernel is an ordinary IPython kernel started by ``ipykernel``'s own entry point with
the launcher's streams, environment, folder and arguments; nothing of a notebook has run in
the zygote, so each stage still starts from a clean namespace. The zygote imports only (no
threads of its own, no event loop, no sockets of ZeroMQ), which is what makes the fork
safe; BLAS and Arrow pools started by imports are reset by their own fork handlers. It ends
when its standard input closes (the runner ended) and runs on Linux only.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import importlib
import io
import json
import os
import selectors
import signal
import socket
import sys
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .deferred import defer_iri_grammars

KERNEL_IMPORTS = "import ipykernel.kernelapp\nimport ipykernel.ipkernel\nimport ipykernel.zmqshell"
"""What every kernel imports before its notebook: the first phase."""
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
"""The Matplotlib backend ipykernel chooses before a notebook imports Matplotlib."""
REQUEST_TIMEOUT_S = 10


@dataclass
class Request:
    """A kernel asked for: the launcher's connection, message and file descriptors."""

    conn: socket.socket
    stage: str
    argv: list[str]
    cwd: str
    env: dict[str, str]
    fds: list[int] = field(default_factory=list)


def read_request(conn: socket.socket) -> Request:
    """The launcher's message (one JSON line) and its four descriptors: stdin, stdout,
    stderr and the lifeline."""
    conn.settimeout(REQUEST_TIMEOUT_S)
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 4)
    try:
        while not data.endswith(b"\n"):
            chunk = conn.recv(1 << 16)
            if not chunk:
                raise ConnectionError("the launcher closed the connection")
            data += chunk
        message = json.loads(data)
        if len(fds) != 4:
            raise ValueError(f"expected 4 file descriptors, got {len(fds)}")
        return Request(conn, message["stage"], message["argv"], message["cwd"], message["env"], fds)
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


def kernel_arguments(argv: list[str]) -> list[str]:
    """The arguments of ``ipykernel_launcher`` in a kernel command line."""
    return argv[argv.index("ipykernel_launcher") + 1 :]


def _exit_with(lifeline: int) -> None:
    """End this kernel when its launcher ends (the lifeline's write end closes)."""
    try:
        while os.read(lifeline, 1):
            pass
    finally:
        os._exit(1)


def become_kernel(request: Request, set_by_imports: dict[str, str | None]) -> None:
    """In the forked child: take the launcher's streams, folder and environment (with what
    the zygote's imports ``set_by_imports``), and run ``ipykernel`` as ``python -m
    ipykernel_launcher ARGS`` would."""
    stdin, stdout, stderr, lifeline = request.fds
    for target, fd in ((0, stdin), (1, stdout), (2, stderr)):
        os.dup2(fd, target)
    for fd in (stdin, stdout, stderr):
        if fd > 2:
            os.close(fd)
    os.setsid()  # its own process group, like a kernel Jupyter starts
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request.cwd)
    os.environ.clear()
    os.environ.update(request.env)
    for name, value in set_by_imports.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    threading.Thread(target=_exit_with, args=(lifeline,), daemon=True).start()
    import ipykernel_launcher
    from ipykernel import kernelapp

    # what ipykernel reads from the environment as it is imported, read now
    parent = request.env.get("JPY_PARENT_PID")
    given = [f"--IPKernelApp.parent_handle={parent}"] if parent else []
    sys.argv = [str(ipykernel_launcher.__file__), *kernel_arguments(request.argv), *given]
    kernelapp.launch_new_instance()


class Zygote:
    """The zygote's state: its listening socket, the phases imported, the requests waiting."""

    def __init__(self, listener: socket.socket, phases: list[tuple[str, str]]) -> None:
        self.environ = dict(os.environ)  # before the imports, which may set variables
        self.phases = phases
        self.planned = {stage for stage, _ in phases}
        self.imported: set[str] = set()
        self.waiting: list[Request] = []
        self.kernels: set[int] = set()  # forked, not yet collected
        self.listener = listener
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(sys.stdin, selectors.EVENT_READ)
        self.namespace: dict[str, Any] = {"__name__": "__hotpass_zygote__"}

    def ready(self, stage: str) -> bool:
        return stage in self.imported or stage not in self.planned

    def poll(self, timeout: float | None) -> bool:
        """Fork the kernels whose phase is imported, then wait up to ``timeout`` for new
        requests (and fork those that can be); False once the runner has gone (standard
        input closed)."""
        self.fork_ready()
        for key, _ in self.selector.select(timeout):
            if key.fileobj is self.listener:
                conn, _ = self.listener.accept()
                try:
                    self.waiting.append(read_request(conn))
                except (OSError, ValueError, KeyError) as exc:
                    print(f"bad kernel request: {exc}", file=sys.stderr)
                    conn.close()
            elif not os.read(sys.stdin.fileno(), 1 << 10):
                return False
        self.fork_ready()
        return True

    def collect(self, wait: bool = False) -> None:
        """Collect the kernels that have ended (the zygote is their parent; ``wait``: wait
        for them to end). Only its own: a child a library started as it was imported is
        that library's to wait for."""
        for pid in list(self.kernels):
            with contextlib.suppress(ChildProcessError):
                if not os.waitpid(pid, 0 if wait else os.WNOHANG)[0]:
                    continue
            self.kernels.discard(pid)

    def fork_ready(self) -> None:
        """Fork a kernel for each waiting request whose stage's phase is imported."""
        for request in [r for r in self.waiting if self.ready(r.stage)]:
            self.waiting.remove(request)
            self.fork(request)

    def fork(self, request: Request) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # what is imported so far: the kernel's collector never walks it
        pid = os.fork()
        if pid == 0:  # the kernel: never returns to the zygote's loop
            code = 1
            try:
                self.selector.close()
                self.listener.close()
                request.conn.close()
                for other in self.waiting:  # not this kernel's to hold
                    other.conn.close()
                    for fd in other.fds:
                        os.close(fd)
                become_kernel(request, self.set_by_imports())
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            except BaseException:
                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        self.kernels.add(pid)
        for fd in request.fds:
            os.close(fd)
        with contextlib.suppress(OSError):  # the launcher is gone: so is the kernel's lifeline
            request.conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        request.conn.close()

    def set_by_imports(self) -> dict[str, str | None]:
        """Environment variables the imports set or removed (``None``), as they would have in
        a kernel of its own (pyspark sets ``PYARROW_IGNORE_TIMEZONE``, for one)."""
        names = set(self.environ) | set(os.environ)
        return {n: os.environ.get(n) for n in names if os.environ.get(n) != self.environ.get(n)}

    def run(self) -> None:
        import_as_in_a_kernel("pandas")
        for stage, code in self.phases:
            if not self.poll(0):
                return
            try:
                imports = compile(code, f"<imports of {stage or 'the kernel'}>", "exec")
                exec(imports, self.namespace)  # nosec B102 # import lines from the stage registry
            except Exception:  # the notebook's own import cell will show the problem
                traceback.print_exc()
            self.imported.add(stage)
        while self.poll(None):
            pass
        self.collect(wait=True)  # their launchers are gone by now: they end at once


def import_as_in_a_kernel(module: str) -> None:
    """Import ``module`` as it would be imported in a Jupyter kernel. pandas looks at its
    surroundings as it is imported: it shows at most 20 columns when ``get_ipython()`` is a
    kernel's shell (as many as fit a terminal otherwise), and takes its display encoding
    from standard output's (ipykernel's is ``UTF-8``). The zygote is not a kernel yet, but
    its forks are."""

    class _Kernel:
        kernel = True

    stdout = sys.stdout
    setattr(builtins, "get_ipython", _Kernel)  # noqa: B010 (where IPython puts it)
    sys.stdout = io.TextIOWrapper(io.BytesIO(), encoding="UTF-8")
    try:
        importlib.import_module(module)
    finally:
        sys.stdout = stdout
        delattr(builtins, "get_ipython")


def serve(listener: socket.socket, plan: Path) -> None:
    """Import the plan's phases and fork kernels asked for on ``listener`` until standard
    input closes."""
    phases = [(stage, code) for stage, code in json.loads(plan.read_text(encoding="utf-8"))]
    # as ipykernel_launcher: the folder it starts in is not on the import path
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)  # before Matplotlib is imported
    defer_iri_grammars()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner stops it, not a Ctrl-C
    zygote = Zygote(listener, phases)
    signal.signal(signal.SIGCHLD, lambda _signum, _frame: zygote.collect())
    zygote.run()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # nothing to clean up: finalising thousands of modules would take a second


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])), Path(sys.argv[2]))
