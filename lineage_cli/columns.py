"""Column-level lineage: the column edges of every artifact as a graph of ``ARTIFACT#COLUMN`` ids.

An artifact's ``columns`` (from OpenLineage ``columnLineage`` facets) map each of its columns
to the columns it came from. :func:`column_graph` turns them into a :class:`LineageGraph`
whose artifacts are columns, so every query (ancestors, descendants, impact, path...) works
at column level unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from lineage_cli.errors import UnknownArtifactError
from lineage_cli.graph import GraphView, LineageGraph
from lineage_cli.model import LineageEdge, LineageNode, TransformationType

__all__ = ["SEPARATOR", "ColumnGraph", "ColumnLineage", "column_graph", "column_lineage", "looks_like_column"]

SEPARATOR: Final = "#"
"""Joins an artifact id and a column name: ``bigquery/proj.ds.orders#amount``."""


def _edge_type(kind: str | None) -> TransformationType:
    # OpenLineage's DIRECT/IDENTITY (or the older IDENTITY) copies a value; anything else computes.
    kinds = (kind or "").split(",")
    copied = any(k in ("DIRECT/IDENTITY", "IDENTITY") for k in kinds)
    return TransformationType.COPIED if copied else TransformationType.DERIVED


class ColumnGraph(LineageGraph):
    """The column graph of an artifact graph: ids ``ARTIFACT#COLUMN``, edges from column lineage.

    A column id whose artifact part is an alias (or a natural URI) of an artifact is accepted
    too, like artifact ids are.
    """

    def __init__(self, artifacts: LineageGraph, nodes: list[LineageNode], edges: list[LineageEdge]) -> None:
        super().__init__(nodes, edges, built_at=artifacts.built_at)
        self.artifacts = artifacts

    def alias_of(self, name: str) -> str | None:
        """The column ``name`` stands for when its artifact part is an alias, else ``None``."""
        dataset, sep, column = name.rpartition(SEPARATOR)
        target = self.artifacts.alias_of(dataset) if sep else None
        if target is None:
            return None
        candidate = f"{target}{SEPARATOR}{column}"
        return candidate if candidate in self else None

    def require(self, artifact_id: str) -> str:
        """The column id named, or :class:`UnknownArtifactError` with close column ids."""
        try:
            return super().require(artifact_id)
        except UnknownArtifactError as exc:
            dataset = artifact_id.rpartition(SEPARATOR)[0]
            if dataset and (dataset in self.artifacts or self.artifacts.alias_of(dataset)):
                exc.message = f"Artifact {dataset!r} has no column lineage for {artifact_id!r}."
            raise


def column_graph(graph: LineageGraph) -> ColumnGraph:
    """The column graph of ``graph``, in one pass over its nodes (O(V + column edges)).

    Each column that has sources is a node (with its artifact's version, status and
    provenance); a source column nobody derives is an edge endpoint. Edges are ``copied``
    for an identity (``DIRECT/IDENTITY``) and ``derived`` otherwise; the description keeps
    OpenLineage's transformation type.

    Examples
    --------
    >>> doc = {"nodes": {"s3://b/clean": {"version": "1", "status": "fresh", "inputs": ["s3://b/raw"],
    ...        "provenance": {"timestamp": "2026-01-01T00:00:00Z"},
    ...        "columns": {"id": [{"source": "s3://b/raw#id", "type": "DIRECT/IDENTITY"}]}}}, "edges": []}
    >>> columns = column_graph(LineageGraph.from_document(doc))
    >>> columns.parents("s3://b/clean#id"), columns.edge("s3://b/raw#id", "s3://b/clean#id").transformation_type
    (('s3://b/raw#id',), <TransformationType.COPIED: 'copied'>)
    """
    nodes: list[LineageNode] = []
    edges: list[LineageEdge] = []
    for artifact_id in sorted(graph.nodes):
        node = graph.nodes[artifact_id]
        for column, sources in sorted(node.columns.items()):
            target = f"{artifact_id}{SEPARATOR}{column}"
            inputs = []
            for source in sources:
                name, kind = source["source"], source.get("type")
                inputs.append(name)
                edges.append(LineageEdge(name, target, _edge_type(kind), kind or ""))
            nodes.append(
                LineageNode(
                    target,
                    node.version,
                    node.provenance,
                    inputs,
                    node.transformation,
                    node.status,
                    {"artifact": artifact_id, "column": column},
                )
            )
    return ColumnGraph(graph, nodes, edges)


def looks_like_column(view: GraphView, ids: Sequence[str]) -> bool:
    """Whether a query on ``ids`` is about columns: an id holds ``#`` and names no artifact.

    Examples
    --------
    >>> looks_like_column(LineageGraph.from_pairs([("a#1", "b")]), ["a#1"])
    False
    >>> looks_like_column(LineageGraph(), ["t#c"])
    True
    """
    return any(SEPARATOR in i and i not in view and view.alias_of(i) is None for i in ids)


@dataclass(frozen=True, slots=True)
class ColumnLineage:
    """One column of an artifact and where it came from (its source columns, one hop)."""

    column: str
    column_id: str
    sources: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``lineage provenance --columns --json`` (see README)."""
        return {"column": self.column, "id": self.column_id, "sources": self.sources}


def column_lineage(graph: GraphView, artifact_id: str) -> tuple[str, list[ColumnLineage]]:
    """An artifact's columns (from its schema and its column lineage), each with its sources.

    Returns the artifact's id (an alias resolved) and its columns sorted by name.

    Examples
    --------
    >>> doc = {"nodes": {"t": {"version": "1", "provenance": {"timestamp": "2026-01-01T00:00:00Z"},
    ...        "metadata": {"schema": {"fields": [{"name": "a"}, {"name": "b"}]}},
    ...        "columns": {"b": [{"source": "s#x", "type": None}]}}}, "edges": []}
    >>> aid, columns = column_lineage(LineageGraph.from_document(doc), "t")
    >>> [(c.column, [s["source"] for s in c.sources]) for c in columns]
    [('a', []), ('b', ['s#x'])]
    """
    artifact_id = graph.require(artifact_id)
    node = graph.node(artifact_id)
    if node is None:
        return artifact_id, []
    names = set(node.columns)
    schema = node.metadata.get("schema")
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if isinstance(fields, list):
        names.update(f["name"] for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str))
    return artifact_id, [
        ColumnLineage(name, f"{artifact_id}{SEPARATOR}{name}", list(node.columns.get(name, [])))
        for name in sorted(names)
    ]
