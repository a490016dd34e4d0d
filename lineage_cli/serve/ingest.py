"""Accept OpenLineage request bodies into a store by the same path as ``lineage import openlineage``.

A body is one RunEvent (a JSON object) or a batch (a JSON array). It is checked whole
before anything is written: one malformed event rejects the request and nothing of it
is appended. Good events are mapped by :func:`~lineage_cli.interop.openlineage_import.map_run_events`
and appended by :func:`~lineage_cli.interop.common.append_new_events`, whose event ids are
digests of the OpenLineage event, so a resend adds nothing.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from lineage_cli.errors import InputError, LineageFileError
from lineage_cli.interop.common import ImportResult, append_new_events, digest
from lineage_cli.interop.openlineage_import import OpenLineageRunEvent, map_run_events, parse_run_events
from lineage_cli.store.events import KIND_ARTIFACT
from lineage_cli.store.layout import StorePaths

__all__ = ["MAX_PROBLEMS", "BadEvents", "Ingestor", "LogIds", "RunMemory"]

MAX_PROBLEMS: Final = 20
"""At most this many problems are listed in one rejection (the count says how many there were)."""


_OWN_PREFIX: Final = b'{"schema":1,"event_id":"'
"""How every event this package's encoder writes begins (``new_event`` puts these keys first)."""


class BadEvents(InputError):
    """A request body that is not an OpenLineage event or batch; nothing of it was written.

    ``problems`` lists one sentence per bad event (at most :data:`MAX_PROBLEMS`).
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or [message]
        sentence = message if message.endswith((".", "?", "!")) else message + "."
        super().__init__(sentence, hint="Nothing of this request was written.")


class LogIds:
    """The event ids in a store's log, kept current by reading only the bytes appended since.

    Only whole lines are read (a line being appended is picked up next time). If the log
    was replaced or cut short, it is read again from the start.

    Examples
    --------
    >>> import tempfile
    >>> from lineage_cli.store.events import append_events, new_event, KIND_FLOW_STARTED
    >>> log = Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> ids = LogIds(log)
    >>> len(ids.current())
    0
    >>> _ = append_events(log, [new_event(KIND_FLOW_STARTED, lineage_id="L", event_id="e1")])
    >>> sorted(ids.current())
    ['e1']
    """

    def __init__(self, log: Path) -> None:
        self.log = log
        self._ids: set[str] = set()
        self._offset = 0
        self._identity: tuple[int, int] | None = None

    def current(self) -> set[str]:
        """The ids now in the log (the same set object each time, updated in place)."""
        try:
            stat = os.stat(self.log)
        except (FileNotFoundError, NotADirectoryError):  # no log yet (the append says what is wrong)
            self._reset(None)
            return self._ids
        except OSError as exc:
            raise LineageFileError(str(self.log), f"cannot be read ({exc.strerror})") from None
        identity = (stat.st_dev, stat.st_ino)
        if identity != self._identity or stat.st_size < self._offset:
            self._reset(identity)
        if stat.st_size > self._offset:
            try:
                with open(self.log, "rb") as log:
                    log.seek(self._offset)
                    data = log.read(stat.st_size - self._offset)
            except OSError as exc:
                raise LineageFileError(str(self.log), f"cannot be read ({exc.strerror})") from None
            whole = data.rfind(b"\n") + 1
            for line in data[:whole].split(b"\n"):
                if not line or line.isspace() or self._known_line(line):
                    continue
                try:
                    event = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue  # a torn line: the build skips it too
                if isinstance(event, dict) and isinstance(event.get("event_id"), str):
                    self._ids.add(event["event_id"])
            self._offset += whole
        return self._ids

    def _known_line(self, line: bytes) -> bool:
        # Most new lines are this server's own appends, whose ids are known already: spotting
        # the id by the encoder's key order skips parsing them. A line is only ever skipped
        # here, never taken as known, so a torn or foreign line still goes through the parser.
        if not line.startswith(_OWN_PREFIX):
            return False
        end = line.find(b'"', len(_OWN_PREFIX))
        return end > 0 and line[len(_OWN_PREFIX) : end].decode("utf-8", "replace") in self._ids

    def _reset(self, identity: tuple[int, int] | None) -> None:
        self._ids.clear()
        self._offset = 0
        self._identity = identity


class RunMemory:
    """The RunEvents accepted lately, per run, with their digests (least recently used runs go first).

    A producer sends a run's events one request at a time (START with the inputs, COMPLETE
    with the outputs). Mapping each new event together with its run's earlier ones gives
    the artifacts the inputs the whole run named, as importing all the events at once does.

    Memory is bounded by runs and by bytes (a Spark event with its logical plan can weigh
    megabytes): the least recently used runs are forgotten first.

    Examples
    --------
    >>> memory = RunMemory(runs=1)
    >>> memory.remember([("d1", "e1", "run-a", 10), ("d2", "e2", "run-b", 10)])
    >>> memory.prior({"run-a", "run-b"})
    ['e2']
    """

    def __init__(self, runs: int = 10_000, per_run: int = 64, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._runs: OrderedDict[str, OrderedDict[str, tuple[Any, int]]] = OrderedDict()
        self._max_runs = runs
        self._per_run = per_run
        self._max_bytes = max_bytes
        self._bytes = 0

    def prior(self, run_ids: set[str], *, without: frozenset[str] = frozenset()) -> list[Any]:
        """The remembered events of these runs, except those whose digest is in ``without``."""
        found: list[Any] = []
        for run_id in sorted(run_ids):
            for key, (event, _size) in self._runs.get(run_id, {}).items():
                if key not in without:
                    found.append(event)
        return found

    def remember(self, entries: list[tuple[str, Any, str, int]]) -> None:
        """Remember ``(digest, event, run id, size in bytes)`` entries."""
        for key, event, run_id, size in entries:
            events = self._runs.setdefault(run_id, OrderedDict())
            self._runs.move_to_end(run_id)
            if key in events:
                self._bytes -= events.pop(key)[1]
            events[key] = (event, size)
            self._bytes += size
            if len(events) > self._per_run:
                self._bytes -= events.popitem(last=False)[1][1]
        while self._runs and (len(self._runs) > self._max_runs or self._bytes > self._max_bytes):
            _, forgotten = self._runs.popitem(last=False)
            self._bytes -= sum(size for _event, size in forgotten.values())


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
    """One request's checked events, waiting for the writer, and what became of them."""

    events: list[OpenLineageRunEvent]
    keys: list[str]
    result: ImportResult
    done: bool = False
    error: Exception | None = None


class Ingestor:
    """One store's OpenLineage intake; :meth:`ingest` is safe to call from many threads at once.

    Parameters
    ----------
    store:
        The store whose ``events.jsonl`` receives the events.
    assume_utc:
        Read an ``eventTime`` without a timezone as UTC (as ``import openlineage --assume-utc``).

    Examples
    --------
    >>> import tempfile
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

    def __init__(self, store: StorePaths, *, assume_utc: bool = False) -> None:
        self.store = store
        self.assume_utc = assume_utc
        self._lock = threading.Lock()  # held by the one thread writing to the log
        self._pending_lock = threading.Lock()
        self._pending: list[_Ticket] = []
        self._ids = LogIds(store.events)
        self._runs = RunMemory()
        self._requests = itertools.count(1)

    def ingest(self, body: bytes) -> ImportResult:
        """Append the lineage events of one request body; raise :class:`BadEvents` for a bad one.

        The body is checked whole first, so a bad one writes nothing. The events are in the
        log (a locked append) when this returns. Concurrent calls are group-committed: the
        thread that gets the writer's lock maps and appends every request waiting by then,
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
        result = ImportResult(unit="OpenLineage events", read=records, ignored=ignored)
        ticket = _Ticket(events, [digest(e.raw) for e in events], result)
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
        """Map and append the tickets' events in one append; each ticket gets its counts or the error."""
        try:
            known = self._ids.current()
            taken: set[str] = set()  # ids appended by an earlier ticket of this batch
            mapped: list[dict[str, Any]] = []
            for ticket in batch:
                mapped += self._stage(ticket, known, taken)
            append_new_events(self.store, mapped, ImportResult(), known_ids=known)
        except Exception as exc:  # the log cannot be written: every request of the batch is refused
            for ticket in batch:
                ticket.error = exc
        finally:
            for ticket in batch:
                ticket.done = True

    def _stage(self, ticket: _Ticket, known: set[str], taken: set[str]) -> list[dict[str, Any]]:
        """Map one request's events and count, for it, what append_new_events will append or skip."""
        lineage = self._map(ticket.events, frozenset(ticket.keys))
        result = ticket.result
        for event in lineage:
            if event["event_id"] in known or event["event_id"] in taken:
                result.duplicates += 1
            else:
                taken.add(event["event_id"])
                result.appended += 1
        result.artifacts = len({e["artifact_id"] for e in lineage if e["kind"] == KIND_ARTIFACT})
        # Remembered now: a later request of this batch may be the same run's next event.
        self._runs.remember(
            [
                (k, e, e.run_id, len(orjson.dumps(e.raw)))
                for k, e in zip(ticket.keys, ticket.events, strict=True)
            ]
        )
        return lineage

    def _map(self, events: list[OpenLineageRunEvent], keys: frozenset[str]) -> list[dict[str, Any]]:
        """Map the new events with their runs' earlier ones; return only the new events' lineage."""
        prior = self._runs.prior({e.run_id for e in events}, without=keys)
        if not prior:
            return map_run_events(events)
        prior_ids = {e["event_id"] for e in map_run_events(prior)}
        return [e for e in map_run_events([*prior, *events]) if e["event_id"] not in prior_ids]
