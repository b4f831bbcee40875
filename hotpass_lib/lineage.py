"""OpenLineage: a START, COMPLETE, FAIL or ABORT event per stage, with the stage's declared
inputs and outputs as datasets (schema, row counts, data-quality assertions)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from .evidence import files_in, relative

PRODUCER = "https://hotpass.invalid/hotpass_lib"
NAMESPACE = "hotpass"


def lineage_client(run_dir: Path, url: str | None = None) -> Any:
    """File transport into the run folder, or HTTP when ``OPENLINEAGE_URL`` (or the params'
    ``lineage.url``) is set."""
    from openlineage.client import OpenLineageClient
    from openlineage.client.transport.file import FileConfig, FileTransport

    url = os.environ.get("OPENLINEAGE_URL") or url
    if url:
        from openlineage.client.transport.http import HttpConfig, HttpTransport

        return OpenLineageClient(transport=HttpTransport(HttpConfig(url=url)))
    config = FileConfig(log_file_path=str(run_dir / "lineage.jsonl"), append=True)
    return OpenLineageClient(transport=FileTransport(config))


def datasets(
    paths: list[Path],
    root: Path,
    output: bool,
    quality: dict[str, list[dict[str, Any]]] | None = None,
) -> list[Any]:
    """One OpenLineage dataset per file, with schema facet and row count for Parquet, and
    the stage's validation results as a data-quality facet on the inputs it validated."""
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
        name = relative(f, root)
        if output:
            out.append(
                OutputDataset(
                    namespace=f"file://{root}", name=name, facets=facets, outputFacets=extra
                )
            )
        else:
            checks = (quality or {}).get(str(f.resolve()))
            if checks:
                extra["dataQualityAssertions"] = dq.DataQualityAssertionsDatasetFacet(
                    assertions=[dq.Assertion(**c) for c in checks]
                )
            out.append(
                InputDataset(
                    namespace=f"file://{root}", name=name, facets=facets, inputFacets=extra
                )
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
