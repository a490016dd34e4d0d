"""Lineage queries over any GraphView: iterative, O(V+E), cycle-safe, sorted output."""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from lineage_cli.errors import LineageFileError, UsageError
from lineage_cli.graph import GraphView
from lineage_cli.model import ArtifactStatus, LineageNode, TransformationType

__all__ = [
    "CommonAncestry",
    "CrossWorkflowLink",
    "Direction",
    "EdgeRef",
    "ImpactReport",
    "Provenance",
    "analyze_impact",
    "ancestors",
    "common_ancestors",
    "common_ancestry",
    "cross_workflow_links",
    "descendants",
    "lowest_common_ancestors",
    "neighbourhood",
    "provenance",
    "read_critical_ids",
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


def _bfs_tree(
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


def _path_to(came_from: Mapping[str, str | None], end: str) -> list[str]:
    """Read the path from the tree's root to ``end`` off the parent pointers."""
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
    return _bfs_tree(_steps(graph, direction), start, depth)


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
    came_from = _bfs_tree(step, from_id, goal=to_id)
    return _path_to(came_from, to_id) if to_id in came_from else None


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


# -- impact -------------------------------------------------------------------------


@dataclass(slots=True)
class ImpactReport:
    """What a change to one artifact affects downstream.

    Attributes
    ----------
    changed_artifact:
        The artifact that changed.
    affected_artifacts:
        Every descendant of it, sorted (the changed artifact itself is never listed,
        even on a cycle).
    affected_workflows, affected_agents:
        The workflows and agents that produced an affected artifact, sorted
        (artifacts with no record, and empty names, contribute none).
    stale_count:
        How many artifacts the change makes stale: every affected artifact, since
        each was built from something upstream that changed.
    already_stale:
        How many affected artifacts were already recorded as ``stale``.
    critical_paths:
        For each affected critical artifact, in sorted order of that artifact, one
        shortest *directed* path from the changed artifact down to it.
    unknown_critical:
        Critical ids that are not in the graph, sorted (callers warn about them).
    """

    changed_artifact: str
    affected_artifacts: list[str]
    affected_workflows: list[str]
    affected_agents: list[str]
    stale_count: int
    already_stale: int = 0
    critical_paths: list[list[str]] = field(default_factory=list)
    unknown_critical: list[str] = field(default_factory=list)

    @property
    def affected_critical(self) -> list[str]:
        """The affected critical artifacts, sorted (each path's last artifact)."""
        return [path[-1] for path in self.critical_paths]


def analyze_impact(graph: GraphView, changed_id: str, critical: Iterable[str] | None = None) -> ImpactReport:
    """Analyse the downstream impact of a change to ``changed_id``.

    One breadth-first search downstream, keeping parent pointers, finds every
    affected artifact and, read off the same tree, a shortest directed path to each
    affected critical artifact: O(V + E) however many critical ids there are.

    Parameters
    ----------
    graph:
        Any :class:`~lineage_cli.graph.GraphView`.
    changed_id:
        The artifact that changed; unknown ids raise
        :class:`~lineage_cli.errors.UnknownArtifactError` with close matches.
    critical:
        Ids of artifacts that matter most (for example, from :func:`read_critical_ids`).

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("raw", "clean"), ("clean", "report"), ("raw", "audit")])
    >>> r = analyze_impact(g, "raw", critical={"report", "nope"})
    >>> r.affected_artifacts, r.stale_count
    (['audit', 'clean', 'report'], 3)
    >>> r.critical_paths, r.unknown_critical
    ([['raw', 'clean', 'report']], ['nope'])
    """
    changed_id = graph.require(changed_id)
    came_from = _bfs_tree(graph.children, changed_id)
    del came_from[changed_id]
    affected = sorted(came_from)
    came_from[changed_id] = None
    workflows: set[str] = set()
    agents: set[str] = set()
    already_stale = 0
    for artifact_id in affected:
        node = graph.node(artifact_id)
        if node is None:
            continue
        workflows.add(node.provenance.workflow)
        agents.add(node.provenance.agent)
        already_stale += node.status is ArtifactStatus.STALE
    wanted = set(critical or ())
    hit = sorted(c for c in wanted if c in came_from and c != changed_id)
    return ImpactReport(
        changed_artifact=changed_id,
        affected_artifacts=affected,
        affected_workflows=sorted(workflows - {""}),
        affected_agents=sorted(agents - {""}),
        stale_count=len(affected),
        already_stale=already_stale,
        critical_paths=[_path_to(came_from, c) for c in hit],
        unknown_critical=sorted(c for c in wanted if c not in graph),
    )


_COMMENT = re.compile(r"(^|\s)#.*$")
"""A comment: ``#`` at the start of a line or after whitespace, to the end of the line."""


def read_critical_ids(path: str | os.PathLike[str]) -> list[str]:
    r"""Read a critical-artifacts file: one id per line.

    Blank lines and ``#`` comments are ignored: a line starting with ``#``, or the
    rest of a line after whitespace and ``#`` (so an id may itself contain ``#``).
    Surrounding whitespace is stripped; repeated ids are kept once, in file order.

    Raises
    ------
    LineageFileError
        When the file is missing, unreadable or not UTF-8.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "critical.txt"
    >>> _ = p.write_text("# dashboards\nreport   # CFO\n\nmodel#v2\nreport\n")
    >>> read_critical_ids(p)
    ['report', 'model#v2']
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LineageFileError(
            name, "no such file", hint="Pass --critical a file with one artifact id per line."
        ) from None
    except IsADirectoryError:
        raise LineageFileError(name, "is a directory, not a file of artifact ids") from None
    except UnicodeDecodeError as exc:
        raise LineageFileError(name, f"is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise LineageFileError(name, f"cannot be read ({exc.strerror})") from None
    ids: dict[str, None] = {}
    for line in text.splitlines():
        artifact_id = _COMMENT.sub("", line).strip()
        if artifact_id:
            ids.setdefault(artifact_id)
    return list(ids)


# -- cross-workflow links ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CrossWorkflowLink:
    """An artifact produced in one workflow and consumed by artifacts of others.

    Attributes
    ----------
    artifact_id:
        The shared artifact.
    producer_workflow:
        The workflow that produced it.
    consumer_workflows:
        The other workflows whose artifacts have it as a parent, sorted.
    consumers:
        Those consuming artifacts, sorted.
    shared_since:
        When another workflow first consumed it: the earliest provenance timestamp
        among ``consumers`` (aware UTC).
    """

    artifact_id: str
    producer_workflow: str
    consumer_workflows: list[str]
    consumers: list[str]
    shared_since: datetime


def cross_workflow_links(graph: GraphView) -> list[CrossWorkflowLink]:
    """Every artifact whose children include artifacts of another workflow, sorted by id.

    One pass over artifacts and their children: O(V + E). Artifacts with no record,
    or an empty workflow name, have no known workflow and never count as crossing.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("raw", "clean"), ("clean", "report")], workflow="ingest")
    >>> g.node("report").provenance.workflow = "reporting"
    >>> [(x.artifact_id, x.producer_workflow, x.consumer_workflows) for x in cross_workflow_links(g)]
    [('clean', 'ingest', ['reporting'])]
    """
    links = []
    # Each artifact's record is read once, though it is seen once per parent too.
    records: dict[str, LineageNode | None] = {}

    def record(artifact_id: str) -> LineageNode | None:
        if artifact_id not in records:
            records[artifact_id] = graph.node(artifact_id)
        return records[artifact_id]

    for artifact_id in graph.artifact_ids():
        node = record(artifact_id)
        if node is None or not node.provenance.workflow:
            continue
        producer = node.provenance.workflow
        consumers: list[LineageNode] = []
        for child_id in graph.children(artifact_id):
            child = record(child_id)
            if child is not None and child.provenance.workflow not in ("", producer):
                consumers.append(child)
        if consumers:
            links.append(
                CrossWorkflowLink(
                    artifact_id=artifact_id,
                    producer_workflow=producer,
                    consumer_workflows=sorted({c.provenance.workflow for c in consumers}),
                    consumers=[c.artifact_id for c in consumers],
                    shared_since=min(c.provenance.timestamp for c in consumers),
                )
            )
    return links
