"""Lineage queries over any GraphView: iterative, O(V+E), cycle-safe, sorted output."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Literal

from lineage_cli.graph import GraphView

__all__ = ["Direction", "ancestors", "descendants", "neighbourhood", "walk"]

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
    graph.require(start)
    if depth is not None and depth < 0:
        raise ValueError("depth must be >= 0")
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
    return sorted(walk(graph, artifact_id, "upstream", depth))


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
    return sorted(walk(graph, artifact_id, "downstream", depth))


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
