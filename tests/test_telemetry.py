"""OpenTelemetry: off by default; one trace per run, a span per stage with row counts,
errors masked; an unreachable collector costs seconds and one warning, never a hang."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hotpass_lib import telemetry
from hotpass_lib.errors import ConfigError

RUN = "20261128T000000Z-abc123"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    for key in (telemetry.ENV_RUN, telemetry.ENV_FILE, telemetry.ENV_PARENT):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv(telemetry.ENV_MODE, "file")
    exporter = InMemorySpanExporter()
    telemetry.use_exporter(exporter)
    yield exporter
    telemetry.use_exporter(None)


@telemetry.traced("hotpass.test.step")
def _step(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return tables


def test_off_by_default_changes_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(telemetry.ENV_MODE, raising=False)
    monkeypatch.delenv(telemetry.ENV_PARENT, raising=False)
    before = dict(os.environ)
    with telemetry.span("hotpass.run", run_id=RUN, run_dir=tmp_path) as current:
        assert current is None
        assert dict(os.environ) == before
    assert list(tmp_path.iterdir()) == []


def test_a_run_is_one_trace_with_a_span_per_stage(
    spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    with telemetry.span("hotpass.run", {"hotpass.run_id": RUN}, run_id=RUN, run_dir=tmp_path):
        for stage in ("ingest", "validate"):
            with telemetry.span(f"hotpass.stage.{stage}", {"hotpass.stage": stage}, run_id=RUN):
                assert os.environ[telemetry.ENV_RUN] == RUN  # what kernels inherit
                parent = os.environ[telemetry.ENV_PARENT]
                _step({"organisations": pd.DataFrame({"a": range(7)})})
    assert telemetry.ENV_PARENT not in os.environ  # restored after the run
    found = {s.name: s for s in spans.get_finished_spans()}
    assert sorted(found) == [
        "hotpass.run",
        "hotpass.stage.ingest",
        "hotpass.stage.validate",
        "hotpass.test.step",
    ]
    run = found["hotpass.run"]
    assert {s.context.trace_id for s in found.values()} == {run.context.trace_id}
    assert run.context.trace_id == telemetry._trace_id(RUN)  # the same in every process
    assert found["hotpass.stage.ingest"].parent.span_id == run.context.span_id
    assert found["hotpass.test.step"].attributes["hotpass.organisations.rows"] == 7
    assert parent.split("-")[1] == f"{run.context.trace_id:032x}"  # W3C traceparent


def test_a_span_in_another_process_joins_through_traceparent(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(telemetry.ENV_RUN, RUN)
    monkeypatch.setenv(
        telemetry.ENV_PARENT, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    )
    with telemetry.span("hotpass.stage.refine"):
        pass
    (stage,) = spans.get_finished_spans()
    assert f"{stage.context.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"
    assert f"{stage.parent.span_id:016x}" == "b7ad6b7169203331"


def test_errors_are_recorded_with_personal_data_masked(spans: InMemorySpanExporter) -> None:
    with (
        pytest.raises(ValueError),
        telemetry.span("hotpass.stage.ingest", run_id=RUN, run_dir=Path(".")),
    ):
        raise ValueError("bad row for jane.doe@example.org, call +27 82 555 0199")
    (stage,) = spans.get_finished_spans()
    text = stage.status.description + json.dumps([dict(e.attributes) for e in stage.events])
    assert "jane.doe@" not in text and "555 0199" not in text
    assert "ValueError" in text and stage.status.status_code.name == "ERROR"


def test_an_unknown_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(telemetry.ENV_MODE, "jaeger")
    with pytest.raises(ConfigError, match="off, file, otlp"):
        telemetry.mode()


def _blackhole() -> tuple[str, socket.socket]:
    """A collector that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}", server


SCRIPT = """
import sys
from pathlib import Path
from hotpass_lib import telemetry
with telemetry.span("hotpass.run", run_id="r1", run_dir=Path(sys.argv[1])):
    for stage in ("ingest", "validate", "refine", "publish"):
        with telemetry.span("hotpass.stage." + stage):
            pass
print("done")
"""


@pytest.mark.parametrize("collector", ["never answers", "refuses"])
def test_an_unreachable_collector_costs_one_warning_not_a_hang(
    collector: str, tmp_path: Path
) -> None:
    server = None
    if collector == "never answers":
        endpoint, server = _blackhole()
    else:
        endpoint = "http://127.0.0.1:9"  # discard port: connection refused
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "HOTPASS_TELEMETRY": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
    try:
        done = subprocess.run(
            [sys.executable, str(script), str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=20 * telemetry.EXPORT_TIMEOUT_S,  # a hang would never end
            check=False,
        )
    finally:
        if server is not None:
            server.close()
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr
    warnings = [line for line in done.stderr.splitlines() if "telemetry:" in line]
    assert len(warnings) == 1 and endpoint in warnings[0], done.stderr
