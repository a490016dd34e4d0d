"""A directory store's event ids, kept current by reading only what was appended since (``lineage serve``).

:class:`LogIntake` is the directory store's :class:`~lineage_cli.store.base.Intake`: a
long-running writer asks it which ids the log holds and appends under the log's lock, without
reading the whole log for every request.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

import orjson

from lineage_cli.errors import LineageFileError
from lineage_cli.store.base import Intake
from lineage_cli.store.events import encode_event, open_log, write_locked

__all__ = ["LogIds", "LogIntake"]


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


class LogIntake(Intake):
    """The intake of a directory store: its :class:`LogIds`, read incrementally.

    Examples
    --------
    >>> import tempfile
    >>> intake = LogIntake(Path(tempfile.mkdtemp()) / "events.jsonl")
    >>> intake.append([{"event_id": "e1", "kind": "flow_started"}], {"e1"})
    >>> "e1" in intake.known({"e1"})
    True
    >>> intake.close()
    """

    def __init__(self, log: Path) -> None:
        self.ids = LogIds(log)

    def known(self, event_ids: Collection[str]) -> Collection[str]:
        """Every id in the log (a superset of those asked about: membership is what counts)."""
        return self.ids.current()

    def append(self, events: list[dict[str, Any]], event_ids: set[str]) -> None:
        """One locked append of the events (the ids become known without reading them back)."""
        self.ids.append(b"".join(map(encode_event, events)), event_ids)

    def close(self) -> None:
        """Close the log."""
        self.ids.close()
