"""The directory store behind the store seam: the event log, ``lineage.json``, its index and snapshots.

The modules that do the work stay where they were (``store/events.py``, ``store/build.py``,
``store/index.py``, ``store/snapshots.py``, ``timetravel.py``, ``staleness.py``); this class
only wraps them in :class:`~lineage_cli.store.base.Store`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage_cli.store.base import EventSink, Intake, OnPending, OnProblem, Store
from lineage_cli.store.layout import StorePaths

if TYPE_CHECKING:
    from lineage_cli.graph import GraphView, LineageGraph
    from lineage_cli.store.build import BuildResult, Fold, Progress, StaleReason
    from lineage_cli.timetravel import GraphDiff

__all__ = ["LocalStore", "as_store"]


class LocalStore(Store):
    """A store directory (see README, "The store").

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.recorder import artifact_event
    >>> store = LocalStore(StorePaths(pathlib.Path(tempfile.mkdtemp())))
    >>> store.append([artifact_event("report", inputs=["table"])])
    1
    >>> store.build().artifacts, store.open_view().parents("report")  # 'table' is external
    (2, ('table',))
    """

    def __init__(self, paths: StorePaths) -> None:
        self.paths = paths
        self.location = str(paths.root)

    def append(self, events: Iterable[dict[str, Any]]) -> int:
        """Append under the log's lock (the build ignores an ``event_id`` seen before)."""
        from lineage_cli.store.events import append_events

        return append_events(self.paths.events, events)

    def known_event_ids(self, event_ids: Iterable[str]) -> set[str]:
        """The ids among ``event_ids`` already in the log (reads the whole log)."""
        from lineage_cli.store.events import read_events

        wanted = set(event_ids)
        return {
            str(e.get("event_id"))
            for _, e in read_events(self.paths.events, skip_bad=True, on_problem=lambda _p: None)
            if e.get("event_id") in wanted
        }

    def new_events(self) -> list[dict[str, Any]]:
        """The events past the log offset of the last snapshot (every event when the log was rewritten)."""
        from lineage_cli.store.build import read_log
        from lineage_cli.store.events import parse_events
        from lineage_cli.store.snapshots import list_snapshots, log_tail_hash

        log = read_log(self.paths)
        start = 0
        entries = list_snapshots(self.paths)
        if entries:
            offset = entries[-1].get("log_bytes")
            if isinstance(offset, int) and entries[-1].get("log_tail") == log_tail_hash(log, offset):
                start = offset
        return [e for _, e in parse_events(log[start:], str(self.paths.events), skip_bad=True)]

    def build(
        self,
        *,
        output: str | os.PathLike[str] | None = None,
        full: bool = False,
        skip_bad: bool = False,
        on_problem: OnProblem = None,
        progress: Progress | None = None,
    ) -> BuildResult:
        """Fold the log's new bytes into ``lineage.json`` (every event with ``full``)."""
        from lineage_cli.store.build import build_store

        return build_store(
            self.paths, output=output, full=full, skip_bad=skip_bad, on_problem=on_problem, progress=progress
        )

    def open_view(self, as_of: datetime | None = None, *, on_pending: OnPending = None) -> GraphView:
        """The index (or ``lineage.json``), or the graph replayed to ``as_of``.

        The log's unbuilt events are built first when that is cheap, else reported to
        ``on_pending`` (:func:`lineage_cli.store.freshness.ensure_built`).
        """
        if as_of is not None:
            return self.open_graph(as_of)
        from lineage_cli.source import directory_view
        from lineage_cli.store.freshness import ensure_built

        ensure_built(self.paths, on_pending)
        return directory_view(self.paths)

    def open_graph(self, as_of: datetime | None = None, *, on_pending: OnPending = None) -> LineageGraph:
        """``lineage.json`` loaded whole (built first when cheap), or the graph replayed to ``as_of``."""
        if as_of is not None:
            from lineage_cli.timetravel import graph_at

            return graph_at(self.paths, as_of)
        from lineage_cli.lineagefile import load_graph
        from lineage_cli.store.freshness import ensure_built

        ensure_built(self.paths, on_pending)
        return load_graph(self.document())

    def document(self) -> Path:
        """``lineage.json``, written first when the last build left it to be written on demand.

        Everything that reads the whole built document asks here (see
        :mod:`lineage_cli.store.local.document`); queries read the index instead.
        """
        from lineage_cli.store.local.document import ensure_document

        return ensure_document(self.paths)

    def document_at(
        self, moment: datetime, *, skip_bad: bool = False, on_problem: OnProblem = None
    ) -> dict[str, Any]:
        """From the best snapshot, else by replaying the log."""
        from lineage_cli.timetravel import document_at

        return document_at(self.paths, moment, skip_bad=skip_bad, on_problem=on_problem)

    def diff(
        self, start: datetime, end: datetime, *, skip_bad: bool = False, on_problem: OnProblem = None
    ) -> GraphDiff:
        """Both moments from one read of the log."""
        from lineage_cli.timetravel import diff

        return diff(self.paths, start, end, skip_bad=skip_bad, on_problem=on_problem)

    def builds(self) -> list[dict[str, Any]]:
        """``snapshots/index.jsonl``."""
        from lineage_cli.store.snapshots import list_snapshots

        return list_snapshots(self.paths)

    def stale(
        self, *, as_of: datetime | None = None, skip_bad: bool = False, on_problem: OnProblem = None
    ) -> list[StaleReason]:
        """Folded from the log."""
        from lineage_cli.staleness import stale_artifacts

        return stale_artifacts(self.paths, as_of=as_of, skip_bad=skip_bad, on_problem=on_problem)

    def pending_events(self) -> int:
        """The lines past the log offset the last build folded (one ``stat`` when there are none)."""
        from lineage_cli.store.freshness import pending_events

        return pending_events(self.paths)

    def fold_now(self, *, skip_bad: bool = False, on_problem: OnProblem = None) -> Fold:
        """The whole log folded (a store without a log is one sentence: a wrong ``--store``)."""
        from lineage_cli.store.build import fold_log, require_log

        require_log(self.paths)
        return fold_log(self.paths, skip_bad=skip_bad, on_problem=on_problem)

    def artifact_records(self, artifact_ids: Iterable[str]) -> list[dict[str, Any]]:
        """One pass over the log (bad lines are the build's to report)."""
        from lineage_cli.store.events import KIND_ARTIFACT, read_events

        wanted = set(artifact_ids)
        return [
            event
            for _, event in read_events(self.paths.events, skip_bad=True, on_problem=lambda _p: None)
            if event.get("kind") == KIND_ARTIFACT and event.get("artifact_id") in wanted
        ]

    def sink(self) -> EventSink:
        """The recorder's locked append to ``events.jsonl``."""
        from lineage_cli.store.local.sink import StoreSink

        return StoreSink(self.paths.root)

    def child_location(self) -> str:
        """The store's absolute path (the child may run in another directory)."""
        return os.path.abspath(self.paths.root)

    def events_stamp(self) -> object:
        """The log's device, inode, size and modification time: it changes on any append or rewrite."""
        try:
            stat = os.stat(self.paths.events)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def first_event_time(self) -> datetime | None:
        """One pass over the log (bad lines are passed over)."""
        from lineage_cli.timetravel import first_event_time

        return first_event_time(self.paths)

    def create(self) -> None:
        """The directory and an empty event log."""
        from lineage_cli.errors import InputError

        try:
            self.paths.root.mkdir(parents=True, exist_ok=True)
            self.paths.events.touch(exist_ok=True)
        except OSError as exc:
            raise InputError(f"{self.paths.root}: cannot create the store ({exc.strerror}).") from None

    def intake(self) -> Intake:
        """The log's ids, read incrementally (only the bytes appended since)."""
        from lineage_cli.store.local.logids import LogIntake

        return LogIntake(self.paths.events)


def as_store(store: StorePaths | Store) -> Store:
    """``store`` behind the seam: a bare directory (the Python API's older form) as a :class:`LocalStore`.

    Examples
    --------
    >>> from pathlib import Path
    >>> type(as_store(StorePaths(Path("s")))).__name__
    'LocalStore'
    """
    return store if isinstance(store, Store) else LocalStore(store)
