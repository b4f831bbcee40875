"""Kernels forked from the kernel zygote: the same kernel as one started on its own, with its
imports done, its launcher's environment, signals passed on, and no kernel left behind."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest

from hotpass_lib.forkserver import kernel_arguments
from hotpass_lib.kernels import KernelZygote, WarmKernel, fork_prefix

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="kernels are forked on Linux")

PROBE = """\
import json, os, sys
import matplotlib
import pandas as pd
print(json.dumps({
    "imported": "colorsys" in sys.modules,
    "max_columns": pd.get_option("display.max_columns"),
    "encoding": pd.get_option("display.encoding"),
    "backend": matplotlib.get_backend(),
    "folder": os.path.basename(os.getcwd()),
    "probe": os.environ.get("HOTPASS_PROBE"),
    "argv": os.path.basename(sys.argv[0]),
    "ppid": os.getppid(),
    "pid": os.getpid(),
}))"""


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "hotpass", "display_name": "hotpass", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import colorsys"), nbformat.v4.new_code_cell(PROBE)]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    return _notebook(tmp_path / "probe.ipynb")


@pytest.fixture
def zygote(probe: Path) -> Iterator[KernelZygote]:
    started = KernelZygote("hotpass", {"probe": probe}, {})
    yield started
    started.shutdown()


def _run(notebook: Path, kernel: WarmKernel) -> dict:
    try:
        out = papermill.execute_notebook(
            str(notebook),
            str(notebook.with_name("out.ipynb")),
            km=kernel.take(),
            progress_bar=False,
            cwd=str(notebook.parent),
        )
    finally:
        kernel.shutdown()
    return json.loads(out.cells[1].outputs[0]["text"])


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (waiting up to a minute for it)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_a_forked_kernel_is_the_kernel_a_notebook_gets_on_its_own(
    probe: Path, zygote: KernelZygote, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTPASS_PROBE", "from the runner")  # set after the zygote started
    own = _run(probe, WarmKernel("hotpass", probe))
    forked = _run(probe, WarmKernel("hotpass", probe, zygote=zygote, stage="probe"))
    assert forked.pop("ppid") == zygote.process.pid  # forked, not started on its own
    assert own.pop("ppid") != zygote.process.pid
    assert forked.pop("pid") != own.pop("pid")
    # pandas and Matplotlib configured as in a kernel, the runner's environment and folder
    assert forked == own
    assert own["imported"] and own["max_columns"] == 20 and own["probe"] == "from the runner"
    assert zygote.process.poll() is None  # the zygote stays for the next stage


@contextmanager
def _forked(probe: Path, zygote: KernelZygote) -> Iterator[tuple[WarmKernel, Any, Any]]:
    """A forked kernel, its manager and a ready client (its channels stopped afterwards)."""
    kernel = WarmKernel("hotpass", probe, zygote=zygote, stage="probe")
    km = kernel.take()
    assert km is not None
    client = km.blocking_client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        yield kernel, km, client
    finally:
        client.stop_channels()


def test_the_kernel_ends_with_its_launcher(probe: Path, zygote: KernelZygote) -> None:
    with _forked(probe, zygote) as (kernel, km, client):
        reply = client.execute_interactive("import os; pid = os.getpid()", timeout=60)
        assert reply["content"]["status"] == "ok"
        pids: list[str] = []
        client.execute_interactive(
            "print(pid)",
            timeout=60,
            output_hook=lambda m: pids.append(m["content"].get("text", "")),
        )
    pid = int("".join(pids))
    os.kill(km.provisioner.pid, signal.SIGKILL)  # the launcher
    assert _gone(pid)  # its lifeline closed: no kernel left behind
    kernel.shutdown()


def test_an_interrupt_reaches_a_forked_kernel(probe: Path, zygote: KernelZygote) -> None:
    with _forked(probe, zygote) as (kernel, km, client):
        code = "import time\nprint('running', flush=True)\nfor _ in range(600): time.sleep(0.1)"
        msg_id = client.execute(code)
        started: dict = {}  # the cell's own code runs (an interrupt earlier would miss it)
        while not (
            started.get("msg_type") == "stream" and started["parent_header"].get("msg_id") == msg_id
        ):
            started = client.get_iopub_msg(timeout=60)
        km.interrupt_kernel()
        reply: dict = {}
        while reply.get("parent_header", {}).get("msg_id") != msg_id:
            reply = client.get_shell_msg(timeout=60)
        assert reply["content"]["ename"] == "KeyboardInterrupt"
    kernel.shutdown()


def test_without_the_zygote_the_launcher_starts_the_kernel_itself(
    probe: Path, zygote: KernelZygote
) -> None:
    zygote.shutdown()  # gone before the kernel is asked for
    result = _run(probe, WarmKernel("hotpass", probe, zygote=zygote, stage="probe"))
    assert result["ppid"] == os.getpid()  # the launcher became the kernel
    assert result["imported"] and result["argv"] == "ipykernel_launcher.py"


def test_only_ipython_kernels_of_this_python_are_forked() -> None:
    python = sys.executable
    assert fork_prefix(
        [python, "-X", "frozen_modules=off", "-m", "ipykernel_launcher", "-f", "c"]
    ) == [
        python,
        "-X",
        "frozen_modules=off",
    ]
    assert fork_prefix(["/other/python", "-m", "ipykernel_launcher", "-f", "c"]) is None
    assert fork_prefix(["R", "--slave", "-e", "IRkernel::main()", "--args", "c"]) is None
    assert kernel_arguments([python, "-m", "ipykernel_launcher", "-f", "c", "--x=1"]) == [
        "-f",
        "c",
        "--x=1",
    ]
