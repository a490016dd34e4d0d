"""The attributes a selector can test (``workflow:``, ``status:``, ``tag:`` ...), computed one way.

The in-memory graph and the store's SQLite index both take an artifact's attributes from
:func:`artifact_attributes`, so ``lineage ls tag:finance`` answers the same on either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from lineage_cli.model import LineageNode

__all__ = [
    "INDEXED",
    "METHODS",
    "artifact_attributes",
    "document_attributes",
    "kind_of",
    "node_attributes",
]

INDEXED: Final = ("workflow", "stage", "agent", "status", "kind", "tool", "tag")
"""Attributes kept per artifact in the store's index (``type`` comes from the edges)."""

METHODS: Final = (*INDEXED, "type")
"""Every attribute method of the selection language except ``meta.KEY``."""

DBT_RESOURCES: Final = frozenset(
    ("model", "seed", "source", "snapshot", "test", "metric", "exposure", "analysis", "semantic_model")
)
"""First segments of a dbt unique id (``model.pkg.name``) that name the artifact's kind."""

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+_-]*):")


def kind_of(artifact_id: str, metadata: Mapping[str, Any]) -> str:
    """``metadata.kind``, else the id's scheme (``s3``, ``dataset``), else its dbt resource type.

    Examples
    --------
    >>> kind_of("s3://lake/a.csv", {}), kind_of("model.tuva.x", {}), kind_of("x", {"kind": "file"})
    ('s3', 'model', 'file')
    >>> kind_of("stg_orders", {})
    ''
    """
    declared = metadata.get("kind")
    if isinstance(declared, str) and declared:
        return declared
    scheme = _SCHEME.match(artifact_id)
    if scheme:
        return scheme.group(1)
    head = artifact_id.split(".", 1)[0]
    return head if head in DBT_RESOURCES and "." in artifact_id else ""


def _tags(metadata: Mapping[str, Any]) -> list[str]:
    tags = metadata.get("tags")
    if isinstance(tags, str):
        return [tags]
    if isinstance(tags, list):
        return [tag for tag in tags if isinstance(tag, str)]
    return []


def artifact_attributes(
    artifact_id: str,
    *,
    status: str,
    workflow: str,
    stage: str,
    agent: str,
    tool: str,
    metadata: Mapping[str, Any],
) -> Iterator[tuple[str, str]]:
    """``(attribute, value)`` pairs of one artifact; empty values are left out.

    Examples
    --------
    >>> dict(artifact_attributes("s3://x", status="fresh", workflow="etl", stage="", agent="a",
    ...        tool="", metadata={"tags": ["pii"]}))
    {'workflow': 'etl', 'agent': 'a', 'status': 'fresh', 'kind': 's3', 'tag': 'pii'}
    """
    for key, value in (
        ("workflow", workflow),
        ("stage", stage),
        ("agent", agent),
        ("status", status),
        ("kind", kind_of(artifact_id, metadata)),
        ("tool", tool),
    ):
        if value:
            yield key, value
    for tag in _tags(metadata):
        yield "tag", tag


def document_attributes(artifact_id: str, doc: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """:func:`artifact_attributes` of a node document (the lineage file's encoding).

    Examples
    --------
    >>> list(document_attributes("a", {"status": "stale", "provenance": {"workflow": "w"}}))
    [('workflow', 'w'), ('status', 'stale')]
    """
    prov = doc.get("provenance")
    prov = prov if isinstance(prov, dict) else {}
    metadata = doc.get("metadata")
    return artifact_attributes(
        artifact_id,
        status=str(doc.get("status") or "unknown"),
        workflow=str(prov.get("workflow") or ""),
        stage=str(prov.get("stage") or ""),
        agent=str(prov.get("agent") or ""),
        tool=str(prov.get("tool") or ""),
        metadata=metadata if isinstance(metadata, dict) else {},
    )


def node_attributes(node: LineageNode) -> Iterator[tuple[str, str]]:
    """:func:`artifact_attributes` of a decoded node.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> dict(node_attributes(LineageGraph.from_pairs([("a", "b")], workflow="w").node("a")))["workflow"]
    'w'
    """
    prov = node.provenance
    return artifact_attributes(
        node.artifact_id,
        status=node.status.value,
        workflow=prov.workflow,
        stage=prov.stage,
        agent=prov.agent,
        tool=prov.tool or "",
        metadata=node.metadata,
    )
