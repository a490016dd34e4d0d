"""The fold's state in PostgreSQL tables, read by key for an incremental build, and its delta written back.

Every read is an index probe on the keys given (``= ANY(%s)``) or one recursive query, so an
incremental build costs what the new events reach, not what the store holds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any

import orjson

from lineage_cli.attributes import document_attributes
from lineage_cli.model import ArtifactStatus
from lineage_cli.store.build import _parse_time
from lineage_cli.store.incremental import Base, Delta, Node
from lineage_cli.store.index import REVERSED
from lineage_cli.store.nodes import Flow, StaleReason

__all__ = [
    "ARTIFACT_COLUMNS",
    "EXTERNAL_ORD",
    "PgFoldState",
    "artifact_row",
    "attr_rows",
    "copy_rows",
    "declared_rows",
    "read_base",
    "write_base",
    "write_delta",
]

_STATUS = {s.value: s for s in ArtifactStatus}


def copy_rows(cursor: Any, table: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """``COPY`` rows into ``table`` (the fastest way in)."""
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


class PgFoldState:
    """:class:`~lineage_cli.store.incremental.FoldState` over the tables, in the build's transaction."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def _rows(self, statement: str, ids: Collection[str]) -> list[Any]:
        if not ids:
            return []
        self.cursor.execute(statement, (list(ids),))
        return list(self.cursor.fetchall())

    def records(self, ids: Collection[str]) -> Iterator[tuple[str, int, int, bool, dict[str, Any]]]:
        """Every record of ``ids``, in fold order."""
        rows = self._rows(
            "SELECT artifact_id, seq, number, is_current, body FROM records WHERE artifact_id = ANY(%s)"
            " ORDER BY artifact_id, number",
            ids,
        )
        for artifact_id, seq, number, is_current, body in rows:
            yield artifact_id, seq, number, is_current, orjson.loads(body)

    def flows(self, lineage_ids: Collection[str]) -> dict[str, Flow]:
        """Each flow's stored state."""
        rows = self._rows(
            "SELECT lineage_id, time, state, error, event_id FROM flows WHERE lineage_id = ANY(%s)",
            lineage_ids,
        )
        return {lid: (_parse_time(t), _STATUS[s], e, i) for lid, t, s, e, i in rows}  # type: ignore[misc]

    def declared(self, lineage_ids: Collection[str]) -> dict[str, set[str]]:
        """Each flow's declared inputs."""
        found: dict[str, set[str]] = {}
        for lineage_id, source in self._rows(
            "SELECT lineage_id, input FROM declared WHERE lineage_id = ANY(%s)", lineage_ids
        ):
            sources = found.setdefault(lineage_id, set())
            if source is not None:
                sources.add(source)
        return found

    def descriptions(self, ids: Collection[str]) -> list[dict[str, Any]]:
        """The description events about ``ids``."""
        rows = self._rows("SELECT body FROM described WHERE artifact_id = ANY(%s) ORDER BY seq", ids)
        return [orjson.loads(body) for (body,) in rows]

    def artifacts_of_flows(self, lineage_ids: Collection[str]) -> set[str]:
        """The recorded artifacts whose current record belongs to the flows."""
        return {
            row[0] for row in self._rows("SELECT name FROM artifact WHERE lineage_id = ANY(%s)", lineage_ids)
        }

    def descendants(self, ids: Collection[str]) -> set[str]:
        """One recursive query; ``UNION`` drops rows already found, so a cycle ends it."""
        rows = self._rows(
            'WITH RECURSIVE d(name) AS (SELECT unnest(%s::text[]) COLLATE "C" UNION'
            " SELECT e.target FROM edge e JOIN d ON e.source = d.name) SELECT name FROM d",
            ids,
        )
        return {row[0] for row in rows}

    def inputs(self, ids: Collection[str]) -> dict[str, list[str]]:
        """Stored input edges, in position order."""
        found: dict[str, list[str]] = {}
        for target, source in self._rows(
            "SELECT target, source FROM edge WHERE target = ANY(%s) ORDER BY target, position", ids
        ):
            found.setdefault(target, []).append(source)
        return found

    def consumers(self, ids: Collection[str]) -> dict[str, list[str]]:
        """Stored children."""
        found: dict[str, list[str]] = {}
        for source, target in self._rows(
            "SELECT source, target FROM edge WHERE source = ANY(%s) ORDER BY source, target", ids
        ):
            found.setdefault(source, []).append(target)
        return found

    def nodes(self, ids: Collection[str]) -> dict[str, Node]:
        """Stored nodes (external ones have no ``ord``)."""
        rows = self._rows(
            "SELECT name, ord, lineage_id, doc, digest, status, stamp, edge_type FROM artifact"
            " WHERE name = ANY(%s) AND doc IS NOT NULL",
            ids,
        )
        return {
            name: Node(
                None if lineage_id is None else ord_,
                lineage_id,
                bytes(doc),
                int(digest, 16),
                status,
                stamp,
                edge_type or "",
            )
            for name, ord_, lineage_id, doc, digest, status, stamp, edge_type in rows
        }

    def stale(self, ids: Collection[str]) -> dict[str, tuple[int, StaleReason]]:
        """Stored stale reasons with their distance."""
        rows = self._rows("SELECT artifact_id, distance, reason FROM stale WHERE artifact_id = ANY(%s)", ids)
        return {aid: (distance, StaleReason.from_json(orjson.loads(r))) for aid, distance, r in rows}


def read_base(row: tuple[Any, ...]) -> Base | None:
    """The ``build_state`` totals (``None``: written by a full build of an older version)."""
    _, events, last_event_time, _, total, next_ord, statuses, artifacts, edges, has_aliases = row
    if total is None:
        return None
    return Base(
        events=int(events),
        last_event_time=last_event_time,
        next_ord=int(next_ord),
        total=int(total, 16),
        statuses=orjson.loads(statuses),
        artifacts=int(artifacts),
        edges=int(edges),
        has_aliases=bool(has_aliases),
    )


def write_base(cursor: Any, horizon: str, base: Base, graph_hash: str) -> None:
    """Record what this build left (totals, counters, horizon)."""
    cursor.execute(
        "UPDATE build_state SET horizon = %s::xid8, events = %s, last_event_time = %s, graph_hash = %s,"
        " digest_sum = %s, next_ord = %s, statuses = %s, artifacts = %s, edges = %s, has_aliases = %s",
        (
            horizon,
            base.events,
            base.last_event_time,
            graph_hash,
            f"{base.total:x}",
            base.next_ord,
            orjson.dumps(base.statuses).decode(),
            base.artifacts,
            base.edges,
            base.has_aliases,
        ),
    )


def attr_rows(nodes: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, str, str]]:
    """The ``attr`` rows of nodes: their selector attributes, and each id reversed."""
    for artifact_id, doc in nodes:
        for key, value in document_attributes(artifact_id, doc):
            yield key, value, artifact_id
        yield REVERSED, artifact_id[::-1], artifact_id


def artifact_row(artifact_id: str, node: Node) -> tuple[Any, ...]:
    """The ``artifact`` row of a node (externals sort after every recorded artifact, by name)."""
    return (
        artifact_id,
        node.doc,
        EXTERNAL_ORD if node.ord is None else node.ord,
        node.lineage_id,
        f"{node.digest:032x}",
        node.status,
        node.stamp,
        node.edge_type,
    )


ARTIFACT_COLUMNS = "name, doc, ord, lineage_id, digest, status, stamp, edge_type"
EXTERNAL_ORD = 1 << 62
"""The ``ord`` of every external node: after the recorded ones (``ORDER BY ord, name``)."""


def write_delta(cursor: Any, delta: Delta) -> None:
    """Replace the rows the delta changes (each table: delete those keys, copy the new rows)."""
    changed = sorted(delta.nodes)
    gone = sorted({*changed, *delta.removed})
    if gone:
        cursor.execute("DELETE FROM artifact WHERE name = ANY(%s)", (gone,))
        cursor.execute("DELETE FROM attr WHERE name = ANY(%s)", (gone,))
    copy_rows(cursor, "artifact", ARTIFACT_COLUMNS, (artifact_row(a, delta.nodes[a][0]) for a in changed))
    copy_rows(cursor, "attr", "key, value, name", attr_rows((a, delta.nodes[a][1]) for a in changed))
    # A region node whose digest did not change kept its inputs, their type and its transformation.
    targets = sorted(a for a in delta.edges if a in delta.nodes)
    if targets:
        cursor.execute("DELETE FROM edge WHERE target = ANY(%s)", (targets,))
        copy_rows(
            cursor,
            "edge",
            "source, target, ord, position, kind, description, metadata",
            (
                (source, target, node.ord, position, node.edge_type, doc["transformation"], None)
                for target in targets
                for node, doc in (delta.nodes[target],)
                for position, source in enumerate(delta.edges[target])
            ),
        )
    if delta.recorded:
        cursor.execute("DELETE FROM records WHERE artifact_id = ANY(%s)", (delta.recorded,))
        copy_rows(
            cursor,
            "records",
            "artifact_id, seq, number, is_current, first_seq, body",
            ((a, s, n, c, f, orjson.dumps(e).decode()) for a, s, n, c, f, e in delta.records),
        )
    if delta.flows:
        cursor.execute("DELETE FROM flows WHERE lineage_id = ANY(%s)", (sorted(delta.flows),))
        copy_rows(
            cursor,
            "flows",
            "lineage_id, time, state, error, event_id",
            ((lid, t.isoformat(), s.value, e, i) for lid, (t, s, e, i) in delta.flows.items()),
        )
    if delta.declared:
        cursor.execute("DELETE FROM declared WHERE lineage_id = ANY(%s)", (sorted(delta.declared),))
        copy_rows(cursor, "declared", "lineage_id, input", declared_rows(delta.declared))
    copy_rows(cursor, "described", "seq, body, artifact_id", delta.described)
    if delta.stale:
        cursor.execute("DELETE FROM stale WHERE artifact_id = ANY(%s)", (sorted(delta.stale),))
        copy_rows(
            cursor,
            "stale",
            "artifact_id, distance, reason",
            (
                (aid, found[0], orjson.dumps(found[1].to_json()).decode())
                for aid, found in delta.stale.items()
                if found is not None
            ),
        )


def declared_rows(declared: dict[str, set[str]]) -> Iterator[tuple[str, str | None]]:
    """The ``declared`` rows of each flow's declared inputs (``None``: it declared it read nothing)."""
    for lineage_id, sources in declared.items():
        if not sources:
            yield lineage_id, None
        for source in sorted(sources):
            yield lineage_id, source
