"""Making pictures of real graphs readable: collapse into groups, transitive reduction, size guard.

Each step works on a :class:`~lineage_cli.graph.LineageGraph` (the part being drawn) and
returns a new one, so every exporter draws the result unchanged.
"""

from __future__ import annotations

import re
import struct
from collections import Counter
from dataclasses import replace

from lineage_cli.export.base import GroupBy
from lineage_cli.export.drawing import group_of, status_of
from lineage_cli.graph import LineageGraph
from lineage_cli.model import ArtifactStatus, LineageEdge, LineageNode, TransformationType

__all__ = ["COUNT_KEY", "MAX_PIXELS", "collapse", "picture_size", "reduce_edges"]

COUNT_KEY = "lineage_edge_count"
"""Edge metadata key of a collapsed edge: how many artifact edges it stands for."""

MAX_PIXELS = 10_000
"""Longest side, in pixels at 96 dpi, of a picture that can still be read; past it a warning names
alternatives. dbt-tuva's whole graph was 30,760 x 6,936 px, which image viewers refuse to open."""

_WORST_FIRST = (
    ArtifactStatus.FAILED,
    ArtifactStatus.STALE,
    ArtifactStatus.IN_PROGRESS,
    ArtifactStatus.UNKNOWN,
    ArtifactStatus.FRESH,
)


def collapse(graph: LineageGraph, by: GroupBy) -> LineageGraph:
    r"""One artifact per group (workflow, stage or agent) with its count and status mix.

    A group's status is its worst member's (failed, stale, in progress, unknown, fresh), so
    the colour warns; its label says how many artifacts of each status it holds. Edges between
    groups carry how many artifact edges they stand for (``metadata[COUNT_KEY]``); edges
    inside a group are dropped.

    Examples
    --------
    >>> g = LineageGraph.from_pairs([("a", "b"), ("a", "c")], workflow="etl")
    >>> g.nodes["c"].provenance.workflow = "bi"
    >>> small = collapse(g, "workflow")
    >>> small.artifact_ids(), [(e.source, e.target, e.metadata) for e in small.edges]
    (['bi', 'etl'], [('etl', 'bi', {'lineage_edge_count': 1})])
    >>> small.node("etl").label
    'etl\n2 artifacts: 2 unknown'
    """
    members: dict[str, list[str]] = {}
    for aid in graph.artifact_ids():
        members.setdefault(group_of(graph, aid, by), []).append(aid)
    group = {aid: name for name, ids in members.items() for aid in ids}
    nodes: list[LineageNode] = []
    for name, ids in sorted(members.items()):
        statuses = Counter(status_of(graph, aid) for aid in ids)
        worst = next(status for status in _WORST_FIRST if statuses[status])
        mix = ", ".join(f"{statuses[s]} {s.value}" for s in _WORST_FIRST if statuses[s])
        first = next((node for aid in ids if (node := graph.node(aid)) is not None), None)
        if first is None:
            continue  # only edge endpoints with no record: the group is drawn as an endpoint
        label = f"{name}\n{len(ids)} artifact{'s' if len(ids) != 1 else ''}: {mix}"
        nodes.append(
            replace(
                first,
                artifact_id=name,
                inputs=[],
                status=worst,
                metadata={"visualization": {"node_label": label}, "members": len(ids)},
            )
        )
    counts: Counter[tuple[str, str]] = Counter()
    types: dict[tuple[str, str], set[TransformationType]] = {}
    for edge in graph.edges:
        pair = (group[edge.source], group[edge.target])
        if pair[0] != pair[1]:
            counts[pair] += 1
            types.setdefault(pair, set()).add(edge.transformation_type)
    edges = []
    for (source, target), count in sorted(counts.items()):
        kinds = types[(source, target)]
        kind = next(iter(kinds)) if len(kinds) == 1 else TransformationType.DERIVED
        description = f"{count} edge{'s' if count != 1 else ''}"
        edges.append(LineageEdge(source, target, kind, description, {COUNT_KEY: count}))
    return LineageGraph(nodes, edges, version=graph.version, built_at=graph.built_at)


def reduce_edges(graph: LineageGraph) -> tuple[LineageGraph, int]:
    """Drop every edge implied by a longer path (transitive reduction); return the graph and how many.

    An edge ``a -> c`` goes when ``c`` can be reached from another child of ``a``. On an acyclic
    graph this is the unique transitive reduction; inside a cycle an edge is kept when no other
    child reaches its target. Each child's descendants are found once, by an iterative walk.

    Examples
    --------
    >>> g = LineageGraph.from_pairs([("a", "b"), ("b", "c"), ("a", "c")])
    >>> reduced, dropped = reduce_edges(g)
    >>> [(e.source, e.target) for e in reduced.edges], dropped
    ([('a', 'b'), ('b', 'c')], 1)
    """
    below: dict[str, set[str]] = {}

    def descendants(start: str) -> set[str]:
        found = below.get(start)
        if found is None:
            found = set()
            stack = list(graph.children(start))
            while stack:
                current = stack.pop()
                if current not in found:
                    found.add(current)
                    stack.extend(graph.children(current))
            below[start] = found
        return found

    redundant: set[tuple[str, str]] = set()
    for source in graph.artifact_ids():
        children = graph.children(source)
        if len(children) < 2:
            continue
        reached: Counter[str] = Counter()
        for child in children:
            reached.update(descendants(child) - {child})
        redundant.update((source, child) for child in children if reached[child])
    if not redundant:
        return graph, 0
    kept = [e for e in graph.edges if (e.source, e.target) not in redundant]
    dropped = len(graph.edges) - len(kept)
    nodes = [
        replace(node, inputs=[p for p in node.inputs if (p, aid) not in redundant])
        for aid, node in sorted(graph.nodes.items())
    ]
    return LineageGraph(nodes, kept, version=graph.version, built_at=graph.built_at), dropped


_SVG_SIZE = re.compile(rb'<svg width="([\d.]+)pt" height="([\d.]+)pt"')
_PLAIN_SIZE = re.compile(rb"^graph [\d.]+ ([\d.]+) ([\d.]+)", re.M)


def picture_size(fmt: str, data: bytes) -> tuple[int, int] | None:
    r"""Width and height in pixels (96 dpi) of a laid-out picture: PNG, SVG, or ``dot -Tplain`` text.

    ``None`` when the size cannot be read.

    Examples
    --------
    >>> picture_size("svg", b'<svg width="720pt" height="72pt" viewBox')
    (960, 96)
    >>> picture_size("plain", b"graph 1 10 2\n")
    (960, 192)
    """
    if fmt == "png" and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    pattern, scale = (_SVG_SIZE, 96 / 72) if fmt == "svg" else (_PLAIN_SIZE, 96)
    match = pattern.search(data[:4096] if fmt == "svg" else data)
    if match is None:
        return None
    return round(float(match.group(1)) * scale), round(float(match.group(2)) * scale)
