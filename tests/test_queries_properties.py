"""Hypothesis properties of the queries over random DAGs and random graphs with cycles.

Answers are checked against plain reference searches written here over the raw edge
list, so a bug in the graph indexes or the traversals cannot hide behind itself.
"""

from __future__ import annotations

from collections import deque
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_cli.graph import LineageGraph
from lineage_cli.impact import analyze_impact
from lineage_cli.queries import (
    ancestors,
    common_ancestors,
    descendants,
    lowest_common_ancestors,
    shortest_path,
    walk_tree,
)
from tests.conftest import make_graph

Edges = list[tuple[str, str]]
# Ids whose sorted order differs from their numeric order, so sorting bugs show.
NAMES = ["n0", "n1", "n10", "n2", "b", "a", "Z", "n-3", "x.y", "m_1", "k", "q"]


@st.composite
def graphs(draw: st.DrawFn, acyclic: bool) -> tuple[list[str], Edges]:
    size = draw(st.integers(min_value=1, max_value=len(NAMES)))
    ids = NAMES[:size]
    pairs = st.tuples(st.integers(0, size - 1), st.integers(0, size - 1))
    raw = draw(st.lists(pairs, max_size=size * 3))
    # Acyclic: every edge goes from a smaller to a larger index.
    return ids, [(ids[i], ids[j]) for i, j in raw if i < j or not acyclic]


ANY_GRAPH = st.one_of(graphs(acyclic=True), graphs(acyclic=False))


def build(ids: list[str], edges: Edges) -> LineageGraph:
    return make_graph(edges, extra_nodes=ids)


def reference_distances(
    edges: Edges, start: str, *, forward: bool = True, both: bool = False
) -> dict[str, int]:
    """Hop distance from ``start`` to every artifact it reaches (``start`` at 0), by a plain BFS."""
    adjacency: dict[str, set[str]] = {}
    for source, target in edges:
        if forward or both:
            adjacency.setdefault(source, set()).add(target)
        if not forward or both:
            adjacency.setdefault(target, set()).add(source)
    distance = {start: 0}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for neighbour in adjacency.get(current, ()):
            if neighbour not in distance:
                distance[neighbour] = distance[current] + 1
                queue.append(neighbour)
    return distance


def reachable(edges: Edges, start: str) -> set[str]:
    """Artifacts at least one edge downstream of ``start`` (``start`` only if on a cycle)."""
    found: set[str] = set()
    stack = [start]
    while stack:
        current = stack.pop()
        for source, target in edges:
            if source == current and target not in found:
                found.add(target)
                stack.append(target)
    return found


def assert_real_path(path: list[str], edges: Edges, directed: bool) -> None:
    pairs = set(edges)
    for upstream, downstream in pairwise(path):
        if directed:
            assert (upstream, downstream) in pairs
        else:
            assert (upstream, downstream) in pairs or (downstream, upstream) in pairs
    assert len(set(path)) == len(path)


@settings(max_examples=150, deadline=None)
@given(ANY_GRAPH, st.data())
def test_descendants_and_ancestors_are_mirror_images(
    graph_and_edges: tuple[list[str], Edges], data: st.DataObject
) -> None:
    ids, edges = graph_and_edges
    graph = build(ids, edges)
    a = data.draw(st.sampled_from(ids))
    down = descendants(graph, a)
    assert down == sorted(reachable(edges, a) - {a})
    for b in ids:
        assert (b in down) == (a in ancestors(graph, b))


@settings(max_examples=150, deadline=None)
@given(ANY_GRAPH, st.data())
def test_depth_limits_give_monotone_subsets(
    graph_and_edges: tuple[list[str], Edges], data: st.DataObject
) -> None:
    ids, edges = graph_and_edges
    graph = build(ids, edges)
    start = data.draw(st.sampled_from(ids))
    for query, forward in ((descendants, True), (ancestors, False)):
        unlimited = set(query(graph, start))
        previous: set[str] = set()
        distance = reference_distances(edges, start, forward=forward)
        for depth in range(len(ids) + 1):
            limited = set(query(graph, start, depth))
            assert previous <= limited <= unlimited
            assert limited == {n for n, d in distance.items() if 0 < d <= depth}
            previous = limited
        assert previous == unlimited


@settings(max_examples=200, deadline=None)
@given(ANY_GRAPH, st.data(), st.booleans())
def test_paths_are_real_and_shortest(
    graph_and_edges: tuple[list[str], Edges], data: st.DataObject, directed: bool
) -> None:
    ids, edges = graph_and_edges
    graph = build(ids, edges)
    source = data.draw(st.sampled_from(ids))
    target = data.draw(st.sampled_from(ids))
    path = shortest_path(graph, source, target, directed=directed)
    distance = reference_distances(edges, source, both=not directed)
    if target not in distance:
        assert path is None
        return
    assert path is not None
    assert path[0] == source and path[-1] == target
    assert len(path) - 1 == distance[target]
    assert_real_path(path, edges, directed)


@settings(max_examples=100, deadline=None)
@given(ANY_GRAPH, st.data(), st.sampled_from(["upstream", "downstream", "both"]))
def test_walk_tree_pointers_are_edges_at_bfs_distance(
    graph_and_edges: tuple[list[str], Edges], data: st.DataObject, direction: str
) -> None:
    ids, edges = graph_and_edges
    graph = build(ids, edges)
    start = data.draw(st.sampled_from(ids))
    tree = walk_tree(graph, start, direction)  # type: ignore[arg-type]
    distance = reference_distances(edges, start, forward=direction == "downstream", both=direction == "both")
    assert set(tree) == set(distance)
    for artifact, parent in tree.items():
        if parent is None:
            assert artifact == start
            continue
        assert distance[artifact] == distance[parent] + 1
        if direction == "downstream":
            assert (parent, artifact) in set(edges)
        elif direction == "upstream":
            assert (artifact, parent) in set(edges)


@settings(max_examples=200, deadline=None)
@given(ANY_GRAPH, st.data())
def test_common_ancestors_are_the_intersection_and_lowest_ones_are_nearest(
    graph_and_edges: tuple[list[str], Edges], data: st.DataObject
) -> None:
    ids, edges = graph_and_edges
    graph = build(ids, edges)
    a = data.draw(st.sampled_from(ids))
    b = data.draw(st.sampled_from(ids))
    common = common_ancestors(graph, a, b)
    assert common == sorted(set(ancestors(graph, a)) & set(ancestors(graph, b)))
    # Lowest: every other common ancestor downstream of it is on a cycle with it.
    below = {c: reachable(edges, c) for c in common}
    expected = [c for c in common if all(c in below[d] for d in common if d != c and d in below[c])]
    assert lowest_common_ancestors(graph, a, b) == expected
    if common:
        assert expected, "a non-empty set of common ancestors has a lowest one"


@settings(max_examples=150, deadline=None)
@given(ANY_GRAPH, st.data())
def test_impact_matches_descendants_and_critical_paths_are_directed_shortest(
    graph_and_edges: tuple[list[str], Edges], data: st.DataObject
) -> None:
    ids, edges = graph_and_edges
    graph = build(ids, edges)
    changed = data.draw(st.sampled_from(ids))
    critical = data.draw(st.sets(st.sampled_from([*ids, "not-there"])))
    report = analyze_impact(graph, changed, critical)
    assert report.affected_artifacts == descendants(graph, changed)
    assert report.stale_count == len(report.affected_artifacts)
    assert report.unknown_critical == (["not-there"] if "not-there" in critical else [])
    assert report.affected_critical == sorted(critical & set(report.affected_artifacts))
    distance = reference_distances(edges, changed)
    for path in report.critical_paths:
        assert path[0] == changed
        assert len(path) - 1 == distance[path[-1]]
        assert_real_path(path, edges, directed=True)
