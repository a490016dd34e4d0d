"""The store seam: what commands need from a store, and the one chooser from a location to a store.

A store is either a directory (the default, :mod:`lineage_cli.store.local`) or a PostgreSQL
database (:mod:`lineage_cli.store.postgres`, for a team). Commands open one with
:func:`open_store` and use only the methods of :class:`Store`, so every command, output and
exit code is the same on both.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from lineage_cli.store.discovery import discover_store, is_database_location

if TYPE_CHECKING:
    from lineage_cli.graph import GraphView, LineageGraph
    from lineage_cli.store.build import BuildResult, Progress, StaleReason
    from lineage_cli.store.events import LogProblem
    from lineage_cli.timetravel import GraphDiff

__all__ = [
    "POSTGRES_SCHEMES",
    "READ_ENV",
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


def open_store(location: str | os.PathLike[str] | None = None) -> Store:
    """The one chooser: a PostgreSQL store for a ``postgresql://`` location, else a directory store.

    ``location`` defaults as :func:`store_location` says. The PostgreSQL driver is imported
    only here, only for a PostgreSQL location.

    Examples
    --------
    >>> import tempfile
    >>> type(open_store(tempfile.mkdtemp())).__name__
    'LocalStore'
    """
    text = store_location(location)
    if is_postgres_location(text):
        from lineage_cli.store.postgres import PostgresStore

        return PostgresStore(text, read_url=os.environ.get(READ_ENV) or None)
    from pathlib import Path

    from lineage_cli.store.layout import StorePaths
    from lineage_cli.store.local import LocalStore

    return LocalStore(StorePaths(Path(text)))
