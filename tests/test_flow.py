"""Scheduled runs through Prefect 3, against a real Prefect server on the loopback address:
`prefect deploy --all` is idempotent, a deployment run by a process worker runs the DVC
pipeline with a parameter override, and a failing stage fails the flow run."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotpass_lib.resources import CHECKOUT

from .helpers import copy_project, run_module

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
START_TIMEOUT_S = 300  # a cold server on a loaded 2-core machine takes 15-60 s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    """The Prefect server's REST API (the tests never import prefect themselves)."""

    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url, self.env = url, env

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body or {}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return json.load(response)

    def prefect(self, *args: str, cwd: Path, timeout: int = 600) -> str:
        done = subprocess.run(
            [str(BIN / "prefect"), "--no-prompt", *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    def deployments(self) -> dict[str, dict[str, Any]]:
        return {d["name"]: d for d in self.post("/deployments/filter")}

    def scheduled_runs(self) -> list[dict[str, Any]]:
        body = {"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}, "limit": 200}
        return [r for r in self.post("/flow_runs/filter", body) if r["auto_scheduled"]]


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "DO_NOT_TRACK": "1",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    server_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = Api(url, env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            api.get("/health")
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"Prefect server did not start: {(home / 'server.log').read_text()}")
            time.sleep(1)
    try:
        yield api
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def deployed(prefect_api: Api, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DVC workspace with the committed prefect.yaml, deployed once."""
    ws = tmp_path_factory.mktemp("flow-ws")
    copy_project(ws)
    shutil.copy(CHECKOUT / "prefect.yaml", ws)
    done = run_module("dvc", "init", "--no-scm", "-q", cwd=ws)
    assert done.returncode == 0, done.stderr
    prefect_api.prefect("work-pool", "create", "hotpass", "--type", "process", cwd=ws)
    prefect_api.prefect("deploy", "--all", cwd=ws)
    return ws


def _settled_runs(api: Api, timeout_s: float = 120) -> list[str]:
    """The auto-scheduled runs' start times once the server's scheduler has created them
    (it does so shortly after a deploy): a non-empty count unchanged for 5 s."""
    deadline = time.monotonic() + timeout_s
    last: list[str] = []
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        now = sorted(
            f"{r['deployment_id']} {r['expected_start_time']}" for r in api.scheduled_runs()
        )
        if now != last:
            last, stable_since = now, time.monotonic()
        elif now and time.monotonic() - stable_since >= 5:
            return now
        time.sleep(1)
    return last


def _snapshot(
    api: Api,
) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]], list[str]]:
    runs = _settled_runs(api)
    deployments = api.deployments()
    ids = {name: d["id"] for name, d in deployments.items()}
    schedules = {
        name: [(s["id"], s["slug"]) for s in d["schedules"]] for name, d in deployments.items()
    }
    return ids, schedules, runs


def test_deploy_twice_keeps_the_same_deployments_schedules_and_runs(
    prefect_api: Api, deployed: Path
) -> None:
    first = _snapshot(prefect_api)
    prefect_api.prefect("deploy", "--all", cwd=deployed)
    assert _snapshot(prefect_api) == first
    ids, schedules, runs = first
    declared = yaml.safe_load((CHECKOUT / "prefect.yaml").read_text())["deployments"]
    assert sorted(ids) == sorted(d["name"] for d in declared)
    assert all(len(s) == 1 for s in schedules.values())  # one schedule per deployment
    assert len(runs) >= 2 * len(ids)  # the scheduler made runs, once, for each deployment
    for name, deployment in prefect_api.deployments().items():
        (schedule,) = deployment["schedules"]
        assert schedule["schedule"]["timezone"] == "Africa/Johannesburg", name
        assert deployment["global_concurrency_limit"]["limit"] == 1, name
        assert deployment["work_pool_name"] == "hotpass"
        assert deployment["entrypoint"] == "hotpass_lib.flow:hotpass_pipeline"


def _run_deployment(api: Api, ws: Path, params: dict[str, Any]) -> dict[str, Any]:
    """Start a run of the nightly deployment now and let one process worker execute it."""
    nightly = api.deployments()["nightly"]["id"]
    run_id = api.post(f"/deployments/{nightly}/create_flow_run", {"parameters": params})["id"]
    api.prefect("worker", "start", "--pool", "hotpass", "--run-once", cwd=ws, timeout=900)
    return dict(api.get(f"/flow_runs/{run_id}"))


def _task_states(api: Api, flow_run_id: str) -> dict[str, str]:
    body = {"flow_runs": {"id": {"any_": [flow_run_id]}}}
    return {t["name"]: t["state_type"] for t in api.post("/task_runs/filter", body)}


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_scheduled_deployment_runs_every_stage_with_an_override(
    prefect_api: Api, deployed: Path
) -> None:
    flow_run = _run_deployment(prefect_api, deployed, {"params": {"resolve.threads": 1}})
    assert flow_run["state_type"] == "COMPLETED", flow_run["state"]
    tasks = _task_states(prefect_api, flow_run["id"])
    assert sorted(tasks) == sorted(["samples", "ingest", "validate", "refine", "publish"])
    assert set(tasks.values()) == {"COMPLETED"}
    (manifest_path,) = (deployed / "runs").glob("*/manifest.json")  # one run folder
    manifest = json.loads(manifest_path.read_text())
    assert list(manifest["stages"]) == ["ingest", "validate", "refine", "publish"]
    assert manifest["stages"]["refine"]["parameters"]["resolve"]["threads"] == 1
    assert "threads: 1" in (deployed / "params" / "pipeline.yaml").read_text()
    assert (deployed / "data" / "refined" / "organisations.parquet").is_file()


def test_a_failing_stage_fails_the_flow_run_and_writes_nothing_partial(
    prefect_api: Api, deployed: Path
) -> None:
    refined = deployed / "data" / "refined"
    before = _digests(refined) if refined.is_dir() else {}
    flow_run = _run_deployment(prefect_api, deployed, {"params": {"profile": "no-such-profile"}})
    assert flow_run["state_type"] == "FAILED", flow_run["state"]
    tasks = _task_states(prefect_api, flow_run["id"])
    assert tasks["ingest"] == "FAILED"
    assert not {"validate", "refine", "publish"} & set(tasks)  # the stages after it never ran
    assert (_digests(refined) if refined.is_dir() else {}) == before  # the last SSOT stands
    leftovers = [p for p in (deployed / "data").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    assert "stage 'ingest' failed" in flow_run["state"]["message"], flow_run["state"]
