"""The kernel launcher: what it hands the zygote, how it stands in for the forked kernel,
and its fallback to a kernel of its own."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hotpass_lib import kernel_launcher
from hotpass_lib.forkserver import read_request
from hotpass_lib.kernels import LAUNCHER

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="kernels are forked on Linux")


def _fake_zygote(path: Path, pid: int, seen: dict) -> threading.Thread:
    """A zygote that answers one request with ``pid`` and keeps what it was sent."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        request = read_request(conn)
        seen.update(stage=request.stage, argv=request.argv, cwd=request.cwd, env=request.env)
        seen["fds"] = len(request.fds)
        seen["lifeline"] = request.fds[3]
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        conn.close()
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_the_launcher_hands_over_its_streams_folder_environment_and_a_lifeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTPASS_PROBE", "handed over")
    seen: dict = {}
    server = _fake_zygote(tmp_path / "z.sock", 4242, seen)
    pid, keep = kernel_launcher.request_kernel(str(tmp_path / "z.sock"), "refine", ["k", "-f", "c"])
    server.join(timeout=60)
    assert pid == 4242
    assert seen["stage"] == "refine" and seen["argv"] == ["k", "-f", "c"]
    assert seen["cwd"] == os.getcwd() and seen["env"]["HOTPASS_PROBE"] == "handed over"
    assert seen["fds"] == 4  # stdin, stdout, stderr, lifeline
    os.close(keep)  # the launcher ends: the kernel's end of the lifeline reads end of file
    assert os.read(seen["lifeline"], 1) == b""
    os.close(seen["lifeline"])


def test_the_launcher_lasts_as_long_as_the_kernel_and_passes_signals_on(tmp_path: Path) -> None:
    kernel = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, "
            "lambda *_: print('terminated', flush=True) or exit(0)); "
            "print('ready', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert kernel.stdout is not None
    # its handler is in place (under coverage the interpreter takes a while to get there)
    assert kernel.stdout.readline().strip() == "ready"
    seen: dict = {}
    _fake_zygote(tmp_path / "z.sock", kernel.pid, seen)
    before = {s: signal.getsignal(s) for s in kernel_launcher.FORWARDED}
    stop = threading.Event()

    def terminate() -> None:  # as Jupyter would, once the launcher stands in for the kernel
        while not stop.wait(0.05):
            if signal.getsignal(signal.SIGTERM) is not before[signal.SIGTERM]:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    jupyter = threading.Thread(target=terminate, daemon=True)
    jupyter.start()
    try:
        kernel_launcher.main([str(tmp_path / "z.sock"), "probe", "--", "k"])
    finally:
        stop.set()
        jupyter.join()
        for signum, handler in before.items():
            signal.signal(signum, handler)
    # main returned: the kernel had ended, after its own SIGTERM handler ran
    assert kernel.wait(timeout=60) == 0
    assert kernel.stdout is not None and kernel.stdout.read().strip() == "terminated"


def test_without_a_zygote_the_launcher_becomes_the_kernel(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "print('a kernel of its own')"]
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            str(LAUNCHER),
            str(tmp_path / "none.sock"),
            "x",
            "--",
            *command,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == "a kernel of its own"
    assert "starting the kernel itself" in done.stderr
