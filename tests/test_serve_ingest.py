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
from lineage_cli.interop.common import ImportResult
from lineage_cli.interop.openlineage_import import import_openlineage
from lineage_cli.serve.ingest import BadEvents, Ingestor, LogIds
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
    intake = Ingestor(StorePaths(tmp_path / "served"))
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
    # The oracle: `import openlineage` of the same 400 events at once.
    ol_file = tmp_path / "ol.ndjson"
    ol_file.write_bytes(b"".join(body + b"\n" for body in bodies))
    imported = import_openlineage([ol_file], StorePaths(tmp_path / "imported"))
    events = log_events(tmp_path / "served")
    assert max(Counter(e["event_id"] for e in events).values()) == 1
    assert event_set(tmp_path / "served") == event_set(tmp_path / "imported")
    assert len(events) == imported.appended == sum(a for a, _ in answers)
    assert sum(d for _, d in answers) == imported.duplicates


def imported(tmp_path: Path, *bodies: bytes) -> ImportResult:
    """The oracle: what `import openlineage` of these events, as one file, appends to a fresh store."""
    ol_file = tmp_path / f"oracle-{len(list(tmp_path.glob('oracle-*.ndjson')))}.ndjson"
    ol_file.write_bytes(b"".join(body + b"\n" for body in bodies))
    return import_openlineage([ol_file], StorePaths(ol_file.with_suffix(".store")))


def test_events_written_by_another_process_count_as_known(tmp_path: Path) -> None:
    ol_file = tmp_path / "ol.ndjson"
    ol_file.write_bytes(orjson.dumps(run_event("shared")) + b"\n")
    store = StorePaths(tmp_path / "store")
    intake = Ingestor(store)
    first = orjson.dumps(run_event("first"))
    assert intake.ingest(first).appended == imported(tmp_path, first).appended > 0
    shared = import_openlineage([ol_file], store)  # another writer, after the server started
    assert shared.appended > 0
    result = intake.ingest(ol_file.read_bytes())
    assert (result.appended, result.duplicates) == (0, shared.appended)
    # And the server's own next append, after the other writer's, is read back correctly.
    second = orjson.dumps(run_event("second"))
    assert intake.ingest(second).appended == imported(tmp_path, second).appended
    assert intake.ingest(second).appended == 0
    assert max(Counter(e["event_id"] for e in log_events(store.root)).values()) == 1


def test_a_log_replaced_after_an_append_gets_the_next_appends(tmp_path: Path) -> None:
    # The server keeps the log open between appends; a log replaced meanwhile (a restore, a
    # compaction) must receive the next events, not the replaced file.
    store = StorePaths(tmp_path / "store")
    intake = Ingestor(store)
    first, second = (orjson.dumps(run_event(name)) for name in ("before", "after"))
    intake.ingest(first)
    store.events.replace(tmp_path / "old.jsonl")
    assert intake.ingest(first).appended == imported(tmp_path, first).appended  # a new log: not known
    assert intake.ingest(second).appended == imported(tmp_path, second).appended
    assert event_set(store.root) == event_set(tmp_path / "oracle-0.store") | event_set(
        tmp_path / "oracle-1.store"
    )


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
    expected = imported(tmp_path, body).appended
    assert intake.ingest(body).appended == expected > 0  # the failed attempt left nothing marked as written


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
