"""A store directory's incremental build: the fold's state in SQLite beside the log, new bytes folded.

``state.sqlite`` keeps what the PostgreSQL store keeps in its tables (records, flows, declared
inputs, descriptions, nodes with their digests, edges, stale reasons; see
:mod:`lineage_cli.store.sqlstate`), the event ids seen, and how much of the log it folded with
the hash of the log's tail there. A build reads only the bytes past that offset (when the tail
hash still matches), applies them with :func:`lineage_cli.store.incremental.fold_new_events`,
patches the query index in place, and writes ``lineage.json`` from the stored rows or leaves it
to be written on demand (:mod:`lineage_cli.store.local.document`). A rewritten log, a log
with malformed lines, aliases or any doubt give a full fold instead, which rewrites the state.
The state is a cache: deleting it costs one full build.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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

__all__ = [
    "BUILD_PREFIX",
    "STATE_NAME",
    "Applied",
    "Finish",
    "apply_new_bytes",
    "new_token",
    "read_document",
    "save_full",
    "update_index",
    "write_from_state",
]

STATE_NAME: Final = "state.sqlite"
_FORMAT: Final = "2"  # 2 keeps the build's token, time and document size (a format-1 state folds whole)
BUILD_PREFIX: Final = "build:"
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


@dataclass(slots=True)
class Applied:
    """What a build folded into the state (see :func:`apply_new_bytes` and :func:`save_full`)."""

    base: Base
    log_bytes: int
    log_tail: str
    duplicates: int
    token: str
    """This build's token (``build:<id>``): what the index and ``built.json`` carry while
    ``lineage.json`` is left to be written on demand."""
    built_at: str
    doc_bytes: int = 0
    """The nodes' documents as compact JSON, summed: what decides whether the build writes
    ``lineage.json`` (:mod:`lineage_cli.store.local.document`)."""
    previous: str = ""
    """The token the query index carried when the state described it (``""``: none)."""
    delta: Delta | None = None
    """What changed (``None``: a full fold)."""
    changed: bool = True
    """``False``: no new bytes and everything the build leaves is current, so nothing was written."""


Finish = Callable[[Any, Applied], str]
"""Run inside the state's transaction before it commits: write or remove ``lineage.json`` and
bring the query index to this build; return the token the index now carries."""


def new_token() -> str:
    """A fresh build token.

    Examples
    --------
    >>> new_token().startswith(BUILD_PREFIX), new_token() != new_token()
    (True, True)
    """
    return BUILD_PREFIX + uuid.uuid4().hex


def save_full(
    paths: StorePaths,
    folder: _Folder,
    fold: Fold,
    *,
    log_lines: int,
    log_tail: str,
    built_at: str,
    finish: Finish,
) -> Applied | None:
    """Replace the state with a full fold's, run ``finish`` and commit; ``None``: no state was kept.

    The state is a cache: when it cannot be written, or the log has malformed lines (folded
    whole every time, so its problems are reported), the build writes everything from the fold.
    """
    path = paths.root / STATE_NAME
    with contextlib.suppress(OSError):
        path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    if fold.problems:
        return None
    try:
        connection = _connect(paths, create=True)
    except (OSError, sqlite3.Error):
        return None
    assert connection is not None
    try:  # closing without COMMIT rolls back: nothing half-written survives an error
        try:
            connection.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                connection.execute(statement)
            cursor = connection.cursor()
            base = write_full(cursor, folder, fold, _described_rows(folder), SQLITE)
            cursor.executemany("INSERT INTO seen VALUES (?)", ((i,) for i in folder.seen))
            (size,) = cursor.execute("SELECT coalesce(sum(length(doc)), 0) FROM artifact").fetchone()
            applied = Applied(
                base, fold.log_bytes, log_tail, fold.duplicates, new_token(), built_at, int(size)
            )
            _write_meta(cursor, applied, log_lines)
        except (OSError, sqlite3.Error):
            return None
        _commit(connection, finish(cursor, applied))
        return applied
    finally:
        connection.close()


def _commit(connection: sqlite3.Connection, token: str) -> None:
    """Record the token the index now carries and commit."""
    connection.execute("INSERT OR REPLACE INTO meta VALUES ('graph', ?)", (token,))
    connection.execute("COMMIT")


def _write_meta(cursor: Any, applied: Applied, log_lines: int) -> None:
    base = applied.base
    values = {
        "format": _FORMAT,
        "log_bytes": str(applied.log_bytes),
        "log_lines": str(log_lines),
        "log_tail": applied.log_tail,
        "duplicates": str(applied.duplicates),
        "graph": "",  # the token the index carries: set by _commit, once the build has written it
        "build": applied.token,
        "built_at": applied.built_at,
        "doc_bytes": str(applied.doc_bytes),
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


def apply_new_bytes(
    paths: StorePaths, *, built_at: str, finish: Finish, current: Callable[[str, int], bool]
) -> Applied | None:
    """Fold only the log bytes past the stored offset into the state; ``None``: fold the whole log.

    Inside the state's transaction (one builder at a time), ``finish`` then writes or removes
    ``lineage.json`` and patches the query index, and the transaction commits. When there are no
    new bytes and ``current(token, log_bytes)`` says everything the last build left is in place,
    nothing is written at all (the result has ``changed`` false).
    """
    from lineage_cli.store.snapshots import TAIL_BYTES, log_tail_hash

    try:
        connection = _connect(paths, create=False)
    except sqlite3.Error:
        return None
    if connection is None:
        return None
    try:  # closing without COMMIT rolls back
        try:
            connection.execute("BEGIN IMMEDIATE")  # one builder at a time: a second one waits here
            meta = _meta(connection)
            base = read_base(tuple(orjson.loads(meta["base"]))) if meta.get("format") == _FORMAT else None
            if base is None:
                return None
            offset, lines = int(meta["log_bytes"]), int(meta["log_lines"])
            start = max(0, offset - TAIL_BYTES)
            try:
                chunk = _read_from(paths, start)
            except OSError:
                return None
            if len(chunk) < offset - start or log_tail_hash(chunk, offset - start) != meta["log_tail"]:
                return None  # the log was rewritten or cut: fold it whole
            end = chunk.rfind(b"\n") + 1
            new = chunk[offset - start : end] if end > offset - start else b""
            previous = meta["graph"]
            applied = Applied(
                base, offset, meta["log_tail"], int(meta["duplicates"]), meta["build"], meta["built_at"],
                int(meta["doc_bytes"]), previous,
            )  # fmt: skip
            if not new and previous and current(previous, offset):
                applied.changed = False
                return applied
            cursor = connection.cursor()
            fold = _fold_bytes(paths, cursor, base, new, lines)
            if fold is None:
                return None
            delta, ids, duplicates = fold
            changed = sorted(delta.nodes)
            before = _doc_bytes(cursor, [*changed, *delta.removed])
            write_delta(cursor, delta, SQLITE)
            cursor.executemany("INSERT OR IGNORE INTO seen VALUES (?)", ((i,) for i in ids))
            applied = Applied(
                delta.base,
                start + end,
                log_tail_hash(chunk, end),
                applied.duplicates + duplicates,
                new_token(),
                built_at,
                applied.doc_bytes - before + _doc_bytes(cursor, changed),
                previous,
                delta,
            )
            _write_meta(cursor, applied, lines + new.count(b"\n"))
        except sqlite3.Error:
            return None
        _commit(connection, finish(cursor, applied))
        return applied
    finally:
        connection.close()


def _doc_bytes(cursor: Any, ids: list[str]) -> int:
    """The summed size of the stored documents of ``ids``."""
    if not ids:
        return 0
    (size,) = cursor.execute(
        "SELECT coalesce(sum(length(doc)), 0) FROM artifact WHERE name IN (SELECT value FROM json_each(?))",
        (orjson.dumps(ids).decode(),),
    ).fetchone()
    return int(size)


def _fold_bytes(
    paths: StorePaths, cursor: Any, base: Base, new: bytes, lines: int
) -> tuple[Delta, list[str], int] | None:
    """The new bytes' delta, their event ids and how many were resent (``None``: fold the whole log)."""
    try:
        parsed = list(parse_events(new, str(paths.events), first_line=lines + 1, check=False))
    except LineageFileError:
        return None
    ids = [e["event_id"] for _, e in parsed if isinstance(e, dict) and type(e.get("event_id")) is str]
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

    try:
        delta = fold_new_events(SqlFoldState(cursor, SQLITE), base, rows, feed)
    except _FullFoldNeeded:
        return None
    return None if delta is None else (delta, ids, duplicates)


def update_index(paths: StorePaths, previous: str, delta: Delta, token: str) -> bool:
    """Apply ``delta`` to the query index in place, which then carries ``token`` (``False``: rebuild it)."""
    from lineage_cli.store.index import update_index_rows

    if not previous:
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
            fingerprint=token,
            artifacts={aid: doc for aid, (_, doc) in delta.nodes.items()},
            removed=delta.removed,
            edges=edges,
        )
    except OSError:
        return False


def write_from_state(
    paths: StorePaths, write: Callable[[str, dict[str, Any], list[dict[str, Any]]], str]
) -> bool:
    """Write ``lineage.json`` from the state, under the builder's lock; ``False``: no usable state.

    ``write(built_at, nodes, edges)`` writes the document and returns the token (fingerprint) of
    the file written. Nothing is written when ``lineage.json`` exists (another process wrote it,
    or a build did). The index, when it describes the state, is told the file's fingerprint.
    """
    from lineage_cli.store.indexwrite import retoken_index

    try:
        connection = _connect(paths, create=False)
    except sqlite3.Error:
        return False
    if connection is None:
        return False
    try:  # closing without COMMIT rolls back
        connection.execute("BEGIN IMMEDIATE")  # a build in progress finishes first
        if paths.graph.exists():
            return True
        meta = _meta(connection)
        if meta.get("format") != _FORMAT or not meta.get("graph"):
            return False
        nodes, edges = _document(connection.cursor())
        token = write(meta["built_at"], nodes, edges)
        retoken_index(paths, meta["graph"], token)
        _commit(connection, token)
        return True
    except sqlite3.Error:
        return False
    finally:
        connection.close()


def read_document(cursor: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The graph's nodes and edges from the stored rows, in the full fold's order (:func:`_document`)."""
    return _document(cursor)
