"""Merge a lineage file into a store: each artifact becomes events that keep its timestamp."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any, Final

from lineage_cli.errors import InputError, LineageFileError
from lineage_cli.graph import LineageGraph, edge_to_document, node_to_document
from lineage_cli.interop.common import ImportResult, append_new_events, digest
from lineage_cli.lineagefile import load_graph
from lineage_cli.model import ArtifactStatus, LineageNode, TransformationType, format_timestamp
from lineage_cli.store.base import Store
from lineage_cli.store.events import (
    KIND_ARTIFACT,
    KIND_FLOW_FAILED,
    KIND_FLOW_STARTED,
    new_event,
)
from lineage_cli.store.layout import StorePaths

__all__ = ["SOURCE", "graph_events", "import_graph"]

SOURCE: Final = "lineage-file"
"""The ``source`` of the flow events a lineage-file import appends."""


def _transformation_type(graph: LineageGraph, node: LineageNode) -> tuple[TransformationType, str | None]:
    """The one type an artifact event carries for all its input edges, and a note when they differ."""
    kinds = Counter(
        edge.transformation_type
        for parent in graph.parents(node.artifact_id)
        if (edge := graph.edge(parent, node.artifact_id)) is not None
    )
    if not kinds:
        return TransformationType.GENERATED, None
    # Most common first; ties broken by name so the choice is deterministic.
    chosen = sorted(kinds.items(), key=lambda item: (-item[1], item[0].value))[0][0]
    if len(kinds) == 1:
        return chosen, None
    names = ", ".join(sorted(k.value for k in kinds))
    return chosen, (
        f"artifact {node.artifact_id!r}: its input edges have different transformation types "
        f"({names}); an event carries one, so all are recorded as {chosen.value!r}"
    )


def graph_events(graph: LineageGraph, name: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The events that record every artifact of ``graph``, and warnings on what they cannot carry.

    Each artifact gets one ``artifact_recorded`` event at its provenance timestamp, with its
    own flow (``lineage_id``). Status is kept: a FAILED artifact's flow also gets
    ``flow_started`` and ``flow_failed``; an IN_PROGRESS one only ``flow_started``; FRESH
    and STALE are left for ``lineage build`` to compute. Event ids are digests of the
    artifact's record and input edges, so importing the same file twice adds nothing and a
    changed record is appended. Events come out in timestamp order.

    Examples
    --------
    >>> g = LineageGraph.from_pairs([("raw", "clean")])
    >>> events, notes = graph_events(g, "g.json")
    >>> [(e["artifact_id"], e["inputs"], e["time"]) for e in events]
    [('clean', ['raw'], '1970-01-01T00:00:00Z'), ('raw', [], '1970-01-01T00:00:00Z')]
    """
    events: list[dict[str, Any]] = []
    notes: list[str] = []
    nodes = [graph.node_with_inputs(artifact_id) for artifact_id in graph.nodes]
    nodes.sort(key=lambda n: (n.provenance.timestamp, n.artifact_id))
    for node in nodes:
        kind, note = _transformation_type(graph, node)
        if note:
            notes.append(note)
        edges = [
            edge_to_document(edge)
            for parent in graph.parents(node.artifact_id)
            if (edge := graph.edge(parent, node.artifact_id)) is not None
        ]
        key = digest(node.artifact_id, node_to_document(node), edges)
        prov = node.provenance
        time = format_timestamp(prov.timestamp)
        common: dict[str, Any] = {
            "lineage_id": f"graph-{key}",
            "time": time,
            "agent": prov.agent,
            "workflow": prov.workflow,
            "stage": prov.stage,
        }
        flow: dict[str, Any] = {
            **common,
            "source": SOURCE,
            "job_id": None,
            "attributes": {"imported_from": name},
        }
        if node.status in (ArtifactStatus.FAILED, ArtifactStatus.IN_PROGRESS):
            events.append(new_event(KIND_FLOW_STARTED, event_id=f"graph-{key}-started", **flow))
        events.append(
            new_event(
                KIND_ARTIFACT,
                event_id=f"graph-{key}",
                **common,
                artifact_id=node.artifact_id,
                version=node.version,
                artifact_kind=None,
                inputs=list(node.inputs),
                transformation=node.transformation,
                transformation_type=kind.value,
                metadata=node.metadata,
                tool=prov.tool,
                environment=prov.environment,
            )
        )
        if node.status is ArtifactStatus.FAILED:
            error = f"marked failed in {name}"
            events.append(new_event(KIND_FLOW_FAILED, event_id=f"graph-{key}-failed", error=error, **flow))
    for edge in graph.edges:
        if edge.target not in graph.nodes:
            notes.append(
                f"edge {edge.source} -> {edge.target}: {edge.target!r} has no artifact record, "
                "so the edge cannot be recorded; skipped"
            )
    return events, notes


def import_graph(path: str | os.PathLike[str], store: StorePaths | Store) -> ImportResult:
    """Merge the lineage file at ``path`` (``-`` is stdin) into the store's event log.

    Artifacts keep their timestamps, so ``lineage build`` and time travel place them where
    they happened. ``warnings`` lists what an event cannot carry (an edge into an artifact
    with no record; input edges of mixed transformation types); everything else is imported.

    Raises
    ------
    LineageFileError
        When the file is missing or is not a valid lineage file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.lineagefile import save_graph
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> save_graph(LineageGraph.from_pairs([("raw", "clean")]), tmp / "g.json")
    >>> import_graph(tmp / "g.json", StorePaths(tmp / "store")).summary()
    '2 lineage-file artifacts read: 2 events appended, 0 duplicates skipped, 0 problems.'
    """
    name = "<stdin>" if str(path) == "-" else str(path)
    graph = load_graph(path)
    try:
        events, notes = graph_events(graph, name)
    except LineageFileError:
        raise
    except InputError as exc:  # a node decoded lazily: name the file too
        raise LineageFileError(name, exc.message, hint=exc.hint) from None
    count = len(graph.nodes)
    result = ImportResult(unit="lineage-file artifacts", read=count, artifacts=count, warnings=notes)
    append_new_events(store, events, result)
    return result
