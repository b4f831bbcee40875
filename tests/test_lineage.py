"""OpenLineage: events match the official schemas, always reach lineage.jsonl, reach an HTTP
endpoint when one is set, and an unreachable endpoint costs one bounded wait per run."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import jsonschema
import pytest
import referencing.exceptions

from hotpass_lib import lineage, runs
from hotpass_lib.stages import NAMES

from .conftest import fresh_workspace
from .openlineage_schema import NOT_VENDORED, SCHEMAS, validate_event, validator

RUN_ID = "20260101T000000Z-abcdef"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict]]] = []
    status: ClassVar[int] = 201

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body)))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def _serve(status: int) -> Iterator[tuple[str, list[tuple[str, dict]]]]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received, _Receiver.status = [], status
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Receiver.received
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, dict]]]]:
    yield from _serve(201)


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """A small Parquet table, so datasets carry schema and statistics facets."""
    import pandas as pd

    from hotpass_lib.store import write_parquet

    path = tmp_path / "data" / "t.parquet"
    path.parent.mkdir(parents=True)
    write_parquet(pd.DataFrame({"name": ["Aero Club"], "rows": [1]}), path)
    return path


def _emit_run(client: object, table: Path) -> None:
    """START and COMPLETE for each of the four stages, as a run emits them."""
    for stage in NAMES:
        checks = {str(table.resolve()): [{"assertion": "not_null", "success": True}]}
        inputs = lineage.datasets([table], False, checks)
        lineage.emit(client, "START", stage, RUN_ID, runs.now(), inputs, [])
        outputs = lineage.datasets([table], True)
        lineage.emit(client, "COMPLETE", stage, RUN_ID, runs.now(), inputs, outputs)


def _events(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "lineage.jsonl").read_text().splitlines()]


# --- the official schemas ---------------------------------------------------------------


def test_vendored_schemas_are_the_official_files_the_client_names() -> None:
    from openlineage.client.event_v2 import RunEvent
    from openlineage.client.generated import (
        data_quality_assertions_dataset,
        error_message_run,
        output_statistics_output_dataset,
        parent_run,
        schema_dataset,
        tags_run,
    )

    notice = (SCHEMAS / "NOTICE").read_text()
    listed = dict(re.findall(r"^(\S+\.json)\s.*\s([0-9a-f]{64})$", notice, re.M))
    files = {str(p.relative_to(SCHEMAS)): p for p in SCHEMAS.rglob("*.json")}
    assert set(listed) == set(files)
    for name, digest in listed.items():
        assert hashlib.sha256(files[name].read_bytes()).hexdigest() == digest, name
    ids = {json.loads(p.read_text())["$id"] for p in files.values()}
    named = {
        cls._get_schema().split("#")[0]
        for cls in (
            RunEvent,
            schema_dataset.SchemaDatasetFacet,
            error_message_run.ErrorMessageRunFacet,
            parent_run.ParentRunFacet,
            data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet,
            output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet,
            tags_run.TagsRunFacet,
        )
    }
    assert named == ids | NOT_VENDORED  # a client upgrade that changes a version fails here
    assert "Apache License" in (SCHEMAS / "LICENSE").read_text()


def test_a_reference_to_a_schema_not_vendored_fails_without_the_network(monkeypatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    unknown = validator("https://openlineage.io/spec/facets/9-9-9/SchemaDatasetFacet.json")
    with pytest.raises(referencing.exceptions.Unresolvable):
        unknown.validate({})


def test_the_schemas_reject_malformed_events_and_facets(tmp_path: Path, table: Path) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate_event({"eventType": "START", "eventTime": "yesterday", "schemaURL": RUN_EVENT})
    client = lineage.lineage_client(tmp_path)
    lineage.emit(client, "FAIL", "refine", RUN_ID, runs.now(), [], [], "x")
    (event,) = _events(tmp_path)
    validate_event(event)
    del event["run"]["facets"]["errorMessage"]["programmingLanguage"]
    with pytest.raises(jsonschema.ValidationError, match="programmingLanguage"):
        validate_event(event)


# --- transports -------------------------------------------------------------------------


def test_events_go_to_the_endpoint_and_to_the_file(receiver, tmp_path: Path, table) -> None:
    url, received = receiver
    client = lineage.lineage_client(tmp_path, url)  # the params' lineage.url
    _emit_run(client, table)
    lineage.emit(client, "FAIL", "ingest", RUN_ID, runs.now(), [], [], "boom")
    assert [path for path, _ in received] == ["/api/v1/lineage"] * 9
    sent = [event for _, event in received]
    assert sent == _events(tmp_path)
    assert sent[-1]["run"]["facets"]["errorMessage"]["message"] == "boom"
    for event in sent:
        validate_event(event)
    assert not (tmp_path / lineage.NOT_SENT).exists()


def test_environment_url_wins(receiver, tmp_path: Path, monkeypatch) -> None:
    url, received = receiver
    monkeypatch.setenv("OPENLINEAGE_URL", url)
    client = lineage.lineage_client(tmp_path, "http://127.0.0.1:9/never")
    lineage.emit(client, "START", "refine", RUN_ID, runs.now(), [], [])
    assert len(received) == 1 and len(_events(tmp_path)) == 1


@pytest.fixture(params=["refused", "blackhole", "http500"])
def bad_endpoint(request) -> Iterator[tuple[str, list]]:
    """An endpoint that refuses connections, accepts them and never answers, or answers 500."""
    if request.param == "http500":
        yield from _serve(500)
        return
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    if request.param == "refused":
        sock.close()
        yield f"http://127.0.0.1:{port}", []
        return
    sock.listen(16)  # the kernel completes each connection; nothing ever reads or answers
    yield f"http://127.0.0.1:{port}", []
    sock.close()


def test_a_failing_endpoint_costs_one_bounded_wait_and_one_warning(
    bad_endpoint, tmp_path: Path, table: Path, caplog, monkeypatch
) -> None:
    url, received = bad_endpoint
    monkeypatch.delenv("OPENLINEAGE_URL", raising=False)
    caplog.set_level(logging.WARNING)
    started = time.monotonic()
    _emit_run(lineage.lineage_client(tmp_path, url, timeout_s=1.0), table)
    # a later stage of the same run (another process under dvc repro) does not try again
    _emit_run(lineage.lineage_client(tmp_path, url, timeout_s=1.0), table)
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"16 events took {elapsed:.1f} s with a 1 s timeout"
    events = _events(tmp_path)
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"] * 8
    for event in events:
        validate_event(event)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and url in warnings[0].getMessage()
    assert len(received) <= 1  # the 500 server saw the first event only
    assert url in (tmp_path / lineage.NOT_SENT).read_text()


# --- events of real stages --------------------------------------------------------------


@pytest.fixture
def stage_settings(tmp_path: Path, mlflow_db: Path) -> Iterator[object]:
    """Settings of a fresh workspace, for running one stage in this process."""
    from hotpass_lib.settings import Settings

    fresh_workspace(tmp_path, None, mlflow_db)
    yield Settings.load(tmp_path)


@pytest.mark.e2e
def test_a_failing_stage_emits_start_and_fail(stage_settings) -> None:
    from hotpass_lib import runner

    with pytest.raises(runner.StageFailed):  # no input folder: the notebook fails
        runner.run_stage("ingest", stage_settings, RUN_ID)
    events = _events(stage_settings.runs_dir / RUN_ID)
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    assert "InputError" in events[1]["run"]["facets"]["errorMessage"]["message"]
    for event in events:
        validate_event(event)


@pytest.mark.e2e
def test_an_interrupted_stage_emits_abort(stage_settings, sample_dir: Path) -> None:
    """Ctrl-C (a real SIGINT to this process) while the stage's notebook runs."""
    import os
    import shutil

    from hotpass_lib import runner

    shutil.copytree(sample_dir, stage_settings.input_dir)
    running = threading.Event()

    def progress(stage: str, done: int, total: int) -> None:
        if done >= 2:  # the notebook's own cells have started
            running.set()

    def interrupt() -> None:
        running.wait(120)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        runner.run_stage("ingest", stage_settings, RUN_ID, progress)
    events = _events(stage_settings.runs_dir / RUN_ID)
    assert [e["eventType"] for e in events] == ["START", "ABORT"]
    for event in events:
        validate_event(event)
