"""Accept OpenLineage request bodies into a store by the same path as ``lineage import openlineage``.

A body is one RunEvent (a JSON object) or a batch (a JSON array). It is checked whole
before anything is written: one malformed event rejects the request and nothing of it
is appended. Good events are mapped by :func:`~lineage_cli.interop.openlineage_import.map_run_events`,
as ``import openlineage`` maps them, and only those whose event id is not in the log yet are
appended (a locked append, as :func:`~lineage_cli.interop.common.append_new_events` does); the
ids are digests of the OpenLineage event, so a resend adds nothing.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

import orjson

from lineage_cli.errors import InputError
from lineage_cli.interop.common import ImportResult
from lineage_cli.interop.openlineage_import import map_run_events, parse_run_events
from lineage_cli.store.base import Store
from lineage_cli.store.events import KIND_ARTIFACT
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.local import as_store
from lineage_cli.store.local.logids import LogIds

__all__ = ["MAX_PROBLEMS", "BadEvents", "Ingestor", "LogIds"]

MAX_PROBLEMS: Final = 20
"""At most this many problems are listed in one rejection (the count says how many there were)."""


class BadEvents(InputError):
    """A request body that is not an OpenLineage event or batch; nothing of it was written.

    ``problems`` lists one sentence per bad event (at most :data:`MAX_PROBLEMS`).
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or [message]
        sentence = message if message.endswith((".", "?", "!")) else message + "."
        super().__init__(sentence, hint="Nothing of this request was written.")


def _where(position: int, count: int) -> str:
    return "the event" if count == 1 else f"event {position} of {count}"


def _split(body: bytes) -> tuple[bytes, int]:
    """The body as NDJSON, one event a line, and how many events: or :class:`BadEvents`."""
    if not body.strip():
        raise BadEvents("the request body is empty; send an OpenLineage event (a JSON object) or an array.")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        reason = exc.msg.split(":", 1)[0]
        where = f"line {exc.lineno}, column {exc.colno}"
        raise BadEvents(f"the body is not valid JSON ({reason}, {where}).") from None
    if isinstance(value, dict):
        return (body if b"\n" not in body else orjson.dumps(value)), 1
    if not isinstance(value, list):
        kind = {str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value), "null")
        raise BadEvents(
            f"the body is a JSON {kind}; send an OpenLineage event (a JSON object) or a batch (a JSON array)."
        )
    try:
        return b"\n".join(orjson.dumps(item) for item in value), len(value)
    except orjson.JSONEncodeError as exc:  # the parser accepted what the encoder refuses
        raise BadEvents(f"the body holds a value that is not portable JSON ({exc}).") from None


@dataclass(slots=True)
class _Ticket:
    """One request's mapped lineage events, waiting for the writer, and what became of them."""

    lineage: list[dict[str, Any]]
    result: ImportResult
    done: bool = False
    error: Exception | None = None


class Ingestor:
    """One store's OpenLineage intake; :meth:`ingest` is safe to call from many threads at once.

    Parameters
    ----------
    store:
        The store that receives the events: a directory (its ``events.jsonl``, whose ids are
        read incrementally) or any store behind the seam, through its :meth:`~Store.intake`.
    assume_utc:
        Read an ``eventTime`` without a timezone as UTC (as ``import openlineage --assume-utc``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> intake = Ingestor(StorePaths(Path(tempfile.mkdtemp())))
    >>> body = (b'{"eventType": "COMPLETE", "eventTime": "2026-01-01T00:00:00Z", "producer": "p",'
    ...         b' "run": {"runId": "r"}, "job": {"namespace": "ns", "name": "j"},'
    ...         b' "outputs": [{"namespace": "file", "name": "out.csv"}]}')
    >>> intake.ingest(body).appended, intake.ingest(body).duplicates
    (2, 2)
    >>> intake.ingest(b'[{"run": {}}]')
    Traceback (most recent call last):
    ...
    lineage_cli.serve.ingest.BadEvents: the event: `run.runId` must be a non-empty string. Nothing ...
    """

    def __init__(self, store: StorePaths | Store, *, assume_utc: bool = False) -> None:
        self.store = as_store(store)
        self.assume_utc = assume_utc
        self._lock = threading.Lock()  # held by the one thread writing to the log
        self._pending_lock = threading.Lock()
        self._pending: list[_Ticket] = []
        self._intake = self.store.intake()
        self._requests = itertools.count(1)

    def ingest(self, body: bytes) -> ImportResult:
        """Append the lineage events of one request body; raise :class:`BadEvents` for a bad one.

        The body is checked whole first, so a bad one writes nothing. The events are in the
        log (a locked append) when this returns. Concurrent calls are group-committed: the
        thread that gets the writer's lock appends the events of every request waiting by then,
        in one append, and each caller gets its own counts.
        """
        data, count = _split(body)
        # Later requests sort after earlier ones at equal event times (lines stay below 2**32).
        first_order = next(self._requests) << 32
        events, problems, records, ignored = parse_run_events(
            data, "request", first_order=first_order, assume_utc=self.assume_utc
        )
        if problems:
            listed = [
                f"{_where(p.line, count)}: {p.problem.removesuffix('; skipped')}"
                for p in problems[:MAX_PROBLEMS]
            ]
            many = f"{len(problems)} events have problems; " if len(problems) > 1 else ""
            raise BadEvents(many + listed[0], listed)
        # Each OpenLineage event maps on its own (the build folds a run's inputs from all its
        # run_inputs events), so a request needs none of its run's earlier events.
        lineage = map_run_events(events)
        artifacts = len({e["artifact_id"] for e in lineage if e["kind"] == KIND_ARTIFACT})
        result = ImportResult(unit="OpenLineage events", read=records, ignored=ignored, artifacts=artifacts)
        ticket = _Ticket(lineage, result)
        with self._pending_lock:
            self._pending.append(ticket)
        with self._lock:
            if not ticket.done:  # nobody committed it while this thread waited: commit all waiting
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                self._commit(batch)
        if ticket.error is not None:
            raise ticket.error
        return ticket.result

    def _commit(self, batch: list[_Ticket]) -> None:
        """Append the tickets' new events in one append; each ticket gets its counts or the error."""
        try:
            known = self._intake.known({e["event_id"] for ticket in batch for e in ticket.lineage})
            taken: set[str] = set()  # ids appended by an earlier ticket of this batch
            fresh: list[dict[str, Any]] = []
            for ticket in batch:
                fresh += _count(ticket, known, taken)
            if fresh:
                self._intake.append(fresh, taken)
        except Exception as exc:  # the log cannot be written: every request of the batch is refused
            for ticket in batch:
                ticket.error = exc
                ticket.result.appended = ticket.result.duplicates = 0
        finally:
            for ticket in batch:
                ticket.done = True


def _count(ticket: _Ticket, known: Collection[str], taken: set[str]) -> list[dict[str, Any]]:
    """The ticket's events not in the log nor ``taken``; counts them for it, and adds them to ``taken``."""
    fresh = []
    result = ticket.result
    for event in ticket.lineage:
        if event["event_id"] in known or event["event_id"] in taken:
            result.duplicates += 1
        else:
            taken.add(event["event_id"])
            fresh.append(event)
    result.appended += len(fresh)
    return fresh
