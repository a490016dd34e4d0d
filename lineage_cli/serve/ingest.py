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
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from lineage_cli.errors import InputError, LineageFileError
from lineage_cli.interop.common import ImportResult
from lineage_cli.interop.openlineage_import import map_run_events, parse_run_events
from lineage_cli.store.events import KIND_ARTIFACT, encode_event, open_log, write_locked
from lineage_cli.store.layout import StorePaths

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


class LogIds:
    r"""The event ids in a store's log, and the log kept open for locked appends.

    The ids are kept current by reading only the bytes appended since, and only whole lines
    (a line being appended is picked up next time). This object's own appends are not read
    back: their ids are known already. If the log was replaced or cut short, it is opened
    and read again from the start.

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
    >>> ids.append(b'{"event_id":"e2"}\n', {"e2"})
    >>> sorted(ids.current())
    ['e1', 'e2']
    >>> ids.close()
    """

    def __init__(self, log: Path) -> None:
        self.log = log
        self._ids: set[str] = set()
        self._offset = 0
        self._identity: tuple[int, int] | None = None
        self._fd: int | None = None  # open on the file of _identity, once something was appended

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
            self._read_ids(stat.st_size)
        return self._ids

    def append(self, payload: bytes, ids: set[str]) -> None:
        """Append ``payload`` (whole lines: the events of ``ids``) under the log's lock; the ids become known.

        Call :meth:`current` first: an append to a log replaced since is made to the new log.
        """
        fd = self._fd
        if fd is None:
            fd = open_log(self.log)
            stat = os.fstat(fd)
            if (stat.st_dev, stat.st_ino) != self._identity:  # created (or replaced) just now
                self._reset((stat.st_dev, stat.st_ino))
            self._fd = fd
        try:
            before = write_locked(fd, payload)
        except OSError as exc:
            self._reset(None)
            message = f"cannot append to the event log ({exc.strerror})"
            raise LineageFileError(str(self.log), message) from None
        self._ids.update(ids)  # only once they are in the log: a failed append must stay retryable
        if before == self._offset:  # nobody else wrote since the last read: skip reading ours back
            self._offset += len(payload)

    def close(self) -> None:
        """Close the log (a later append opens it again)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _read_ids(self, size: int) -> None:
        try:
            if self._fd is not None:
                data = os.pread(self._fd, size - self._offset, self._offset)
            else:
                with open(self.log, "rb") as log:
                    log.seek(self._offset)
                    data = log.read(size - self._offset)
        except OSError as exc:
            raise LineageFileError(str(self.log), f"cannot be read ({exc.strerror})") from None
        whole = data.rfind(b"\n") + 1
        for line in data[:whole].split(b"\n"):
            if not line or line.isspace():
                continue
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # a torn line: the build skips it too
            if isinstance(event, dict) and isinstance(event.get("event_id"), str):
                self._ids.add(event["event_id"])
        self._offset += whole

    def _reset(self, identity: tuple[int, int] | None) -> None:
        if identity != self._identity:
            self.close()  # the open file is no longer the log
        self._ids.clear()
        self._offset = 0
        self._identity = identity


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
        self._log = LogIds(store.events)
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
            known = self._log.current()
            taken: set[str] = set()  # ids appended by an earlier ticket of this batch
            fresh: list[dict[str, Any]] = []
            for ticket in batch:
                fresh += _count(ticket, known, taken)
            if fresh:
                self._log.append(b"".join(map(encode_event, fresh)), taken)
        except Exception as exc:  # the log cannot be written: every request of the batch is refused
            for ticket in batch:
                ticket.error = exc
                ticket.result.appended = ticket.result.duplicates = 0
        finally:
            for ticket in batch:
                ticket.done = True


def _count(ticket: _Ticket, known: set[str], taken: set[str]) -> list[dict[str, Any]]:
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
