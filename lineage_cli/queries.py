"""Lineage queries over any GraphView: iterative, O(V+E), cycle-safe, sorted output."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from lineage_cli.errors import UsageError
from lineage_cli.graph import GraphView
from lineage_cli.model import LineageNode, TransformationType

__all__ = [
    "CommonAncestry",
    "Direction",
    "EdgeRef",
    "Provenance",
    "ancestors",
    "bfs_tree",
    "common_ancestors",
    "common_ancestry",
    "descendants",
    "lowest_common_ancestors",
    "neighbourhood",
    "path_to",
    "provenance",
    "shortest_path",
    "walk",
    "walk_tree",
]

Direction = Literal["upstream", "downstream", "both"]


def walk(
    graph: GraphView,
    start: str,
    direction: Direction,
    depth: int | None = None,
) -> dict[str, int]:
    """Breadth-first walk from ``start``; map each reached artifact to its hop distance.

    ``start`` itself is not included. The walk is iterative (no recursion limit on
    deep chains), visits each artifact once (cycle-safe), and reads only the
    neighbours of artifacts it reaches, so it costs O(answer + its edges).

    Parameters
    ----------
    graph:
        Any :class:`~lineage_cli.graph.GraphView`.
    start:
        The artifact to start from; it must be in the graph.
    direction:
        ``"upstream"`` follows parents, ``"downstream"`` children, ``"both"`` either.
    depth:
        Stop after this many hops (``None``: no limit). ``0`` reaches nothing.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("a", "b"), ("b", "c"), ("c", "a")])  # a cycle
    >>> walk(g, "a", "downstream")
    {'b': 1, 'c': 2}
    """
    start = graph.require(start)
    _check_depth(depth)
    steps: list[Callable[[str], Sequence[str]]] = []
    if direction in ("upstream", "both"):
        steps.append(graph.parents)
    if direction in ("downstream", "both"):
        steps.append(graph.children)
    distance: dict[str, int] = {start: 0}
    queue: deque[str] = deque([start])
    while queue:
        current = queue.popleft()
        hops = distance[current] + 1
        if depth is not None and hops > depth:
            continue
        for step in steps:
            for neighbour in step(current):
                if neighbour not in distance:
                    distance[neighbour] = hops
                    queue.append(neighbour)
    del distance[start]
    return distance


def ancestors(graph: GraphView, artifact_id: str, depth: int | None = None) -> list[str]:
    """Every artifact upstream of ``artifact_id`` (transitively), sorted.

    Parameters
    ----------
    graph:
        Any :class:`~lineage_cli.graph.GraphView`.
    artifact_id:
        The artifact whose ancestors to find; unknown ids raise
        :class:`~lineage_cli.errors.UnknownArtifactError` with close matches.
    depth:
        Only ancestors at most this many hops away (``None``: all).

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    >>> ancestors(g, "d")
    ['a', 'b', 'c']
    >>> ancestors(g, "d", depth=1)
    ['b', 'c']
    """
    return sorted(_closure(graph, artifact_id, "upstream", depth))


def descendants(graph: GraphView, artifact_id: str, depth: int | None = None) -> list[str]:
    """Every artifact downstream of ``artifact_id`` (transitively), sorted.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    >>> descendants(g, "a")
    ['b', 'c', 'd']
    >>> descendants(g, "d")
    []
    """
    return sorted(_closure(graph, artifact_id, "downstream", depth))


def _closure(graph: GraphView, artifact_id: str, direction: Direction, depth: int | None) -> Iterable[str]:
    """The artifacts reached in ``direction``: one recursive query when the view offers one, else a walk."""
    closure = getattr(graph, "closure", None)  # a database store answers in one round trip
    if closure is None:
        return walk(graph, artifact_id, direction, depth)
    resolved = graph.require(artifact_id)  # an alias or natural URI names the artifact itself
    _check_depth(depth)
    return closure(resolved, direction, depth)  # type: ignore[no-any-return]


def neighbourhood(
    graph: GraphView, artifact_id: str, direction: Direction, depth: int | None = None
) -> list[str]:
    """``artifact_id`` and every artifact within ``depth`` hops in ``direction``, sorted.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> neighbourhood(LineageGraph.from_pairs([("a", "b"), ("b", "c")]), "b", "both", depth=1)
    ['a', 'b', 'c']
    """
    return sorted([artifact_id, *walk(graph, artifact_id, direction, depth)])


# -- breadth-first trees with parent pointers -------------------------------------------


def _undirected(graph: GraphView) -> Callable[[str], Sequence[str]]:
    """Neighbours in either direction, sorted and without duplicates."""

    def step(artifact_id: str) -> Sequence[str]:
        ups, downs = graph.parents(artifact_id), graph.children(artifact_id)
        if not ups:
            return downs
        if not downs:
            return ups
        return sorted({*ups, *downs})

    return step


def _steps(graph: GraphView, direction: Direction) -> Callable[[str], Sequence[str]]:
    if direction == "upstream":
        return graph.parents
    if direction == "downstream":
        return graph.children
    return _undirected(graph)


def bfs_tree(
    step: Callable[[str], Sequence[str]],
    start: str,
    depth: int | None = None,
    goal: str | None = None,
) -> dict[str, str | None]:
    """Breadth-first search keeping one parent pointer per reached artifact.

    Returns ``{artifact: the artifact it was first reached from}`` in discovery
    order, ``start`` first (mapped to ``None``). Neighbours come sorted from ``step``,
    so the tree, and therefore every path read off it, is the same on every run.
    Stops as soon as ``goal`` is reached.

    Examples
    --------
    >>> step = {"a": ["b", "c"], "b": ["d"], "c": ["d"]}
    >>> bfs_tree(lambda n: step.get(n, []), "a")
    {'a': None, 'b': 'a', 'c': 'a', 'd': 'b'}
    """
    came_from: dict[str, str | None] = {start: None}
    if start == goal:
        return came_from
    frontier = [start]
    hops = 0
    while frontier and (depth is None or hops < depth):
        hops += 1
        following: list[str] = []
        for current in frontier:
            for neighbour in step(current):
                if neighbour not in came_from:
                    came_from[neighbour] = current
                    if neighbour == goal:
                        return came_from
                    following.append(neighbour)
        frontier = following
    return came_from


def path_to(came_from: Mapping[str, str | None], end: str) -> list[str]:
    """Read the path from the tree's root to ``end`` off the parent pointers.

    Examples
    --------
    >>> path_to({"a": None, "b": "a", "d": "b"}, "d")
    ['a', 'b', 'd']
    """
    path = [end]
    previous = came_from[end]
    while previous is not None:
        path.append(previous)
        previous = came_from[previous]
    path.reverse()
    return path


def walk_tree(
    graph: GraphView,
    start: str,
    direction: Direction,
    depth: int | None = None,
) -> dict[str, str | None]:
    """Breadth-first tree from ``start``: each reached artifact mapped to the one it was reached from.

    The mapping is in discovery order and starts with ``{start: None}``. Each
    artifact appears once (under the first, in sorted order, of its nearest
    neighbours), which is what a tree view of ancestors or descendants shows.

    Parameters
    ----------
    graph:
        Any :class:`~lineage_cli.graph.GraphView`.
    start:
        The artifact at the root; unknown ids raise
        :class:`~lineage_cli.errors.UnknownArtifactError`.
    direction:
        ``"upstream"``, ``"downstream"`` or ``"both"``.
    depth:
        Stop after this many hops (``None``: no limit).

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    >>> walk_tree(g, "a", "downstream")
    {'a': None, 'b': 'a', 'c': 'a', 'd': 'b'}
    """
    start = graph.require(start)
    _check_depth(depth)
    return bfs_tree(_steps(graph, direction), start, depth)


def _check_depth(depth: int | None) -> None:
    if depth is not None and depth < 0:
        raise UsageError(f"--depth must be 0 or more, not {depth}.")


# -- provenance ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EdgeRef:
    """One hop from an artifact: the artifact at the other end and the edge between them.

    ``transformation_type`` is ``None`` only when the graph has no record of the edge.
    """

    artifact_id: str
    transformation_type: TransformationType | None
    description: str


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where one artifact came from: its record, its parents and its children.

    ``node`` is ``None`` when the id appears only as an edge endpoint (another
    artifact lists it as an input, or an edge names it) but was never recorded;
    such an artifact has no version, status, provenance or metadata.
    """

    artifact_id: str
    node: LineageNode | None
    parents: list[EdgeRef]
    """Incoming edges, sorted by parent id."""
    children: list[EdgeRef]
    """Outgoing edges, sorted by child id."""

    @property
    def recorded(self) -> bool:
        """Whether the artifact has a node record (not only an edge endpoint)."""
        return self.node is not None


def _edge_ref(graph: GraphView, source: str, target: str, other: str) -> EdgeRef:
    edge = graph.edge(source, target)
    if edge is None:
        return EdgeRef(other, None, "")
    return EdgeRef(other, edge.transformation_type, edge.description)


def provenance(graph: GraphView, artifact_id: str) -> Provenance:
    """The artifact's record with every incoming edge (its parents) and outgoing edge (its children).

    Parameters
    ----------
    graph:
        Any :class:`~lineage_cli.graph.GraphView`.
    artifact_id:
        The artifact to describe; unknown ids raise
        :class:`~lineage_cli.errors.UnknownArtifactError` with close matches.

    Returns
    -------
    Provenance
        ``node`` is ``None`` when the id is only an edge endpoint.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("raw", "clean"), ("clean", "report")], workflow="etl")
    >>> p = provenance(g, "clean")
    >>> p.node.provenance.workflow, [r.artifact_id for r in p.parents], [r.artifact_id for r in p.children]
    ('etl', ['raw'], ['report'])
    >>> p.parents[0].transformation_type
    <TransformationType.DERIVED: 'derived'>
    """
    artifact_id = graph.require(artifact_id)
    return Provenance(
        artifact_id=artifact_id,
        node=graph.node(artifact_id),
        parents=[_edge_ref(graph, p, artifact_id, p) for p in graph.parents(artifact_id)],
        children=[_edge_ref(graph, artifact_id, c, c) for c in graph.children(artifact_id)],
    )


# -- paths and common ancestors -------------------------------------------------------


def shortest_path(graph: GraphView, from_id: str, to_id: str, directed: bool = False) -> list[str] | None:
    """A shortest path between two artifacts, or ``None`` when there is none.

    Breadth-first search with parent pointers, stopping when ``to_id`` is reached.
    Neighbours are visited in sorted order, so among paths of equal length the same
    one is returned on every run.

    Parameters
    ----------
    graph:
        Any :class:`~lineage_cli.graph.GraphView`.
    from_id, to_id:
        The two artifacts; unknown ids raise
        :class:`~lineage_cli.errors.UnknownArtifactError` with close matches.
    directed:
        ``False`` (the default, as the spec says): edges are followed either way.
        ``True``: only upstream -> downstream, so the path shows how ``from_id``
        flowed into ``to_id``.

    Returns
    -------
    list of str or None
        The artifacts on the path, ``from_id`` first and ``to_id`` last
        (``[from_id]`` when they are the same).

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("a", "b"), ("b", "c"), ("a", "d")])
    >>> shortest_path(g, "c", "d")
    ['c', 'b', 'a', 'd']
    >>> shortest_path(g, "c", "d", directed=True) is None
    True
    >>> shortest_path(g, "a", "c", directed=True)
    ['a', 'b', 'c']
    """
    from_id = graph.require(from_id)
    to_id = graph.require(to_id)
    step = graph.children if directed else _undirected(graph)
    came_from = bfs_tree(step, from_id, goal=to_id)
    return path_to(came_from, to_id) if to_id in came_from else None


def common_ancestors(graph: GraphView, a: str, b: str) -> list[str]:
    """Every artifact upstream of both ``a`` and ``b``, sorted.

    Neither ``a`` nor ``b`` is its own ancestor, so when ``a`` is upstream of ``b``
    it is not in the answer (its own ancestors are).

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("src", "a"), ("src", "mid"), ("mid", "b"), ("other", "b")])
    >>> common_ancestors(g, "a", "b")
    ['src']
    """
    upstream_of_a = walk(graph, a, "upstream")
    upstream_of_b = walk(graph, b, "upstream")
    return sorted(upstream_of_a.keys() & upstream_of_b.keys())


def lowest_common_ancestors(graph: GraphView, a: str, b: str) -> list[str]:
    """The common ancestors of ``a`` and ``b`` nearest to them, sorted.

    A common ancestor is *lowest* when no other common ancestor is downstream of
    it, except ones on a cycle with it (they reach each other, so neither is
    nearer). On a DAG these are the usual lowest common ancestors: the most
    specific shared inputs.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("root", "shared"), ("shared", "a"), ("shared", "b")])
    >>> common_ancestors(g, "a", "b"), lowest_common_ancestors(g, "a", "b")
    (['root', 'shared'], ['shared'])
    """
    return common_ancestry(graph, a, b).lowest


@dataclass(frozen=True, slots=True)
class CommonAncestry:
    """The common ancestors of two artifacts, and which of them are lowest."""

    a: str
    b: str
    common: list[str]
    """Every common ancestor, sorted (:func:`common_ancestors`)."""
    lowest: list[str]
    """The lowest ones, sorted (:func:`lowest_common_ancestors`)."""


def common_ancestry(graph: GraphView, a: str, b: str) -> CommonAncestry:
    """Common ancestors of ``a`` and ``b`` and the lowest of them, in one call.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("root", "x"), ("x", "a"), ("x", "b"), ("root", "b")])
    >>> common_ancestry(g, "a", "b")
    CommonAncestry(a='a', b='b', common=['root', 'x'], lowest=['x'])
    """
    common = common_ancestors(graph, a, b)
    return CommonAncestry(a, b, common, _lowest(graph, set(common), a, b))


def _lowest(graph: GraphView, common: set[str], a: str, b: str) -> list[str]:
    if not common:
        return []
    # Every artifact on a path between two common ancestors is itself a common
    # ancestor, or is ``a`` or ``b`` (on a cycle), so reachability among the common
    # ancestors is decided inside this small subgraph.
    region = common | {a, b}
    component = _strong_components(graph, region)
    holds_common = {component[c] for c in common}
    # A component is not lowest when an edge leaves it for another component that
    # holds a common ancestor. The first artifact past the component on any path to
    # a common ancestor is in ``region``, and its component holds that ancestor.
    left_for_common = {
        component[member]
        for member in region
        for child in graph.children(member)
        if child in region and component[child] != component[member] and component[child] in holds_common
    }
    return sorted(c for c in common if component[c] not in left_for_common)


def _strong_components(graph: GraphView, region: set[str]) -> dict[str, int]:
    """Strongly connected components of the subgraph induced by ``region`` (Kosaraju, iterative)."""
    finished: list[str] = []
    seen: set[str] = set()
    for root in sorted(region):
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(graph.children(root)))]
        while stack:
            current, pending = stack[-1]
            for child in pending:
                if child in region and child not in seen:
                    seen.add(child)
                    stack.append((child, iter(graph.children(child))))
                    break
            else:
                stack.pop()
                finished.append(current)
    component: dict[str, int] = {}
    for number, root in enumerate(reversed(finished)):
        if root in component:
            continue
        component[root] = number
        todo = [root]
        while todo:
            current = todo.pop()
            for parent in graph.parents(current):
                if parent in region and parent not in component:
                    component[parent] = number
                    todo.append(parent)
    return component
