"""Emit a small multi-job OpenLineage scenario through the real client and its file transport."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    dataset_version_dataset,
    error_message_run,
    parent_run,
    schema_dataset,
)
from openlineage.client.transport.file import FileConfig, FileTransport

PRODUCER = "https://github.com/example/pipelines/tree/1.0"

PG = "postgres://db.example.com:5432"
LAKE = "s3://lake"
BQ = "bigquery"

ORDERS = (PG, "shop.public.orders")
CUSTOMERS = (PG, "shop.public.customers")
RAW = (LAKE, "raw/orders.parquet")
CLEAN = (LAKE, "clean/orders.parquet")
DAILY = (BQ, "analytics.daily_revenue")
WEEKLY = (BQ, "analytics.weekly_revenue")
EXPORT = (LAKE, "exports/revenue.csv")


def ident(dataset: tuple[str, str]) -> str:
    """The artifact id `lineage` derives for a dataset."""
    return f"{dataset[0]}/{dataset[1]}"


def run_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"run:{name}"))


def client_writing_to(path: Path, *, append: bool = True) -> OpenLineageClient:
    return OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(path), append=append)))


def _inputs(*datasets: tuple[str, str]) -> list[InputDataset]:
    return [InputDataset(namespace=ns, name=name) for ns, name in datasets]


def _schema(*columns: str) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name=c, type="STRING") for c in columns]
    )


def emit_scenario(client: OpenLineageClient) -> None:
    """Four jobs in three job namespaces, datasets in three namespaces, chained:

    orders (postgres) -> raw (s3) -> clean (s3) -> daily (bigquery) -> weekly (bigquery),
    customers (postgres) -> daily. The clean job fails once (FAIL) and is retried (a new run);
    weekly is started and never finished; an export run is aborted. The extract task runs
    inside a DAG run (parent run facet).
    """
    dag_run = run_id("dag")
    dag_job = Job(namespace="airflow", name="ingest")
    parent = parent_run.ParentRunFacet(
        run=parent_run.Run(runId=dag_run), job=parent_run.Job(namespace="airflow", name="ingest")
    )

    def emit(
        state: RunState,
        when: str,
        run: Run,
        job: Job,
        inputs: Sequence[InputDataset] = (),
        outputs: Sequence[OutputDataset] = (),
    ) -> None:
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=when,
                run=run,
                job=job,
                producer=PRODUCER,
                inputs=list(inputs),
                outputs=list(outputs),
            )
        )

    emit(RunState.START, "2026-03-01T02:00:00+02:00", Run(runId=dag_run), dag_job)
    extract = Run(runId=run_id("extract"), facets={"parent": parent})
    extract_job = Job(namespace="airflow", name="ingest.extract_orders")
    raw_out = [OutputDataset(namespace=RAW[0], name=RAW[1], facets={"schema": _schema("id", "amount")})]
    emit(RunState.START, "2026-03-01T00:01:00Z", extract, extract_job, _inputs(ORDERS), raw_out)
    emit(RunState.COMPLETE, "2026-03-01T00:05:00Z", extract, extract_job, _inputs(ORDERS), raw_out)
    emit(RunState.COMPLETE, "2026-03-01T00:06:00Z", Run(runId=dag_run), dag_job)

    clean_job = Job(namespace="spark", name="clean_orders")
    clean_out = [OutputDataset(namespace=CLEAN[0], name=CLEAN[1])]
    failed = Run(runId=run_id("clean-1"))
    emit(RunState.START, "2026-03-01T00:10:00Z", failed, clean_job, _inputs(RAW), clean_out)
    emit(RunState.RUNNING, "2026-03-01T00:11:00Z", failed, clean_job, _inputs(RAW), clean_out)
    error = error_message_run.ErrorMessageRunFacet(message="OutOfMemoryError", programmingLanguage="JAVA")
    failure = Run(runId=failed.runId, facets={"errorMessage": error})
    emit(RunState.FAIL, "2026-03-01T00:12:00Z", failure, clean_job)

    retry = Run(runId=run_id("clean-2"))
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            "amount": column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(namespace=RAW[0], name=RAW[1], field="amount")
                ],
                transformationType="IDENTITY",
            )
        }
    )
    clean_done = [
        OutputDataset(
            namespace=CLEAN[0],
            name=CLEAN[1],
            facets={
                "schema": _schema("id", "amount"),
                "columnLineage": lineage,
                "version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion="v2"),
            },
        )
    ]
    emit(RunState.START, "2026-03-01T00:20:00Z", retry, clean_job, _inputs(RAW), clean_out)
    emit(RunState.COMPLETE, "2026-03-01T00:25:00Z", retry, clean_job, _inputs(RAW), clean_done)

    daily_job = Job(namespace="dbt", name="analytics.daily_revenue")
    daily = Run(runId=run_id("daily"))
    daily_out = [OutputDataset(namespace=DAILY[0], name=DAILY[1])]
    emit(RunState.START, "2026-03-01T01:00:00Z", daily, daily_job, _inputs(CLEAN, CUSTOMERS), daily_out)
    emit(RunState.COMPLETE, "2026-03-01T01:02:00Z", daily, daily_job, _inputs(CLEAN, CUSTOMERS), daily_out)

    weekly_job = Job(namespace="dbt", name="analytics.weekly_revenue")
    weekly = Run(runId=run_id("weekly"))
    emit(RunState.START, "2026-03-01T01:05:00Z", weekly, weekly_job, _inputs(DAILY), [OutputDataset(*WEEKLY)])

    export_job = Job(namespace="airflow", name="reports.export_revenue")
    export = Run(runId=run_id("export"))
    emit(RunState.START, "2026-03-01T01:10:00Z", export, export_job, _inputs(DAILY), [OutputDataset(*EXPORT)])
    emit(RunState.ABORT, "2026-03-01T01:11:00Z", export, export_job)
