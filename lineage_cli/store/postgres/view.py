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


def load_document(cursor: Any, built_at: str) -> dict[str, Any]:
    """The current graph as a lineage document, nodes and edges in the order the fold made them."""
    cursor.execute("SELECT name, doc FROM artifact WHERE doc IS NOT NULL ORDER BY ord")
    nodes = {name: orjson.loads(doc) for name, doc in cursor}
    cursor.execute("SELECT source, target, kind, description FROM edge ORDER BY ord, position")
    edges = [{"source": s, "target": t, "type": k, "description": d, "metadata": {}} for s, t, k, d in cursor]
    return {"version": FORMAT_VERSION, "built_at": built_at, "nodes": nodes, "edges": edges}


def load_graph(cursor: Any, built_at: str) -> LineageGraph:
    """:func:`load_document` as a :class:`LineageGraph`."""
    return LineageGraph.from_document(load_document(cursor, built_at))
