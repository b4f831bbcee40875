"""Start a stage's kernel as a fork of the kernel zygote (:mod:`hotpass_lib.forkserver`).

Jupyter starts this in place of the kernel (the kernel spec's command, rewritten by
:class:`hotpass_lib.kernels.KernelZygote`)::

    python -I -S kernel_launcher.py ZYGOTE_SOCKET STAGE -- KERNEL ARGV...

It hands the zygote its standard streams, environment and folder; the zygote forks a
kernel with them, and this process stands in for it: Jupyter's signals (interrupt,
terminate) are passed on, and it ends when the kernel ends. A lifeline pipe, whose write end
only this process holds, ends the kernel when this process is killed. If the zygote cannot
be reached, this process becomes the kernel itself (``exec`` of the original command), as if
there were no zygote.

Run by path, without ``site``: standard library only, no package imports.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
import time

FORWARDED = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
)
"""Signals Jupyter may send the kernel's process (group): passed on to the kernel."""
REPLY_TIMEOUT_S = 600
"""The zygote answers once it has imported the stage's libraries: seconds, not minutes."""


def request_kernel(path: str, stage: str, argv: list[str]) -> tuple[int, int]:
    """Ask the zygote at ``path`` for a kernel: its pid, and the write end of its lifeline."""
    lifeline, keep = os.pipe()  # not inherited by an exec: the fallback kernel ends it too
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(REPLY_TIMEOUT_S)
        conn.connect(path)
        message = {"stage": stage, "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
        payload = json.dumps(message).encode() + b"\n"
        sent = socket.send_fds(conn, [payload], [0, 1, 2, lifeline])
        if sent < len(payload):  # (an empty send would fail if the answer came already)
            conn.sendall(payload[sent:])
        os.close(lifeline)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                raise ConnectionError("the zygote closed the connection")
            reply += chunk
    return int(json.loads(reply)["pid"]), keep


def wait_for(pid: int) -> None:
    """Return when process ``pid`` (not a child of this one) has ended."""
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):  # before Linux 5.3: poll
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
    select.select([handle], [], [])  # readable when the process ends; retried after signals
    os.close(handle)


def main(argv: list[str]) -> None:
    path, stage, separator, *kernel = argv
    if separator != "--" or not kernel:
        raise SystemExit("usage: kernel_launcher.py SOCKET STAGE -- KERNEL ARGV...")
    try:
        pid, _lifeline = request_kernel(path, stage, kernel)
    except (OSError, ValueError, KeyError) as exc:
        print(f"kernel zygote unavailable ({exc}): starting the kernel itself", file=sys.stderr)
        sys.stderr.flush()
        os.execv(kernel[0], kernel)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for signum in FORWARDED:
        signal.signal(signum, forward)
    wait_for(pid)


if __name__ == "__main__":
    main(sys.argv[1:])
