"""The query index's schema and how it is written: whole (after a full build) or patched in place.

:mod:`lineage_cli.store.index` reads it (:class:`~lineage_cli.store.index.SqlIndex`); this
module creates the tables, fills them from a graph or from a build's rows, and applies an
incremental build's changes (see README, "Performance").
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, Final

import orjson

from lineage_cli.attributes import document_attributes
from lineage_cli.graph import LineageGraph, gc_paused
from lineage_cli.store.layout import StorePaths

__all__ = [
    "INDEX_FORMAT",
    "REVERSED",
    "SQLITE",
    "ArtifactRow",
    "Dialect",
    "EdgeRow",
    "build_index",
    "build_index_rows",
    "graph_fingerprint",
    "index_token",
    "retoken_index",
    "update_index_rows",
    "write_index",
    "write_rows",
]

INDEX_FORMAT: Final = "2"
"""Bumped when the schema changes; an index of another format is rebuilt."""


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between SQL databases for this schema: placeholder and binary type."""

    placeholder: str
    blob: str

    def sql(self, statement: str) -> str:
        """``statement`` with each ``?`` replaced by this dialect's placeholder."""
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)


SQLITE: Final = Dialect(placeholder="?", blob="BLOB")
"""SQLite, from the standard library (PostgreSQL would be ``Dialect("%s", "BYTEA")``)."""

ArtifactRow = tuple[str, dict[str, Any] | None]
"""``(artifact id, its node document)``; ``None`` for an id that is only an endpoint."""

EdgeRow = tuple[str, str, int, str, str, bytes | None]
"""``(source, target, position, type, description, metadata JSON or None)``."""


def _schema(dialect: Dialect) -> list[str]:
    return [
        "CREATE TABLE meta (name VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)",
        # doc is NULL for an id that appears only as an edge endpoint.
        f"CREATE TABLE artifact (name TEXT PRIMARY KEY, doc {dialect.blob})",
        # position keeps LineageGraph.edges order: explicit edges first, then implicit ones.
        "CREATE TABLE edge (source TEXT NOT NULL, target TEXT NOT NULL, position INTEGER NOT NULL,"
        f" kind VARCHAR(32) NOT NULL, description TEXT NOT NULL, metadata {dialect.blob})",
        # Other names of artifacts (a node's aliases), for GraphView.alias_of.
        "CREATE TABLE alias (name TEXT PRIMARY KEY, artifact TEXT NOT NULL)",
        # What selectors test (workflow:, status:, tag: ...; see lineage_cli.attributes), and
        # each id reversed under REVERSED, so a short name (a suffix) is a range scan too.
        "CREATE TABLE attr (key VARCHAR(16) NOT NULL, value TEXT NOT NULL, name TEXT NOT NULL)",
    ]


# Built after the rows are in: one sort per index instead of a B-tree insert per row.
_INDEXES = [
    "CREATE INDEX edge_by_source ON edge (source, target)",
    "CREATE INDEX edge_by_target ON edge (target, source)",
    "CREATE INDEX attr_by_value ON attr (key, value, name)",
]

REVERSED: Final = "~id"
"""The ``attr`` key whose value is the artifact id reversed (not a selector method)."""


def graph_fingerprint(path: Path) -> str:
    """Size, modification time and inode of ``lineage.json``: changes whenever it is rewritten.

    ``lineage build`` replaces the file atomically (a new inode), and any editor that rewrites
    it changes its modification time. Hashing 1 GB on every query would cost more than the query.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "lineage.json"
    >>> _ = p.write_text("{}")
    >>> graph_fingerprint(p).startswith("2:")
    True
    """
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _dumps(value: Any) -> bytes | None:
    return orjson.dumps(value) if value else None


def write_rows(
    connection: Any,
    artifacts: Iterable[ArtifactRow],
    edges: Iterable[EdgeRow],
    meta: dict[str, str],
    dialect: Dialect = SQLITE,
    aliases: Iterable[tuple[str, str]] = (),
) -> None:
    """Create the schema on an empty database and fill it with these rows (no commit).

    ``aliases`` are ``(alias, artifact id)`` pairs (each node's ``aliases``).

    Artifact rows are inserted sorted by id, so the primary-key B-tree grows at its right edge
    instead of splitting pages all over a file larger than SQLite's cache (measured at 1M: about
    a second saved, net of the sort). Edges go in as given; their two indexes are sorted once,
    after the rows are in. Edge endpoints that are not artifacts get a row with no document.

    Examples
    --------
    >>> from lineage_cli.store.index import SqlIndex
    >>> con = sqlite3.connect(":memory:")
    >>> write_rows(con, [("b", {})], [("a", "b", 0, "derived", "", None)], {})
    >>> SqlIndex(con).parents("b"), "a" in SqlIndex(con)
    (('a',), True)
    """
    cursor = connection.cursor()
    for statement in _schema(dialect):
        cursor.execute(statement)
    cursor.executemany(dialect.sql("INSERT INTO meta VALUES (?, ?)"), sorted(meta.items()))
    with gc_paused():  # millions of live tuples: a collection pass would only re-scan them
        rows = sorted(artifacts, key=itemgetter(0))
        cursor.executemany(
            dialect.sql("INSERT INTO artifact VALUES (?, ?)"),
            ((aid, None if doc is None else orjson.dumps(doc)) for aid, doc in rows),
        )
        cursor.executemany(
            dialect.sql("INSERT INTO attr VALUES (?, ?, ?)"),
            (
                (key, value, aid)
                for aid, doc in rows
                if doc is not None
                for key, value in document_attributes(aid, doc)
            ),
        )
        known = {row[0] for row in rows}
        del rows
        endpoints: set[str] = set()
        after = [0]  # the position after the last edge: an incremental build appends from there

        def edge_rows() -> Iterator[EdgeRow]:
            for row in edges:
                if row[0] not in known:
                    endpoints.add(row[0])
                if row[1] not in known:
                    endpoints.add(row[1])
                if row[2] >= after[0]:
                    after[0] = row[2] + 1
                yield row

        cursor.executemany(dialect.sql("INSERT INTO edge VALUES (?, ?, ?, ?, ?, ?)"), edge_rows())
        if "next_edge" not in meta:  # else finding it costs the first patch a scan of every edge
            cursor.execute(dialect.sql("INSERT INTO meta VALUES (?, ?)"), ("next_edge", str(after[0])))
        cursor.executemany(
            dialect.sql("INSERT INTO artifact VALUES (?, NULL)"), ((aid,) for aid in sorted(endpoints))
        )
        rows_of_aliases = {alias: aid for alias, aid in aliases if alias not in known}
        cursor.executemany(dialect.sql("INSERT INTO alias VALUES (?, ?)"), sorted(rows_of_aliases.items()))
        cursor.executemany(
            dialect.sql("INSERT INTO attr VALUES (?, ?, ?)"),
            ((REVERSED, aid[::-1], aid) for aid in (*known, *endpoints)),
        )
    for statement in _INDEXES:
        cursor.execute(statement)
    cursor.close()


def write_index(
    connection: Any,
    graph: LineageGraph,
    meta: dict[str, str],
    dialect: Dialect = SQLITE,
) -> None:
    """Create the schema on an empty database and fill it from ``graph`` (no commit).

    Raw JSON nodes and edges are copied without being decoded into objects.

    Examples
    --------
    >>> from lineage_cli.store.index import SqlIndex
    >>> con = sqlite3.connect(":memory:")
    >>> write_index(con, LineageGraph.from_pairs([("a", "b")]), {"format": INDEX_FORMAT})
    >>> SqlIndex(con).parents("b")
    ('a',)
    """
    write_rows(connection, _graph_artifacts(graph), _graph_edges(graph), meta, dialect, _graph_aliases(graph))


def _graph_artifacts(graph: LineageGraph) -> Iterator[ArtifactRow]:
    yield from graph.node_documents()


def _graph_aliases(graph: LineageGraph) -> Iterator[tuple[str, str]]:
    for aid, doc in graph.node_documents():
        names = doc.get("aliases") if isinstance(doc, dict) else None
        if isinstance(names, list):
            yield from ((name, aid) for name in names if isinstance(name, str))


def _graph_edges(graph: LineageGraph) -> Iterator[EdgeRow]:
    for position, (source, target, kind, description, metadata) in enumerate(graph.edge_rows()):
        yield source, target, position, kind, description, _dumps(metadata)


def build_index(paths: StorePaths, graph: LineageGraph, *, fingerprint: str | None = None) -> Path:
    """Write the store's index for ``graph`` (the contents of ``paths.graph``); return its path.

    The index is written to a temporary file beside it and moved into place, so a reader
    never sees half an index. ``fingerprint`` is :func:`graph_fingerprint` of the file
    ``graph`` was read from, taken before reading it (default: the file as it is now).

    Examples
    --------
    >>> import tempfile
    >>> from lineage_cli.lineagefile import save_graph
    >>> from lineage_cli.store.index import open_index
    >>> paths = StorePaths(Path(tempfile.mkdtemp()))
    >>> g = LineageGraph.from_pairs([("raw", "clean")])
    >>> save_graph(g, paths.graph)
    >>> build_index(paths, g).name
    'index.sqlite'
    >>> open_index(paths).children("raw")
    ('clean',)
    """
    return build_index_rows(
        paths,
        _graph_artifacts(graph),
        _graph_edges(graph),
        fingerprint=fingerprint,
        aliases=_graph_aliases(graph),
    )


def build_index_rows(
    paths: StorePaths,
    artifacts: Iterable[ArtifactRow],
    edges: Iterable[EdgeRow],
    *,
    fingerprint: str | None = None,
    aliases: Iterable[tuple[str, str]] = (),
) -> Path:
    """:func:`build_index` from rows rather than a graph: ``lineage build`` has them in hand.

    Examples
    --------
    >>> import tempfile
    >>> paths = StorePaths(Path(tempfile.mkdtemp()))
    >>> _ = paths.graph.write_text("{}")
    >>> from lineage_cli.store.index import open_index
    >>> _ = build_index_rows(paths, [("raw", {})], [("raw", "clean", 0, "derived", "", None)])
    >>> open_index(paths).parents("clean")
    ('raw',)
    """
    meta = {"format": INDEX_FORMAT, "graph": fingerprint or graph_fingerprint(paths.graph)}
    target = paths.index
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    connection = sqlite3.connect(temp, isolation_level=None)
    try:
        # A crash leaves only the temporary file, so the database needs no journal. (Measured
        # at 1M: a larger cache, exclusive locking and in-memory temp storage changed nothing.)
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        write_rows(connection, artifacts, edges, meta, aliases=aliases)
        connection.execute("COMMIT")
        connection.close()
        os.replace(temp, target)
    except BaseException:
        connection.close()
        temp.unlink(missing_ok=True)
        raise
    return target


def update_index_rows(
    paths: StorePaths,
    *,
    previous: str,
    fingerprint: str,
    artifacts: dict[str, dict[str, Any]],
    removed: Iterable[str],
    edges: dict[str, list[tuple[str, str, str]]],
) -> bool:
    """Apply an incremental build's changes to the index in place; ``False``: rebuild it instead.

    ``previous`` is the fingerprint of the lineage file the index must describe (the last
    build's); ``artifacts`` the changed or new nodes, ``removed`` the ids gone, ``edges`` the new
    input edges ``(source, type, description)`` of each artifact whose inputs were rewritten.

    Examples
    --------
    >>> import tempfile
    >>> update_index_rows(StorePaths(Path(tempfile.mkdtemp())), previous="x", fingerprint="y",
    ...                   artifacts={}, removed=[], edges={})
    False
    """
    if not paths.index.is_file():
        return False
    connection = sqlite3.connect(paths.index, isolation_level=None, timeout=60)
    try:
        connection.execute("BEGIN IMMEDIATE")
        meta = dict(connection.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("format") != INDEX_FORMAT or meta.get("graph") != previous:
            connection.execute("ROLLBACK")
            return False
        gone = sorted({*artifacts, *removed})
        keys = orjson.dumps(gone).decode()
        old = dict(
            connection.execute(
                "SELECT name, doc FROM artifact WHERE name IN (SELECT value FROM json_each(?))", (keys,)
            ).fetchall()
        )
        # The old attributes, one indexed delete each (attr is indexed by value, not by name).
        connection.executemany(
            "DELETE FROM attr WHERE key = ? AND value = ? AND name = ?",
            (
                (key, value, name)
                for name, doc in old.items()
                if doc is not None
                for key, value in document_attributes(name, orjson.loads(doc))
            ),
        )
        connection.executemany(
            "DELETE FROM attr WHERE key = ? AND value = ? AND name = ?",
            ((REVERSED, name[::-1], name) for name in removed if name in old),
        )
        connection.execute("DELETE FROM artifact WHERE name IN (SELECT value FROM json_each(?))", (keys,))
        connection.executemany(
            "INSERT INTO artifact VALUES (?, ?)",
            ((aid, orjson.dumps(doc)) for aid, doc in sorted(artifacts.items())),
        )
        connection.executemany(
            "INSERT INTO attr VALUES (?, ?, ?)",
            (
                (key, value, aid)
                for aid, doc in sorted(artifacts.items())
                for key, value in document_attributes(aid, doc)
            ),
        )
        connection.executemany(
            "INSERT INTO attr VALUES (?, ?, ?)",
            ((REVERSED, aid[::-1], aid) for aid in sorted(artifacts) if aid not in old),
        )
        targets = orjson.dumps(sorted(edges)).decode()
        connection.execute("DELETE FROM edge WHERE target IN (SELECT value FROM json_each(?))", (targets,))
        position = int(
            meta.get("next_edge")
            or connection.execute("SELECT coalesce(max(position), -1) + 1 FROM edge").fetchone()[0]
        )
        rows = []
        for target in sorted(edges):
            for source, kind, description in edges[target]:
                rows.append((source, target, position, kind, description, None))
                position += 1
        connection.executemany("INSERT INTO edge VALUES (?, ?, ?, ?, ?, ?)", rows)
        connection.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            (("graph", fingerprint), ("next_edge", str(position))),
        )
        connection.execute("COMMIT")
        return True
    except sqlite3.Error:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        return False
    finally:
        connection.close()


def index_token(paths: StorePaths) -> str | None:
    """What the index describes: a ``lineage.json`` fingerprint or a build's token (``None``: no index).

    Examples
    --------
    >>> import tempfile
    >>> index_token(StorePaths(Path(tempfile.mkdtemp()))) is None
    True
    """
    if not paths.index.is_file():
        return None
    try:
        connection = sqlite3.connect(f"file:{paths.index}?mode=ro", uri=True, isolation_level=None)
        try:
            meta = dict(connection.execute("SELECT name, value FROM meta").fetchall())
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return meta.get("graph") if meta.get("format") == INDEX_FORMAT else None


def retoken_index(paths: StorePaths, old: str, new: str) -> bool:
    """Say the index describes ``new`` (the same graph under another name) if it described ``old``.

    Used when ``lineage.json`` is written on demand: the index a build patched carries the build's
    token, and from then on the file's fingerprint. ``False``: it described something else.

    Examples
    --------
    >>> import tempfile
    >>> paths = StorePaths(Path(tempfile.mkdtemp()))
    >>> _ = build_index_rows(paths, [("raw", {})], [], fingerprint="build:1")
    >>> retoken_index(paths, "build:1", "1:2:3"), retoken_index(paths, "build:1", "x"), index_token(paths)
    (True, False, '1:2:3')
    """
    if not paths.index.is_file():
        return False
    try:
        connection = sqlite3.connect(paths.index, isolation_level=None, timeout=60)
        try:
            changed = connection.execute(
                "UPDATE meta SET value = ? WHERE name = 'graph' AND value = ?", (new, old)
            ).rowcount
        finally:
            connection.close()
    except sqlite3.Error:
        return False
    return bool(changed)
