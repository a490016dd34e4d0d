"""Queries as of a moment on PostgreSQL, by index probes instead of replaying the log.

An artifact's record at ``T`` is its latest record at or before ``T`` (later time wins; on a
tie, the later in build order ``(tx, seq)``), exactly as the fold chooses, so parents are one
probe per artifact, and children are the records that named the artifact as an input (a GIN
index), each checked to still be current at ``T``. A walk therefore costs what its answer
costs. Anything else a query asks (a node's record with its status, an edge, every id) comes
from the fold of the events up to ``T`` (:meth:`PostgresStore.document_at`), built once, on
first use: statuses depend on flows and on staleness upstream, which only the fold decides.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from lineage_cli.errors import UnknownArtifactError
from lineage_cli.graph import LineageGraph
from lineage_cli.model import LineageEdge, LineageNode
from lineage_cli.store.build import _bad_artifact

__all__ = ["AsOfView"]


class AsOfView:
    """A :class:`~lineage_cli.graph.GraphView` of a PostgreSQL store's graph at ``moment``."""

    def __init__(self, fetch: Callable[[str, tuple[Any, ...]], list[Any]], moment: datetime,
                 whole: Callable[[], LineageGraph]) -> None:  # fmt: skip
        self._fetch = fetch
        self._moment = moment
        self._whole = whole
        self._graph: LineageGraph | None = None
        self._records: dict[str, dict[str, Any] | None] = {}
        self._children: dict[str, tuple[str, ...]] = {}

    def graph(self) -> LineageGraph:
        """The whole graph at the moment (the fold), for what probes cannot answer."""
        if self._graph is None:
            self._graph = self._whole()
        return self._graph

    def _record(self, artifact_id: str) -> dict[str, Any] | None:
        if artifact_id not in self._records:
            rows = self._fetch(
                "SELECT body FROM events WHERE artifact_id = %s AND time <= %s"
                " ORDER BY time DESC, tx DESC, seq DESC",
                (artifact_id, self._moment),
            )
            found = None
            for (body,) in rows:  # the latest valid record: the fold skips a malformed one
                event = orjson.loads(body)
                if event.get("artifact_id") == artifact_id and _bad_artifact(event) is None:
                    found = event
                    break
            self._records[artifact_id] = found
        return self._records[artifact_id]

    def parents(self, artifact_id: str) -> tuple[str, ...]:
        """Inputs of the artifact's record at the moment, sorted."""
        record = self._record(artifact_id)
        return tuple(sorted(set(record.get("inputs") or ()))) if record else ()

    def children(self, artifact_id: str) -> tuple[str, ...]:
        """Artifacts whose record at the moment reads this one, sorted."""
        if artifact_id not in self._children:
            rows = self._fetch(
                "SELECT DISTINCT artifact_id FROM events WHERE artifact_id IS NOT NULL"
                " AND (body::jsonb) -> 'inputs' @> jsonb_build_array(%s::text) AND time <= %s",
                (artifact_id, self._moment),
            )
            found = sorted(t for (t,) in rows if artifact_id in self.parents(t))
            self._children[artifact_id] = tuple(found)
        return self._children[artifact_id]

    def __contains__(self, artifact_id: object) -> bool:
        if not isinstance(artifact_id, str):
            return False
        return self._record(artifact_id) is not None or bool(self.children(artifact_id))

    def require(self, artifact_id: str) -> str:
        """The id if known at the moment; else the fold's error, with its close matches."""
        if artifact_id in self:
            return artifact_id
        self.graph().require(artifact_id)
        raise UnknownArtifactError(artifact_id)  # pragma: no cover  (require raised)

    def node(self, artifact_id: str) -> LineageNode | None:
        """The record with its status at the moment (from the fold)."""
        return self.graph().node(artifact_id)

    def edge(self, source: str, target: str) -> LineageEdge | None:
        """The edge at the moment (from the fold)."""
        return self.graph().edge(source, target)

    def artifact_ids(self) -> list[str]:
        """Every id at the moment (from the fold)."""
        return list(self.graph().artifact_ids())
