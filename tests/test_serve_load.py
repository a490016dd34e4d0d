"""`lineage serve` under load on loopback: 8 clients x 2,000 events, none lost, none duplicated."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.uuid import generate_new_uuid

from lineage_cli.interop.openlineage_import import import_openlineage
from lineage_cli.store.layout import StorePaths
from tests.servehelp import Server, log_events, run_event, running, start

CLIENTS = 8
EVENTS_PER_CLIENT = 2_000
RESENT = 100
"""Each client sends its first events again at the end, as a retrying producer would."""


def client_events(client: int) -> list[RunEvent]:
    return [
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=f"2026-03-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
            run=Run(runId=str(generate_new_uuid())),
            job=Job(namespace=f"client-{client}", name="load"),
            producer="https://example.com/load-test",
            inputs=[InputDataset(namespace="load", name=f"c{client}-{i - 1}")] if i else [],
            outputs=[OutputDataset(namespace="load", name=f"c{client}-{i}")],
        )
        for i in range(EVENTS_PER_CLIENT)
    ]


@pytest.mark.slow
def test_eight_clients_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    batches = [client_events(c) for c in range(CLIENTS)]
    failures: list[BaseException] = []

    def send(server: Server, events: list[RunEvent]) -> None:
        try:
            client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=server.url, timeout=60)))
            for event in [*events, *events[:RESENT]]:
                client.emit(event)  # the HTTP transport raises on any status but 2xx
        except BaseException as exc:
            failures.append(exc)

    with running(tmp_path / "store") as server:
        threads = [threading.Thread(target=send, args=(server, events)) for events in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        status, body = server.get("ancestors", artifact=f"load/c3-{EVENTS_PER_CLIENT - 1}", depth=5)
        assert status == 200 and len(orjson.loads(body)["ancestors"]) == 5

    events = log_events(tmp_path / "store")
    counts = Counter(e["event_id"] for e in events)
    assert [i for i, n in counts.items() if n > 1] == []  # 0 duplicated
    artifacts = {e["artifact_id"] for e in events if e["kind"] == "artifact_recorded"}
    expected = {f"load/c{c}-{i}" for c in range(CLIENTS) for i in range(EVENTS_PER_CLIENT)}
    assert artifacts == expected
    # 0 lost: the log holds exactly what `import openlineage` appends for the same events,
    # written by the same client's file transport.
    ol_file = tmp_path / "sent.ndjson"
    to_file = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(ol_file), append=True)))
    for client_batch in batches:
        for event in client_batch:
            to_file.emit(event)
    imported = import_openlineage([ol_file], StorePaths(tmp_path / "imported"))
    assert imported.problems == [] and imported.appended > 0
    oracle = log_events(tmp_path / "imported")
    assert len(events) == len(oracle) == imported.appended
    assert {orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in events} == {
        orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in oracle
    }


@pytest.mark.slow
def test_a_graceful_stop_loses_no_accepted_event(tmp_path: Path) -> None:
    server = start(tmp_path / "store")
    accepted: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def send(client: int) -> None:
        for i in range(100_000):
            if stop.is_set():
                return
            run = f"stop-{client}-{i}"
            try:
                status, _ = server.post(run_event(run))
            except (OSError, orjson.JSONDecodeError):
                return  # the server went away: this event was not accepted
            if status == 201:
                with lock:
                    accepted.append(f"out/{run}")

    threads = [threading.Thread(target=send, args=(c,)) for c in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(accepted) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    code = server.stop(signal.SIGTERM)  # while requests are in flight
    stop.set()
    for thread in threads:
        thread.join()
    assert code in (0, -signal.SIGTERM), server.stderr
    assert "Traceback" not in server.stderr
    logged = {e["artifact_id"] for e in log_events(tmp_path / "store") if e["kind"] == "artifact_recorded"}
    assert len(accepted) >= 300
    assert set(accepted) <= logged  # every 201 is in the log
