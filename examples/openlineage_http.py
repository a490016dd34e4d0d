"""An Airflow-like job sending START and COMPLETE to `lineage serve` over the OpenLineage HTTP transport.

Run: OPENLINEAGE_URL=http://127.0.0.1:5000 python examples/openlineage_http.py
(the client reads OPENLINEAGE_URL, and OPENLINEAGE_API_KEY when the server has a token).
"""

from __future__ import annotations

from datetime import UTC, datetime

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.uuid import generate_new_uuid

client = OpenLineageClient()  # OPENLINEAGE_URL set: the client's HTTP transport
run = Run(runId=str(generate_new_uuid()))
job = Job(namespace="airflow", name="shop.load_orders")
for state in (RunState.START, RunState.COMPLETE):
    client.emit(
        RunEvent(
            eventType=state,
            eventTime=datetime.now(UTC).isoformat(),
            run=run,
            job=job,
            producer="https://github.com/apache/airflow",
            inputs=[InputDataset(namespace="postgres://db:5432", name="shop.public.orders")],
            outputs=[OutputDataset(namespace="s3://lake", name="raw/orders.parquet")],
        )
    )
