"""Every export format, checked by the real parsers on hostile ids and on real graphs."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage_cli.export import get_exporter
from lineage_cli.export.base import ExportOptions
from lineage_cli.export.drawing import shorten
from lineage_cli.export.mermaid import MAX_EDGES, MAX_TEXT_SIZE
from lineage_cli.export.run import ExportRequest, export_graph
from lineage_cli.graph import LineageGraph
from lineage_cli.lineagefile import load_graph, loads_graph
from tests.export_checks import (
    HOSTILE_IDS,
    dot_plain_counts,
    graph_files,
    hostile_graph,
    parse_dot,
    parse_mermaid,
    small_graph,
    svg_counts,
)

GOLDEN = Path(__file__).resolve().parent / "golden"
GROUPINGS = ["workflow", "stage", "agent", "none"]


def _expected_groups(graph: LineageGraph, group_by: str) -> int:
    from lineage_cli.export.drawing import Drawing

    return 0 if group_by == "none" else len(Drawing.of(graph, group_by).groups)  # type: ignore[arg-type]


def _expected_labels(graph: LineageGraph, short: bool = False) -> dict[str, str]:
    """Each box's label: ``node_label`` or the id (Mermaid), or the shortest unique short name (DOT)."""
    from lineage_cli.export.drawing import Drawing, label_of

    labels = Drawing.of(graph, "none").short_labels(graph) if short else {}
    return {
        f"n{i}": shorten(labels[aid] if short else label_of(graph, aid))
        for i, aid in enumerate(graph.artifact_ids())
    }


def _expected_links(graph: LineageGraph, only_informative: bool = False) -> list[tuple[str, str, str]]:
    """Edges with their labels; in DOT a label is drawn only when the types differ."""
    number = {aid: i for i, aid in enumerate(graph.artifact_ids())}
    same = len({e.transformation_type for e in graph.edges}) == 1
    return sorted(
        (
            f"n{number[e.source]}",
            f"n{number[e.target]}",
            "" if only_informative and same else e.transformation_type.value,
        )
        for e in graph.edges
    )


# --- the hostile-id graph ------------------------------------------------------------------


def test_hostile_graph_has_every_hostile_id() -> None:
    graph = hostile_graph()
    assert set(HOSTILE_IDS) < set(graph.artifact_ids())
    assert len(graph.artifact_ids()) == len(HOSTILE_IDS) + 1  # plus the endpoint with no record


@pytest.mark.parametrize("group_by", GROUPINGS)
def test_hostile_dot_is_read_by_graphviz_exactly(group_by: str) -> None:
    graph = hostile_graph()
    data = export_graph(graph, ExportRequest("dot", group_by=group_by)).data  # type: ignore[arg-type]
    parsed = parse_dot(data)
    assert (parsed.nodes, parsed.edges) == (len(graph.artifact_ids()), len(graph.edges))
    assert dot_plain_counts(data) == (len(graph.artifact_ids()), len(graph.edges))
    assert parsed.labels == {
        nid: label.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "\u2409").replace("\x07", "\u2407")
        for nid, label in _expected_labels(graph, short=True).items()
    }
    assert sorted(parsed.edge_labels) == _expected_links(graph, only_informative=True)
    assert len(parsed.clusters) == _expected_groups(graph, group_by)


def test_hostile_mermaid_is_read_by_mermaid_exactly_in_every_grouping() -> None:
    graph = hostile_graph()
    exports = [
        export_graph(graph, ExportRequest("mermaid", group_by=group_by)).data  # type: ignore[arg-type]
        for group_by in GROUPINGS
    ]
    # Mermaid trims labels; line breaks of any kind are drawn as <br>; everything else is intact.
    expected = {
        nid: label.replace("\r\n", "\n").replace("\r", "\n").strip()
        for nid, label in _expected_labels(graph).items()
    }
    for group_by, parsed in zip(GROUPINGS, parse_mermaid(*exports), strict=True):
        assert parsed.ok, parsed.error
        assert (parsed.nodes, parsed.edges) == (len(graph.artifact_ids()), len(graph.edges))
        assert parsed.subgraphs == _expected_groups(graph, group_by)
        assert {nid: label.strip() for nid, label in parsed.labels.items()} == expected
        assert sorted(parsed.links) == _expected_links(graph)


def test_hostile_json_round_trips() -> None:
    graph = hostile_graph()
    data = export_graph(graph, ExportRequest("json")).data
    again = loads_graph(data)
    assert again.artifact_ids() == graph.artifact_ids()
    assert sorted((e.source, e.target, e.transformation_type) for e in again.edges) == sorted(
        (e.source, e.target, e.transformation_type) for e in graph.edges
    )


def test_hostile_svg_renders_every_node() -> None:
    graph = hostile_graph()
    data = export_graph(graph, ExportRequest("svg")).data
    assert svg_counts(data) == (len(graph.artifact_ids()), len(graph.edges))


def test_hostile_png_is_a_png() -> None:
    data = export_graph(hostile_graph(), ExportRequest("png")).data
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000


# --- real graphs ---------------------------------------------------------------------------

FILES = graph_files()


def test_there_are_graphs_to_check() -> None:
    assert len(FILES) >= 3, "expected sample_graphs/*.json or shared/real-graphs/*.json"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_real_graph_dot_is_read_by_graphviz_exactly(path: Path) -> None:
    graph = load_graph(path)
    result = export_graph(graph, ExportRequest("dot", max_nodes=0))
    assert result.cut is None
    assert dot_plain_counts(result.data) == (len(graph.artifact_ids()), len(graph.edges))


def test_real_graphs_mermaid_fits_mermaid_limits_and_counts_match() -> None:
    exports = []
    for path in FILES:
        graph = load_graph(path)
        result = export_graph(graph, ExportRequest("mermaid"))
        exports.append((path, graph, result))
    parsed = parse_mermaid(*(r.data for _, _, r in exports))
    for (path, graph, result), got in zip(exports, parsed, strict=True):
        assert got.ok, f"{path.name}: {got.error}"
        assert got.edges <= MAX_EDGES and len(result.data.decode()) <= MAX_TEXT_SIZE
        if result.cut is None:
            assert (got.nodes, got.edges) == (len(graph.artifact_ids()), len(graph.edges))
        else:
            assert (got.nodes, got.edges) == (result.cut.kept_nodes, result.cut.kept_edges), path.name
            assert result.cut.total_nodes == len(graph.artifact_ids())
            assert result.cut.total_edges == len(graph.edges)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_real_graph_json_is_the_lineage_file(path: Path) -> None:
    graph = load_graph(path)
    data = export_graph(graph, ExportRequest("json")).data
    assert orjson.loads(data) == graph.to_document()


# --- determinism and properties -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["mermaid", "dot", "json"])
def test_same_graph_gives_same_bytes_whatever_the_input_order(fmt: str) -> None:
    graph = hostile_graph()
    document = graph.to_document()
    shuffled = {
        **document,
        "nodes": dict(reversed(list(document["nodes"].items()))),
        "edges": list(reversed(document["edges"])),
    }
    again = LineageGraph.from_document(orjson.loads(orjson.dumps(shuffled)))
    exporter = get_exporter(fmt)
    first = exporter.export(graph, ExportOptions())
    assert exporter.export(hostile_graph(), ExportOptions()) == first
    if fmt != "json":  # JSON keeps the file's order; pictures are sorted
        assert exporter.export(again, ExportOptions()) == first


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters=["\r"]), min_size=0, max_size=40
)


# Each example starts Node (about a second), so few examples, each with many random ids.
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=40))
def test_any_ids_parse_in_dot_and_mermaid(pairs: list[tuple[str, str]]) -> None:
    graph = LineageGraph.from_pairs(pairs, workflow=pairs[0][0])
    nodes, edges = len(graph.artifact_ids()), len(graph.edges)
    dot = export_graph(graph, ExportRequest("dot")).data
    assert dot_plain_counts(dot) == (nodes, edges)
    (parsed,) = parse_mermaid(export_graph(graph, ExportRequest("mermaid")).data)
    assert parsed.ok, parsed.error
    assert (parsed.nodes, parsed.edges) == (nodes, edges)


# --- golden files ----------------------------------------------------------------------------

GOLDEN_CASES = [("mermaid", "small.mmd"), ("dot", "small.dot"), ("json", "small.json")]


@pytest.mark.parametrize(("fmt", "name"), GOLDEN_CASES)
def test_small_graph_matches_golden_file(fmt: str, name: str) -> None:
    data = get_exporter(fmt).export(small_graph(), ExportOptions())
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_bytes(data)
    assert data == golden.read_bytes(), f"{name} changed; rerun with UPDATE_GOLDEN=1 if intended"


def test_golden_files_are_accepted_by_the_real_parsers() -> None:
    graph = small_graph()
    dot = (GOLDEN / "small.dot").read_bytes()
    parsed_dot = parse_dot(dot)
    assert (parsed_dot.nodes, parsed_dot.edges, len(parsed_dot.clusters)) == (5, 4, 2)
    assert parsed_dot.labels["n4"] == "Q1 report\n(draft)"
    (parsed,) = parse_mermaid((GOLDEN / "small.mmd").read_bytes())
    assert parsed.ok, parsed.error
    assert (parsed.nodes, parsed.edges, parsed.subgraphs) == (5, 4, 2)
    assert sorted(parsed.titles) == ["ingest", "reporting"]
    assert loads_graph((GOLDEN / "small.json").read_bytes()) == graph


SAMPLES = [p for p in FILES if p.parent.name == "sample_graphs"]


def test_the_three_sample_graphs_are_checked() -> None:
    assert len(SAMPLES) >= 3, "sample_graphs/*.json are missing"


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_sample_graph_renders_to_svg_and_png(path: Path) -> None:
    graph = load_graph(path)
    svg = export_graph(graph, ExportRequest("svg")).data
    assert svg_counts(svg) == (len(graph.artifact_ids()), len(graph.edges))
    assert export_graph(graph, ExportRequest("png")).data.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_missing_checker_fails_loudly_instead_of_skipping(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests import export_checks

    monkeypatch.setattr(export_checks, "JS_DIR", tmp_path)
    with pytest.raises(pytest.fail.Exception, match="run `make dev`"):
        export_checks.require_node()
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="run `make dev`"):
        export_checks.require_dot()


def test_an_empty_graph_exports_valid_documents() -> None:
    graph = LineageGraph()
    assert dot_plain_counts(export_graph(graph, ExportRequest("dot")).data) == (0, 0)
    (parsed,) = parse_mermaid(export_graph(graph, ExportRequest("mermaid")).data)
    assert parsed.ok and (parsed.nodes, parsed.edges) == (0, 0)
    assert loads_graph(export_graph(graph, ExportRequest("json")).data).artifact_ids() == []
