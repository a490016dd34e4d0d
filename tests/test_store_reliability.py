"""Reliability: concurrent writers, a build killed mid-write, torn and malformed log lines."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from lineage_cli.cli import app
from lineage_cli.errors import LineageFileError
from lineage_cli.lineagefile import load_graph
from lineage_cli.store.build import build_store, fold_log
from lineage_cli.store.events import append_events
from lineage_cli.store.layout import StorePaths
from tests.conftest import REPO
from tests.storehelp import artifact, write_store

WRITER = """
import sys
from lineage_cli import configure, data_flow_context, record_artifact
configure(store=sys.argv[1])
n = int(sys.argv[2])
with data_flow_context(source="writer-" + str(n)):
    for i in range({count}):
        record_artifact(f"p{{n}}/a{{i}}", inputs=[f"p{{n}}/a{{i - 1}}"] if i else [])
"""


def test_eight_processes_write_one_store_at_once(tmp_path: Path) -> None:
    store = tmp_path / "store"
    code = WRITER.format(count=2000)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(store), str(n)], cwd=REPO) for n in range(8)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 8
    paths = StorePaths(store)
    lines = paths.events.read_bytes().splitlines()
    assert len(lines) == 8 * (2000 + 2)
    assert all(orjson.loads(line)["schema"] == 1 for line in lines)  # no interleaved partial lines
    result = build_store(paths)
    assert result.artifacts == 16_000 and result.edges == 8 * 1999
    assert result.statuses["fresh"] == 16_000


KILLED_BUILD = """
import os, sys, time
import lineage_cli.store.atomic as atomic
real_fsync = os.fsync
def slow_fsync(fd):
    # Inside write_atomic: the temp file holds the new graph, os.replace has not run yet.
    sys.stdout.write("writing\\n"); sys.stdout.flush()
    time.sleep(60)
atomic.os.fsync = slow_fsync
from lineage_cli.cli import main
sys.argv = ["lineage", "build", "--store", sys.argv[1]]
main()
"""


def test_a_build_killed_mid_write_leaves_the_previous_file_intact(tmp_path: Path) -> None:
    paths = write_store(tmp_path, [artifact("a", 1), artifact("b", 2, ["a"])])
    build_store(paths)
    before = paths.graph.read_bytes()
    write_store(tmp_path, [artifact(f"new{i}", 3, ["b"]) for i in range(500)])
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "writing\n"
    temps = [p for p in tmp_path.iterdir() if p.name.startswith(".lineage.json.")]
    assert temps and temps[0].stat().st_size > len(before)  # the new graph was being written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert paths.graph.read_bytes() == before
    assert sorted(load_graph(paths.graph).nodes) == ["a", "b"]
    # The next build succeeds and replaces it.
    assert build_store(paths).artifacts == 502


def test_a_torn_last_line_is_reported_and_skipped(tmp_path: Path) -> None:
    paths = write_store(tmp_path, [artifact(f"x{i}", 1) for i in range(10)])
    with paths.events.open("ab") as log:
        log.write(b'{"schema": 1, "event_id": "torn", "kind": "artifact_rec')
    result = build_store(paths)
    assert result.artifacts == 10
    [problem] = result.problems
    assert problem.torn and problem.line == 11

    runner = CliRunner()
    cli = runner.invoke(app, ["build", "--store", str(tmp_path)])
    assert cli.exit_code == 0
    assert "line 11: torn last line" in cli.stderr


def test_an_append_after_a_torn_line_starts_on_a_new_line(tmp_path: Path) -> None:
    paths = write_store(tmp_path, [artifact("before", 1)])
    with paths.events.open("ab") as log:
        log.write(b'{"schema": 1, "ki')  # a writer died here
    append_events(paths.events, [artifact("after", 2)])
    with pytest.raises(LineageFileError, match=r"line 2: not valid JSON"):
        fold_log(paths)
    assert sorted(fold_log(paths, skip_bad=True).nodes) == ["after", "before"]


def test_a_malformed_event_names_its_line_and_stops_the_build(tmp_path: Path) -> None:
    paths = write_store(tmp_path, [artifact("a", 1)])
    with paths.events.open("ab") as log:
        log.write(b'{"schema": 1, "kind": "artifact_recorded", "lineage_id": "L", "time": "2026-01-01"}\n')
        log.write(b"not json at all\n")
        log.write(orjson.dumps(artifact("b", 2, ["a"], time="2026-01-01T00:00:00")) + b"\n")
    write_store(tmp_path, [artifact("c", 3, ["b"])])
    with pytest.raises(LineageFileError) as caught:
        build_store(paths)
    assert caught.value.line == 2 and "artifact_id" in str(caught.value)
    assert not paths.graph.exists()

    runner = CliRunner()
    stopped = runner.invoke(app, ["build", "--store", str(tmp_path)])
    assert stopped.exit_code == 2
    assert "events.jsonl, line 2: an artifact event needs a string `artifact_id`" in stopped.stderr
    assert "--skip-bad" in stopped.stderr

    skipped = runner.invoke(app, ["build", "--store", str(tmp_path), "--skip-bad"])
    assert skipped.exit_code == 0, skipped.stderr
    for line, what in [(2, "artifact_id"), (3, "not valid JSON"), (4, "with a timezone")]:
        assert f"line {line}: " in skipped.stderr and what in skipped.stderr
    # 'b' was skipped, so it is only an input of 'c': an external artifact.
    assert sorted(load_graph(paths.graph).nodes) == ["a", "b", "c"]


def test_many_threads_append_without_losing_events(tmp_path: Path) -> None:
    import threading

    from lineage_cli.recorder import StoreSink, artifact_event

    sink = StoreSink(tmp_path)

    def write(n: int) -> None:
        for i in range(500):
            sink(artifact_event(f"t{n}-{i}"))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sink.close()
    assert time.perf_counter() - start < 60
    assert len(fold_log(StorePaths(tmp_path)).nodes) == 3000


def test_a_build_waits_for_a_write_in_flight(tmp_path: Path) -> None:
    import fcntl
    import threading

    from lineage_cli.store.build import read_log

    paths = write_store(tmp_path, [artifact("a", 1)])
    got: list[bytes] = []
    with paths.events.open("ab") as writer:
        fcntl.flock(writer.fileno(), fcntl.LOCK_EX)  # a writer holds the lock, mid-line
        writer.write(b'{"schema": 1, "ha')
        writer.flush()
        reader = threading.Thread(target=lambda: got.append(read_log(paths)))
        reader.start()
        reader.join(timeout=0.5)
        assert reader.is_alive() and not got  # the reader waits instead of seeing half a line
        writer.write(b'lf": "done"}\n')
        writer.flush()
        fcntl.flock(writer.fileno(), fcntl.LOCK_UN)
    reader.join(timeout=10)
    assert got and got[0].endswith(b'"done"}\n')
