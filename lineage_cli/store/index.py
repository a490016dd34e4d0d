"""The store's query index: an SQLite copy of ``lineage.json`` that a query reads only in part.

Parsing a 1 GB lineage file takes 10 to 20 seconds, yet most questions have small answers.
The index keeps one row per artifact and one per edge, with B-tree indexes on both edge
endpoints, so ``parents``, ``children``, ``node`` and ``edge`` are each one indexed lookup and
a query costs what its answer costs. (Measured: one row per artifact holding JSON lists of its
parents, children and incoming edges took 1.6 to 1.9 times as long to build, because the
grouping then happens in Python rather than in SQLite's index sort.) :class:`SqlIndex` implements
:class:`~lineage_cli.graph.GraphView`, so every query runs on it unchanged.

``lineage.json`` stays the interchange format; the index is derived from it and records the
file's size, modification time and inode. :func:`open_index` returns ``None`` when the file has
changed since, and :func:`lineage_cli.source.open_graph` then answers from the file and
rebuilds the index (see README, "Performance").

Portability: every statement is plain SQL (``CREATE TABLE``, ``CREATE INDEX``, ``INSERT``,
``SELECT ... WHERE ... ORDER BY ... LIMIT``) over the DB-API 2 interface. The only
backend-specific parts are the :class:`Dialect` (placeholder and binary column type) and how a
connection is opened, so a PostgreSQL backend is a new dialect and a new ``open`` function.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Final

import orjson

from lineage_cli.errors import InputError
from lineage_cli.graph import group_pairs, require_known
from lineage_cli.graphdoc import edge_from_document, in_file, natural_id_candidates, node_from_document
from lineage_cli.model import LineageEdge, LineageNode
from lineage_cli.store.indexwrite import (
    INDEX_FORMAT,
    REVERSED,
    SQLITE,
    ArtifactRow,
    Dialect,
    EdgeRow,
    build_index,
    build_index_rows,
    graph_fingerprint,
    update_index_rows,
    write_index,
    write_rows,
)
from lineage_cli.store.layout import StorePaths

__all__ = [
    "INDEX_FORMAT",
    "REVERSED",
    "SQLITE",
    "ArtifactRow",
    "Dialect",
    "EdgeRow",
    "SqlIndex",
    "build_index",
    "build_index_rows",
    "graph_fingerprint",
    "open_index",
    "update_index_rows",
    "write_index",
    "write_rows",
]


BULK_AFTER: Final = 4_096
"""After this many one-hop lookups in one direction, read that direction's edges in one pass.

A walk that has reached thousands of artifacts will likely reach many more (the descendants of
a root); one sequential read of every edge is then far cheaper than a lookup per artifact.
"""


def open_index(paths: StorePaths) -> SqlIndex | None:
    """The store's index if it exists and matches the current ``lineage.json``, else ``None``.

    When the last build left ``lineage.json`` to be written on demand, the index matches that
    build's token instead (``built.json``; see :mod:`lineage_cli.store.local.document`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> open_index(StorePaths(pathlib.Path(tempfile.mkdtemp()))) is None
    True
    """
    try:
        fingerprint: str | None = graph_fingerprint(paths.graph)
    except FileNotFoundError:  # a build left it to be written on demand: the index names that build
        from lineage_cli.store.freshness import deferred_document

        fingerprint = deferred_document(paths)
    except OSError:
        return None
    if fingerprint is None or not paths.index.is_file():
        return None
    try:
        connection = sqlite3.connect(f"file:{paths.index}?mode=ro", uri=True, isolation_level=None)
        meta = dict(connection.execute("SELECT name, value FROM meta").fetchall())
    except sqlite3.Error:
        return None  # unreadable or half-written by an older version: rebuild it
    if meta.get("format") != INDEX_FORMAT or meta.get("graph") != fingerprint:
        connection.close()
        return None
    return SqlIndex(connection, origin=str(paths.graph))


class SqlIndex:
    """A :class:`~lineage_cli.graph.GraphView` answered from the SQL index, one lookup at a time.

    ``rows_read`` and ``lookups`` count the work done, so tests can check that a query's cost
    depends on its answer, not on the size of the store.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> con = sqlite3.connect(":memory:")
    >>> write_index(con, LineageGraph.from_pairs([("a", "b"), ("b", "c")]), {})
    >>> from lineage_cli.queries import ancestors
    >>> index = SqlIndex(con)
    >>> ancestors(index, "c"), index.lookups
    (['a', 'b'], 2)
    """

    def __init__(self, connection: Any, dialect: Dialect = SQLITE, origin: str | None = None) -> None:
        self._connection = connection
        self._origin = origin  # the lineage file indexed, named in the errors of its nodes
        self._sql = dialect.sql
        self.rows_read = 0
        self.lookups = 0
        self._nodes: dict[str, LineageNode | None] = {}
        self._known: dict[str, bool] = {}
        self._calls = {"source": 0, "target": 0}
        self._bulk: dict[str, dict[str, Any]] = {}

    def _fetch(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        cursor = self._connection.cursor()
        try:
            cursor.execute(self._sql(statement), params)
            rows: list[Any] = cursor.fetchall()
        finally:
            cursor.close()
        self.lookups += 1
        self.rows_read += len(rows)
        return rows

    def close(self) -> None:
        """Close the database connection."""
        self._connection.close()

    def __contains__(self, artifact_id: object) -> bool:
        if not isinstance(artifact_id, str):
            return False
        known = self._known.get(artifact_id)
        if known is None:
            known = bool(self._fetch("SELECT 1 FROM artifact WHERE name = ?", (artifact_id,)))
            self._known[artifact_id] = known
        return known

    def _neighbours(self, artifact_id: str, by: str) -> tuple[str, ...]:
        # by == "target": rows whose target is the artifact, i.e. its parents.
        other = "source" if by == "target" else "target"
        bulk = self._bulk.get(by)
        if bulk is None:
            self._calls[by] += 1
            if self._calls[by] <= BULK_AFTER:
                rows = self._fetch(f"SELECT DISTINCT {other} FROM edge WHERE {by} = ?", (artifact_id,))
                return tuple(sorted(row[0] for row in rows))
            bulk = self._load_direction(by, other)
        found = bulk.get(artifact_id, ())
        if type(found) is list:
            found = tuple(sorted(set(found)))
            bulk[artifact_id] = found
        return found  # type: ignore[no-any-return]

    def _load_direction(self, by: str, other: str) -> dict[str, Any]:
        grouped: dict[str, Any] = {}
        group_pairs(self._fetch(f"SELECT {by}, {other} FROM edge"), grouped)
        self._bulk[by] = grouped
        return grouped

    def parents(self, artifact_id: str) -> tuple[str, ...]:
        """One-hop upstream artifact ids, sorted."""
        return self._neighbours(artifact_id, "target")

    def children(self, artifact_id: str) -> tuple[str, ...]:
        """One-hop downstream artifact ids, sorted."""
        return self._neighbours(artifact_id, "source")

    def node(self, artifact_id: str) -> LineageNode | None:
        """The artifact's record, or ``None`` when it is only an edge endpoint (or unknown)."""
        if artifact_id in self._nodes:
            return self._nodes[artifact_id]
        rows = self._fetch("SELECT doc FROM artifact WHERE name = ?", (artifact_id,))
        found = None
        if rows and rows[0][0] is not None:
            try:
                found = node_from_document(artifact_id, orjson.loads(rows[0][0]))
            except InputError as exc:
                raise in_file(self._origin, exc) from None
        self._nodes[artifact_id] = found
        self._known[artifact_id] = bool(rows)
        return found

    def edge(self, source: str, target: str) -> LineageEdge | None:
        """The first edge from ``source`` to ``target`` (explicit before implicit), or ``None``."""
        rows = self._fetch(
            "SELECT position, kind, description, metadata FROM edge"
            " WHERE source = ? AND target = ? ORDER BY position LIMIT 1",
            (source, target),
        )
        if not rows:
            return None
        position, kind, description, metadata = rows[0]
        raw = {"source": source, "target": target, "type": kind, "description": description}
        raw["metadata"] = orjson.loads(metadata) if metadata else {}
        return edge_from_document(raw, position)

    def require(self, artifact_id: str) -> str:
        """Return ``artifact_id`` if known, else raise with close matches among nearby ids.

        Suggestions come from ids sharing the longest prefix with it (an indexed range scan),
        so a typo costs milliseconds on a store of millions.
        """
        return require_known(self, artifact_id, lambda: self._nearby(artifact_id))

    def alias_of(self, name: str) -> str | None:
        """The artifact ``name`` is an alias or the natural URI of, else ``None`` (one indexed lookup each).

        Examples
        --------
        >>> con = sqlite3.connect(":memory:")
        >>> write_rows(con, [("file/tmp/t", {})], [], {}, aliases=[("hive://m/db.t", "file/tmp/t")])
        >>> SqlIndex(con).alias_of("hive://m/db.t"), SqlIndex(con).require("file:///tmp/t")
        ('file/tmp/t', 'file/tmp/t')
        """
        for candidate in (name, *natural_id_candidates(name)):
            if candidate != name and candidate in self:
                return candidate
            rows = self._fetch("SELECT artifact FROM alias WHERE name = ?", (candidate,))
            if rows:
                return str(rows[0][0])
        return None

    def _nearby(self, artifact_id: str, limit: int = 2_000) -> list[str]:
        candidates: set[str] = set()
        for cut in range(len(artifact_id), -1, -1):
            prefix = artifact_id[:cut]
            rows = self._fetch(
                "SELECT name FROM artifact WHERE name >= ? AND name < ? ORDER BY name LIMIT ?",
                (prefix, prefix + "\U0010ffff", limit),
            )
            candidates.update(row[0] for row in rows)
            if len(candidates) >= 50 or cut == 0:
                break
        return sorted(candidates)

    def artifact_ids(self) -> list[str]:
        """Every known id (artifacts and edge endpoints), sorted; reads the whole table."""
        return sorted(row[0] for row in self._fetch("SELECT name FROM artifact"))

    def closure(self, artifact_id: str, direction: str, depth: int | None) -> list[str]:
        """Every artifact reached from ``artifact_id`` (``"upstream"`` or ``"downstream"``), unsorted.

        One recursive query, run inside the database (it starts from the artifact's own row, so
        the column's collation holds throughout). ``UNION`` (not ``UNION ALL``) drops rows
        already produced, so a cycle ends the recursion; ``depth`` bounds the hops.

        Examples
        --------
        >>> from lineage_cli.graph import LineageGraph
        >>> con = sqlite3.connect(":memory:")
        >>> write_index(con, LineageGraph.from_pairs([("a", "b"), ("b", "c"), ("c", "a")]), {})
        >>> sorted(SqlIndex(con).closure("a", "downstream", None)), SqlIndex(con).closure("a", "upstream", 1)
        (['b', 'c'], ['c'])
        """
        reach, by = ("source", "target") if direction == "upstream" else ("target", "source")
        if depth is None:
            statement = (
                "WITH RECURSIVE r(name) AS (SELECT name FROM artifact WHERE name = ? UNION"
                f" SELECT e.{reach} FROM edge e JOIN r ON e.{by} = r.name)"
                " SELECT name FROM r WHERE name <> ?"
            )
            rows = self._fetch(statement, (artifact_id, artifact_id))
        else:
            statement = (
                "WITH RECURSIVE r(name, hops) AS (SELECT name, 0 FROM artifact WHERE name = ? UNION"
                f" SELECT e.{reach}, r.hops + 1 FROM edge e JOIN r ON e.{by} = r.name WHERE r.hops < ?)"
                " SELECT DISTINCT name FROM r WHERE name <> ?"
            )
            rows = self._fetch(statement, (artifact_id, depth, artifact_id))
        return [row[0] for row in rows]

    def artifact_count(self) -> int:
        """How many ids (artifacts and edge endpoints) the index holds."""
        return int(self._fetch("SELECT COUNT(*) FROM artifact")[0][0])

    # -- names and attributes (lineage_cli.names, lineage_cli.selection) ------------------

    def ids_with_suffix(self, suffix: str) -> list[str]:
        """Sorted ids ending with ``suffix``: a range scan over the reversed ids."""
        reversed_suffix = suffix[::-1]
        rows = self._fetch(
            "SELECT name FROM attr WHERE key = ? AND value >= ? AND value < ?",
            (REVERSED, reversed_suffix, reversed_suffix + "\U0010ffff"),
        )
        return sorted(row[0] for row in rows)

    def ids_like(self, pattern: str) -> list[str]:
        """Sorted ids matching the SQL ``GLOB`` ``pattern`` (a literal prefix makes it a range scan)."""
        return [
            row[0]
            for row in self._fetch("SELECT name FROM artifact WHERE name GLOB ? ORDER BY name", (pattern,))
        ]

    def nearby_ids(self, name: str, limit: int = 2_000) -> list[str]:
        """Ids sharing a long prefix or ending with ``name`` (or ``name`` less its last character)."""
        candidates = set(self._nearby(name, limit))
        for text in (name, name[:-1]):
            for cut in range(len(text)):
                tail = text[cut:][::-1]
                rows = self._fetch(
                    "SELECT name FROM attr WHERE key = ? AND value >= ? AND value < ? LIMIT ?",
                    (REVERSED, tail, tail + "\U0010ffff", limit),
                )
                if rows:
                    candidates.update(row[0] for row in rows)
                    break
        return sorted(candidates)

    def attribute_matches(self, key: str, pattern: str) -> list[str]:
        """Sorted ids whose attribute ``key`` (``workflow``, ``tag`` ...) matches the glob ``pattern``.

        An indexed range scan when ``pattern`` starts with literal text.
        """
        from lineage_cli.names import glob_regex, sql_glob

        regex = glob_regex(pattern)
        rows = self._fetch(
            "SELECT name, value FROM attr WHERE key = ? AND value GLOB ?", (key, sql_glob(pattern))
        )
        return sorted({name for name, value in rows if regex.fullmatch(value)})

    def type_matches(self, pattern: str) -> list[str]:
        """Sorted ids with an input edge whose transformation type matches the glob (scans the edges)."""
        from lineage_cli.names import glob_regex, sql_glob

        regex = glob_regex(pattern)
        rows = self._fetch("SELECT DISTINCT target, kind FROM edge WHERE kind GLOB ?", (sql_glob(pattern),))
        return sorted({target for target, kind in rows if regex.fullmatch(kind)})

    def metadata_values(self, key: str) -> list[tuple[str, Any]]:
        """``(id, value)`` for every artifact whose ``metadata`` has ``key`` (scans the documents in SQL)."""
        rows = self._fetch(
            "SELECT artifact.name, meta.value FROM artifact,"
            " json_each(CAST(artifact.doc AS TEXT), '$.metadata') AS meta"
            " WHERE artifact.doc IS NOT NULL AND meta.key = ?",
            (key,),
        )
        return [(row[0], row[1]) for row in rows]
