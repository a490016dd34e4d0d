"""The JSON documents the query commands print with ``--json``, shared by the CLI and ``lineage serve``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lineage_cli import impact, queries
from lineage_cli.graph import GraphView, node_to_document
from lineage_cli.model import format_timestamp

__all__ = [
    "artifact_row",
    "edge_refs",
    "impact_document",
    "ls_document",
    "provenance_document",
    "walk_document",
]


def edge_refs(refs: Sequence[queries.EdgeRef]) -> list[dict[str, Any]]:
    """The ``parents``/``children`` entries of a provenance document.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("raw", "clean")])
    >>> edge_refs(queries.provenance(g, "clean").parents)
    [{'artifact': 'raw', 'type': 'derived', 'description': "implicit: listed in the target's inputs"}]
    """
    return [
        {
            "artifact": r.artifact_id,
            "type": r.transformation_type.value if r.transformation_type else None,
            "description": r.description,
        }
        for r in refs
    ]


def provenance_document(result: queries.Provenance) -> dict[str, Any]:
    """The document of ``lineage provenance ID --json`` (see README, "JSON output shapes").

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("raw", "clean")])
    >>> doc = provenance_document(queries.provenance(g, "raw"))
    >>> doc["artifact"], [c["artifact"] for c in doc["children"]]
    ('raw', ['clean'])
    """
    fields = ("version", "status", "transformation", "provenance", "metadata")
    # The record in the lineage file's own encoding; all null for an id with no record.
    encoded = node_to_document(result.node) if result.node is not None else dict.fromkeys(fields)
    record = {key: encoded[key] for key in fields}
    return {
        "artifact": result.artifact_id,
        "recorded": result.recorded,
        **record,
        "aliases": list(result.node.aliases) if result.node is not None else [],
        "parents": edge_refs(result.parents),
        "children": edge_refs(result.children),
    }


def walk_document(
    artifact: str, key: str, depth: int | None, tree: Mapping[str, str | None]
) -> dict[str, Any]:
    """The document of ``lineage ancestors|descendants ID --json``; ``key`` names the list.

    ``tree`` is :func:`~lineage_cli.queries.walk_tree`'s answer; the ids come out sorted.

    Examples
    --------
    >>> walk_document("a", "descendants", None, {"a": None, "c": "a", "b": "a"})
    {'artifact': 'a', 'depth': None, 'descendants': ['b', 'c']}
    """
    found = sorted(aid for aid, parent in tree.items() if parent is not None)
    return {"artifact": artifact, "depth": depth, key: found}


def impact_document(report: impact.ImpactReport) -> dict[str, Any]:
    """The document of ``lineage impact ID --json``.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("raw", "clean"), ("clean", "report")])
    >>> impact_document(impact.analyze_impact(g, "raw"))["affected_artifacts"]
    ['clean', 'report']
    """
    return {
        "changed_artifact": report.changed_artifact,
        "affected_artifacts": report.affected_artifacts,
        "affected_workflows": report.affected_workflows,
        "affected_agents": report.affected_agents,
        "stale_count": report.stale_count,
        "already_stale": report.already_stale,
        "affected_critical": report.affected_critical,
        "critical_paths": report.critical_paths,
        "unknown_critical": report.unknown_critical,
    }


def artifact_row(view: GraphView, artifact: str) -> dict[str, Any]:
    """One artifact's entry in ``lineage ls --json`` (all ``None`` for an id with no record).

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("raw", "clean")], workflow="etl")
    >>> row = artifact_row(g, "clean")
    >>> row["recorded"], row["workflow"], artifact_row(g, "nope")["status"]
    (True, 'etl', None)
    """
    node = view.node(artifact)
    if node is None:
        return {
            "id": artifact,
            "recorded": False,
            "status": None,
            "workflow": None,
            "stage": None,
            "agent": None,
            "version": None,
            "timestamp": None,
        }
    prov = node.provenance
    return {
        "id": artifact,
        "recorded": True,
        "status": node.status.value,
        "workflow": prov.workflow,
        "stage": prov.stage,
        "agent": prov.agent,
        "version": node.version,
        "timestamp": format_timestamp(prov.timestamp),
    }


def ls_document(view: GraphView, selectors: Sequence[str], exclude: Sequence[str] = ()) -> dict[str, Any]:
    """The document of ``lineage ls SELECTOR... [--exclude SELECTOR]... --json``.

    Raises what :func:`~lineage_cli.selection.select_ids` raises for a bad selector.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("raw", "clean"), ("clean", "report")])
    >>> doc = ls_document(g, ["clean+"], exclude=["report"])
    >>> doc["count"], [row["id"] for row in doc["artifacts"]]
    (1, ['clean'])
    """
    from lineage_cli.selection import select_ids

    ids = select_ids(view, selectors, exclude)
    return {
        "selector": list(selectors),
        "exclude": list(exclude),
        "count": len(ids),
        "artifacts": [artifact_row(view, aid) for aid in ids],
    }
