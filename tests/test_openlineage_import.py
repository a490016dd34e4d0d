"""Importing OpenLineage events written by the real openlineage-python client (file transport)."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.transport.file import FileConfig, FileTransport
from typer.testing import CliRunner

from lineage_cli.cli import app
from lineage_cli.interop.openlineage_import import import_openlineage, parse_run_events
from lineage_cli.model import format_timestamp
from lineage_cli.store.layout import StorePaths
from tests.conftest import LINEAGE, REPO
from tests.openlineage_scenario import (
    CLEAN,
    CUSTOMERS,
    DAILY,
    EXPORT,
    ORDERS,
    PRODUCER,
    RAW,
    WEEKLY,
    client_writing_to,
    emit_scenario,
    ident,
    run_id,
)
from tests.storehelp import events_of


@pytest.fixture
def ol_file(tmp_path: Path) -> Path:
    path = tmp_path / "openlineage.ndjson"
    emit_scenario(client_writing_to(path))
    return path


def latest_artifacts(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last artifact event of each artifact, in log order (what `build` keeps)."""
    latest: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["kind"] == "artifact_recorded":
            latest[event["artifact_id"]] = event
    return latest


def flow_kinds(events: list[dict[str, Any]]) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event["kind"].startswith("flow_"):
            kinds[event["lineage_id"]].add(event["kind"])
    return kinds


def test_the_client_appends_one_event_per_line(ol_file: Path) -> None:
    lines = ol_file.read_bytes().splitlines()
    assert len(lines) == 14
    assert {orjson.loads(line)["eventType"] for line in lines} == {
        "START",
        "RUNNING",
        "COMPLETE",
        "FAIL",
        "ABORT",
    }


def test_outputs_become_artifacts_with_the_run_inputs(ol_file: Path, tmp_path: Path) -> None:
    store = StorePaths(tmp_path / "store")
    result = import_openlineage([ol_file], store)
    assert result.problems == []
    assert result.read == 14
    assert result.artifacts == 5
    latest = latest_artifacts(events_of(store))
    assert sorted(latest) == sorted(ident(d) for d in (RAW, CLEAN, DAILY, WEEKLY, EXPORT))
    assert latest[ident(RAW)]["inputs"] == [ident(ORDERS)]
    assert latest[ident(CLEAN)]["inputs"] == [ident(RAW)]
    assert latest[ident(DAILY)]["inputs"] == [ident(CLEAN), ident(CUSTOMERS)]
    assert latest[ident(DAILY)]["transformation_type"] == "merged"
    assert latest[ident(WEEKLY)]["inputs"] == [ident(DAILY)]


def test_job_producer_and_event_time_map_to_provenance(ol_file: Path, tmp_path: Path) -> None:
    store = StorePaths(tmp_path / "store")
    import_openlineage([ol_file], store)
    events = events_of(store)
    daily = latest_artifacts(events)[ident(DAILY)]
    assert (daily["workflow"], daily["stage"], daily["agent"]) == ("dbt", "analytics.daily_revenue", PRODUCER)
    assert daily["time"] == "2026-03-01T01:02:00Z"
    dag_start = next(e for e in events if e["lineage_id"] == run_id("dag") and e["kind"] == "flow_started")
    assert dag_start["time"] == "2026-03-01T00:00:00Z"  # 02:00+02:00, made UTC
    assert dag_start["job_id"] == "airflow/ingest"
    assert all(e["time"].endswith("Z") for e in events)


def test_a_failed_run_and_its_retry(ol_file: Path, tmp_path: Path) -> None:
    store = StorePaths(tmp_path / "store")
    import_openlineage([ol_file], store)
    events = events_of(store)
    flows = flow_kinds(events)
    assert flows[run_id("clean-1")] == {"flow_started", "flow_failed"}
    assert flows[run_id("clean-2")] == {"flow_started", "flow_completed"}
    failed = next(e for e in events if e["kind"] == "flow_failed" and e["lineage_id"] == run_id("clean-1"))
    assert failed["error"] == "OutOfMemoryError"
    # The failed attempt's artifact records exist, and the retry's record comes after them.
    clean = [e for e in events if e.get("artifact_id") == ident(CLEAN)]
    assert [e["lineage_id"] for e in clean] == [run_id("clean-1")] * 2 + [run_id("clean-2")] * 2
    assert clean[-1]["version"] == "v2"  # the datasetVersion facet


def test_abort_fails_and_start_alone_stays_open(ol_file: Path, tmp_path: Path) -> None:
    store = StorePaths(tmp_path / "store")
    import_openlineage([ol_file], store)
    flows = flow_kinds(events_of(store))
    assert flows[run_id("export")] == {"flow_started", "flow_failed"}
    assert flows[run_id("weekly")] == {"flow_started"}


def test_parent_run_facet_links_nested_runs(ol_file: Path, tmp_path: Path) -> None:
    store = StorePaths(tmp_path / "store")
    import_openlineage([ol_file], store)
    events = events_of(store)
    extract = [e for e in events if e["lineage_id"] == run_id("extract")]
    assert extract and {e["parent_lineage_id"] for e in extract} == {run_id("dag")}
    assert latest_artifacts(events)[ident(RAW)]["metadata"]["openlineage"]["parentRun"]["job"] == {
        "facets": {},
        "name": "ingest",
        "namespace": "airflow",
    }


def test_schema_and_column_lineage_facets_are_kept(ol_file: Path, tmp_path: Path) -> None:
    store = StorePaths(tmp_path / "store")
    import_openlineage([ol_file], store)
    clean = latest_artifacts(events_of(store))[ident(CLEAN)]["metadata"]
    assert [f["name"] for f in clean["schema"]["fields"]] == ["id", "amount"]
    assert clean["columnLineage"]["fields"]["amount"]["inputFields"][0]["field"] == "amount"
    assert clean["openlineage"]["namespace"] == CLEAN[0]
    assert clean["openlineage"]["name"] == CLEAN[1]


def test_importing_twice_adds_nothing(ol_file: Path, tmp_path: Path) -> None:
    store = StorePaths(tmp_path / "store")
    first = import_openlineage([ol_file], store)
    before = store.events.read_bytes()
    second = import_openlineage([ol_file], store)
    assert first.appended == 33
    assert (second.appended, second.duplicates) == (0, 33)
    assert store.events.read_bytes() == before


def test_event_ids_are_unique_and_deterministic(ol_file: Path, tmp_path: Path) -> None:
    a, b = StorePaths(tmp_path / "a"), StorePaths(tmp_path / "b")
    import_openlineage([ol_file], a)
    import_openlineage([ol_file], b)
    ids_a = [e["event_id"] for e in events_of(a)]
    assert ids_a == [e["event_id"] for e in events_of(b)]
    assert len(set(ids_a)) == len(ids_a)


def test_one_file_per_event_mode_is_read_in_event_time_order(tmp_path: Path) -> None:
    # Without append, the file transport writes one timestamped file per event.
    prefix = tmp_path / "ol" / "events"
    prefix.parent.mkdir()
    emit_scenario(client_writing_to(prefix, append=False))
    files = sorted(prefix.parent.iterdir())
    assert len(files) == 14 and all(f.name.startswith("events-") for f in files)
    merged = StorePaths(tmp_path / "merged")
    import_openlineage(list(reversed(files)), merged)  # order of arguments does not matter
    single = tmp_path / "single.ndjson"
    emit_scenario(client_writing_to(single))
    reference = StorePaths(tmp_path / "reference")
    import_openlineage([single], reference)
    assert [e["event_id"] for e in events_of(merged)] == [e["event_id"] for e in events_of(reference)]


def test_debug_mode_pretty_file_is_one_event(tmp_path: Path) -> None:
    transport = FileTransport(FileConfig(log_file_path=str(tmp_path / "dbg"), debug_mode=True))
    from openlineage.client import OpenLineageClient

    OpenLineageClient(transport=transport).emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime="2026-03-01T00:00:00Z",
            run=Run(runId=run_id("dbg")),
            job=Job(namespace="ns", name="job"),
            producer=PRODUCER,
        )
    )
    (written,) = tmp_path.glob("dbg-*.json")
    assert written.read_text().count("\n") > 3  # indented, not NDJSON
    events, problems, records, _ = parse_run_events(written.read_bytes(), written.name)
    assert (len(events), problems, records) == (1, [], 1)


def test_problems_name_their_lines_and_stop_the_import(ol_file: Path, tmp_path: Path) -> None:
    lines = ol_file.read_bytes().splitlines()
    lines.insert(2, b'{"eventType": "RESTART", "eventTime": "2026-03-01T00:00:00Z", "run": {}, "job": {}}')
    lines.insert(
        4,
        b'{"eventType": "START", "eventTime": "2026-03-01T00:00:00", '
        b'"run": {"runId": "r"}, "job": {"namespace": "n", "name": "j"}}',
    )
    lines.insert(6, b"{truncated")
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(b"\n".join(lines) + b"\n")
    store = StorePaths(tmp_path / "store")
    result = import_openlineage([bad], store)
    assert [(p.line, p.problem.split(" (")[0].split(" '")[0]) for p in result.problems] == [
        (3, "unknown event type"),
        (5, "eventTime"),
        (7, "not valid JSON"),
    ]
    assert "no timezone" in result.problems[1].problem
    assert result.appended == 0 and not store.events.exists()
    skipped = import_openlineage([bad], store, skip_bad=True)
    assert len(skipped.problems) == 3 and skipped.appended == 33


def test_job_and_dataset_events_are_read_not_ignored(tmp_path: Path) -> None:
    head = b'{"eventTime": "2026-03-01T00:00:00Z", "producer": "p", '
    data = (
        head + b'"job": {"namespace": "n", "name": "j"}}\n'
        b"" + head + b'"dataset": {"namespace": "n", "name": "d"}}\n'
    )
    events, problems, records, ignored = parse_run_events(data, "static.ndjson")
    assert ([e.event_type for e in events], problems, records, ignored) == (["JOB", "DATASET"], [], 2, 0)


# -- the command line ---------------------------------------------------------------------


def test_cli_import_prints_a_summary_on_stderr(ol_file: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["import", "openlineage", str(ol_file), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "14 OpenLineage events read (5 artifacts): 33 events appended" in result.stderr
    again = CliRunner().invoke(app, ["import", "openlineage", str(ol_file), "--store", str(store)])
    assert "0 events appended, 33 duplicates skipped" in again.stderr


def test_cli_reports_bad_lines_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"eventType": "NOPE", "run": {"runId": "r"}}\n')
    result = CliRunner().invoke(app, ["import", "openlineage", str(bad), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert f"{bad}, line 1: unknown event type 'NOPE'" in result.stderr
    assert "--skip-bad" in result.stderr
    skipped = CliRunner().invoke(
        app, ["import", "openlineage", str(bad), "--skip-bad", "--store", str(tmp_path / "s")]
    )
    assert skipped.exit_code == 0
    assert "warning:" in skipped.stderr and "line 1" in skipped.stderr


def test_installed_cli_reads_stdin(ol_file: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    proc = subprocess.run(
        [str(LINEAGE), "import", "openlineage", "-", "--store", str(store)],
        input=ol_file.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    assert b"33 events appended" in proc.stderr
    assert len(events_of(StorePaths(store))) == 33


def test_installed_cli_missing_file_is_one_sentence(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(LINEAGE), "import", "openlineage", str(tmp_path / "nope.ndjson"), "--store", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "nope.ndjson: no such file." in proc.stderr


def test_the_shipped_sample_is_what_the_example_jobs_write(tmp_path: Path) -> None:
    sample = REPO / "examples" / "openlineage-events.ndjson"
    fresh = tmp_path / "fresh.ndjson"
    subprocess.run([sys.executable, str(REPO / "examples" / "openlineage_jobs.py"), str(fresh)], check=True)

    def summary(data: bytes) -> list[tuple[str, str, str]]:
        events, problems, _, _ = parse_run_events(data, "sample")
        assert problems == []
        return [(e.event_type, e.run_id, format_timestamp(e.time)) for e in events]

    # Facets may differ with the client's version; events, runs and times may not.
    assert summary(sample.read_bytes()) == summary(fresh.read_bytes())


def test_naive_event_times_are_rejected_unless_assumed_utc(tmp_path: Path) -> None:
    naive = tmp_path / "naive.ndjson"
    naive.write_text(
        '{"eventType": "COMPLETE", "eventTime": "2026-03-01T10:00:00.123456", "producer": "p",'
        ' "run": {"runId": "r"}, "job": {"namespace": "n", "name": "j"},'
        ' "outputs": [{"namespace": "file", "name": "out.csv"}]}\n'
    )
    store = StorePaths(tmp_path / "store")
    refused = import_openlineage([naive], store)
    assert [p.line for p in refused.problems] == [1]
    assert "has no timezone" in refused.problems[0].problem
    assert "--assume-utc" in refused.problems[0].problem
    accepted = import_openlineage([naive], store, assume_utc=True)
    assert accepted.problems == [] and accepted.appended == 2
    assert latest_artifacts(events_of(store))["file/out.csv"]["time"] == "2026-03-01T10:00:00.123456Z"
    result = CliRunner().invoke(
        app, ["import", "openlineage", str(naive), "--assume-utc", "--store", str(tmp_path / "s2")]
    )
    assert result.exit_code == 0 and "2 events appended" in result.stderr
