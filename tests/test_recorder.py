"""The recorder: contexts across threads and asyncio tasks, nesting, failures, fan-out, the store sink."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import lineage_cli
from lineage_cli.errors import UsageError
from lineage_cli.recorder import (
    DataFlowRecorder,
    configure,
    current_context,
    data_flow_context,
    get_recorder,
    record_artifact,
    use_recorder,
)
from lineage_cli.store.events import new_id


@pytest.fixture
def rec() -> Iterator[DataFlowRecorder]:
    recorder = DataFlowRecorder()
    with use_recorder(recorder):
        yield recorder


def read_log(store: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (store / "events.jsonl").read_bytes().splitlines()]


def kinds(recorder: DataFlowRecorder) -> list[str]:
    return [e["kind"] for e in recorder.get_events()]


def test_context_publishes_started_and_completed_and_carries_the_lineage_id(rec: DataFlowRecorder) -> None:
    with data_flow_context(
        source="calibration", job_id="gbm-run-42", stage="fit", agent="bot", seed=7
    ) as ctx:
        assert current_context() is ctx
        event = record_artifact("calibration-params", kind="metadata", metadata={"version": 2})
    assert current_context() is None
    assert kinds(rec) == ["flow_started", "artifact_recorded", "flow_completed"]
    started = rec.get_events()[0]
    assert started["lineage_id"] == ctx.lineage_id == event["lineage_id"]
    assert started["job_id"] == "gbm-run-42" and started["attributes"] == {"seed": 7}
    assert event["workflow"] == "calibration"  # the source names the workflow when none is given
    assert (event["stage"], event["agent"], event["artifact_kind"]) == ("fit", "bot", "metadata")


def test_a_failing_block_publishes_failed_with_the_error_and_reraises(rec: DataFlowRecorder) -> None:
    with pytest.raises(KeyError, match="boom"), data_flow_context(source="job"):
        record_artifact("half-done")
        raise KeyError("boom")
    assert kinds(rec) == ["flow_started", "artifact_recorded", "flow_failed"]
    assert rec.get_events()[-1]["error"] == "KeyError: 'boom'"
    assert current_context() is None


def test_nested_contexts_get_their_own_id_and_record_the_parent(rec: DataFlowRecorder) -> None:
    with data_flow_context(source="outer", agent="a") as outer:
        with data_flow_context(source="inner") as inner:
            inner_event = record_artifact("x")
        outer_event = record_artifact("y")
    assert inner.lineage_id != outer.lineage_id
    assert inner.parent_lineage_id == outer.lineage_id and outer.parent_lineage_id is None
    assert inner_event["lineage_id"] == inner.lineage_id
    assert inner_event["parent_lineage_id"] == outer.lineage_id
    assert inner_event["agent"] == "a"  # inherited from the enclosing context
    assert inner_event["workflow"] == "outer"
    assert outer_event["lineage_id"] == outer.lineage_id


def test_without_a_context_each_artifact_gets_a_fresh_lineage_id(rec: DataFlowRecorder) -> None:
    ids = {record_artifact(f"a{i}")["lineage_id"] for i in range(50)}
    assert len(ids) == 50


def test_threads_are_isolated(rec: DataFlowRecorder) -> None:
    barrier = threading.Barrier(8)
    seen: dict[int, tuple[str, set[str]]] = {}

    def job(n: int) -> None:
        with data_flow_context(source=f"job-{n}") as ctx:
            barrier.wait()  # every thread is inside its own context at the same time
            ids = {record_artifact(f"t{n}-{i}")["lineage_id"] for i in range(100)}
            seen[n] = (ctx.lineage_id, ids)

    threads = [threading.Thread(target=job, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(ids == {lineage_id} for lineage_id, ids in seen.values())
    assert len({lineage_id for lineage_id, _ in seen.values()}) == 8
    assert len(rec.get_events()) == 8 * 102


def test_asyncio_tasks_are_isolated(rec: DataFlowRecorder) -> None:
    async def job(n: int) -> tuple[str, set[str]]:
        with data_flow_context(source=f"task-{n}") as ctx:
            ids = set()
            for i in range(20):
                await asyncio.sleep(0)  # interleave the tasks
                ids.add(record_artifact(f"task{n}-{i}")["lineage_id"])
            return ctx.lineage_id, ids

    async def main() -> list[tuple[str, set[str]]]:
        with data_flow_context(source="parent") as parent:
            results = await asyncio.gather(*(job(n) for n in range(5)))
            assert current_context() is parent
        return results

    results = asyncio.run(main())
    assert all(ids == {lineage_id} for lineage_id, ids in results)
    parents = {e["parent_lineage_id"] for e in rec.get_events() if e["kind"] == "flow_started"}
    assert len(parents) == 2  # None for the parent, the parent's id for all five tasks


def test_use_recorder_restores_the_previous_recorder_even_on_error() -> None:
    before = get_recorder()
    inner = DataFlowRecorder()
    with pytest.raises(RuntimeError), use_recorder(inner):
        assert get_recorder() is inner
        record_artifact("x")
        raise RuntimeError("job failed")
    assert get_recorder() is before
    assert [e["artifact_id"] for e in inner.get_events()] == ["x"]


def test_a_raising_subscriber_is_reported_and_breaks_nothing(
    rec: DataFlowRecorder, capsys: pytest.CaptureFixture[str]
) -> None:
    received: list[dict[str, Any]] = []

    def broken(event: dict[str, Any]) -> None:
        raise ValueError("subscriber bug")

    rec.subscribe(broken)
    rec.subscribe(received.append)
    with data_flow_context(source="job"):
        record_artifact("x")
    assert [e["kind"] for e in received] == ["flow_started", "artifact_recorded", "flow_completed"]
    err = capsys.readouterr().err
    assert "broken" in err and "subscriber bug" in err
    assert len(rec.get_events()) == 3


def test_unsubscribe_and_clear(rec: DataFlowRecorder) -> None:
    received: list[dict[str, Any]] = []
    unsubscribe = rec.subscribe(received.append)
    record_artifact("a")
    unsubscribe()
    record_artifact("b")
    assert [e["artifact_id"] for e in received] == ["a"]
    rec.clear()
    assert rec.get_events() == []


def test_max_events_keeps_the_tail() -> None:
    recorder = DataFlowRecorder(max_events=3)
    for i in range(5):
        recorder.publish({"n": i})
    assert [e["n"] for e in recorder.get_events()] == [2, 3, 4]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"transformation_type": "baked"}, "Unknown transformation type 'baked'"),
        ({"inputs": [1]}, "every input must be a non-empty id"),
        ({"metadata": {"when": object()}}, "metadata must be JSON-serializable"),
    ],
)
def test_bad_arguments_raise_one_clear_error(
    rec: DataFlowRecorder, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        record_artifact("x", **kwargs)
    assert rec.get_events() == []


def test_context_attributes_must_be_json(rec: DataFlowRecorder) -> None:
    with (
        pytest.raises(UsageError, match="attributes must be JSON-serializable"),
        data_flow_context(source="job", handle=object()),
    ):
        pass
    assert rec.get_events() == [] and current_context() is None


def test_a_single_string_input_is_one_input(rec: DataFlowRecorder) -> None:
    assert record_artifact("x", inputs="raw.csv")["inputs"] == ["raw.csv"]


def test_store_sink_follows_configure_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured, from_env = tmp_path / "configured", tmp_path / "env"
    monkeypatch.setenv("LINEAGE_STORE", str(from_env))
    try:
        record_artifact("via-env")
        configure(store=configured)
        with data_flow_context(source="job"):
            record_artifact("via-configure")
        with use_recorder(DataFlowRecorder()):  # a swapped-in recorder does not write the store
            record_artifact("captured-only")
    finally:
        configure(store=None)
    env_events = [orjson.loads(line) for line in (from_env / "events.jsonl").read_bytes().splitlines()]
    configured_events = [
        orjson.loads(line) for line in (configured / "events.jsonl").read_bytes().splitlines()
    ]
    assert [e.get("artifact_id") for e in env_events] == ["via-env"]
    assert [e["kind"] for e in configured_events] == ["flow_started", "artifact_recorded", "flow_completed"]


def test_no_store_means_memory_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINEAGE_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    record_artifact("x")
    assert list(tmp_path.iterdir()) == []
    assert get_recorder().get_events()[-1]["artifact_id"] == "x"


def test_an_unwritable_store_is_reported_and_the_job_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    configure(store=blocker / "store")
    try:
        event = record_artifact("x")
    finally:
        configure(store=None)
    assert event["artifact_id"] == "x"
    assert "could not append" in capsys.readouterr().err


def test_ids_are_unique_across_threads() -> None:
    ids: list[str] = []
    threads = [threading.Thread(target=lambda: ids.extend(new_id() for _ in range(2000))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 8000 and all(len(i) == 32 for i in ids)


def test_the_package_re_exports_the_recorder_lazily() -> None:
    assert lineage_cli.record_artifact is record_artifact
    assert lineage_cli.DataFlowRecorder is DataFlowRecorder
    assert "data_flow_context" in dir(lineage_cli)
    with pytest.raises(AttributeError):
        _ = lineage_cli.no_such_name
    code = "import sys, lineage_cli; print('lineage_cli.recorder' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
