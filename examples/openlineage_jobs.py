"""Three jobs reporting to OpenLineage through the client's file transport (used by `make demo`).

orders (postgres) -> raw orders (s3) -> clean orders (s3) -> revenue (bigquery) <- customers.
The clean job fails once and succeeds on retry; every event is appended to one NDJSON file.
Run: python examples/openlineage_jobs.py OUT.ndjson (examples/openlineage-events.ndjson is its output).
"""

from __future__ import annotations

import sys
import uuid

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.file import FileConfig, FileTransport

PRODUCER = "https://github.com/example/shop-pipelines"


def run_job(
    client: OpenLineageClient,
    job: Job,
    inputs: list[tuple[str, str]],
    output: tuple[str, str],
    times: tuple[str, str],
    end: RunState = RunState.COMPLETE,
) -> None:
    """One run of a job: a START event, then COMPLETE (or FAIL) with the same datasets."""
    # A real job would use uuid.uuid4(); a name-based id keeps the sample file reproducible.
    run = Run(runId=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{job.namespace}/{job.name}@{times[0]}")))
    for state, when in ((RunState.START, times[0]), (end, times[1])):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=when,
                run=run,
                job=job,
                producer=PRODUCER,
                inputs=[InputDataset(namespace=ns, name=name) for ns, name in inputs],
                outputs=[OutputDataset(namespace=output[0], name=output[1])],
            )
        )


def main(path: str) -> None:
    client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=path, append=True)))
    pg, lake = "postgres://db:5432", "s3://lake"
    raw, clean = (lake, "raw/orders.parquet"), (lake, "clean/orders.parquet")
    extract, cleaner = Job(namespace="airflow", name="extract_orders"), Job(namespace="spark", name="clean")
    run_job(
        client,
        extract,
        [(pg, "shop.public.orders")],
        raw,
        ("2026-03-01T01:00:00+01:00", "2026-03-01T00:05:00Z"),
    )
    run_job(client, cleaner, [raw], clean, ("2026-03-01T00:10:00Z", "2026-03-01T00:12:00Z"), RunState.FAIL)
    run_job(client, cleaner, [raw], clean, ("2026-03-01T00:20:00Z", "2026-03-01T00:25:00Z"))
    revenue = Job(namespace="dbt", name="analytics.revenue")
    sources = [clean, (pg, "shop.public.customers")]
    run_job(
        client,
        revenue,
        sources,
        ("bigquery", "analytics.revenue"),
        ("2026-03-01T01:00:00Z", "2026-03-01T01:02:00Z"),
    )


if __name__ == "__main__":
    main(sys.argv[1])
