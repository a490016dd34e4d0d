"""The PostgreSQL store behind the store seam: many machines record into one database.

``psycopg`` is imported only when a ``postgresql://`` store is opened (the ``[postgres]``
extra). Tables and the transaction horizon are described in :mod:`.schema` and :mod:`.fold`;
queries in :mod:`.view`; the recorder's spool and shipper in :mod:`lineage_cli.store.spool`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from lineage_cli.model import format_timestamp, utc_now
from lineage_cli.store.base import OnPending, OnProblem, Store
from lineage_cli.store.postgres.connect import StoreError, connect, describe, driver, mask
from lineage_cli.store.postgres.schema import check_schema, ensure_schema

if TYPE_CHECKING:
    from lineage_cli.graph import GraphView, LineageGraph
    from lineage_cli.store.build import BuildResult, Progress, StaleReason
    from lineage_cli.timetravel import GraphDiff

__all__ = ["PostgresStore", "StoreError"]


class PostgresStore(Store):
    """A store kept in one PostgreSQL database (13 or later), optionally read from a replica.

    Connections open on first use; the schema is created on the first write.
    """

    def __init__(self, url: str, *, read_url: str | None = None) -> None:
        driver()  # a missing driver is one sentence now, not a traceback later
        self.url = url
        self.read_url = read_url
        self.location = mask(url)
        self._primary: Any = None
        self._reader: Any = None

    # -- connections -------------------------------------------------------------------

    def primary(self) -> Any:
        """The primary's connection, with the schema created or migrated."""
        if self._primary is None:
            self._primary = connect(self.url)
            ensure_schema(self._primary, self.url)
        return self._primary

    def reader(self) -> Any:
        """The connection queries use: the read replica when ``$LINEAGE_STORE_READ`` names one."""
        if self._reader is None:
            if self.read_url is None:
                self._reader = self.primary()
            else:
                self._reader = connect(self.read_url, autocommit=True)
                if not check_schema(self._reader, self.read_url):
                    raise StoreError(
                        f"The PostgreSQL store {mask(self.read_url)} has no lineage tables yet.",
                        hint="Record and build into the primary first (the replica follows it).",
                    )
        return self._reader

    def close(self) -> None:
        """Close both connections."""
        for connection in {id(c): c for c in (self._primary, self._reader) if c is not None}.values():
            connection.close()
        self._primary = self._reader = None

    def _run(self, work: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``work``, turning any database error into one sentence naming the store."""
        psycopg = driver()
        try:
            return work(*args, **kwargs)
        except psycopg.Error as exc:
            raise describe(self.url, exc) from None

    # -- writing -----------------------------------------------------------------------

    def append(self, events: Iterable[dict[str, Any]]) -> int:
        """The recorder's path: spool, then ship in bounded time (a known ``event_id`` adds nothing).

        Returns how many events were new to the store (or, when it cannot be reached, how many
        wait in the spool for ``lineage sync``).
        """
        from lineage_cli.store.spool import spool_and_ship

        batch = list(events)
        return spool_and_ship(self.url, batch) if batch else 0

    def known_event_ids(self, event_ids: Iterable[str]) -> set[str]:
        """One indexed lookup for the whole batch."""
        wanted = sorted(set(event_ids))

        def work() -> set[str]:
            with self.primary().transaction(), self.primary().cursor() as cursor:
                cursor.execute("SELECT event_id FROM events WHERE event_id = ANY(%s)", (wanted,))
                return {row[0] for row in cursor}

        return set(self._run(work))

    def new_events(self) -> list[dict[str, Any]]:
        """Every event written by a transaction at or past the last build's horizon."""

        def work() -> list[dict[str, Any]]:
            with self.primary().transaction(), self.primary().cursor() as cursor:
                cursor.execute(
                    "SELECT e.body FROM events e, build_state s WHERE e.tx >= s.horizon ORDER BY e.tx, e.seq"
                )
                return [orjson.loads(row[0]) for row in cursor]

        return list(self._run(work))

    def build(
        self,
        *,
        output: str | os.PathLike[str] | None = None,
        full: bool = False,
        skip_bad: bool = False,
        on_problem: OnProblem = None,
        progress: Progress | None = None,
    ) -> BuildResult:
        """Fold the events committed since the last build into the tables (all of them with ``full``)."""
        from lineage_cli.store.postgres.build import build

        return build(
            self, output=output, full=full, skip_bad=skip_bad, on_problem=on_problem, progress=progress
        )

    # -- reading -----------------------------------------------------------------------

    def open_view(self, as_of: datetime | None = None, *, on_pending: OnPending = None) -> GraphView:
        """The tables, read per lookup and by recursive CTE; at ``as_of``, the fold up to then.

        ``on_pending`` hears nothing: events arrive from many machines, and ``lineage build``
        folds them (see README, "Team store").
        """
        from lineage_cli.store.postgres.view import PgView

        if as_of is not None:
            # The one fold of the events up to the moment (read by an index range on their time):
            # aliases, a flow's declared inputs and external inputs are decided only there.
            return self.open_graph(as_of)
        return PgView(self._run(self.reader), origin=self.location, url=self.read_url or self.url)

    def open_graph(self, as_of: datetime | None = None, *, on_pending: OnPending = None) -> LineageGraph:
        """The whole graph in memory."""
        from lineage_cli.graph import LineageGraph
        from lineage_cli.store.postgres.view import load_document

        if as_of is not None:
            return LineageGraph.from_document(self.document_at(as_of), origin=self.location)

        def work() -> dict[str, Any]:
            reader = self.reader()
            with reader.cursor() as cursor:
                row = cursor.execute("SELECT entry FROM builds ORDER BY number DESC LIMIT 1").fetchone()
                built_at = orjson.loads(row[0])["built_at"] if row else format_timestamp(utc_now())
                return load_document(cursor, built_at)

        return LineageGraph.from_document(self._run(work), origin=self.location)

    def _fold_until(self, cursor: Any, moment: datetime, skip_bad: bool, on_problem: OnProblem) -> Any:
        from lineage_cli.store.postgres.fold import fold_events_until

        return fold_events_until(
            cursor, f"{self.location} events, seq", moment, skip_bad=skip_bad, on_problem=on_problem
        )

    def document_at(
        self, moment: datetime, *, skip_bad: bool = False, on_problem: OnProblem = None
    ) -> dict[str, Any]:
        """Fold only the events at or before ``moment`` (read by an index range on their time)."""

        def work() -> dict[str, Any]:
            with self.reader().cursor() as cursor:
                document: dict[str, Any] = self._fold_until(cursor, moment, skip_bad, on_problem).document(
                    moment
                )
                return document

        return dict(self._run(work))

    def diff(
        self, start: datetime, end: datetime, *, skip_bad: bool = False, on_problem: OnProblem = None
    ) -> GraphDiff:
        """The documents at both moments, compared."""
        from lineage_cli.timetravel import _report_once, diff_documents

        report = _report_once(on_problem)
        before = self.document_at(start, skip_bad=skip_bad, on_problem=report)
        after = self.document_at(end, skip_bad=skip_bad, on_problem=report)
        return diff_documents(start, end, before, after)

    def builds(self) -> list[dict[str, Any]]:
        """The ``builds`` table, oldest first."""

        def work() -> list[dict[str, Any]]:
            with self.reader().cursor() as cursor:
                cursor.execute("SELECT entry FROM builds ORDER BY number")
                return [orjson.loads(row[0]) for row in cursor]

        return list(self._run(work))

    def stale(
        self, *, as_of: datetime | None = None, skip_bad: bool = False, on_problem: OnProblem = None
    ) -> list[StaleReason]:
        """Now: the last build's reasons, changed by the events since; at ``as_of``: the fold up to then."""
        from lineage_cli.store.postgres.build import stale_now
        from lineage_cli.store.postgres.fold import fold_from_state, stale_list

        def work() -> list[StaleReason]:
            reader = self.reader()
            name = f"{self.location} events, seq"
            with reader.cursor() as cursor:
                if as_of is not None:
                    return stale_list(self._fold_until(cursor, as_of, skip_bad, on_problem))
                if not reader.autocommit:
                    reader.rollback()
                reader.isolation_level = driver().IsolationLevel.REPEATABLE_READ  # one snapshot of all tables
                try:
                    with reader.transaction():
                        found = stale_now(cursor, name, skip_bad=skip_bad, on_problem=on_problem)
                        if found is not None:
                            return found
                        state = cursor.execute(
                            "SELECT horizon::text, events, last_event_time, graph_hash FROM build_state"
                        ).fetchone()
                        run = fold_from_state(
                            cursor,
                            name,
                            full=False,
                            state=state,
                            horizon=None,
                            skip_bad=skip_bad,
                            on_problem=on_problem,
                        )
                finally:
                    reader.isolation_level = None
                return stale_list(run.fold)

        return list(self._run(work))
