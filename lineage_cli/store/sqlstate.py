"""The fold's state in SQL tables (PostgreSQL, or SQLite beside a store directory), read by key, written back.

Every read is an index probe on the keys given or one recursive query, so an incremental
build costs what the new events reach, not what the store holds. What differs between the two
databases is a :class:`Dialect`: how a statement names a set of keys, and how rows go in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import orjson

from lineage_cli.attributes import document_attributes
from lineage_cli.model import ArtifactStatus
from lineage_cli.store.fold import Fold, _Folder, _parse_time
from lineage_cli.store.incremental import Base, Delta, Node, merge_counts
from lineage_cli.store.index import REVERSED
from lineage_cli.store.nodes import HASH_MODULUS, Flow, StaleReason, node_digest

__all__ = [
    "ARTIFACT_COLUMNS",
    "EXTERNAL_ORD",
    "PG",
    "SQLITE",
    "Dialect",
    "SqlFoldState",
    "artifact_row",
    "attr_rows",
    "base_values",
    "copy_rows",
    "declared_rows",
    "read_base",
    "write_delta",
    "write_full",
]

_STATUS = {s.value: s for s in ArtifactStatus}


@dataclass(frozen=True, slots=True)
class Dialect:
    """How statements spell a set of keys (``@IN``: membership, ``@KEYS``: the keys as rows)."""

    member: str
    keys: str
    placeholder: str
    postgres: bool

    def sql(self, statement: str) -> str:
        """``statement`` in this dialect."""
        return (
            statement.replace(" @IN", self.member).replace("@KEYS", self.keys).replace("%s", self.placeholder)
        )

    def pack(self, ids: Collection[str]) -> Any:
        """A set of keys as one parameter."""
        return list(ids) if self.postgres else orjson.dumps(list(ids)).decode()

    def delete(self, cursor: Any, table: str, column: str, ids: Collection[str]) -> None:
        """Delete the rows of ``ids``."""
        if ids:
            cursor.execute(self.sql(f"DELETE FROM {table} WHERE {column} @IN"), (self.pack(ids),))


PG: Final = Dialect(
    member=" = ANY(%s)", keys='SELECT unnest(%s::text[]) COLLATE "C"', placeholder="%s", postgres=True
)
SQLITE: Final = Dialect(
    member=" IN (SELECT value FROM json_each(%s))", keys="SELECT value FROM json_each(%s)", placeholder="?",
    postgres=False,
)  # fmt: skip


def copy_rows(
    cursor: Any, table: str, columns: str, rows: Iterable[tuple[Any, ...]], dialect: Dialect = PG
) -> None:
    """Insert rows into ``table`` (PostgreSQL: ``COPY``, the fastest way in)."""
    if dialect.postgres:
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns.split(","))
    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


class SqlFoldState:
    """:class:`~lineage_cli.store.incremental.FoldState` over the tables, in the build's transaction."""

    def __init__(self, cursor: Any, dialect: Dialect = PG) -> None:
        self.cursor = cursor
        self.dialect = dialect

    def _rows(self, statement: str, ids: Collection[str]) -> list[Any]:
        if not ids:
            return []
        self.cursor.execute(self.dialect.sql(statement), (self.dialect.pack(ids),))
        return list(self.cursor.fetchall())

    def records(self, ids: Collection[str]) -> Iterator[tuple[str, int, int, bool, dict[str, Any]]]:
        """Every record of ``ids``, in fold order."""
        rows = self._rows(
            "SELECT artifact_id, seq, number, is_current, body FROM records WHERE artifact_id @IN"
            " ORDER BY artifact_id, number",
            ids,
        )
        for artifact_id, seq, number, is_current, body in rows:
            yield artifact_id, seq, number, is_current, orjson.loads(body)

    def flows(self, lineage_ids: Collection[str]) -> dict[str, Flow]:
        """Each flow's stored state."""
        rows = self._rows(
            "SELECT lineage_id, time, state, error, event_id FROM flows WHERE lineage_id @IN",
            lineage_ids,
        )
        return {lid: (_parse_time(t), _STATUS[s], e, i) for lid, t, s, e, i in rows}  # type: ignore[misc]

    def declared(self, lineage_ids: Collection[str]) -> dict[str, set[str]]:
        """Each flow's declared inputs."""
        found: dict[str, set[str]] = {}
        for lineage_id, source in self._rows(
            "SELECT lineage_id, input FROM declared WHERE lineage_id @IN", lineage_ids
        ):
            sources = found.setdefault(lineage_id, set())
            if source is not None:
                sources.add(source)
        return found

    def descriptions(self, ids: Collection[str]) -> list[dict[str, Any]]:
        """The description events about ``ids``."""
        rows = self._rows("SELECT body FROM described WHERE artifact_id @IN ORDER BY seq", ids)
        return [orjson.loads(body) for (body,) in rows]

    def artifacts_of_flows(self, lineage_ids: Collection[str]) -> set[str]:
        """The recorded artifacts whose current record belongs to the flows."""
        return {row[0] for row in self._rows("SELECT name FROM artifact WHERE lineage_id @IN", lineage_ids)}

    def descendants(self, ids: Collection[str]) -> set[str]:
        """Breadth first, one indexed query per level (``source`` probes), each artifact once.

        One recursive query was slower here: PostgreSQL plans its recursive term as a hash join
        over every edge, while the new events' artifacts usually have few descendants or none.
        """
        found = set(ids)
        level = sorted(found)
        while level:
            children = {c for cs in self.consumers(level).values() for c in cs}
            level = sorted(children - found)
            found.update(level)
        return found

    def inputs(self, ids: Collection[str]) -> dict[str, list[str]]:
        """Stored input edges, in position order."""
        found: dict[str, list[str]] = {}
        for target, source in self._rows(
            "SELECT target, source FROM edge WHERE target @IN ORDER BY target, position", ids
        ):
            found.setdefault(target, []).append(source)
        return found

    def consumers(self, ids: Collection[str]) -> dict[str, list[str]]:
        """Stored children."""
        found: dict[str, list[str]] = {}
        for source, target in self._rows(
            "SELECT source, target FROM edge WHERE source @IN ORDER BY source, target", ids
        ):
            found.setdefault(source, []).append(target)
        return found

    def nodes(self, ids: Collection[str]) -> dict[str, Node]:
        """Stored nodes (external ones have no ``ord``)."""
        rows = self._rows(
            "SELECT name, ord, lineage_id, doc, digest, status, stamp, edge_type FROM artifact"
            " WHERE name @IN AND doc IS NOT NULL",
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
        rows = self._rows("SELECT artifact_id, distance, reason FROM stale WHERE artifact_id @IN", ids)
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


def base_values(base: Base) -> tuple[Any, ...]:
    """The totals as ``read_base`` reads them back: events, last event time, digest sum ... has aliases.

    Examples
    --------
    >>> base_values(Base(3, None, 2, 255, {"fresh": 2}, 2, 1, False))[2:5]
    ('ff', 2, '{"fresh":2}')
    """
    return (
        base.events,
        base.last_event_time,
        f"{base.total:x}",
        base.next_ord,
        orjson.dumps(base.statuses).decode(),
        base.artifacts,
        base.edges,
        base.has_aliases,
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


def write_delta(cursor: Any, delta: Delta, dialect: Dialect = PG) -> None:
    """Replace the rows the delta changes (each table: delete those keys, insert the new rows)."""
    changed = sorted(delta.nodes)
    dialect.delete(cursor, "artifact", "name", sorted({*changed, *delta.removed}))
    copy_rows(
        cursor, "artifact", ARTIFACT_COLUMNS, (artifact_row(a, delta.nodes[a][0]) for a in changed), dialect
    )
    if dialect.postgres:  # the query index's selector table (a directory store rebuilds its index)
        dialect.delete(cursor, "attr", "name", sorted({*changed, *delta.removed}))
        copy_rows(cursor, "attr", "key, value, name", attr_rows((a, delta.nodes[a][1]) for a in changed))
    # A region node whose digest did not change kept its inputs, their type and its transformation.
    targets = sorted(a for a in delta.edges if a in delta.nodes)
    dialect.delete(cursor, "edge", "target", targets)
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
        dialect,
    )
    dialect.delete(cursor, "records", "artifact_id", delta.recorded)
    copy_rows(
        cursor,
        "records",
        "artifact_id, seq, number, is_current, first_seq, body",
        ((a, s, n, c, f, orjson.dumps(e).decode()) for a, s, n, c, f, e in delta.records),
        dialect,
    )
    dialect.delete(cursor, "flows", "lineage_id", sorted(delta.flows))
    copy_rows(
        cursor,
        "flows",
        "lineage_id, time, state, error, event_id",
        ((lid, t.isoformat(), s.value, e, i) for lid, (t, s, e, i) in delta.flows.items()),
        dialect,
    )
    dialect.delete(cursor, "declared", "lineage_id", sorted(delta.declared))
    copy_rows(cursor, "declared", "lineage_id, input", declared_rows(delta.declared), dialect)
    copy_rows(cursor, "described", "seq, body, artifact_id", delta.described, dialect)
    dialect.delete(cursor, "stale", "artifact_id", sorted(delta.stale))
    copy_rows(
        cursor,
        "stale",
        "artifact_id, distance, reason",
        (
            (aid, found[0], orjson.dumps(found[1].to_json()).decode())
            for aid, found in delta.stale.items()
            if found is not None
        ),
        dialect,
    )


def declared_rows(declared: dict[str, set[str]]) -> Iterator[tuple[str, str | None]]:
    """The ``declared`` rows of each flow's declared inputs (``None``: it declared it read nothing)."""
    for lineage_id, sources in declared.items():
        if not sources:
            yield lineage_id, None
        for source in sorted(sources):
            yield lineage_id, source


def _record_rows(folder: _Folder) -> Iterator[tuple[Any, ...]]:
    current, older = folder.current, folder.older
    for artifact_id, (_, seq, number, event) in current.items():
        records = [(seq, number, True, event)] + [
            (r[1], r[2], False, r[3]) for r in older.get(artifact_id, ())
        ]
        first = min(r[0] for r in records)
        for r_seq, r_number, is_current, r_event in records:
            yield artifact_id, r_seq, r_number, is_current, first, orjson.dumps(r_event).decode()


STATE_TABLES: Final = ("artifact", "edge", "records", "flows", "stale", "declared", "described")


def write_full(
    cursor: Any,
    folder: _Folder,
    fold: Fold,
    described: Iterable[tuple[int, str, str]],
    dialect: Dialect = PG,
) -> Base:
    """Replace the state tables' content with a full fold; return the totals the next build continues."""
    nodes = fold.nodes
    edge_types = {edge["target"]: edge["type"] for edge in fold.edges}
    rows: dict[str, Node] = {}
    total = 0
    current = folder.current
    for position, (artifact_id, doc) in enumerate(nodes.items()):
        kind = edge_types.get(artifact_id, "")
        digest = node_digest(artifact_id, doc, kind)
        total += digest
        recorded = artifact_id in current
        rows[artifact_id] = Node(
            position if recorded else None,
            current[artifact_id][3]["lineage_id"] if recorded else None,
            orjson.dumps(doc),
            digest,
            doc["status"],
            doc["provenance"]["timestamp"],
            kind,
        )
    for table in STATE_TABLES:
        cursor.execute(f"DELETE FROM {table}")
    columns = "artifact_id, seq, number, is_current, first_seq, body"
    copy_rows(cursor, "records", columns, _record_rows(folder), dialect)
    copy_rows(
        cursor,
        "flows",
        "lineage_id, time, state, error, event_id",
        (
            (lid, moment.isoformat(), state.value, error, event_id)
            for lid, (moment, state, error, event_id) in folder.flows.items()
        ),
        dialect,
    )
    copy_rows(
        cursor,
        "stale",
        "artifact_id, distance, reason",
        (
            (aid, fold.stale_distance[aid], orjson.dumps(reason.to_json()).decode())
            for aid, reason in fold.stale.items()
        ),
        dialect,
    )
    copy_rows(cursor, "declared", "lineage_id, input", declared_rows(folder.declared_inputs), dialect)
    copy_rows(cursor, "described", "seq, body, artifact_id", described, dialect)
    copy_rows(
        cursor, "artifact", ARTIFACT_COLUMNS, (artifact_row(aid, node) for aid, node in rows.items()), dialect
    )
    copy_rows(
        cursor,
        "edge",
        "source, target, ord, position, kind, description, metadata",
        (
            (source, aid, rows[aid].ord, position, rows[aid].edge_type, doc["transformation"], None)
            for aid, doc in nodes.items()
            for position, source in enumerate(doc["inputs"])
        ),
        dialect,
    )
    return Base(
        events=fold.events,
        last_event_time=fold.last_event_time,
        next_ord=len(current),
        total=total % HASH_MODULUS,
        statuses=merge_counts(fold.status_counts()),
        artifacts=len(nodes),
        edges=len(fold.edges),
        has_aliases=bool(folder.described.aliases),
    )
