"""OpenLineage: a START, COMPLETE, FAIL or ABORT event per stage, with the files the stage
reads and writes as datasets (schema, row counts, data-quality assertions).

Every event goes to ``runs/<run id>/lineage.jsonl``. When an endpoint is configured
(``OPENLINEAGE_URL``, or the params' ``lineage.url``) each event is also sent there, within
``lineage.timeout_s`` seconds and without retries; after the first failure the run stops
sending (so an unreachable endpoint costs one timeout per run, not one per event), says so
in one warning, and records it in ``runs/<run id>/lineage-not-sent.txt``, which the later
stages of the same run (other processes under ``dvc repro``) also read.

Datasets are named as OpenLineage names local files: namespace ``file``, name the absolute
path, so one stage's outputs are the next stage's inputs by (namespace, name).
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from .atomic import write_text
from .evidence import files_in

PRODUCER = "https://hotpass.invalid/hotpass_lib"
NAMESPACE = "hotpass"
NOT_SENT = "lineage-not-sent.txt"
"""Written in the run folder when the endpoint failed; later events of the run are not sent."""

log = logging.getLogger(__name__)


class _Endpoint:
    """Posts events to an HTTP endpoint, each within ``timeout_s``, until the first failure."""

    def __init__(self, url: str, timeout_s: float, run_dir: Path) -> None:
        from openlineage.client.transport.http import HttpConfig, HttpTransport

        config = HttpConfig(url=url, timeout=timeout_s, retry={"total": 0})
        self.transport = HttpTransport(config)
        self.url, self.timeout_s, self.marker = url, timeout_s, run_dir / NOT_SENT

    def send(self, event: Any) -> None:
        if self.marker.exists():
            return
        problem = self._post(event)
        if problem:
            where = self.marker.parent / "lineage.jsonl"
            write_text(
                self.marker,
                f"OpenLineage endpoint {self.url} failed: {problem}\n"
                f"The run's later events were not sent; every event is in {where.name}.\n",
            )
            log.warning(
                "warning: OpenLineage endpoint %s failed (%s); not sending this run's other "
                "events. All events are in %s.",
                self.url,
                problem,
                where,
            )

    def _post(self, event: Any) -> str | None:
        """``None`` if the endpoint took the event; else what went wrong. Never waits more
        than ``timeout_s`` (a thread that is still waiting is left to the socket timeout)."""
        outcome: list[str | None] = []

        def post() -> None:
            try:
                self.transport.emit(event)
                outcome.append(None)
            except Exception as exc:  # refused, timed out, HTTP error status, bad URL
                outcome.append(f"{type(exc).__name__}: {exc}")

        thread = threading.Thread(target=post, name="openlineage-post", daemon=True)
        thread.start()
        thread.join(self.timeout_s)
        return outcome[0] if outcome else f"no answer within {self.timeout_s:g} s"


def lineage_client(run_dir: Path, url: str | None = None, timeout_s: float = 3.0) -> Any:
    """A client writing to ``run_dir/lineage.jsonl`` and, when ``OPENLINEAGE_URL`` (or the
    params' ``lineage.url``) is set, also posting to that endpoint."""
    from openlineage.client import OpenLineageClient
    from openlineage.client.transport.file import FileConfig, FileTransport
    from openlineage.client.transport.transport import Transport

    config = FileConfig(log_file_path=str(run_dir / "lineage.jsonl"), append=True)
    url = os.environ.get("OPENLINEAGE_URL") or url
    endpoint = _Endpoint(url, timeout_s, run_dir) if url else None

    class RunTransport(Transport):
        kind = "hotpass"

        def __init__(self) -> None:
            self.file = FileTransport(config)

        def emit(self, event: Any) -> None:
            self.file.emit(event)
            if endpoint:
                endpoint.send(event)

    return OpenLineageClient(transport=RunTransport())


def dataset_id(path: Path) -> tuple[str, str]:
    """(namespace, name) of a local file, as OpenLineage names them."""
    return "file", str(path.resolve())


def datasets(
    paths: list[Path],
    output: bool,
    quality: dict[str, list[dict[str, Any]]] | None = None,
) -> list[Any]:
    """One OpenLineage dataset per file (folders are expanded), with schema facet and row
    count for Parquet, and the stage's validation results as a data-quality facet on the
    inputs it validated."""
    import pyarrow.parquet as pq
    from openlineage.client.event_v2 import InputDataset, OutputDataset
    from openlineage.client.generated import data_quality_assertions_dataset as dq
    from openlineage.client.generated import output_statistics_output_dataset as stats
    from openlineage.client.generated import schema_dataset as schema

    out: list[Any] = []
    for f in files_in(paths):
        facets: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        if f.suffix == ".parquet":
            meta = pq.read_schema(f)
            facets["schema"] = schema.SchemaDatasetFacet(
                fields=[
                    schema.SchemaDatasetFacetFields(name=n, type=str(t))
                    for n, t in zip(meta.names, meta.types, strict=True)
                ]
            )
            if output:
                rows = pq.read_metadata(f).num_rows
                extra["outputStatistics"] = stats.OutputStatisticsOutputDatasetFacet(
                    rowCount=rows, size=f.stat().st_size
                )
        namespace, name = dataset_id(f)
        if output:
            out.append(
                OutputDataset(namespace=namespace, name=name, facets=facets, outputFacets=extra)
            )
        else:
            checks = (quality or {}).get(str(f.resolve()))
            if checks:
                extra["dataQualityAssertions"] = dq.DataQualityAssertionsDatasetFacet(
                    assertions=[dq.Assertion(**c) for c in checks]
                )
            out.append(
                InputDataset(namespace=namespace, name=name, facets=facets, inputFacets=extra)
            )
    return out


def emit(
    client: Any,
    state: str,
    stage: str,
    run_id: str,
    when: str,
    inputs: list,
    outputs: list,
    error: str | None = None,
) -> None:
    """Emit one run event of ``stage`` (its run a child of the pipeline run ``run_id``)."""
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.generated import error_message_run, parent_run

    facets: dict[str, Any] = {
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=str(uuid.uuid5(uuid.NAMESPACE_URL, run_id))),
            job=parent_run.Job(namespace=NAMESPACE, name="hotpass.pipeline"),
        )
    }
    if error:
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error[:2000], programmingLanguage="python"
        )
    event = RunEvent(
        eventType=getattr(RunState, state),
        eventTime=when,
        producer=PRODUCER,
        run=Run(runId=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run_id}/{stage}")), facets=facets),
        job=Job(namespace=NAMESPACE, name=f"hotpass.{stage}"),
        inputs=inputs,
        outputs=outputs,
    )
    client.emit(event)
