"""`lineage import graph`: a lineage file merged into the store's log, timestamps kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage_cli.cli import app
from lineage_cli.errors import LineageFileError
from lineage_cli.graph import LineageGraph
from lineage_cli.interop.graph_import import graph_events, import_graph
from lineage_cli.lineagefile import load_graph, save_graph
from lineage_cli.model import (
    ArtifactStatus,
    LineageEdge,
    LineageNode,
    ProvenanceRecord,
    TransformationType,
    format_timestamp,
    parse_timestamp,
)
from lineage_cli.store.layout import StorePaths
from tests.conftest import LINEAGE, REAL_GRAPHS
from tests.storehelp import events_of


def node(
    aid: str, inputs: list[str], when: str, status: ArtifactStatus = ArtifactStatus.FRESH
) -> LineageNode:
    prov = ProvenanceRecord("bot", "wf", "stage", parse_timestamp(when), tool="t", environment="ci")
    return LineageNode(aid, f"v-{aid}", prov, inputs, f"make {aid}", status, {"owner": "me"})


@pytest.fixture
def small(tmp_path: Path) -> Path:
    graph = LineageGraph(
        [
            node("raw", [], "2026-01-01T00:00:00Z"),
            node("clean", ["raw"], "2026-01-02T00:00:00+01:00"),
            node("report", ["clean", "raw"], "2026-01-03T00:00:00Z", ArtifactStatus.FAILED),
            node("draft", ["clean"], "2026-01-04T00:00:00Z", ArtifactStatus.IN_PROGRESS),
        ],
        [
            LineageEdge("clean", "report", TransformationType.MERGED, "join"),
            LineageEdge("raw", "report", TransformationType.COPIED, "copy"),
            LineageEdge("report", "ghost", TransformationType.DERIVED),
        ],
    )
    path = tmp_path / "small.json"
    save_graph(graph, path)
    return path


def test_each_artifact_keeps_its_record_and_timestamp(small: Path, tmp_path: Path) -> None:
    store = StorePaths(tmp_path / "store")
    result = import_graph(small, store)
    artifacts = {e["artifact_id"]: e for e in events_of(store) if e["kind"] == "artifact_recorded"}
    assert sorted(artifacts) == ["clean", "draft", "raw", "report"]
    clean = artifacts["clean"]
    assert clean["time"] == "2026-01-01T23:00:00Z"
    assert (clean["agent"], clean["workflow"], clean["stage"], clean["tool"], clean["environment"]) == (
        "bot",
        "wf",
        "stage",
        "t",
        "ci",
    )
    assert (clean["version"], clean["inputs"], clean["transformation"]) == ("v-clean", ["raw"], "make clean")
    assert clean["metadata"] == {"owner": "me"}
    assert artifacts["raw"]["transformation_type"] == "generated"
    assert result.artifacts == 4 and result.problems == []


def test_events_are_in_timestamp_order(small: Path, tmp_path: Path) -> None:
    store = StorePaths(tmp_path / "store")
    import_graph(small, store)
    times = [parse_timestamp(e["time"]) for e in events_of(store)]
    assert times == sorted(times)


def test_statuses_survive_as_flow_events(small: Path, tmp_path: Path) -> None:
    store = StorePaths(tmp_path / "store")
    import_graph(small, store)
    events = events_of(store)
    lineage = {e["artifact_id"]: e["lineage_id"] for e in events if e["kind"] == "artifact_recorded"}
    kinds = {aid: {e["kind"] for e in events if e["lineage_id"] == lid} for aid, lid in lineage.items()}
    assert kinds["report"] == {"flow_started", "artifact_recorded", "flow_failed"}
    assert kinds["draft"] == {"flow_started", "artifact_recorded"}
    assert kinds["clean"] == {"artifact_recorded"}
    assert len(set(lineage.values())) == 4


def test_losses_are_reported_as_warnings(small: Path, tmp_path: Path) -> None:
    result = import_graph(small, StorePaths(tmp_path / "store"))
    assert len(result.warnings) == 2
    mixed, ghost = result.warnings
    assert "'report'" in mixed and "copied, merged" in mixed
    assert "report -> ghost" in ghost
    report = next(e for e in events_of(StorePaths(tmp_path / "store")) if e.get("artifact_id") == "report")
    assert report["transformation_type"] == "copied"  # tie broken by name, deterministically


def test_importing_twice_adds_nothing_and_a_change_is_appended(small: Path, tmp_path: Path) -> None:
    store = StorePaths(tmp_path / "store")
    first = import_graph(small, store)
    second = import_graph(small, store)
    assert (second.appended, second.duplicates) == (0, first.appended)
    graph = load_graph(small)
    graph.nodes["clean"].version = "v-clean-2"
    save_graph(graph, small)
    third = import_graph(small, store)
    assert third.appended == 1 and third.duplicates == first.appended - 1


@pytest.mark.parametrize("name", ["dbt-fhir.json", "dbt-tuva.json"])
def test_real_graphs_map_one_event_per_artifact(name: str) -> None:
    graph = load_graph(REAL_GRAPHS / name)
    events, _ = graph_events(graph, name)
    artifacts = [e for e in events if e["kind"] == "artifact_recorded"]
    assert len(artifacts) == len(graph.nodes)
    for event in artifacts:
        original = graph.node_with_inputs(event["artifact_id"])
        assert event["time"] == format_timestamp(original.provenance.timestamp)
        assert event["inputs"] == original.inputs


def test_a_bad_lineage_file_is_one_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"nodes": {"a": {"provenance": {"timestamp": "2026-01-01T00:00:00"}}}, "edges": []}')
    with pytest.raises(LineageFileError, match=r"bad\.json"):
        import_graph(bad, StorePaths(tmp_path / "store"))


def test_cli_import_graph(small: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["import", "graph", str(small), "--store", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "4 lineage-file artifacts read: 7 events appended" in result.stderr
    assert result.stderr.count("warning:") == 2


def test_installed_cli_import_graph_from_stdin(tmp_path: Path) -> None:
    data = (REAL_GRAPHS / "dbt-fhir.json").read_bytes()
    cmd = [str(LINEAGE), "import", "graph", "-", "--store", str(tmp_path / "s")]
    proc = subprocess.run(cmd, input=data, capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert b"243 lineage-file artifacts read: 243 events appended" in proc.stderr
    naive = subprocess.run(cmd, input=b'{"nodes": {"a": {}}, "edges": []}', capture_output=True, check=False)
    assert naive.returncode == 2 and b"Traceback" not in naive.stderr
    assert naive.stderr.startswith(b"error: <stdin>")
