"""OpenLineage transport: events reach an HTTP endpoint when one is configured."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import jsonschema
import pytest

from hotpass_lib import lineage, runs

SCHEMA = json.loads((Path(__file__).parent / "openlineage_event.schema.json").read_text())


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body)))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def validate_event(event: dict) -> None:
    """Check one event against the OpenLineage structure (formats included)."""
    jsonschema.validate(event, SCHEMA, format_checker=jsonschema.FormatChecker())


@pytest.fixture
def receiver():
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.received = []
    yield f"http://127.0.0.1:{server.server_port}", _Receiver.received
    server.shutdown()
    server.server_close()


def test_events_go_to_the_http_endpoint(receiver, tmp_path: Path, monkeypatch) -> None:
    url, received = receiver
    monkeypatch.delenv("OPENLINEAGE_URL", raising=False)
    client = lineage.lineage_client(tmp_path, url)  # the params' lineage.url
    sample = tmp_path / "in"
    sample.mkdir()
    (sample / "orgs.csv").write_text("Company\nAero Club\n")
    inputs = lineage.datasets([sample], tmp_path, False)
    lineage.emit(client, "START", "ingest", "20260101T000000Z-abcdef", runs.now(), inputs, [])
    lineage.emit(client, "FAIL", "ingest", "20260101T000000Z-abcdef", runs.now(), [], [], "boom")
    assert [path for path, _ in received] == ["/api/v1/lineage", "/api/v1/lineage"]
    start, fail = (event for _, event in received)
    assert start["eventType"] == "START" and start["inputs"][0]["name"] == "in/orgs.csv"
    assert fail["run"]["facets"]["errorMessage"]["message"] == "boom"
    for event in (start, fail):
        validate_event(event)
    assert not (tmp_path / "lineage.jsonl").exists()


def test_environment_url_wins(receiver, tmp_path: Path, monkeypatch) -> None:
    url, received = receiver
    monkeypatch.setenv("OPENLINEAGE_URL", url)
    client = lineage.lineage_client(tmp_path, "http://127.0.0.1:9/never")
    lineage.emit(client, "START", "refine", "20260101T000000Z-abcdef", runs.now(), [], [])
    assert len(received) == 1


def test_schema_rejects_a_malformed_event() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate_event({"eventType": "START", "eventTime": "yesterday"})
