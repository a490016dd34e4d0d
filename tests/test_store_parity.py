"""The same events give the same bytes on both stores: every query, time-travel and store command."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import orjson
from typer.testing import CliRunner

from lineage_cli.cli import app
from lineage_cli.store.events import KIND_DESCRIBED, KIND_FLOW_FAILED, KIND_FLOW_STARTED, KIND_RUN_INPUTS
from tests.conftest import REAL_GRAPHS
from tests.storehelp import artifact, at, event, fill
from tests.test_store_cli import HISTORY


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def lineage(*args: str) -> Ran:
    """Run a command in process (CliRunner: what a user sees, without a process start per command)."""
    env: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith("LINEAGE_") and k != "LINEAGE_SPOOL"
    }
    result = CliRunner(env=env).invoke(app, list(args))
    return Ran(result.exit_code, result.stdout, result.stderr)


def _unbuilt(text: str) -> str:
    # A whole lineage document carries the moment of its build, which two builds never share.
    return re.sub(r'\n  "built_at": "[^"]*",', "", text, count=1)


def both(directory: str, pg_url: str, *args: str) -> str:
    """Run a command on both stores; the exit code, stdout and stderr must match; return stdout."""
    here = lineage(*args, "--store", directory)
    there = lineage(*args, "--store", pg_url)
    assert "Traceback" not in here.stderr + there.stderr
    assert there.returncode == here.returncode, (args, here.stderr, there.stderr)
    assert _unbuilt(there.stdout) == _unbuilt(here.stdout), args
    assert there.stderr == here.stderr, args
    return here.stdout


def pick(document: dict[str, object]) -> tuple[str, str, str]:
    """A root, a middle and a leaf artifact of a lineage document."""
    nodes = document["nodes"]
    assert isinstance(nodes, dict)
    edges = document["edges"]
    assert isinstance(edges, list)
    sources = {e["source"] for e in edges}
    targets = {e["target"] for e in edges}
    middle = sorted(sources & targets)[len(sources & targets) // 2]
    root = sorted(sources - targets)[0]
    leaf = sorted(targets - sources)[-1]
    return root, middle, leaf


def test_a_real_graph_answers_byte_for_byte_alike(pg_url: str, tmp_path: Path) -> None:
    directory = str(tmp_path / "store")
    graph = REAL_GRAPHS / "dbt-fhir.json"
    for store in (directory, pg_url):
        imported = lineage("import", "graph", str(graph), "--store", store)
        assert imported.returncode == 0, imported.stderr
    built = [orjson.loads(lineage("build", "--json", "--store", s).stdout) for s in (directory, pg_url)]
    assert built[0]["graph_hash"] == built[1]["graph_hash"]
    assert built[0]["statuses"] == built[1]["statuses"]
    root, middle, leaf = pick(orjson.loads(graph.read_bytes()))
    for args in (
        ("provenance", middle), ("ancestors", leaf), ("descendants", root), ("descendants", root, "-d", "2"),
        ("ancestors", leaf, "--depth", "1"), ("path", root, leaf), ("common-ancestors", middle, leaf),
        ("impact", root), ("cross-workflow",), ("provenance", "no-such-" + middle), ("stale",),
        ("export", "--format", "json"), ("export", "--format", "mermaid"),
    ):  # fmt: skip
        both(directory, pg_url, *args)
        if args[0] not in ("export",):
            both(directory, pg_url, *args, "--json")


def test_history_time_travel_and_as_of_alike(pg_url: str, tmp_path: Path) -> None:
    directory = fill(tmp_path / "store", HISTORY)
    fill(pg_url, HISTORY)
    for store in (directory, pg_url):
        assert lineage("build", "--store", store).returncode == 0
    fill(directory, HISTORY[:2])  # resent events change nothing on either store
    fill(pg_url, HISTORY[:2])
    for moment in (at(2), at(5), at(30)):
        both(directory, pg_url, "at", moment, "--json")
        both(directory, pg_url, "stale", "--as-of", moment, "--json")
        both(directory, pg_url, "descendants", "raw.csv", "--as-of", moment, "--json")
        both(directory, pg_url, "provenance", "clean.parquet", "--as-of", moment, "--json")
    both(directory, pg_url, "diff", at(2), at(30), "--json")
    both(directory, pg_url, "diff", at(5), at(20))
    assert "clean.parquet" in both(directory, pg_url, "stale")


LATE_AND_ALIASED = [
    *HISTORY,
    artifact("clean.parquet", 0, ["raw.csv"], lineage_id="run-0", transformation="old"),  # late: an old time
    event(KIND_FLOW_STARTED, 12, "run-3", workflow="nightly"),
    artifact("features.parquet", 12, ["clean.parquet", "lookup.csv"], lineage_id="run-3"),
    event(KIND_FLOW_FAILED, 13, "run-4", error="disk full"),
    artifact("score.json", 13, ["model.pkl"], lineage_id="run-4"),
    event(KIND_RUN_INPUTS, 13, "run-4", inputs=["features.parquet"]),
    event(KIND_DESCRIBED, 14, "L0", artifact_id="report.html", aliases=["s3://b/report.html"], metadata=None),
]


def test_as_of_queries_alike_with_late_events_aliases_and_failed_flows(pg_url: str, tmp_path: Path) -> None:
    directory = fill(tmp_path / "store", LATE_AND_ALIASED)
    fill(pg_url, LATE_AND_ALIASED)
    for moment in (at(1), at(12), at(13), at(30)):
        for args in (
            ("ancestors", "score.json"), ("descendants", "raw.csv"), ("descendants", "lookup.csv"),
            ("provenance", "clean.parquet"), ("provenance", "s3://b/report.html"),
            ("provenance", "lookup.csv"),
            ("path", "raw.csv", "score.json"), ("common-ancestors", "score.json", "report.html"),
            ("impact", "raw.csv"), ("ancestors", "report"), ("descendants", "clean.parquett"),
            ("ancestors", "features.parquet", "-d", "1"), ("cross-workflow",), ("ls", "raw.csv+"),
            ("ls", "type:merged", "workflow:nightly"), ("ls", "status:failed,meta.error:disk*"),
        ):  # fmt: skip
            both(directory, pg_url, *args, "--as-of", moment)
            both(directory, pg_url, *args, "--as-of", moment, "--json")
        both(directory, pg_url, "stale", "--as-of", moment, "--json")
        both(directory, pg_url, "at", moment, "--json")
    both(directory, pg_url, "diff", at(5), at(30), "--json")
