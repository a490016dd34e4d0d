"""The PostgreSQL store behind the store seam: many machines record into one database.

``psycopg`` is imported only when a ``postgresql://`` store is opened (the ``[postgres]``
extra). Tables and the transaction horizon are described in :mod:`.schema` and :mod:`.fold`;
queries in :mod:`.view`; the recorder's spool and shipper in :mod:`lineage_cli.store.spool`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from lineage_cli.model import format_timestamp, utc_now
from lineage_cli.store.base import EventSink, OnPending, OnProblem, Store
from lineage_cli.store.postgres.connect import StoreError, connect, describe, driver, mask
from lineage_cli.store.postgres.schema import (
    NO_JIT,
    SCHEMA_VERSION,
    UNBUILT,
    check_schema,
    ensure_schema,
    probe,
)

if TYPE_CHECKING:
    from lineage_cli.graph import GraphView, LineageGraph
    from lineage_cli.status import StatusRows
    from lineage_cli.store.build import BuildResult, Fold, Progress, StaleReason
    from lineage_cli.timetravel import GraphDiff

__all__ = ["PostgresStore", "StoreError"]

T = TypeVar("T")


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
            self._primary, _ = self._open(self.url, create=True, unbuilt=False)
        return self._primary

    def reader(self) -> Any:
        """The connection queries use: the read replica when ``$LINEAGE_STORE_READ`` names one."""
        if self._reader is None:
            self._open_reader(unbuilt=False)
        return self._reader

    def _open_reader(self, *, unbuilt: bool) -> tuple[int, int] | None:
        """Open the reader; with ``unbuilt``, also how many events (and bytes) are unbuilt."""
        if self.read_url is not None:
            self._reader, counted = self._open(self.read_url, create=False, unbuilt=unbuilt)
        elif self._primary is not None:
            self._reader, counted = self._primary, None
        else:
            self._primary, counted = self._open(self.url, create=True, unbuilt=unbuilt)
            self._reader = self._primary
        return counted

    def _open(self, url: str, *, create: bool, unbuilt: bool) -> tuple[Any, tuple[int, int] | None]:
        """Connect, and make sure the schema is current, in one round trip when it is (:func:`probe`).

        Returns the connection and, with ``unbuilt``, the probe's count of unbuilt events and
        their bytes (``None`` when the probe could not tell: the tables were just made or migrated).
        """
        connection = connect(url, autocommit=True)  # no read leaves a transaction open
        found = probe(connection, unbuilt=unbuilt)
        if found is not None and found[0] == SCHEMA_VERSION:
            return connection, found[1:] if unbuilt else None
        # No tables yet, an older or newer schema, or a failed probe: the careful path says which.
        try:
            connection.execute(NO_JIT)
        except driver().Error as exc:
            connection.close()
            raise describe(url, exc) from None
        if create:
            ensure_schema(connection, url)
        elif not check_schema(connection, url):
            connection.close()
            raise StoreError(
                f"The PostgreSQL store {mask(url)} has no lineage tables yet.",
                hint="Record and build into the primary first (the replica follows it).",
            )
        return connection, None

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

        Events recorded since the last build are built first when they are few, else
        ``on_pending`` hears how many (:meth:`ensure_built`), as on a directory store.
        """
        from lineage_cli.store.postgres.view import PgView

        if as_of is not None:
            # Only the events that can change the answer, folded with the one fold (see .asof).
            return self._as_of_view(as_of)
        self.ensure_built(on_pending)
        return PgView(self._run(self.reader), origin=self.location, url=self.read_url or self.url)

    def open_graph(self, as_of: datetime | None = None, *, on_pending: OnPending = None) -> LineageGraph:
        """The whole graph in memory (the events since the last build built first when they are few)."""
        from lineage_cli.graph import LineageGraph
        from lineage_cli.store.postgres.view import load_document

        if as_of is not None:
            return LineageGraph.from_document(self.document_at(as_of), origin=self.location)
        self.ensure_built(on_pending)

        def work() -> dict[str, Any]:
            reader = self.reader()
            with reader.cursor() as cursor:
                row = cursor.execute("SELECT entry FROM builds ORDER BY number DESC LIMIT 1").fetchone()
                built_at = orjson.loads(row[0])["built_at"] if row else format_timestamp(utc_now())
                return load_document(cursor, built_at)

        return LineageGraph.from_document(self._run(work), origin=self.location)

    def _as_of_view(self, moment: datetime) -> GraphView:
        from lineage_cli.store.postgres.asof import AsOfView
        from lineage_cli.store.postgres.view import PgView

        reader = PgView(self._run(self.reader), origin=self.location, url=self.read_url or self.url)
        return AsOfView(
            reader.fetch,
            moment,
            name=f"{self.location} events, seq",
            origin=self.location,
            whole=lambda: self.open_graph(moment),
        )

    def _fold_until(self, cursor: Any, moment: datetime, skip_bad: bool, on_problem: OnProblem) -> Any:
        from lineage_cli.store.postgres.fold import fold_events_until

        return fold_events_until(
            cursor, f"{self.location} events, seq", moment, skip_bad=skip_bad, on_problem=on_problem
        )

    def _moment(self, cursor: Any, moment: datetime, skip_bad: bool, on_problem: OnProblem) -> Any:
        from lineage_cli.store.postgres.history import moment_state

        name = f"{self.location} events, seq"
        return moment_state(cursor, name, moment, skip_bad=skip_bad, on_problem=on_problem)

    def document_at(
        self, moment: datetime, *, skip_bad: bool = False, on_problem: OnProblem = None
    ) -> dict[str, Any]:
        """The last build's state before ``moment`` plus the events since up to it (see :mod:`.history`).

        With no such build, fold every event at or before ``moment`` (an index range on their time).
        """
        from lineage_cli.store.postgres import history

        def work() -> dict[str, Any]:
            with self.reader().cursor() as cursor:
                at = self._moment(cursor, moment, skip_bad, on_problem)
                if at is not None:
                    return history.document_at(cursor, at, moment)
                document: dict[str, Any] = self._fold_until(cursor, moment, skip_bad, on_problem).document(
                    moment
                )
                return document

        return dict(self._run(work))

    def diff(
        self, start: datetime, end: datetime, *, skip_bad: bool = False, on_problem: OnProblem = None
    ) -> GraphDiff:
        """Only the artifacts that differ between the two moments' states, compared; else both documents."""
        from lineage_cli.store.postgres.history import diff_nodes
        from lineage_cli.timetravel import _report_once, diff_documents

        report = _report_once(on_problem)

        def work() -> GraphDiff | None:
            with self.reader().cursor() as cursor:
                first = self._moment(cursor, start, skip_bad, report)
                second = None if first is None else self._moment(cursor, end, skip_bad, report)
                if first is None or second is None:
                    return None
                return diff_documents(start, end, *diff_nodes(cursor, first, second))

        found: GraphDiff | None = self._run(work)
        if found is not None:
            return found
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
        """The last build's reasons (at ``as_of``: a version's, see .history), changed by the events since."""
        from lineage_cli.store.postgres.build import stale_now
        from lineage_cli.store.postgres.fold import fold_from_state, stale_list
        from lineage_cli.store.postgres.history import stale_at

        def work() -> list[StaleReason]:
            reader = self.reader()
            name = f"{self.location} events, seq"
            with reader.cursor() as cursor:
                if as_of is not None:
                    at = self._moment(cursor, as_of, skip_bad, on_problem)
                    if at is not None:
                        return stale_at(cursor, at)
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

    # -- what commands besides queries need (status, run, import dbt, the unbuilt warning) --

    def _in_snapshot(self, read: Callable[[Any], T]) -> T:
        """``read(cursor)`` in one ``REPEATABLE READ`` transaction: one snapshot of all tables."""

        def work() -> T:
            reader = self.reader()
            if not reader.autocommit:
                reader.rollback()
            reader.isolation_level = driver().IsolationLevel.REPEATABLE_READ
            try:
                with reader.transaction(), reader.cursor() as cursor:
                    return read(cursor)
            finally:
                reader.isolation_level = None

        found: T = self._run(work)
        return found

    def fold_now(self, *, skip_bad: bool = False, on_problem: OnProblem = None) -> Fold:
        """The last build's fold state plus the events since, read in one snapshot of all tables."""
        from lineage_cli.store.postgres.fold import fold_from_state

        def read(cursor: Any) -> Fold:
            state = cursor.execute(
                "SELECT horizon::text, events, last_event_time, graph_hash FROM build_state"
            ).fetchone()
            return fold_from_state(
                cursor,
                f"{self.location} events, seq",
                full=False,
                state=state,
                horizon=None,
                skip_bad=skip_bad,
                on_problem=on_problem,
            ).fold

        return self._in_snapshot(read)

    def built_status(self) -> StatusRows | None:
        """Only what ``lineage status`` prints, from the tables in one snapshot; ``None``: events are unbuilt.

        The counts are the last build's; the failed and in-progress artifacts are found through
        the flows in those states (the ``artifact_by_flow`` index), the stale ones in ``stale``.
        """
        from lineage_cli.store.postgres.fold import built_status

        return self._in_snapshot(built_status)

    def _unbuilt(self) -> tuple[int, int]:
        """How many events, and how many bytes of them, lie at or past the last build's horizon.

        When the reader is not open yet, the round trip that opens it answers this too.
        """
        if self._reader is None:
            probed: tuple[int, int] | None = self._run(self._open_reader, unbuilt=True)
            if probed is not None:
                return probed

        def work() -> tuple[int, int]:
            with self.reader().cursor() as cursor:
                row = cursor.execute(UNBUILT).fetchone()
                return int(row[0]), int(row[1])

        counted: tuple[int, int] = self._run(work)
        return counted

    def pending_events(self) -> int:
        """One count on the index of ``events.tx`` (from the last build's horizon on)."""
        return self._unbuilt()[0]

    def ensure_built(self, on_pending: OnPending) -> int:
        """Build first when the unbuilt events are few (as a directory store does); else report them.

        The cost of a build grows with the events since the horizon, so their size (not the
        store's) is compared with ``$LINEAGE_AUTO_BUILD_BYTES``. A role that may not build, a
        bad event or a busy server leaves the events unbuilt, and ``on_pending`` hears how many.
        """
        from lineage_cli.errors import LineageError
        from lineage_cli.store.freshness import cheap_build_bytes

        count, size = self._unbuilt()
        if not count:
            return 0
        cheap = cheap_build_bytes()
        if cheap > 0 and size <= cheap:
            try:
                self.build()
                return 0
            except LineageError:
                pass  # answer from the last build, and say so
        if on_pending is not None:
            on_pending(count)
        return count

    def artifact_records(self, artifact_ids: Iterable[str]) -> list[dict[str, Any]]:
        """One probe of the ``events_by_artifact`` index for all of them, in ``(tx, seq)`` order."""
        from lineage_cli.store.events import KIND_ARTIFACT

        wanted = sorted(set(artifact_ids))

        def work() -> list[dict[str, Any]]:
            with self.reader().cursor() as cursor:
                cursor.execute(
                    "SELECT body FROM events WHERE artifact_id = ANY(%s) ORDER BY tx, seq", (wanted,)
                )
                return [orjson.loads(row[0]) for row in cursor]

        found = set(wanted)
        return [
            e for e in self._run(work) if e.get("kind") == KIND_ARTIFACT and e.get("artifact_id") in found
        ]

    def sink(self) -> EventSink:
        """The recorder's spool, shipped by a background process (a down server delays nothing)."""
        from lineage_cli.store.spool import SpoolSink

        return SpoolSink(self.url)

    def child_location(self) -> str:
        """The URL as given (a password in it reaches the child through its environment only)."""
        return self.url

    def events_stamp(self) -> object:
        """The newest event's ``seq`` and how many events lie past the horizon (``None``: no events)."""

        def work() -> tuple[int, int] | None:
            with self.reader().cursor() as cursor:
                row = cursor.execute(
                    "SELECT (SELECT max(seq) FROM events),"
                    " (SELECT count(*) FROM events e, build_state s WHERE e.tx >= s.horizon)"
                ).fetchone()
            return None if row[0] is None else (int(row[0]), int(row[1]))

        return self._run(work)

    def first_event_time(self) -> datetime | None:
        """One probe of the index on ``events.time``."""

        def work() -> datetime | None:
            with self.reader().cursor() as cursor:
                row = cursor.execute("SELECT min(time) FROM events").fetchone()
            return row[0] if row else None

        first: datetime | None = self._run(work)
        return first

    def create(self) -> None:
        """The tables (and the schema version), created or migrated under the advisory lock."""
        self._run(self.primary)

    def for_thread(self) -> PostgresStore:
        """A second handle with connections of its own (one connection serves one thread at a time)."""
        return PostgresStore(self.url, read_url=self.read_url)
