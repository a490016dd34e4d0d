"""Queries on a PostgreSQL store: the query index's reader over the same tables, plus recursive CTEs.

:class:`PgView` is :class:`~lineage_cli.store.index.SqlIndex` with PostgreSQL's placeholder, so
every query runs on it unchanged, and ancestors and descendants are one recursive query each:
``UNION`` (not ``UNION ALL``) drops rows already produced, so a cycle ends the recursion, and
a depth limit bounds it. Every statement is a plain ``SELECT``, so a read replica answers too.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from lineage_cli.graph import FORMAT_VERSION, LineageGraph
from lineage_cli.store.index import Dialect, SqlIndex

__all__ = ["POSTGRES", "PgView", "load_document"]

POSTGRES: Final = Dialect(placeholder="%s", blob="BYTEA")

_FOLLOW: Final = {"upstream": ("source", "target"), "downstream": ("target", "source")}


class PgView(SqlIndex):
    """The current graph of a PostgreSQL store, read one indexed lookup (or one recursive query) at a time."""

    def __init__(self, connection: Any, origin: str) -> None:
        super().__init__(connection, POSTGRES, origin=origin)

    def closure(self, artifact_id: str, direction: str, depth: int | None) -> list[str]:
        """Every artifact reached from ``artifact_id`` in ``direction`` (at most ``depth`` hops), unsorted."""
        reach, by = _FOLLOW[direction]
        if depth is None:
            statement = (
                f"WITH RECURSIVE r(name) AS (SELECT %s::text UNION"
                f" SELECT e.{reach} FROM edge e JOIN r ON e.{by} = r.name)"
                " SELECT name FROM r WHERE name <> %s"
            )
            rows = self._fetch(statement, (artifact_id, artifact_id))
        else:
            statement = (
                f"WITH RECURSIVE r(name, hops) AS (SELECT %s::text, 0 UNION"
                f" SELECT e.{reach}, r.hops + 1 FROM edge e JOIN r ON e.{by} = r.name WHERE r.hops < %s)"
                " SELECT DISTINCT name FROM r WHERE name <> %s"
            )
            rows = self._fetch(statement, (artifact_id, depth, artifact_id))
        return [row[0] for row in rows]


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
