"""A store directory's incremental build: the fold's state in SQLite beside the log, new bytes folded.

``state.sqlite`` keeps what the PostgreSQL store keeps in its tables (records, flows, declared
inputs, descriptions, nodes with their digests, edges, stale reasons; see
:mod:`lineage_cli.store.sqlstate`), the event ids seen, and how much of the log it folded with
the hash of the log's tail there. A build reads only the bytes past that offset (when the tail
hash still matches), applies them with :func:`lineage_cli.store.incremental.fold_new_events`,
and writes ``lineage.json`` and the query index from the stored rows. A rewritten log, a log
with malformed lines, aliases or any doubt give a full fold instead, which rewrites the state.
The state is a cache: deleting it costs one full build.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import orjson

from lineage_cli.errors import LineageFileError
from lineage_cli.store.events import parse_events
from lineage_cli.store.incremental import Base, Delta, fold_new_events
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.sqlstate import SQLITE, SqlFoldState, read_base, write_delta, write_full

if TYPE_CHECKING:
    from lineage_cli.store.build import Fold, _Folder

__all__ = ["STATE_NAME", "apply_new_bytes", "mark_graph", "save_full", "update_index"]

STATE_NAME: Final = "state.sqlite"
_FORMAT: Final = "1"
_SCHEMA: Final = [
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE artifact (name TEXT PRIMARY KEY, doc BLOB, ord INTEGER, lineage_id TEXT, digest TEXT,"
    " status TEXT, stamp TEXT, edge_type TEXT)",
    "CREATE INDEX artifact_by_flow ON artifact (lineage_id)",
    "CREATE INDEX artifact_in_order ON artifact (ord, name)",
    "CREATE TABLE edge (source TEXT NOT NULL, target TEXT NOT NULL, ord INTEGER NOT NULL,"
    " position INTEGER NOT NULL, kind TEXT NOT NULL, description TEXT NOT NULL, metadata BLOB)",
    "CREATE INDEX edge_by_source ON edge (source, target)",
    "CREATE INDEX edge_by_target ON edge (target, position)",
    "CREATE TABLE records (artifact_id TEXT NOT NULL, seq INTEGER NOT NULL, number INTEGER NOT NULL,"
    " is_current INTEGER NOT NULL, first_seq INTEGER NOT NULL, body TEXT NOT NULL,"
    " PRIMARY KEY (artifact_id, seq))",
    "CREATE TABLE flows (lineage_id TEXT PRIMARY KEY, time TEXT NOT NULL, state TEXT NOT NULL,"
    " error TEXT, event_id TEXT NOT NULL)",
    "CREATE TABLE declared (lineage_id TEXT NOT NULL, input TEXT)",
    "CREATE INDEX declared_by_flow ON declared (lineage_id)",
    "CREATE TABLE described (seq INTEGER NOT NULL, body TEXT NOT NULL, artifact_id TEXT)",
    "CREATE INDEX described_by_artifact ON described (artifact_id)",
    "CREATE TABLE stale (artifact_id TEXT PRIMARY KEY, distance INTEGER NOT NULL, reason TEXT NOT NULL)",
    "CREATE TABLE seen (event_id TEXT PRIMARY KEY) WITHOUT ROWID",
]


class _FullFoldNeeded(Exception):
    """The new bytes cannot be applied incrementally (a malformed line, an alias...)."""


def _connect(paths: StorePaths, *, create: bool) -> sqlite3.Connection | None:
    path = paths.root / STATE_NAME
    if not create and not path.is_file():
        return None
    connection = sqlite3.connect(path, isolation_level=None, timeout=600)  # one builder at a time
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def _meta(connection: sqlite3.Connection) -> dict[str, str]:
    try:
        return dict(connection.execute("SELECT name, value FROM meta").fetchall())
    except sqlite3.Error:
        return {}


def _described_rows(folder: _Folder) -> Iterator[tuple[int, str, str]]:
    """The description events the fold kept (their metadata; aliases force a full fold anyway)."""
    position = 0
    for artifact_id, updates in folder.described._metadata.items():
        for moment, event_id, metadata in updates:
            position += 1
            body = {"artifact_id": artifact_id, "time": moment.isoformat(), "event_id": event_id}
            yield position, orjson.dumps({**body, "metadata": metadata}).decode(), artifact_id


def save_full(
    paths: StorePaths, folder: _Folder, fold: Fold, *, log_lines: int, log_tail: str
) -> Base | None:
    """Replace the state with a full fold's and return its totals (best effort: the state is a cache)."""
    path = paths.root / STATE_NAME
    with contextlib.suppress(OSError):
        path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    if fold.problems:
        return None  # a log with malformed lines is folded whole every time, so its problems are reported
    with contextlib.suppress(OSError, sqlite3.Error):
        connection = _connect(paths, create=True)
        assert connection is not None
        try:
            connection.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                connection.execute(statement)
            cursor = connection.cursor()
            base = write_full(cursor, folder, fold, _described_rows(folder), SQLITE)
            cursor.executemany("INSERT INTO seen VALUES (?)", ((i,) for i in folder.seen))
            _write_meta(cursor, base, fold.log_bytes, log_lines, log_tail, fold.duplicates)
            connection.execute("COMMIT")
            return base
        finally:
            connection.close()
    return None


def _write_meta(
    cursor: Any, base: Base, log_bytes: int, log_lines: int, log_tail: str, duplicates: int
) -> None:
    values = {
        "format": _FORMAT,
        "log_bytes": str(log_bytes),
        "log_lines": str(log_lines),
        "log_tail": log_tail,
        "duplicates": str(duplicates),
        "graph": "",  # the lineage.json this state describes: none until the build writes it
        "base": orjson.dumps(
            [None, base.events, base.last_event_time, None, f"{base.total:x}", base.next_ord,
             orjson.dumps(base.statuses).decode(), base.artifacts, base.edges, base.has_aliases]
        ).decode(),
    }  # fmt: skip
    cursor.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())


def _read_from(paths: StorePaths, offset: int) -> bytes:
    """The log's bytes from ``offset`` on, under the shared lock (whole lines, as :func:`read_log`)."""
    with paths.events.open("rb") as log:
        fcntl.flock(log.fileno(), fcntl.LOCK_SH)
        try:
            log.seek(offset)
            return log.read()
        finally:
            fcntl.flock(log.fileno(), fcntl.LOCK_UN)


def _document(cursor: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The graph's nodes and edges from the stored rows, in the full fold's order."""
    nodes = {
        name: orjson.loads(doc)
        for name, doc in cursor.execute(
            "SELECT name, doc FROM artifact WHERE doc IS NOT NULL ORDER BY ord, name"
        )
    }
    edges = [
        {"source": s, "target": t, "type": k, "description": d, "metadata": {}}
        for s, t, k, d in cursor.execute(
            "SELECT source, target, kind, description FROM edge ORDER BY ord, position"
        )
    ]
    return nodes, edges


def apply_new_bytes(paths: StorePaths, *, skip_bad: bool) -> tuple[Fold, Base, str, Delta, str | None] | None:
    """Fold only the log bytes past the stored offset into the state; ``None``: fold the whole log.

    Returns the fold to write (nodes and edges read back from the state), the totals, the hash
    of the log's tail at the new offset, what changed, and the fingerprint of the
    ``lineage.json`` the state described before (``None``: unknown; see :func:`mark_graph`).
    """
    from lineage_cli.store.build import Fold
    from lineage_cli.store.snapshots import TAIL_BYTES, log_tail_hash

    del skip_bad  # a malformed line sends the build to a full fold, which reports it as it should
    try:
        connection = _connect(paths, create=False)
    except sqlite3.Error:
        return None
    if connection is None:
        return None
    try:
        connection.execute("BEGIN IMMEDIATE")  # one builder at a time: a second one waits here
        meta = _meta(connection)
        if meta.get("format") != _FORMAT:
            connection.execute("ROLLBACK")
            return None
        offset, lines = int(meta["log_bytes"]), int(meta["log_lines"])
        start = max(0, offset - TAIL_BYTES)
        try:
            chunk = _read_from(paths, start)
        except OSError:
            connection.execute("ROLLBACK")
            return None
        if len(chunk) < offset - start or log_tail_hash(chunk, offset - start) != meta["log_tail"]:
            connection.execute("ROLLBACK")
            return None  # the log was rewritten or cut: fold it whole
        end = chunk.rfind(b"\n") + 1
        new = chunk[offset - start : end] if end > offset - start else b""
        name = str(paths.events)
        try:
            parsed = list(parse_events(new, name, first_line=lines + 1, check=False))
        except LineageFileError:
            connection.execute("ROLLBACK")
            return None
        ids = [e.get("event_id") for _, e in parsed if isinstance(e, dict) and type(e.get("event_id")) is str]
        cursor = connection.cursor()
        known = {
            row[0]
            for row in cursor.execute(
                "SELECT event_id FROM seen WHERE event_id IN (SELECT value FROM json_each(?))",
                (orjson.dumps(ids).decode(),),
            )
        }
        rows = [(number, orjson.dumps(event).decode()) for number, event in parsed]
        duplicates = 0

        def feed(folder: _Folder, new_rows: list[tuple[int, str]]) -> None:
            nonlocal duplicates
            folder.seen.update(known)
            for number, event in parsed:
                if folder.add(number, event) is not None:
                    raise _FullFoldNeeded
            duplicates = folder.duplicates
            del new_rows

        base = read_base(tuple(orjson.loads(meta["base"])))
        if base is None:
            connection.execute("ROLLBACK")
            return None
        try:
            delta = fold_new_events(SqlFoldState(cursor, SQLITE), base, rows, feed)
        except _FullFoldNeeded:
            delta = None
        if delta is None:
            connection.execute("ROLLBACK")
            return None
        write_delta(cursor, delta, SQLITE)
        cursor.executemany("INSERT OR IGNORE INTO seen VALUES (?)", ((i,) for i in ids))
        tail = log_tail_hash(chunk, end)
        total_duplicates = int(meta["duplicates"]) + duplicates
        new_lines = lines + new.count(b"\n")
        _write_meta(cursor, delta.base, start + end, new_lines, tail, total_duplicates)
        nodes, edges = _document(cursor)
        connection.execute("COMMIT")
    except sqlite3.Error:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        return None
    finally:
        connection.close()
    fold = Fold(
        nodes=nodes,
        edges=edges,
        events=delta.base.events,
        duplicates=total_duplicates,
        problems=[],
        log_bytes=start + end,
        last_event_time=delta.base.last_event_time,
    )
    return fold, delta.base, tail, delta, meta.get("graph") or None


def update_index(paths: StorePaths, previous: str | None, delta: Delta) -> bool:
    """Apply ``delta`` to the query index in place (``False``: it must be rebuilt)."""
    from lineage_cli.store.index import graph_fingerprint, update_index_rows

    if previous is None:
        return False
    edges = {
        target: [(source, delta.nodes[target][0].edge_type, delta.nodes[target][1]["transformation"])
                 for source in sources]
        for target, sources in delta.edges.items()
        if target in delta.nodes
    }  # fmt: skip
    try:
        return update_index_rows(
            paths,
            previous=previous,
            fingerprint=graph_fingerprint(paths.graph),
            artifacts={aid: doc for aid, (_, doc) in delta.nodes.items()},
            removed=delta.removed,
            edges=edges,
        )
    except OSError:
        return False


def mark_graph(paths: StorePaths, fingerprint: str | None) -> None:
    """Record that the state describes the ``lineage.json`` with this fingerprint (best effort).

    The query index is patched in place only when the state, the index and ``lineage.json``
    all describe the same build (a build written elsewhere with ``--output`` moves the state on).
    """
    if fingerprint is None:
        return
    with contextlib.suppress(sqlite3.Error, OSError):
        connection = _connect(paths, create=False)
        if connection is not None:
            try:
                connection.execute("INSERT OR REPLACE INTO meta VALUES ('graph', ?)", (fingerprint,))
            finally:
                connection.close()
