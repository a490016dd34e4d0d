"""Unit tests for the queries: provenance, walks, paths, common ancestors, impact, cross-workflow links."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import pytest

from lineage_cli.errors import LineageFileError, UnknownArtifactError, UsageError
from lineage_cli.graph import LineageGraph
from lineage_cli.impact import CrossWorkflowLink, analyze_impact, cross_workflow_links, read_critical_ids
from lineage_cli.lineagefile import load_graph
from lineage_cli.model import ArtifactStatus, LineageEdge, TransformationType, parse_timestamp
from lineage_cli.queries import (
    ancestors,
    common_ancestors,
    common_ancestry,
    descendants,
    lowest_common_ancestors,
    provenance,
    shortest_path,
    walk,
    walk_tree,
)
from tests.conftest import REAL_GRAPHS, make_graph

DEEP = 10_000


@pytest.fixture(scope="module")
def chain() -> LineageGraph:
    """n0 -> n1 -> ... -> n9999: far deeper than Python's recursion limit."""
    assert sys.getrecursionlimit() < DEEP
    return make_graph([(f"n{i}", f"n{i + 1}") for i in range(DEEP - 1)])


@pytest.fixture
def dangling() -> LineageGraph:
    """``clean`` lists ``ghost`` as an input that has no record; an edge points at ``orphan-out``."""
    graph = make_graph([("raw", "clean"), ("clean", "report")])
    graph.node("clean").inputs.append("ghost")  # type: ignore[union-attr]
    graph.add_edge(LineageEdge("report", "orphan-out", TransformationType.COPIED, "mirror"))
    return graph


# -- walks ---------------------------------------------------------------------------


def test_ancestors_and_descendants_of_a_diamond(diamond: LineageGraph) -> None:
    assert ancestors(diamond, "d") == ["a", "b", "c"]
    assert descendants(diamond, "a") == ["b", "c", "d"]
    assert ancestors(diamond, "a") == []
    assert descendants(diamond, "d", depth=5) == []
    assert ancestors(diamond, "d", depth=0) == []


def test_walks_survive_cycles_and_exclude_the_start() -> None:
    graph = make_graph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    assert descendants(graph, "a") == ["b", "c", "d"]
    assert ancestors(graph, "a") == ["b", "c"]
    assert walk(graph, "a", "both") == {"b": 1, "c": 1, "d": 2}


def test_negative_depth_is_a_usage_error(diamond: LineageGraph) -> None:
    with pytest.raises(UsageError, match="--depth must be 0 or more"):
        ancestors(diamond, "d", depth=-1)


def test_unknown_id_suggests_close_matches(diamond: LineageGraph) -> None:
    graph = make_graph([("raw-data", "clean")])
    with pytest.raises(UnknownArtifactError) as caught:
        descendants(graph, "raw_data")
    assert caught.value.suggestions == ["raw-data"]


def test_walk_tree_hangs_each_artifact_once_under_its_first_sorted_parent(diamond: LineageGraph) -> None:
    assert walk_tree(diamond, "d", "upstream") == {"d": None, "b": "d", "c": "d", "a": "b"}
    assert walk_tree(diamond, "a", "downstream", depth=1) == {"a": None, "b": "a", "c": "a"}


def test_deep_chain_walks_do_not_recurse(chain: LineageGraph) -> None:
    last = f"n{DEEP - 1}"
    assert len(ancestors(chain, last)) == DEEP - 1
    assert len(descendants(chain, "n0")) == DEEP - 1
    assert ancestors(chain, last, depth=3) == [f"n{DEEP - 4}", f"n{DEEP - 3}", f"n{DEEP - 2}"]
    tree = walk_tree(chain, last, "upstream")
    assert tree["n0"] == "n1" and len(tree) == DEEP


def test_dangling_endpoints_are_walked(dangling: LineageGraph) -> None:
    assert ancestors(dangling, "report") == ["clean", "ghost", "raw"]
    assert descendants(dangling, "ghost") == ["clean", "orphan-out", "report"]


# -- provenance ----------------------------------------------------------------------


def test_provenance_lists_record_parents_and_children_with_edge_types(dangling: LineageGraph) -> None:
    result = provenance(dangling, "report")
    assert result.recorded and result.node is not None
    assert result.node.provenance.workflow == "wf"
    assert [(r.artifact_id, r.transformation_type) for r in result.parents] == [
        ("clean", TransformationType.DERIVED)
    ]
    assert [(r.artifact_id, r.transformation_type, r.description) for r in result.children] == [
        ("orphan-out", TransformationType.COPIED, "mirror")
    ]


def test_provenance_of_an_edge_endpoint_without_a_record(dangling: LineageGraph) -> None:
    ghost = provenance(dangling, "ghost")
    assert ghost.node is None and not ghost.recorded
    assert ghost.parents == []
    assert [r.artifact_id for r in ghost.children] == ["clean"]
    orphan = provenance(dangling, "orphan-out")
    assert not orphan.recorded and [r.artifact_id for r in orphan.parents] == ["report"]


def test_provenance_of_an_unknown_id_raises(dangling: LineageGraph) -> None:
    with pytest.raises(UnknownArtifactError, match="Did you mean 'report'"):
        provenance(dangling, "reprot")


# -- shortest path -------------------------------------------------------------------


def test_undirected_path_may_go_against_the_flow() -> None:
    graph = make_graph([("a", "b"), ("b", "c"), ("a", "d")])
    assert shortest_path(graph, "c", "d") == ["c", "b", "a", "d"]
    assert shortest_path(graph, "c", "d", directed=True) is None
    assert shortest_path(graph, "a", "c", directed=True) == ["a", "b", "c"]
    assert shortest_path(graph, "c", "a", directed=True) is None


def test_path_to_itself_and_between_components() -> None:
    graph = make_graph([("a", "b")], extra_nodes=["lonely"])
    assert shortest_path(graph, "a", "a") == ["a"]
    assert shortest_path(graph, "a", "lonely") is None


def test_path_ties_break_by_sorted_ids() -> None:
    # Two shortest paths a -> {m, z} -> t; the one through the smaller id wins.
    graph = make_graph([("a", "z"), ("a", "m"), ("z", "t"), ("m", "t")])
    assert shortest_path(graph, "a", "t", directed=True) == ["a", "m", "t"]
    assert shortest_path(graph, "t", "a") == ["t", "m", "a"]


def test_path_through_a_cycle() -> None:
    graph = make_graph([("a", "b"), ("b", "c"), ("c", "a")])
    assert shortest_path(graph, "c", "b", directed=True) == ["c", "a", "b"]
    assert shortest_path(graph, "c", "b") == ["c", "b"]


def test_path_on_deep_chain(chain: LineageGraph) -> None:
    path = shortest_path(chain, "n0", f"n{DEEP - 1}", directed=True)
    assert path is not None and len(path) == DEEP and path[-1] == f"n{DEEP - 1}"
    back = shortest_path(chain, f"n{DEEP - 1}", "n0")
    assert back == path[::-1]


def test_path_requires_both_ids(diamond: LineageGraph) -> None:
    with pytest.raises(UnknownArtifactError):
        shortest_path(diamond, "a", "nope")


# -- common ancestors ----------------------------------------------------------------


def test_common_ancestors_and_lowest() -> None:
    graph = make_graph([("root", "x"), ("x", "a"), ("x", "b"), ("root", "b"), ("y", "a")])
    assert common_ancestors(graph, "a", "b") == ["root", "x"]
    assert lowest_common_ancestors(graph, "a", "b") == ["x"]
    assert common_ancestry(graph, "b", "a").common == ["root", "x"]


def test_common_ancestors_exclude_the_artifacts_themselves(diamond: LineageGraph) -> None:
    # b is upstream of d, but b is not its own ancestor.
    assert common_ancestors(diamond, "b", "d") == ["a"]
    assert common_ancestors(diamond, "a", "d") == []
    assert lowest_common_ancestors(diamond, "a", "d") == []


def test_lowest_common_ancestors_with_two_incomparable_candidates() -> None:
    graph = make_graph([("p", "a"), ("q", "a"), ("p", "b"), ("q", "b"), ("r", "p")])
    assert common_ancestors(graph, "a", "b") == ["p", "q", "r"]
    assert lowest_common_ancestors(graph, "a", "b") == ["p", "q"]


def test_lowest_common_ancestors_on_a_cycle_are_all_lowest() -> None:
    # p and q reach each other, so neither is nearer than the other; r is above both.
    graph = make_graph([("p", "q"), ("q", "p"), ("q", "a"), ("p", "b"), ("r", "p")])
    assert common_ancestors(graph, "a", "b") == ["p", "q", "r"]
    assert lowest_common_ancestors(graph, "a", "b") == ["p", "q"]


def test_lowest_common_ancestor_reached_through_a_cycle_with_an_input() -> None:
    # c reaches d only through a (a and d form a cycle): c is not lowest.
    graph = make_graph([("c", "a"), ("a", "d"), ("d", "a"), ("d", "b"), ("c", "b")])
    assert common_ancestors(graph, "a", "b") == ["c", "d"]
    assert lowest_common_ancestors(graph, "a", "b") == ["d"]


# -- impact --------------------------------------------------------------------------


def test_impact_report_fields() -> None:
    graph = make_graph(
        [("raw", "clean"), ("clean", "report"), ("raw", "audit"), ("other", "audit")],
        workflow_of={"report": "reporting", "audit": "compliance"},
    )
    graph.node("audit").status = ArtifactStatus.STALE  # type: ignore[union-attr]
    graph.node("report").provenance.agent = "bi-bot"  # type: ignore[union-attr]
    report = analyze_impact(graph, "raw", critical=["report", "audit", "raw", "missing"])
    assert report.changed_artifact == "raw"
    assert report.affected_artifacts == ["audit", "clean", "report"]
    assert report.affected_workflows == ["compliance", "reporting", "wf"]
    assert report.affected_agents == ["agent", "bi-bot"]
    assert report.stale_count == 3
    assert report.already_stale == 1
    # The changed artifact itself is not affected, even when it is critical.
    assert report.critical_paths == [["raw", "audit"], ["raw", "clean", "report"]]
    assert report.affected_critical == ["audit", "report"]
    assert report.unknown_critical == ["missing"]


def test_impact_critical_paths_are_directed_not_undirected() -> None:
    # Undirected, raw - side - crit is 2 hops; downstream it is raw -> a -> b -> crit.
    graph = make_graph([("raw", "a"), ("a", "b"), ("b", "crit"), ("side", "raw"), ("side", "crit")])
    report = analyze_impact(graph, "raw", critical={"crit"})
    assert report.critical_paths == [["raw", "a", "b", "crit"]]
    assert shortest_path(graph, "raw", "crit") == ["raw", "side", "crit"]


def test_impact_on_a_cycle_and_a_leaf() -> None:
    graph = make_graph([("a", "b"), ("b", "a"), ("b", "c")])
    report = analyze_impact(graph, "a", critical={"a", "c"})
    assert report.affected_artifacts == ["b", "c"]
    assert report.critical_paths == [["a", "b", "c"]]
    leaf = analyze_impact(graph, "c")
    assert (leaf.affected_artifacts, leaf.stale_count, leaf.critical_paths) == ([], 0, [])


def test_impact_counts_unrecorded_descendants_but_not_their_workflow(dangling: LineageGraph) -> None:
    report = analyze_impact(dangling, "clean")
    assert report.affected_artifacts == ["orphan-out", "report"]
    assert report.stale_count == 2 and report.affected_workflows == ["wf"]


def test_impact_on_deep_chain(chain: LineageGraph) -> None:
    last = f"n{DEEP - 1}"
    report = analyze_impact(chain, "n0", critical={last, "n5"})
    assert report.stale_count == DEEP - 1
    assert [len(p) for p in report.critical_paths] == [6, DEEP]
    assert report.affected_critical == ["n5", last]


# -- critical-id files ---------------------------------------------------------------


def test_read_critical_ids_ignores_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "critical.txt"
    path.write_text("# header\n\n  report  \nmart.sales # board deck\n\t# indented comment\nx#1\nreport\n")
    assert read_critical_ids(path) == ["report", "mart.sales", "x#1"]


def test_read_critical_ids_of_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("")
    assert read_critical_ids(path) == []


def test_read_critical_ids_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(LineageFileError, match=r"nope\.txt: no such file"):
        read_critical_ids(tmp_path / "nope.txt")
    with pytest.raises(LineageFileError, match="is a directory"):
        read_critical_ids(tmp_path)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(LineageFileError, match="not UTF-8"):
        read_critical_ids(binary)


# -- cross-workflow links --------------------------------------------------------------


def test_cross_workflow_links_with_earliest_consumer_time() -> None:
    graph = make_graph(
        [("raw", "clean"), ("clean", "report"), ("clean", "audit"), ("clean", "copy"), ("ghost", "clean")],
        workflow_of={"report": "reporting", "audit": "compliance"},
    )
    graph.node("audit").provenance.timestamp = parse_timestamp("2026-03-01T00:00:00Z")  # type: ignore[union-attr]
    graph.node("report").provenance.timestamp = parse_timestamp("2026-02-01T00:00:00+02:00")  # type: ignore[union-attr]
    graph.remove_node("ghost")
    graph.node("clean").inputs.append("ghost")  # type: ignore[union-attr]  # now only an endpoint
    links = cross_workflow_links(graph)
    assert links == [
        CrossWorkflowLink(
            artifact_id="clean",
            producer_workflow="wf",
            consumer_workflows=["compliance", "reporting"],
            consumers=["audit", "report"],
            shared_since=datetime(2026, 1, 31, 22, 0, tzinfo=UTC),
        )
    ]
    assert links[0].shared_since.tzinfo is not None


def test_cross_workflow_links_empty_when_one_workflow(diamond: LineageGraph) -> None:
    assert cross_workflow_links(diamond) == []


def test_cross_workflow_links_on_a_real_graph_match_a_brute_force() -> None:
    graph = load_graph(REAL_GRAPHS / "dbt-ad-reporting.json")
    expected = []
    for edge in graph.edges:
        producer, consumer = graph.node(edge.source), graph.node(edge.target)
        assert producer is not None and consumer is not None
        if producer.provenance.workflow != consumer.provenance.workflow:
            expected.append(edge.source)
    links = cross_workflow_links(graph)
    assert [link.artifact_id for link in links] == sorted(set(expected))
    assert len(links) > 10


# -- real graphs against networkx ----------------------------------------------------


def _nx(graph: LineageGraph) -> nx.DiGraph:
    digraph = nx.DiGraph()
    digraph.add_nodes_from(graph.nodes)
    digraph.add_edges_from((e.source, e.target) for e in graph.edges)
    return digraph


@pytest.mark.parametrize("name", ["dbt-tuva.json", "dbt-fhir.json", "dbt-ad-reporting.json"])
def test_real_graph_walks_match_networkx(name: str) -> None:
    graph = load_graph(REAL_GRAPHS / name)
    oracle = _nx(graph)
    for artifact_id in sorted(graph.nodes):
        assert ancestors(graph, artifact_id) == sorted(nx.ancestors(oracle, artifact_id))
        assert descendants(graph, artifact_id) == sorted(nx.descendants(oracle, artifact_id))


def test_real_graph_paths_and_lowest_common_ancestors_match_networkx() -> None:
    graph = load_graph(REAL_GRAPHS / "dbt-tuva.json")
    oracle = _nx(graph)
    undirected = oracle.to_undirected()
    ids = sorted(graph.nodes)[::17]
    for source in ids:
        for target in ids:
            path = shortest_path(graph, source, target, directed=True)
            if nx.has_path(oracle, source, target):
                assert path is not None
                assert len(path) - 1 == nx.shortest_path_length(oracle, source, target)
            else:
                assert path is None
            loose = shortest_path(graph, source, target)
            if nx.has_path(undirected, source, target):
                assert loose is not None
                assert len(loose) - 1 == nx.shortest_path_length(undirected, source, target)
            common = set(common_ancestors(graph, source, target))
            lowest = {c for c in common if not (nx.descendants(oracle, c) & common)}
            assert lowest_common_ancestors(graph, source, target) == sorted(lowest)


# -- the same answers from the store's on-disk index -----------------------------------


@pytest.mark.parametrize("name", ["dbt-tuva.json", "dbt-ad-reporting.json"])
def test_queries_on_the_store_index_match_the_in_memory_graph(name: str, tmp_path: Path) -> None:
    import shutil

    from lineage_cli.source import open_graph
    from lineage_cli.store.layout import resolve_store

    paths = resolve_store(tmp_path)
    shutil.copyfile(REAL_GRAPHS / name, paths.graph)
    memory = open_graph(store=tmp_path)  # the first query builds the index
    index = open_graph(store=tmp_path)
    assert type(memory).__name__ == "LineageGraph" and type(index).__name__ == "SqlIndex"
    assert index.artifact_ids() == memory.artifact_ids()
    assert cross_workflow_links(index) == cross_workflow_links(memory)
    ids = list(memory.artifact_ids())[::7]
    for a, b in zip(ids, ids[1:] + ids[:1], strict=True):
        assert provenance(index, a) == provenance(memory, a)
        assert walk_tree(index, a, "both") == walk_tree(memory, a, "both")
        assert shortest_path(index, a, b) == shortest_path(memory, a, b)
        assert shortest_path(index, a, b, directed=True) == shortest_path(memory, a, b, directed=True)
        assert common_ancestry(index, a, b) == common_ancestry(memory, a, b)
        assert analyze_impact(index, a, ids) == analyze_impact(memory, a, ids)
