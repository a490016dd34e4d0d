"""The store seam: what commands need from a store, and the one chooser from a location to a store.

A store is either a directory (the default, :mod:`lineage_cli.store.local`) or a PostgreSQL
database (:mod:`lineage_cli.store.postgres`, for a team). Commands open one with
:func:`open_store` and use only the methods of :class:`Store`, so every command, output and
exit code is the same on both.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

from lineage_cli.store.discovery import discover_store, is_database_location

if TYPE_CHECKING:
    from lineage_cli.graph import GraphView, LineageGraph
    from lineage_cli.status import StatusRows
    from lineage_cli.store.build import BuildResult, Fold, Progress, StaleReason
    from lineage_cli.store.events import LogProblem
    from lineage_cli.timetravel import GraphDiff

__all__ = [
    "POSTGRES_SCHEMES",
    "READ_ENV",
    "EventSink",
    "Intake",
    "OnPending",
    "OnProblem",
    "Store",
    "is_postgres_location",
    "open_store",
    "store_location",
]

POSTGRES_SCHEMES: Final = ("postgresql://", "postgres://")
"""A location starting with one of these is a PostgreSQL store; anything else is a directory."""

READ_ENV: Final = "LINEAGE_STORE_READ"
"""Optionally names a read replica of a PostgreSQL store: queries read there, writes go to the primary."""

OnProblem = Callable[["LogProblem"], None] | None
OnPending = Callable[[int], None] | None


class EventSink(Protocol):
    """Where a writer that records as it goes (``lineage run``) sends events: ``sink(event)``, ``close()``.

    A directory store's sink is its locked append; a PostgreSQL store's is the recorder's spool
    and background shipper, so a down server never delays the writer.
    """

    def __call__(self, event: dict[str, Any]) -> None:
        """Record one event (raises ``OSError`` or a ``LineageError`` when it cannot be kept)."""

    def close(self) -> object:
        """Finish: send what is left (a spool, for a bounded time), release what is open."""


class Intake:
    """How a long-running writer (``lineage serve``) appends: which ids are stored, then the new events.

    This one asks the store each time (a PostgreSQL store: one indexed lookup per batch); a
    directory store's keeps the ids of its log current instead
    (:class:`lineage_cli.store.local.logids.LogIntake`).
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def known(self, event_ids: Collection[str]) -> Collection[str]:
        """Which of ``event_ids`` the store holds (may say more: only membership counts)."""
        return self.store.known_event_ids(event_ids)

    def append(self, events: list[dict[str, Any]], event_ids: set[str]) -> None:
        """Append ``events`` (whose ids are ``event_ids``, none of them stored yet)."""
        self.store.append(events)

    def close(self) -> None:
        """Release what the intake holds open."""


class Store(ABC):
    """What every command needs from a store, whatever it is kept in.

    ``location`` names the store in messages (a PostgreSQL password is masked).
    """

    location: str

    @abstractmethod
    def append(self, events: Iterable[dict[str, Any]]) -> int:
        """Append events (append-only; an ``event_id`` already stored adds nothing); return how many."""

    @abstractmethod
    def known_event_ids(self, event_ids: Iterable[str]) -> set[str]:
        """Which of ``event_ids`` the store already holds (an import skips those)."""

    @abstractmethod
    def new_events(self) -> list[dict[str, Any]]:
        """The events appended since the last build, in the order a build folds them."""

    @abstractmethod
    def build(
        self,
        *,
        output: str | os.PathLike[str] | None = None,
        full: bool = False,
        skip_bad: bool = False,
        on_problem: OnProblem = None,
        progress: Progress | None = None,
    ) -> BuildResult:
        """Fold the new events (every event with ``full``) into the current graph; snapshot a change."""

    @abstractmethod
    def open_view(self, as_of: datetime | None = None, *, on_pending: OnPending = None) -> GraphView:
        """A graph view for queries: the current graph, or the graph as it was at ``as_of``.

        ``on_pending(count)`` hears how many recorded events the current graph does not show yet.
        """

    @abstractmethod
    def open_graph(self, as_of: datetime | None = None, *, on_pending: OnPending = None) -> LineageGraph:
        """The whole graph in memory (for exports), now or at ``as_of``."""

    @abstractmethod
    def document_at(
        self, moment: datetime, *, skip_bad: bool = False, on_problem: OnProblem = None
    ) -> dict[str, Any]:
        """The lineage document (nodes, edges, statuses) as it was at ``moment``."""

    @abstractmethod
    def diff(
        self, start: datetime, end: datetime, *, skip_bad: bool = False, on_problem: OnProblem = None
    ) -> GraphDiff:
        """What changed between two moments."""

    @abstractmethod
    def builds(self) -> list[dict[str, Any]]:
        """The builds that changed the graph (``lineage snapshots``), oldest first."""

    @abstractmethod
    def stale(
        self, *, as_of: datetime | None = None, skip_bad: bool = False, on_problem: OnProblem = None
    ) -> list[StaleReason]:
        """Every stale artifact (now or at ``as_of``) with the chain of upstream changes behind it."""

    @abstractmethod
    def pending_events(self) -> int:
        """How many recorded events the last build has not folded (what a query warns about)."""

    @abstractmethod
    def fold_now(self, *, skip_bad: bool = False, on_problem: OnProblem = None) -> Fold:
        """The fold of every event recorded now, built or not (what ``lineage status`` reports)."""

    def built_status(self) -> StatusRows | None:
        """What ``lineage status`` prints, read from the last build when no event is unbuilt.

        ``None`` (the default): :meth:`fold_now` is folded instead.
        """
        return None

    @abstractmethod
    def artifact_records(self, artifact_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Every ``artifact_recorded`` event of ``artifact_ids``, in the order a build folds them."""

    @abstractmethod
    def sink(self) -> EventSink:
        """A sink for a writer that records as it goes (``lineage run``); close it when done."""

    @abstractmethod
    def child_location(self) -> str:
        """The location a child process is given in ``$LINEAGE_STORE`` to record into this store.

        Unlike :attr:`location` it keeps a password given in the URL: the environment is not output.
        """

    @abstractmethod
    def events_stamp(self) -> object:
        """What changes whenever events are recorded (``None``: the store has none yet).

        A long-running reader (``lineage serve``) builds before answering when it changed.
        """

    @abstractmethod
    def first_event_time(self) -> datetime | None:
        """When the earliest event happened (``None``: none); ``lineage at`` names it for earlier moments."""

    @abstractmethod
    def create(self) -> None:
        """Create what the store needs and does not have yet (``lineage init``); keep what it has."""

    def intake(self) -> Intake:
        """How a long-running writer (``lineage serve``) appends to this store."""
        return Intake(self)

    def for_thread(self) -> Store:
        """A handle on the same store that another thread may use at the same time as this one."""
        return self

    def close(self) -> None:  # noqa: B027  (optional: a directory holds nothing open)
        """Release what the store holds open (connections)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def store_location(explicit: str | os.PathLike[str] | None = None) -> str:
    """The store's location text, found by :func:`lineage_cli.store.discovery.discover_store`.

    ``explicit``, else ``$LINEAGE_STORE``, else the project file, else the nearest ``.lineage/``.

    Examples
    --------
    >>> store_location("/tmp/x")
    '/tmp/x'
    """
    return discover_store(explicit).location


def is_postgres_location(location: str | os.PathLike[str] | None) -> bool:
    """Whether ``location`` names a PostgreSQL store (``postgresql://`` or ``postgres://``).

    Examples
    --------
    >>> is_postgres_location("postgresql://db/lineage"), is_postgres_location("postgres://h/x")
    (True, True)
    >>> is_postgres_location(".lineage")
    False
    """
    return isinstance(location, str) and is_database_location(location)


def open_store(location: str | os.PathLike[str] | Store | None = None) -> Store:
    """The one chooser: a PostgreSQL store for a ``postgresql://`` location, else a directory store.

    ``location`` defaults as :func:`store_location` says; a store already open is returned as
    it is. The PostgreSQL driver is imported only here, only for a PostgreSQL location.

    Examples
    --------
    >>> import tempfile
    >>> type(open_store(tempfile.mkdtemp())).__name__
    'LocalStore'
    """
    if isinstance(location, Store):
        return location
    text = store_location(location)
    if is_postgres_location(text):
        from lineage_cli.store.postgres import PostgresStore

        return PostgresStore(text, read_url=os.environ.get(READ_ENV) or None)
    from pathlib import Path

    from lineage_cli.store.layout import StorePaths
    from lineage_cli.store.local import LocalStore

    return LocalStore(StorePaths(Path(text)))
