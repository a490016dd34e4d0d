"""Query cost on a built store depends on the answer, not on the store's size (counted work)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from lineage_cli.graph import GraphView, LineageGraph
from lineage_cli.impact import analyze_impact
from lineage_cli.lineagefile import save_graph
from lineage_cli.model import LineageEdge, LineageNode
from lineage_cli.queries import ancestors, common_ancestry, descendants, provenance, shortest_path, walk
from lineage_cli.source import open_graph
from lineage_cli.store.index import SqlIndex, build_index
from lineage_cli.store.layout import StorePaths
from tests.conftest import make_graph

# The question's neighbourhood: a small layered pipeline (the same at every store size).
CORE = [
    (f"core/s{s}/a{i}", f"core/s{s + 1}/a{(i + k) % 4}") for s in range(6) for i in range(4) for k in (0, 1)
]


def pipeline_store(tmp_path: Path, padding: int) -> StorePaths:
    """The core pipeline plus ``padding`` unrelated artifacts in other workflows."""
    pad = [
        (f"wf-{n // 100}/s{n % 100 // 10}/a{n}", f"wf-{n // 100}/s{n % 100 // 10 + 1}/a{n}")
        for n in range(padding)
    ]
    graph = make_graph(CORE + pad)
    paths = StorePaths(tmp_path / f"store-{padding}")
    paths.root.mkdir()
    save_graph(graph, paths.graph)
    build_index(paths, graph)
    return paths


class CountingView:
    """Wraps a GraphView and counts the one-hop lookups a query makes (nodes visited)."""

    def __init__(self, inner: GraphView) -> None:
        self.inner = inner
        self.visited = 0

    def __contains__(self, artifact_id: object) -> bool:
        return artifact_id in self.inner

    def parents(self, artifact_id: str) -> Sequence[str]:
        self.visited += 1
        return self.inner.parents(artifact_id)

    def children(self, artifact_id: str) -> Sequence[str]:
        self.visited += 1
        return self.inner.children(artifact_id)

    def node(self, artifact_id: str) -> LineageNode | None:
        return self.inner.node(artifact_id)

    def edge(self, source: str, target: str) -> LineageEdge | None:
        return self.inner.edge(source, target)

    def require(self, artifact_id: str) -> str:
        return self.inner.require(artifact_id)

    def alias_of(self, name: str) -> str | None:
        return self.inner.alias_of(name)

    def artifact_ids(self) -> Sequence[str]:
        raise AssertionError("a query with a small answer must not read every artifact id")


Query = Callable[[GraphView], object]
QUERIES: dict[str, Query] = {
    "ancestors": lambda g: ancestors(g, "core/s6/a0"),
    "descendants": lambda g: descendants(g, "core/s0/a0"),
    "depth-limited": lambda g: descendants(g, "core/s2/a1", depth=2),
    "both ways": lambda g: walk(g, "core/s3/a2", "both", depth=1),
    "node records": lambda g: [g.node(a) for a in ancestors(g, "core/s2/a3")],
    "provenance": lambda g: provenance(g, "core/s3/a1"),
    "path": lambda g: shortest_path(g, "core/s0/a0", "core/s4/a3"),
    "directed path": lambda g: shortest_path(g, "core/s0/a0", "core/s4/a3", directed=True),
    "common ancestors": lambda g: common_ancestry(g, "core/s5/a0", "core/s5/a2"),
    "impact": lambda g: analyze_impact(g, "core/s3/a0", critical=["core/s6/a1"]),
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_cost_does_not_grow_with_store_size(tmp_path: Path, name: str) -> None:
    costs = []
    answers = []
    for padding in (10, 3_000):
        view = open_graph(store=pipeline_store(tmp_path, padding).root)
        assert isinstance(view, SqlIndex)  # the built store is read through its index
        counted = CountingView(view)
        answers.append(QUERIES[name](counted))
        costs.append((view.rows_read, view.lookups, counted.visited))
    assert answers[0] == answers[1]
    assert costs[0] == costs[1], f"{name}: work grew with store size: {costs}"
    assert costs[0][0] > 0


def test_the_in_memory_graph_visits_the_same_artifacts_as_the_index(tmp_path: Path) -> None:
    paths = pipeline_store(tmp_path, 500)
    index = open_graph(store=paths.root)
    assert isinstance(index, SqlIndex)
    for name, query in QUERIES.items():
        on_index, on_file = CountingView(index), CountingView(LineageGraph.from_document({}))
        on_file.inner = make_graph(CORE)
        assert query(on_index) == query(on_file), name
        assert on_index.visited == on_file.visited, name
