"""The store commands through CliRunner and through the installed `lineage`: record, build, stale,
snapshots, at, diff, and --as-of for queries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from lineage_cli.cli import app
from lineage_cli.errors import UsageError
from lineage_cli.model import parse_timestamp
from lineage_cli.source import open_graph, open_lineage_graph
from lineage_cli.store.events import KIND_FLOW_COMPLETED, KIND_FLOW_STARTED
from lineage_cli.store.layout import StorePaths
from tests.conftest import LINEAGE
from tests.storehelp import artifact, at, event, fill, write_store

GOLDEN = Path(__file__).parent / "golden" / "store"
runner = CliRunner()


def history(root: Path) -> StorePaths:
    """A small pipeline: raw is re-produced at 00:10, so clean, report and model (built from the
    stale clean) are stale."""
    return write_store(root, HISTORY)


HISTORY = [
    event(KIND_FLOW_STARTED, 1, "run-1", workflow="nightly"),
    artifact("raw.csv", 1, lineage_id="run-1", version="v1", transformation="download"),
    artifact("clean.parquet", 2, ["raw.csv"], lineage_id="run-1", transformation="dedupe"),
    artifact("report.html", 3, ["clean.parquet"], lineage_id="run-1", transformation="render"),
    event(KIND_FLOW_COMPLETED, 4, "run-1", workflow="nightly"),
    artifact("raw.csv", 10, lineage_id="run-2", version="v2", transformation="download"),
    artifact("model.pkl", 11, ["clean.parquet"], lineage_id="run-2", transformation_type="generated"),
]


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_record_appends_the_same_event_as_record_artifact(tmp_path: Path) -> None:
    result = invoke(
        "record", "report", "--input", "a", "--input", "b", "--workflow", "nightly", "--stage", "render",
        "--agent", "ci", "--version", "7", "--transformation", "join", "--type", "merged",
        "--meta", "rows=1200", "--meta", "owner=data-team", "--meta", "ok=true",
        "--store", str(tmp_path), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    printed = orjson.loads(result.stdout)
    [logged] = [orjson.loads(line) for line in (tmp_path / "events.jsonl").read_bytes().splitlines()]
    assert printed == logged
    from lineage_cli.bookkeeping import auto_provenance
    from lineage_cli.recorder import artifact_event

    auto = auto_provenance()  # the shell leaves these unset, so they are filled in, as in Python
    expected = artifact_event(
        "report", inputs=["a", "b"], workflow="nightly", stage="render", agent="ci", version="7",
        transformation="join", transformation_type="merged",
        metadata={"rows": 1200, "owner": "data-team", "ok": True, **auto.metadata()},
        environment=auto.environment,
    )  # fmt: skip
    ignore = {"event_id", "time", "lineage_id"}
    assert {k: v for k, v in logged.items() if k not in ignore} == {
        k: v for k, v in expected.items() if k not in ignore
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "baked"], "'baked' is not one of"),
        (["--meta", "novalue"], "--meta 'novalue' is not KEY=VALUE"),
    ],
)
def test_record_rejects_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    result = invoke("record", "x", "--store", str(tmp_path), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "events.jsonl").exists()


def test_build_stale_and_snapshots(store_location: str, tmp_path: Path) -> None:
    store = fill(store_location, HISTORY)
    built = invoke("build", "--store", store, "--json")
    assert built.exit_code == 0, built.stderr
    summary = orjson.loads(built.stdout)
    assert (summary["artifacts"], summary["edges"], summary["events"]) == (4, 3, 7)
    assert summary["statuses"] == {
        "fresh": 1,
        "stale": 3,
        "failed": 0,
        "in_progress": 0,
        "unknown": 0,
        "dropped": 0,
    }
    assert summary["snapshot"]["number"] == 1

    stale = invoke("stale", "--store", store, "--json")
    assert stale.exit_code == 1
    check_golden("stale.json", stale.stdout)
    piped = invoke("stale", "--store", store)
    assert (piped.exit_code, piped.stdout) == (1, "clean.parquet\nmodel.pkl\nreport.html\n")
    assert invoke("stale", "--store", store, "--as-of", at(5)).exit_code == 0

    again = invoke("build", "--store", store)
    assert again.exit_code == 0 and "unchanged since the last snapshot" in again.stderr
    listed = orjson.loads(invoke("snapshots", "--store", store, "--json").stdout)
    assert [s["number"] for s in listed["snapshots"]] == [1]
    assert invoke("snapshots", "--store", store).stdout.startswith("1\t")


def test_nothing_stale_exits_0_with_an_empty_json_document(store_location: str, tmp_path: Path) -> None:
    store = fill(store_location, [artifact("a", 1), artifact("b", 2, ["a"])])
    result = invoke("stale", "--store", store, "--json")
    assert (result.exit_code, orjson.loads(result.stdout)) == (0, {"stale": []})


def test_at_gives_the_graph_at_a_moment(store_location: str, tmp_path: Path) -> None:
    store = fill(store_location, HISTORY)
    result = invoke("at", "2026-01-01T00:05:00+00:00", "--store", store, "--json")
    assert result.exit_code == 0, result.stderr
    check_golden("at.json", result.stdout)
    assert invoke("at", at(2), "--store", store).stdout == "clean.parquet\nraw.csv\n"
    out = tmp_path / "then.json"
    written = invoke("at", at(3), "--store", store, "--output", str(out))
    assert written.exit_code == 0 and "3 artifacts" in written.stderr
    assert orjson.loads(out.read_bytes())["built_at"] == at(3)
    both = invoke("at", at(3), "--store", store, "--output", str(out), "--json")
    assert both.exit_code == 2 and "not both" in both.stderr
    queried = invoke("at", "2026-01-01", "--store", store, "--json")
    assert orjson.loads(queried.stdout)["nodes"] == {}


def test_a_naive_timestamp_is_rejected_with_exit_2(store_location: str, tmp_path: Path) -> None:
    store = fill(store_location, HISTORY)
    result = invoke("at", "2026-01-01T00:05:00", "--store", store)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: TIMESTAMP '2026-01-01T00:05:00' has no timezone")
    bad = invoke("diff", "the day before", at(1), "--store", store)
    assert bad.exit_code == 2 and "T1 'the day before' is not an ISO-8601 timestamp" in bad.stderr
    assert "'3d ago'" in bad.stderr  # the hint lists every accepted form


def test_time_travel_without_a_log_says_what_to_do(tmp_path: Path) -> None:
    result = invoke("at", at(1), "--store", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "events.jsonl: no such file" in result.stderr and "Record events first" in result.stderr
    for command in ("build", "stale"):
        missing = invoke(command, "--store", str(tmp_path / "nowhere"))
        assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_an_unwritable_output_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    history(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    target = str(blocker / "out.json")  # a file where a directory should be
    for args in (("at", at(5), "--output", target), ("build", "--output", target)):
        result = invoke(*args, "--store", str(tmp_path))
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: Cannot write {target}: ")
        assert "Check the path: its directory must be writable" in result.stderr
        assert isinstance(result.exception, SystemExit)  # no exception escaped the command


def test_diff(store_location: str, tmp_path: Path) -> None:
    store = fill(store_location, HISTORY)
    result = invoke("diff", at(5), at(20), "--store", store, "--json")
    assert result.exit_code == 0, result.stderr
    check_golden("diff.json", result.stdout)
    plain = invoke("diff", at(5), at(20), "--store", store)
    assert plain.stdout == (
        "+ model.pkl\n~ raw.csv v1 -> v2\n"
        "! clean.parquet fresh -> stale\n! report.html fresh -> stale\n"  # status changes too
        "+ clean.parquet -> model.pkl\n"
    )


def test_a_bad_line_is_reported_once_by_diff_and_at(tmp_path: Path) -> None:
    paths = history(tmp_path)
    assert invoke("build", "--store", str(tmp_path)).exit_code == 0  # a snapshot for time travel to use
    with paths.events.open("ab") as log:
        log.write(b"{not json\n")
    write_store(tmp_path, [artifact("late.csv", 30)])  # after the bad line: the snapshot cannot answer
    for args in (("diff", at(5), at(40)), ("at", at(40))):
        result = invoke(*args, "--store", str(tmp_path), "--skip-bad")
        assert result.exit_code == 0, result.stderr
        assert result.stderr.count("line 8: not valid JSON") == 1, result.stderr


def test_as_of_reaches_every_query_through_open_graph(store_location: str, tmp_path: Path) -> None:
    store = fill(store_location, HISTORY)
    then = open_graph(None, store, parse_timestamp(at(2)))
    assert "report.html" not in then and then.parents("clean.parquet") == ("raw.csv",)
    now = open_lineage_graph(None, store, parse_timestamp(at(30)))
    assert sorted(now.nodes) == ["clean.parquet", "model.pkl", "raw.csv", "report.html"]
    with pytest.raises(UsageError, match="cannot be used with --graph"):
        open_graph("some.json", store, parse_timestamp(at(2)))


def run(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINEAGE_STORE": str(store)}
    env.pop("LINEAGE_GRAPH", None)
    return subprocess.run([str(LINEAGE), *args], capture_output=True, text=True, env=env, check=False)


def test_the_installed_command_records_builds_and_gates_on_staleness(tmp_path: Path) -> None:
    assert LINEAGE.exists(), f"{LINEAGE} is missing: run `make dev`"
    assert run("record", "raw", "--agent", "ci", store=tmp_path).returncode == 0
    assert run("record", "clean", "--input", "raw", "--agent", "ci", store=tmp_path).returncode == 0
    built = run("build", store=tmp_path)
    assert built.returncode == 0 and "2 artifacts, 1 edges" in built.stderr and built.stdout == ""
    assert run("stale", store=tmp_path).returncode == 0
    assert run("record", "raw", "--version", "2", store=tmp_path).returncode == 0
    stale = run("stale", store=tmp_path)
    assert (stale.returncode, stale.stdout) == (1, "clean\n")
    naive = run("at", "2026-01-01T10:00", store=tmp_path)
    assert naive.returncode == 2 and "Traceback" not in naive.stderr


def test_the_worked_example_records_a_pipeline_that_goes_stale(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "examples" / "pipeline.py"
    store, data = tmp_path / "store", tmp_path / "data"
    base = [sys.executable, str(example), "--store", str(store), "--data", str(data)]
    first = subprocess.run(base, capture_output=True, text=True, check=True)
    assert "forecast skipped" in first.stderr and first.stdout == ""
    assert run("build", store=store).returncode == 0
    nodes = orjson.loads((store / "lineage.json").read_bytes())["nodes"]
    assert {a: n["status"] for a, n in nodes.items() if n["status"] != "fresh"} == {
        "ml/forecast.pkl": "failed"
    }
    assert nodes["mart/sales_by_customer.csv"]["inputs"] == ["clean/orders.csv", "raw/customers.csv"]
    assert (data / "reports" / "weekly.html").exists()
    subprocess.run([*base, "--refresh-orders"], capture_output=True, text=True, check=True)
    stale = run("stale", store=store)
    assert stale.returncode == 1
    assert stale.stdout.split() == [
        "checks/orders_ok.json",
        "clean/orders.csv",
        "mart/sales_by_customer.csv",
        "reports/weekly.html",
    ]
