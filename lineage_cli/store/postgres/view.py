"""Queries on a PostgreSQL store: the query index's reader over the same tables, plus recursive CTEs.

:class:`PgView` is :class:`~lineage_cli.store.index.SqlIndex` with PostgreSQL's placeholder, so
every query runs on it unchanged, and ancestors and descendants are one recursive query each:
``UNION`` (not ``UNION ALL``) drops rows already produced, so a cycle ends the recursion, and
a depth limit bounds it. Every statement is a plain ``SELECT``, so a read replica answers too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import orjson

from lineage_cli.graph import FORMAT_VERSION, LineageGraph
from lineage_cli.store.index import Dialect, SqlIndex
from lineage_cli.store.postgres.connect import describe, driver

__all__ = ["POSTGRES", "PgView", "load_document"]

POSTGRES: Final = Dialect(placeholder="%s", blob="BYTEA")


class PgView(SqlIndex):
    """The current graph of a PostgreSQL store, read one indexed lookup (or one recursive query) at a time.

    :meth:`SqlIndex.closure` answers ancestors and descendants in one recursive CTE.
    """

    def __init__(self, connection: Any, origin: str, url: str) -> None:
        super().__init__(connection, POSTGRES, origin=origin)
        self._url = url

    def fetch(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run one ``SELECT`` written for PostgreSQL (``%s`` placeholders) and return its rows."""
        psycopg = driver()
        try:
            with self._connection.cursor() as cursor:
                cursor.execute(statement, params)
                rows: list[Any] = cursor.fetchall()
        except psycopg.Error as exc:
            raise describe(self._url, exc) from None
        self.lookups += 1
        return rows

    def _fetch(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        # A server that goes away mid-query is one sentence naming the store, like any other error.
        psycopg = driver()
        try:
            return super()._fetch(statement, params)
        except psycopg.Error as exc:
            raise describe(self._url, exc) from None

    def closure(self, artifact_id: str, direction: str, depth: int | None) -> list[str]:
        """:meth:`SqlIndex.closure`, the answer sent back as one JSON array.

        One value instead of a row per artifact: a large answer (96,529 ids at 100k) then costs
        one ``orjson.loads`` instead of a Python row per id, the larger part of its transfer.
        """
        reach, by = ("source", "target") if direction == "upstream" else ("target", "source")
        hops, step, limit = ("", "", "") if depth is None else (", 0", ", r.hops + 1", " WHERE r.hops < %s")
        statement = (
            f"WITH RECURSIVE r(name{', hops' if depth is not None else ''}) AS"
            f" (SELECT name{hops} FROM artifact WHERE name = %s UNION"
            f" SELECT e.{reach}{step} FROM edge e JOIN r ON e.{by} = r.name{limit})"
            # UNION keeps each name once without a depth; with one, a name may come at several hops.
            f" SELECT coalesce(json_agg({'name' if depth is None else 'DISTINCT name'}), '[]')::text"
            " FROM r WHERE name <> %s"
        )
        params = (artifact_id, artifact_id) if depth is None else (artifact_id, depth, artifact_id)
        found: list[str] = orjson.loads(self.fetch(statement, params)[0][0])
        self.rows_read += len(found)
        return found

    # -- selectors: SQLite's GLOB and json_each have no PostgreSQL spelling -------------------
    # Each answer is a superset (a range scan on the glob's literal prefix), filtered as on SQLite.

    def ids_like(self, pattern: str) -> list[str]:
        """Sorted ids that can match the SQL ``GLOB`` ``pattern`` (the caller filters them)."""
        low, high = _prefix_range(pattern)
        return [
            row[0]
            for row in self._fetch(
                "SELECT name FROM artifact WHERE name >= ? AND name < ? ORDER BY name", (low, high)
            )
        ]

    def attribute_matches(self, key: str, pattern: str) -> list[str]:
        """Sorted ids whose attribute ``key`` matches the glob ``pattern`` (a range scan, then the glob)."""
        from lineage_cli.names import glob_regex, sql_glob

        regex = glob_regex(pattern)
        low, high = _prefix_range(sql_glob(pattern))
        rows = self._fetch(
            "SELECT name, value FROM attr WHERE key = ? AND value >= ? AND value < ?", (key, low, high)
        )
        return sorted({name for name, value in rows if regex.fullmatch(value)})

    def type_matches(self, pattern: str) -> list[str]:
        """Sorted ids with an input edge whose transformation type matches the glob (scans the edges)."""
        from lineage_cli.names import glob_regex

        regex = glob_regex(pattern)
        rows = self._fetch("SELECT DISTINCT target, kind FROM edge")
        return sorted({target for target, kind in rows if regex.fullmatch(kind)})

    def metadata_values(self, key: str) -> list[tuple[str, Any]]:
        """``(id, value)`` for every artifact whose ``metadata`` has ``key`` (scans the documents)."""
        rows = self._fetch("SELECT name, doc FROM artifact WHERE doc IS NOT NULL ORDER BY name")
        found = []
        for name, doc in rows:
            metadata = orjson.loads(doc).get("metadata")
            if isinstance(metadata, dict) and key in metadata:
                found.append((name, metadata[key]))
        return found


def _prefix_range(pattern: str) -> tuple[str, str]:
    """The range of text starting with ``pattern``'s literal prefix (before ``*``, ``?`` or ``[``).

    Examples
    --------
    >>> _prefix_range("model.*")[0]
    'model.'
    """
    cut = min((i for i, c in enumerate(pattern) if c in "*?["), default=len(pattern))
    return pattern[:cut], pattern[:cut] + "\U0010ffff"


def load_document(cursor: Any, built_at: str) -> dict[str, Any]:
    """The current graph as a lineage document, nodes and edges in the order the fold made them."""
    cursor.execute("SELECT name, doc FROM artifact WHERE doc IS NOT NULL ORDER BY ord, name")
    nodes = {name: orjson.loads(doc) for name, doc in cursor}
    cursor.execute("SELECT source, target, kind, description FROM edge ORDER BY ord, position")
    edges = [{"source": s, "target": t, "type": k, "description": d, "metadata": {}} for s, t, k, d in cursor]
    return {"version": FORMAT_VERSION, "built_at": built_at, "nodes": nodes, "edges": edges}


def load_graph(cursor: Any, built_at: str) -> LineageGraph:
    """:func:`load_document` as a :class:`LineageGraph`."""
    return LineageGraph.from_document(load_document(cursor, built_at))
