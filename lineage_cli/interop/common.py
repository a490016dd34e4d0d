"""What every importer shares: deterministic event ids, de-duplicated appends, and the result."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from lineage_cli.store.base import Store
from lineage_cli.store.events import LogProblem, append_events, read_events
from lineage_cli.store.layout import StorePaths

__all__ = ["ImportResult", "append_new_events", "digest"]


def digest(*parts: Any) -> str:
    """A stable 32-hex-digit digest of JSON-encodable parts (key order does not matter).

    Importers derive event ids from it, so importing the same input twice gives the
    same ids and the second import adds nothing.

    Examples
    --------
    >>> digest({"a": 1, "b": 2}) == digest({"b": 2, "a": 1})
    True
    >>> len(digest("x"))
    32
    """
    payload = orjson.dumps(list(parts), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()[:32]


@dataclass(slots=True)
class ImportResult:
    """What an import did: events appended, duplicates skipped, and the problems found.

    ``problems`` name the file and line of each input that was not imported. When there
    are problems and the import was not asked to skip bad input, nothing was appended.
    """

    unit: str = "records"
    """What the input records are, for the summary."""
    read: int = 0
    """Input records read (OpenLineage events, or artifacts of a lineage file)."""
    appended: int = 0
    """Events appended to the store's log."""
    duplicates: int = 0
    """Events skipped because an event with the same id is already in the log (or the input)."""
    artifacts: int = 0
    """Distinct artifacts among the events the input maps to."""
    ignored: int = 0
    """Valid records with nothing to import (OpenLineage JobEvents and DatasetEvents)."""
    problems: list[LogProblem] = field(default_factory=list)
    """Input lines that were not imported, each with its file and line."""
    warnings: list[str] = field(default_factory=list)
    """What was imported with a loss (a detail the event schema cannot carry)."""

    def summary(self) -> str:
        """One line for stderr.

        Examples
        --------
        >>> ImportResult(read=3, appended=5, duplicates=1, artifacts=2).summary()
        '3 records read (2 artifacts): 5 events appended, 1 duplicate skipped, 0 problems.'
        """
        dup = "duplicate" if self.duplicates == 1 else "duplicates"
        prob = "problem" if len(self.problems) == 1 else "problems"
        ignored = f", {self.ignored} without a run ignored" if self.ignored else ""
        warned = f", {len(self.warnings)} warnings" if self.warnings else ""
        counted = "" if self.unit.endswith("artifacts") else f" ({self.artifacts} artifacts)"
        return (
            f"{self.read} {self.unit} read{counted}: {self.appended} events appended, "
            f"{self.duplicates} {dup} skipped{ignored}, {len(self.problems)} {prob}{warned}."
        )


def append_new_events(
    store: StorePaths | Store,
    events: Iterable[dict[str, Any]],
    result: ImportResult,
    *,
    known_ids: set[str] | None = None,
) -> None:
    """Append the events whose ``event_id`` is not in the log yet; count both kinds in ``result``.

    ``known_ids`` are the ids already in the log when the caller keeps them current (``lineage
    serve`` does, reading only what was appended since); the ids appended are added to it.
    Without it the whole log is read.

    Reading the ids first and appending afterwards is not one atomic step: two imports of
    the same file at the same moment may both append an event. That is harmless, because
    ``lineage build`` keeps the first event of each id and ignores the rest.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.store.events import new_event, KIND_FLOW_STARTED
    >>> store = StorePaths(pathlib.Path(tempfile.mkdtemp()))
    >>> event = new_event(KIND_FLOW_STARTED, lineage_id="L")
    >>> first, second = ImportResult(), ImportResult()
    >>> append_new_events(store, [event], first)
    >>> append_new_events(store, [event], second)
    >>> (first.appended, second.appended, second.duplicates)
    (1, 0, 1)
    """
    if known_ids is not None:
        known: set[Any] = known_ids
    elif isinstance(store, Store):  # any store behind the seam (a PostgreSQL store among them)
        events = list(events)
        known = store.known_event_ids(e["event_id"] for e in events)
    else:
        known = {
            event.get("event_id")
            for _, event in read_events(store.events, skip_bad=True, on_problem=lambda _problem: None)
        }
    fresh_ids: set[Any] = set()
    fresh: list[dict[str, Any]] = []
    for event in events:
        event_id = event["event_id"]
        if event_id in known or event_id in fresh_ids:
            result.duplicates += 1
            continue
        fresh_ids.add(event_id)
        fresh.append(event)
    result.appended += store.append(fresh) if isinstance(store, Store) else append_events(store.events, fresh)
    known.update(fresh_ids)  # only once they are in the store: a failed append must stay retryable
