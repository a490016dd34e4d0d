"""Recorder throughput: N artifact events from P processes into one store, lineage vs OpenLineage.

Usage: ``python bench/recorder_bench.py lineage|openlineage EVENTS PROCESSES DIR``

``lineage`` records through ``lineage_cli.recorder`` (``record_artifact`` inside one
``data_flow_context`` per process) into the store ``DIR``; ``openlineage`` emits the same
records as ``RunEvent``s (one COMPLETE event per artifact, its inputs and itself as datasets)
through the ``openlineage-python`` client's file transport, appending to ``DIR/openlineage.jsonl``.
Workers are forked after the imports; the last line printed is ``seconds=`` from the first fork
to the last worker's exit, which the benchmark takes as the time (start-up excluded on both sides).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def _ids(worker: int, count: int) -> list[tuple[str, list[str]]]:
    records = []
    for n in range(count):
        aid = f"wf-{worker}/stage-{n // 100}/artifact-{n % 100:04d}"
        inputs = (
            [f"wf-{worker}/stage-{n // 100 - 1}/artifact-{(n + k) % 100:04d}" for k in (0, 1)]
            if n >= 100
            else []
        )
        records.append((aid, inputs))
    return records


def run_lineage(worker: int, count: int, store: Path) -> None:
    from lineage_cli import recorder

    recorder.configure(store=str(store))
    with recorder.data_flow_context(
        source="bench", job_id=f"job-{worker}", workflow=f"wf-{worker}", stage="all", agent="bench"
    ):
        for aid, inputs in _ids(worker, count):
            recorder.record_artifact(aid, kind="table", inputs=inputs, version="1", transformation="step")


def run_openlineage(worker: int, count: int, store: Path) -> None:
    from openlineage.client.client import OpenLineageClient
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.transport.file import FileConfig, FileTransport
    from openlineage.client.uuid import generate_new_uuid

    transport = FileTransport(FileConfig(log_file_path=str(store / "openlineage.jsonl"), append=True))
    client = OpenLineageClient(transport=transport)
    job = Job(namespace="bench", name=f"job-{worker}")
    run = Run(runId=str(generate_new_uuid()))
    for aid, inputs in _ids(worker, count):
        client.emit(
            RunEvent(
                eventType=RunState.COMPLETE,
                eventTime="2026-01-01T00:00:00Z",
                run=run,
                job=job,
                producer="lineage-bench",
                inputs=[InputDataset(namespace="bench", name=i) for i in inputs],
                outputs=[OutputDataset(namespace="bench", name=aid)],
            )
        )


def main(argv: list[str]) -> int:
    kind, events, processes, where = argv[0], int(argv[1]), int(argv[2]), Path(argv[3])
    where.mkdir(parents=True, exist_ok=True)
    target = run_lineage if kind == "lineage" else run_openlineage
    # Import before the clock starts (forked workers inherit the modules): the measure is
    # appending events, not interpreter start-up.
    if kind == "lineage":
        import lineage_cli.recorder  # noqa: F401
    else:
        import openlineage.client.client
        import openlineage.client.event_v2
        import openlineage.client.transport.file  # noqa: F401
    per = events // processes
    start = time.perf_counter()
    children = []
    for worker in range(processes):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                target(worker, per, where)
            except BaseException as exc:  # report, then exit the fork without running parent code
                print(f"worker {worker}: {exc!r}", file=sys.stderr)
                code = 1
            os._exit(code)
        children.append(pid)
    failed = sum(1 for pid in children if os.waitpid(pid, 0)[1] != 0)
    seconds = time.perf_counter() - start
    print(f"events={per * processes} events_per_second={per * processes / seconds:.0f} seconds={seconds:.6f}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
