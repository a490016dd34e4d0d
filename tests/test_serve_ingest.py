"""The server's intake in-process: the same events as `import openlineage`, however requests split them."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage_cli.errors import LineageFileError
from lineage_cli.interop.openlineage_import import import_openlineage
from lineage_cli.serve.ingest import BadEvents, Ingestor, LogIds, RunMemory
from lineage_cli.store.layout import StorePaths
from tests.conftest import REAL_GRAPHS
from tests.servehelp import log_events, run_event

REAL_OPENLINEAGE = REAL_GRAPHS.parent / "real-openlineage"
FILES = sorted(REAL_OPENLINEAGE.glob("*.ndjson"))


def event_set(store: Path) -> set[bytes]:
    return {orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in log_events(store)}


def test_the_real_openlineage_files_are_there() -> None:
    assert len(FILES) >= 10, f"expected the shared OpenLineage events in {REAL_OPENLINEAGE}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(1, 8), min_size=1, max_size=40), batch_first=st.booleans())
def test_requests_in_any_split_give_the_events_import_gives(
    tmp_path_factory: pytest.TempPathFactory, path: Path, cuts: list[int], batch_first: bool
) -> None:
    # Real producers' events, sent in file order as requests of 1 to 8 events (a single event
    # as an object, several as an array), give exactly the events `import openlineage` does.
    tmp = tmp_path_factory.mktemp("split")
    imported = StorePaths(tmp / "imported")
    assert not import_openlineage([path], imported, assume_utc=True).problems
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    intake = Ingestor(StorePaths(tmp / "served"), assume_utc=True)
    position, turn = 0, 0
    while position < len(lines):
        size = cuts[turn % len(cuts)]
        chunk = lines[position : position + size]
        as_object = len(chunk) == 1 and not (batch_first and turn == 0)
        intake.ingest(chunk[0] if as_object else b"[" + b",".join(chunk) + b"]")
        position, turn = position + size, turn + 1
    assert event_set(tmp / "served") == event_set(tmp / "imported")


def test_concurrent_requests_append_each_event_once(tmp_path: Path) -> None:
    intake = Ingestor(StorePaths(tmp_path))
    bodies = [orjson.dumps(run_event(f"r{i % 50}", minute=i % 50)) for i in range(400)]  # each 8 times
    answers: list[tuple[int, int]] = []
    lock = threading.Lock()

    def send(share: list[bytes]) -> None:
        for body in share:
            result = intake.ingest(body)
            with lock:
                answers.append((result.appended, result.duplicates))

    threads = [threading.Thread(target=send, args=(bodies[k::8],)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = log_events(tmp_path)
    assert max(Counter(e["event_id"] for e in events).values()) == 1
    assert len(events) == 100 == sum(a for a, _ in answers)
    assert sum(d for _, d in answers) == 700


def test_events_written_by_another_process_count_as_known(tmp_path: Path) -> None:
    ol_file = tmp_path / "ol.ndjson"
    ol_file.write_bytes(orjson.dumps(run_event("shared")) + b"\n")
    store = StorePaths(tmp_path / "store")
    intake = Ingestor(store)
    assert intake.ingest(orjson.dumps(run_event("first"))).appended == 2
    import_openlineage([ol_file], store)  # another writer, after the server started
    result = intake.ingest(ol_file.read_bytes())
    assert (result.appended, result.duplicates) == (0, 2)


def test_a_log_replaced_behind_the_server_is_read_again(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    ids = LogIds(log)
    log.write_bytes(b'{"event_id": "a"}\n{"event_id": "b"}\n')
    assert ids.current() == {"a", "b"}
    replacement = tmp_path / "new.jsonl"
    replacement.write_bytes(b'{"event_id": "c"}\n{"torn')
    replacement.replace(log)
    assert ids.current() == {"c"}  # the torn line is not read until it ends


def test_a_failed_append_refuses_and_a_retry_succeeds(tmp_path: Path) -> None:
    store = StorePaths(tmp_path / "store")
    store.root.write_text("a file where the store should be")
    intake = Ingestor(store)
    body = orjson.dumps(run_event("retried"))
    with pytest.raises(LineageFileError, match="the store is a file"):
        intake.ingest(body)
    store.root.unlink()
    assert intake.ingest(body).appended == 2  # the failed attempt left nothing marked as written


def test_a_bad_batch_names_every_bad_event(tmp_path: Path) -> None:
    bad = [run_event("ok"), {"run": {"runId": "x"}}, 7]
    with pytest.raises(BadEvents) as caught:
        Ingestor(StorePaths(tmp_path)).ingest(orjson.dumps(bad))
    assert caught.value.problems == [
        "event 2 of 3: `job` needs non-empty string `namespace` and `name`",
        "event 3 of 3: expected a JSON object (an OpenLineage RunEvent)",
    ]
    assert str(caught.value).startswith("2 events have problems; event 2 of 3:")
    assert not (tmp_path / "events.jsonl").exists()


def test_the_run_memory_forgets_the_oldest_runs_past_its_byte_budget() -> None:
    memory = RunMemory(runs=100, max_bytes=1000)
    memory.remember([(f"d{i}", f"e{i}", f"run-{i}", 300) for i in range(5)])
    assert memory.prior({f"run-{i}" for i in range(5)}) == ["e2", "e3", "e4"]
    memory.remember([("d4", "e4-again", "run-4", 300)])  # the same event again: counted once
    assert memory.prior({"run-4"}) == ["e4-again"]
