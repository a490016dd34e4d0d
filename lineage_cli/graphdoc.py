"""The lineage file's node and edge shapes, decoded into the model's objects and encoded back."""

from __future__ import annotations

import re
from typing import Any, Final

from lineage_cli.errors import InputError, LineageError, LineageFileError
from lineage_cli.model import (
    ArtifactStatus,
    LineageEdge,
    LineageNode,
    ProvenanceRecord,
    TransformationType,
    format_timestamp,
    parse_timestamp,
)

__all__ = [
    "bad_node",
    "edge_from_document",
    "edge_to_document",
    "in_file",
    "natural_id_candidates",
    "node_from_document",
    "node_to_document",
]


def bad_node(artifact_id: str, problem: str) -> InputError:
    """The error for a malformed node, naming the artifact and pointing at `lineage validate`."""
    return InputError(
        f"Artifact {artifact_id!r}: {problem}.",
        hint="Run `lineage validate` on the lineage file for a full report.",
    )


def node_from_document(artifact_id: str, raw: Any) -> LineageNode:
    """Decode one node of the lineage file format into a :class:`LineageNode`.

    Raises
    ------
    InputError
        When a field is missing or has the wrong type, naming the artifact and field.

    Examples
    --------
    >>> raw = {"version": "1", "status": "fresh", "inputs": ["x"], "transformation": "t",
    ...        "provenance": {"agent": "a", "workflow": "w", "stage": "s",
    ...                       "timestamp": "2026-01-01T00:00:00Z"}}
    >>> node_from_document("y", raw).provenance.timestamp.year
    2026
    """
    if not isinstance(raw, dict):
        raise bad_node(artifact_id, f"expected an object, found {type(raw).__name__}")
    prov = raw.get("provenance")
    if not isinstance(prov, dict):
        raise bad_node(artifact_id, "`provenance` must be an object")
    try:
        provenance = ProvenanceRecord(
            agent=str(prov.get("agent") or ""),
            workflow=str(prov.get("workflow") or ""),
            stage=str(prov.get("stage") or ""),
            timestamp=parse_timestamp(
                prov.get("timestamp"),  # type: ignore[arg-type]  # non-strings are rejected inside
                what=f"artifact {artifact_id!r}: provenance.timestamp",
            ),
            tool=prov.get("tool"),
            environment=prov.get("environment"),
        )
        status = ArtifactStatus(raw.get("status", ArtifactStatus.UNKNOWN.value))
    except ValueError as exc:
        if isinstance(exc, LineageError):
            raise
        raise bad_node(artifact_id, f"unknown status {raw.get('status')!r}") from None
    inputs = raw.get("inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        raise bad_node(artifact_id, "`inputs` must be a list of artifact ids")
    metadata = raw.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise bad_node(artifact_id, "`metadata` must be an object")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise bad_node(artifact_id, "`aliases` must be a list of ids")
    columns = raw.get("columns", {})
    if not isinstance(columns, dict) or not all(
        isinstance(sources, list)
        and all(isinstance(s, dict) and isinstance(s.get("source"), str) for s in sources)
        for sources in columns.values()
    ):
        raise bad_node(artifact_id, "`columns` must map each column to a list of {source, type}")
    return LineageNode(
        artifact_id=artifact_id,
        version=str(raw.get("version", "")),
        provenance=provenance,
        inputs=list(inputs),
        transformation=str(raw.get("transformation") or ""),
        status=status,
        metadata=metadata,
        aliases=list(aliases),
        columns=columns,
    )


def node_to_document(node: LineageNode) -> dict[str, Any]:
    """Encode a :class:`LineageNode` as one node of the lineage file format.

    Examples
    --------
    >>> prov = ProvenanceRecord("a", "w", "s", parse_timestamp("2026-01-01"))
    >>> node_to_document(LineageNode("y", "1", prov, [], "t"))["provenance"]["timestamp"]
    '2026-01-01T00:00:00Z'
    """
    p = node.provenance
    document = {
        "version": node.version,
        "status": node.status.value,
        "provenance": {
            "agent": p.agent,
            "workflow": p.workflow,
            "stage": p.stage,
            "timestamp": format_timestamp(p.timestamp),
            "tool": p.tool,
            "environment": p.environment,
        },
        "inputs": list(node.inputs),
        "transformation": node.transformation,
        "metadata": node.metadata,
    }
    if node.aliases:
        document["aliases"] = list(node.aliases)
    if node.columns:
        document["columns"] = node.columns
    return document


def natural_id_candidates(name: str) -> list[str]:
    """Ids a dataset's natural URI may stand for, when the URI is not an id itself.

    OpenLineage forms a dataset's URI as ``scheme:[//authority]path``; ``lineage`` ids are
    ``namespace/name`` with a single ``/``. So ``file:///tmp/x`` and ``file:/tmp/x`` stand
    for ``file/tmp/x``, ``bigquery:p.d.t`` for ``bigquery/p.d.t``, and
    ``hdfs://host//user/t`` for ``hdfs://host/user/t``.

    Examples
    --------
    >>> natural_id_candidates("file:///tmp/x.csv"), natural_id_candidates("bigquery:p.d.t")
    (['file/tmp/x.csv'], ['bigquery/p.d.t'])
    >>> natural_id_candidates("hdfs://host//user/t")
    ['hdfs://host/user/t']
    """
    match = _NATURAL_URI.fullmatch(name)
    if match is None:
        return []
    scheme, authority, rest = match.groups()
    if authority:
        collapsed = f"{scheme}://{authority}/{rest.lstrip('/')}"
        return [collapsed] if collapsed != name else []
    return [f"{scheme}/{rest.lstrip('/')}"] if rest else []


_NATURAL_URI: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(?://([^/]*))?/*(.*)", re.DOTALL)


def in_file(origin: str | None, error: InputError) -> InputError:
    """``error`` naming the lineage file it came from, when known and not named already.

    Nodes and edges are decoded when a query first reads them, after loading returned, so
    the file's name travels with the graph to their errors.

    Examples
    --------
    >>> str(in_file("g.json", InputError("Edge #0: expected an object, found str.")))
    'g.json: Edge #0: expected an object, found str.'
    """
    if origin is None or isinstance(error, LineageFileError):
        return error
    return LineageFileError(origin, error.message, hint=error.hint)


def edge_from_document(raw: Any, position: int) -> LineageEdge:
    """Decode one edge (``position`` is its 0-based index, for messages).

    Examples
    --------
    >>> edge_from_document({"source": "a", "target": "b", "type": "copied"}, 0).transformation_type
    <TransformationType.COPIED: 'copied'>
    """
    if not isinstance(raw, dict):
        raise InputError(f"Edge #{position}: expected an object, found {type(raw).__name__}.")
    source, target = raw.get("source"), raw.get("target")
    if not isinstance(source, str) or not isinstance(target, str):
        raise InputError(f"Edge #{position}: `source` and `target` must be artifact ids.")
    try:
        kind = TransformationType(raw.get("type", TransformationType.DERIVED.value))
    except ValueError:
        raise InputError(
            f"Edge #{position} ({source} -> {target}): unknown transformation type {raw.get('type')!r}.",
            hint="Use one of: " + ", ".join(t.value for t in TransformationType) + ".",
        ) from None
    metadata = raw.get("metadata") or {}
    return LineageEdge(source, target, kind, str(raw.get("description") or ""), metadata)


def edge_to_document(edge: LineageEdge) -> dict[str, Any]:
    """Encode a :class:`LineageEdge` as one edge of the lineage file format.

    Examples
    --------
    >>> edge_to_document(LineageEdge("a", "b"))["type"]
    'derived'
    """
    return {
        "source": edge.source,
        "target": edge.target,
        "type": edge.transformation_type.value,
        "description": edge.description,
        "metadata": edge.metadata,
    }
