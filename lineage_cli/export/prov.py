"""W3C PROV-JSON export: artifacts are entities, productions activities, agents agents."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

import orjson

from lineage_cli.export.base import Exporter, ExportOptions
from lineage_cli.graph import LineageGraph
from lineage_cli.model import LineageNode, TransformationType, format_timestamp

__all__ = ["EXPORTERS", "NAMESPACES", "ProvJsonExporter", "prov_document"]

NAMESPACES: Final = {
    "lineage": "urn:lineage-cli:vocab#",
    "artifact": "urn:lineage-cli:artifact:",
    "production": "urn:lineage-cli:production:",
    "agent": "urn:lineage-cli:agent:",
}
"""Prefixes of the document. An artifact id is the percent-encoded local part after ``artifact:``."""

# PROV's own subtypes of derivation, where our transformation type means the same thing.
_DERIVATION_SUBTYPE: Final = {
    TransformationType.REFINED: "prov:Revision",
    TransformationType.COPIED: "prov:Quotation",
}


def _local(text: str) -> str:
    # Percent-encoding keeps every id a valid PROV qualified name (PROV-N allows %XX in a
    # local part) and the full URI valid, and it is reversible with urllib.parse.unquote.
    return quote(text, safe="-._~")


def _qname(value: str) -> dict[str, str]:
    return {"$": value, "type": "prov:QUALIFIED_NAME"}


def _entity(artifact_id: str, node: LineageNode | None) -> dict[str, Any]:
    entity: dict[str, Any] = {"prov:label": artifact_id, "prov:type": _qname("lineage:Artifact")}
    if node is not None:
        entity["lineage:version"] = node.version
        entity["lineage:status"] = node.status.value
        if node.metadata:
            # PROV attribute values are literals, so structured metadata travels as JSON text.
            entity["lineage:metadata"] = orjson.dumps(node.metadata, option=orjson.OPT_SORT_KEYS).decode()
    return entity


def _activity(node: LineageNode) -> dict[str, Any]:
    prov = node.provenance
    when = format_timestamp(prov.timestamp)
    activity: dict[str, Any] = {
        "prov:type": _qname("lineage:Production"),
        "prov:label": node.transformation or f"produce {node.artifact_id}",
        "prov:startTime": when,
        "prov:endTime": when,
        "lineage:workflow": prov.workflow,
        "lineage:stage": prov.stage,
    }
    if prov.tool:
        activity["lineage:tool"] = prov.tool
    if prov.environment:
        activity["lineage:environment"] = prov.environment
    return activity


def prov_document(graph: LineageGraph) -> dict[str, Any]:
    """The graph as one PROV-JSON document (a plain dict, deterministic).

    - every artifact (and every edge endpoint) is an entity ``artifact:<id>``;
    - every artifact record is an activity ``production:<id>`` (its production, at its
      timestamp) that generated it (``wasGeneratedBy``) and ``used`` each of its inputs;
    - every agent is an agent ``agent:<name>``, linked by ``wasAssociatedWith``;
    - every edge is a ``wasDerivedFrom`` carrying ``lineage:transformationType`` (and
      ``prov:Revision`` / ``prov:Quotation`` for refined / copied edges).

    Examples
    --------
    >>> doc = prov_document(LineageGraph.from_pairs([("raw", "clean")]))
    >>> sorted(doc["entity"]), sorted(doc["activity"])
    (['artifact:clean', 'artifact:raw'], ['production:clean', 'production:raw'])
    >>> [r["lineage:transformationType"] for r in doc["wasDerivedFrom"].values()]
    ['derived']
    """
    entities: dict[str, Any] = {}
    activities: dict[str, Any] = {}
    agents: dict[str, Any] = {}
    generated: dict[str, Any] = {}
    used: dict[str, Any] = {}
    associated: dict[str, Any] = {}
    derived: dict[str, Any] = {}
    for artifact_id in graph.artifact_ids():
        node = graph.node(artifact_id)
        entity = f"artifact:{_local(artifact_id)}"
        entities[entity] = _entity(artifact_id, node)
        if node is None or node.metadata.get("external") is True:
            continue  # only an input (external): nothing is known about how it was made
        activity = f"production:{_local(artifact_id)}"
        activities[activity] = _activity(node)
        generated[f"_:wgb{len(generated) + 1}"] = {
            "prov:entity": entity,
            "prov:activity": activity,
            "prov:time": format_timestamp(node.provenance.timestamp),
        }
        for parent in graph.parents(artifact_id):
            used[f"_:u{len(used) + 1}"] = {
                "prov:activity": activity,
                "prov:entity": f"artifact:{_local(parent)}",
            }
        if node.provenance.agent:
            agent = f"agent:{_local(node.provenance.agent)}"
            agents.setdefault(agent, {"prov:label": node.provenance.agent})
            associated[f"_:waw{len(associated) + 1}"] = {"prov:activity": activity, "prov:agent": agent}
    for artifact_id in graph.artifact_ids():
        for parent in graph.parents(artifact_id):
            edge = graph.edge(parent, artifact_id)
            kind = edge.transformation_type if edge else TransformationType.DERIVED
            relation: dict[str, Any] = {
                "prov:generatedEntity": f"artifact:{_local(artifact_id)}",
                "prov:usedEntity": f"artifact:{_local(parent)}",
                "lineage:transformationType": kind.value,
            }
            if graph.node(artifact_id) is not None:
                relation["prov:activity"] = f"production:{_local(artifact_id)}"
            if edge is not None and edge.description:
                relation["prov:label"] = edge.description
            if kind in _DERIVATION_SUBTYPE:
                relation["prov:type"] = _qname(_DERIVATION_SUBTYPE[kind])
            derived[f"_:wdf{len(derived) + 1}"] = relation
    document: dict[str, Any] = {"prefix": dict(NAMESPACES)}
    for section, content in (
        ("entity", entities),
        ("activity", activities),
        ("agent", agents),
        ("wasGeneratedBy", generated),
        ("used", used),
        ("wasAssociatedWith", associated),
        ("wasDerivedFrom", derived),
    ):
        if content:
            document[section] = content
    return document


class ProvJsonExporter:
    """The ``prov-json`` format (W3C PROV-JSON, one document)."""

    name = "prov-json"
    description = "W3C PROV-JSON: entities, production activities, agents and derivations."
    binary = False
    picture = False  # data: never cut to a picture's size

    def export(self, graph: LineageGraph, options: ExportOptions) -> bytes:
        """Render the graph as PROV-JSON; ``options.group_by`` does not apply to PROV."""
        return orjson.dumps(prov_document(graph), option=orjson.OPT_INDENT_2) + b"\n"


EXPORTERS: dict[str, Exporter] = {"prov-json": ProvJsonExporter()}
