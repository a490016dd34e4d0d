"""Selections and cuts: neighbourhoods, --max-nodes, and Mermaid's own limits (checked by Mermaid)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_cli.errors import UnknownArtifactError, UsageError
from lineage_cli.export.mermaid import MAX_EDGES, MAX_TEXT_SIZE
from lineage_cli.export.run import DEFAULT_MAX_NODES, ExportRequest, export_graph
from lineage_cli.export.select import priority_order, select
from lineage_cli.graph import LineageGraph
from lineage_cli.lineagefile import loads_graph
from lineage_cli.model import LineageNode, ProvenanceRecord, parse_timestamp
from tests.conftest import make_graph
from tests.export_checks import dot_plain_counts, parse_mermaid


def _chain(length: int) -> LineageGraph:
    return LineageGraph.from_pairs([(f"a{i:05d}", f"a{i + 1:05d}") for i in range(length - 1)])


def _fan(sources: int, targets: int) -> LineageGraph:
    """Every source feeds every target: sources * targets edges."""
    return LineageGraph.from_pairs(
        [(f"s{i:03d}", f"t{j:03d}") for i in range(sources) for j in range(targets)]
    )


def test_root_neighbourhood_in_each_direction(diamond: LineageGraph) -> None:
    def ids(direction: str, depth: int | None = None, root: str = "b") -> list[str]:
        return sorted(select(diamond, root=root, direction=direction, depth=depth).graph.nodes)  # type: ignore[arg-type]

    assert ids("upstream") == ["a", "b"]
    assert ids("downstream") == ["b", "d"]
    assert ids("both") == ["a", "b", "d"]  # c is a sibling, not an ancestor or descendant
    assert ids("downstream", root="a", depth=1) == ["a", "b", "c"]
    assert ids("downstream", root="a", depth=0) == ["a"]


def test_selected_subgraph_is_self_consistent(diamond: LineageGraph) -> None:
    chosen = select(diamond, root="d", direction="upstream", depth=1).graph
    assert [(e.source, e.target) for e in chosen.edges] == [("b", "d"), ("c", "d")]
    again = loads_graph(export_graph(diamond, ExportRequest("json", root="d", depth=1)).data)
    assert again.artifact_ids() == ["b", "c", "d"]  # a, an input of b and c, is not resurrected


def test_bad_selections_are_usage_errors(diamond: LineageGraph) -> None:
    with pytest.raises(UsageError, match="--depth needs --root"):
        select(diamond, depth=2)
    with pytest.raises(UsageError, match="--depth must be 0 or more"):
        select(diamond, root="a", depth=-1)
    with pytest.raises(UsageError, match="--max-nodes must be 1 or more"):
        select(diamond, max_nodes=-3)
    with pytest.raises(UnknownArtifactError, match="Did you mean 'a'"):
        select(diamond, root="A")


def test_cut_keeps_the_nearest_to_the_root_and_says_so() -> None:
    graph = _chain(50)
    chosen = select(graph, root="a00025", max_nodes=5)
    assert sorted(chosen.graph.nodes) == ["a00023", "a00024", "a00025", "a00026", "a00027"]
    cut = chosen.cut
    assert cut is not None
    assert (cut.kept_nodes, cut.total_nodes, cut.kept_edges, cut.total_edges) == (5, 50, 4, 49)
    assert cut.first_cut == "a00022"
    message = cut.message(root="a00025")
    assert "showing 5 of 50 artifacts" in message and "--root a00022 " in message
    assert "nearest the root" in message and "--max-nodes" in message


def test_cut_without_root_keeps_a_connected_piece() -> None:
    graph = make_graph([("src", "mid"), ("mid", "out"), ("other", "out")], extra_nodes=["lonely"])
    assert priority_order(graph) == ["other", "out", "mid", "src", "lonely"]
    chosen = select(graph, max_nodes=3).graph
    assert sorted(chosen.nodes) == ["mid", "other", "out"] and len(chosen.edges) == 2


def test_priority_order_covers_pure_cycles() -> None:
    graph = LineageGraph.from_pairs([("x", "y"), ("y", "x"), ("a", "b")])
    assert priority_order(graph) == ["a", "b", "x", "y"]


def test_pictures_are_cut_by_default_but_data_is_not() -> None:
    graph = _chain(DEFAULT_MAX_NODES + 20)
    dot = export_graph(graph, ExportRequest("dot"))
    assert dot.cut is not None and dot.cut.kept_nodes == DEFAULT_MAX_NODES
    assert dot_plain_counts(dot.data) == (DEFAULT_MAX_NODES, DEFAULT_MAX_NODES - 1)
    assert export_graph(graph, ExportRequest("json")).cut is None
    assert export_graph(graph, ExportRequest("dot", max_nodes=0)).cut is None


def test_mermaid_edge_limit_is_handled_never_hit() -> None:
    at_limit = _fan(20, 25)  # exactly 500 edges: Mermaid accepts it, so nothing is cut
    over = _fan(40, 50)  # 2,000 edges, 90 nodes: under --max-nodes, over Mermaid's edge limit
    first = export_graph(at_limit, ExportRequest("mermaid"))
    second = export_graph(over, ExportRequest("mermaid"))
    assert first.cut is None
    assert second.cut is not None and "500 edges" in second.cut.reason
    assert "--format dot" in second.cut.message(root=None)
    parsed = parse_mermaid(first.data, second.data)
    assert all(p.ok for p in parsed), [p.error for p in parsed]
    assert (parsed[0].nodes, parsed[0].edges) == (45, MAX_EDGES)
    assert (parsed[1].nodes, parsed[1].edges) == (second.cut.kept_nodes, second.cut.kept_edges)
    assert parsed[1].edges <= MAX_EDGES and second.cut.total_edges == 2000


def test_mermaid_text_size_limit_is_handled_never_hit() -> None:
    when = parse_timestamp("2026-01-01")
    graph = LineageGraph(built_at=when)
    for index in range(300):  # 300 labels of ~480 characters: about 145,000 characters in all
        label = f"{index}:" + '"<&>' * 120
        metadata = {"visualization": {"node_label": label}}
        node = LineageNode(f"n{index}", "1", ProvenanceRecord("a", "w", "s", when), [], "", metadata=metadata)
        graph.add_node(node)
    result = export_graph(graph, ExportRequest("mermaid"))
    text = result.data.decode()
    assert result.cut is not None and "characters" in result.cut.reason
    assert len(text) <= MAX_TEXT_SIZE
    assert len(text) > MAX_TEXT_SIZE * 0.8  # the budget is tight, not wasteful
    (parsed,) = parse_mermaid(result.data)
    assert parsed.ok, parsed.error
    assert parsed.nodes == result.cut.kept_nodes


def test_deep_chain_exports_iteratively_and_fast() -> None:
    graph = _chain(20_000)
    started = time.perf_counter()
    for fmt in ("dot", "mermaid", "json"):
        export_graph(graph, ExportRequest(fmt, max_nodes=0 if fmt != "mermaid" else None))
    order = priority_order(graph, "a19999", "upstream")
    elapsed = time.perf_counter() - started
    assert order[:2] == ["a19999", "a19998"] and len(order) == 20_000
    assert elapsed < 10, f"exporting a 20,000-node chain took {elapsed:.1f} s"


def test_export_time_grows_linearly() -> None:
    def seconds(size: int) -> float:
        graph = _chain(size)
        graph.artifact_ids()
        started = time.perf_counter()
        export_graph(graph, ExportRequest("dot", max_nodes=0))
        return time.perf_counter() - started

    # Best of three, since the machine may be busy; 8x the input must cost well under the
    # 64x a quadratic exporter would (32x leaves room for cache effects and noise).
    small, large = min(seconds(5_000) for _ in range(3)), min(seconds(40_000) for _ in range(3))
    assert large < small * 32, (small, large)


def test_a_cut_around_a_root_keeps_the_root() -> None:
    graph = _fan(40, 50)
    result = export_graph(graph, ExportRequest("mermaid", root="t049", max_nodes=10))
    (parsed,) = parse_mermaid(result.data)
    assert parsed.ok and parsed.nodes == 10
    assert "t049" in parsed.labels.values()


_LABEL = st.text(min_size=0, max_size=700)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=1, max_value=40),
    st.lists(_LABEL, min_size=1, max_size=8),
    st.sampled_from(["workflow", "stage", "none"]),
)
def test_mermaid_budget_always_holds(sources: int, targets: int, labels: list[str], group_by: str) -> None:
    graph = _fan(sources, targets)
    when = parse_timestamp("2026-01-01")
    for index, aid in enumerate(graph.artifact_ids()):
        label = labels[index % len(labels)]
        group = labels[(index + 1) % len(labels)]
        provenance = ProvenanceRecord("a", group, label[:50], when)
        inputs = list(graph.parents(aid))
        metadata = {"visualization": {"node_label": label}}
        graph.add_node(LineageNode(aid, "1", provenance, inputs, "", metadata=metadata))
    result = export_graph(graph, ExportRequest("mermaid", group_by=group_by))  # type: ignore[arg-type]
    text = result.data.decode()
    assert len(text.encode("utf-16-le")) // 2 <= MAX_TEXT_SIZE
    assert text.count(" -->|") <= MAX_EDGES
    kept = result.cut.kept_nodes if result.cut else len(graph.artifact_ids())
    assert text.count('"]\n') - text.count("subgraph g") == kept
