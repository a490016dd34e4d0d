"""Saving then loading a lineage file loses nothing, and node inputs and edges always agree."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage_cli.graph import IMPLICIT_EDGE_DESCRIPTION, LineageGraph
from lineage_cli.lineagefile import dumps_graph, load_graph, loads_graph, save_graph
from lineage_cli.model import (
    ArtifactStatus,
    LineageEdge,
    LineageNode,
    ProvenanceRecord,
    TransformationType,
    parse_timestamp,
)
from lineage_cli.validate import validate_document
from tests.conftest import REAL_GRAPHS, SAMPLE_GRAPHS

# Text JSON can carry (no lone surrogates), including the characters real ids use.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
IDS = st.one_of(
    st.sampled_from(["s3://bucket/raw/2026-01-01.parquet", "model:ctr/run-1", "dim_customer", "a", "ü/é"]),
    TEXT.filter(bool),
)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=8,
)
MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]),
)


@st.composite
def graphs(draw: st.DrawFn) -> LineageGraph:
    """Random graphs, cycles allowed; each link is in inputs only, an edge only, or both."""
    ids = draw(st.lists(IDS, min_size=1, max_size=8, unique=True))
    graph = LineageGraph(version="1.0", built_at=draw(st.none() | MOMENTS), schema=draw(st.none() | TEXT))
    for artifact_id in ids:
        provenance = ProvenanceRecord(
            draw(TEXT), draw(TEXT), draw(TEXT), draw(MOMENTS), draw(st.none() | TEXT), draw(st.none() | TEXT)
        )
        metadata = draw(st.dictionaries(TEXT, JSON_VALUES, max_size=3))
        node = LineageNode(
            artifact_id,
            draw(TEXT),
            provenance,
            [],
            draw(TEXT),
            draw(st.sampled_from(ArtifactStatus)),
            metadata,
        )
        graph.add_node(node)
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=12))
    for source, target in pairs:
        how = draw(st.sampled_from(["inputs", "edge", "both"]))
        if how in ("inputs", "both"):
            graph.nodes[target].inputs.append(source)
        if how in ("edge", "both"):
            kind = draw(st.sampled_from(TransformationType))
            graph.add_edge(
                LineageEdge(source, target, kind, draw(TEXT), draw(st.dictionaries(TEXT, JSON_VALUES)))
            )
    return graph


def snapshot(graph: LineageGraph) -> dict[str, Any]:
    """Everything a graph holds, as plain values (datetimes compared as instants)."""
    return {
        "$schema": graph.schema,
        "version": graph.version,
        "built_at": graph.built_at,
        "nodes": {aid: graph.node_with_inputs(aid) for aid in graph.nodes},
        "edges": list(graph.edges),
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_save_then_load_loses_nothing(tmp_path_factory: pytest.TempPathFactory, graph: LineageGraph) -> None:
    path = tmp_path_factory.mktemp("rt") / "lineage.json"
    before = snapshot(graph)
    save_graph(graph, path)
    again = load_graph(path)
    assert snapshot(again) == before
    assert again == graph
    # A second save writes the same bytes: the format is a fixed point after one save.
    assert dumps_graph(again) == path.read_bytes()


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_inputs_and_edges_agree_after_loading(graph: LineageGraph) -> None:
    reloaded = loads_graph(dumps_graph(graph))
    edge_pairs = {(e.source, e.target) for e in reloaded.edges}
    input_pairs = {(src, aid) for aid in reloaded.nodes for src in reloaded.node_with_inputs(aid).inputs}
    assert edge_pairs == input_pairs
    # What lineage writes never carries a consistency warning (every endpoint here is a node).
    codes = {f.code for f in validate_document(reloaded.to_document()).findings}
    assert not codes & {"input-without-edge", "edge-not-in-inputs", "dangling-edge"}


@pytest.mark.parametrize(
    "path", sorted(SAMPLE_GRAPHS.glob("*.json")) + sorted(REAL_GRAPHS.glob("*.json")), ids=lambda p: p.name
)
def test_shipped_and_real_graphs_round_trip(path: Path, tmp_path: Path) -> None:
    first = load_graph(path)
    out = tmp_path / path.name
    save_graph(first, out)
    second = load_graph(out)
    assert second == first
    assert json.loads(out.read_bytes()) == json.loads(path.read_bytes())


def test_a_schema_reference_survives_load_and_save(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text(
        '{"$schema": "../schemas/lineage-graph.schema.json", "version": "1.0", "nodes": {}, "edges": []}'
    )
    save_graph(load_graph(path), path)
    assert json.loads(path.read_text())["$schema"] == "../schemas/lineage-graph.schema.json"


def test_samples_are_written_in_lineages_own_layout() -> None:
    for path in sorted(SAMPLE_GRAPHS.glob("*.json")):
        assert dumps_graph(load_graph(path)) == path.read_bytes(), path.name


# -- the consistency rule ------------------------------------------------------------

T = parse_timestamp("2026-01-01T00:00:00Z")


def node(artifact_id: str, inputs: list[str]) -> LineageNode:
    return LineageNode(artifact_id, "1", ProvenanceRecord("bot", "wf", "s", T), inputs, "t")


def test_an_input_without_an_edge_gets_an_implicit_derived_edge() -> None:
    graph = LineageGraph([node("raw", []), node("clean", ["raw"])])
    assert [(e.source, e.target, e.transformation_type) for e in graph.edges] == [
        ("raw", "clean", TransformationType.DERIVED)
    ]
    assert graph.edges[0].description == IMPLICIT_EDGE_DESCRIPTION
    assert graph.parents("clean") == ("raw",)
    assert graph.to_document()["edges"][0]["type"] == "derived"


def test_an_edge_adds_its_source_to_the_targets_inputs() -> None:
    graph = LineageGraph(
        [node("raw", []), node("ref", []), node("clean", ["ref"])],
        [LineageEdge("raw", "clean", TransformationType.COPIED, "copy")],
    )
    assert graph.node_with_inputs("clean").inputs == ["ref", "raw"]  # listed order kept, missing appended
    document = graph.to_document()
    assert document["nodes"]["clean"]["inputs"] == ["ref", "raw"]
    assert [(e["source"], e["type"]) for e in document["edges"]] == [("raw", "copied"), ("ref", "derived")]


def test_an_input_with_an_edge_gets_no_second_edge() -> None:
    graph = LineageGraph(
        [node("raw", []), node("clean", ["raw"])], [LineageEdge("raw", "clean", TransformationType.MERGED)]
    )
    assert [(e.source, e.transformation_type) for e in graph.edges] == [("raw", TransformationType.MERGED)]


def raw_node(*inputs: str) -> dict[str, Any]:
    provenance = {"agent": "x", "workflow": "w", "stage": "s", "timestamp": "2026-01-01T00:00:00Z"}
    return {
        "version": "1",
        "status": "fresh",
        "provenance": provenance,
        "inputs": list(inputs),
        "transformation": "",
    }


def test_the_rule_holds_for_a_file_too() -> None:
    document = {
        "version": "1.0",
        "nodes": {"a": raw_node(), "b": raw_node("a"), "c": raw_node()},
        "edges": [{"source": "b", "target": "c", "type": "validated"}],
    }
    findings = {(f.code, f.severity) for f in validate_document(document).findings}
    assert findings == {("input-without-edge", "warning"), ("edge-not-in-inputs", "warning")}
    graph = LineageGraph.from_document(document)
    saved = graph.to_document()
    assert saved["nodes"]["c"]["inputs"] == ["b"]
    assert {(e["source"], e["target"], e["type"]) for e in saved["edges"]} == {
        ("a", "b", "derived"),
        ("b", "c", "validated"),
    }
    assert validate_document(saved).findings == []


def test_an_input_listed_twice_gets_one_implicit_edge() -> None:
    # Regression: each listing used to add its own implicit edge, so a save wrote duplicate edges.
    graph = LineageGraph([node("raw", []), node("clean", ["raw", "raw"])])
    assert [(e.source, e.target) for e in graph.edges] == [("raw", "clean")]
    assert "duplicate-edge" not in {f.code for f in validate_document(graph.to_document()).findings}
