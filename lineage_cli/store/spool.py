"""The recorder's path to a PostgreSQL store: a local spool first, then a background shipper.

A recorded event is appended to this process's spool file (the event log's locked append,
:func:`~lineage_cli.store.events.write_locked`): microseconds, no network. One shipper process
per store and host (:mod:`lineage_cli.store.shipper`) sends every spool's new lines in batches
and remembers how far it got in each. A slow, down or unreachable server only delays shipping: the
job's thread never waits on it, and nothing raises into the job. At exit the spool is flushed
for at most :data:`EXIT_FLUSH_SECONDS`; whatever is left stays on disk, one stderr line names
it, and ``lineage sync`` sends it later (the last step of a throwaway CI runner).

Layout: ``$LINEAGE_SPOOL`` (default ``~/.cache/lineage/spool``) / one directory per store
(named by a hash of its URL without the password, which holds that URL in ``store``) / one
directory per process (``HOST-PID-RANDOM``) with ``events.jsonl`` and ``shipped`` (the byte
offset sent so far), and ``shipper.lock``, held by the store's running shipper. Shipping is
at-least-once; the event id makes a resend harmless.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from lineage_cli.store.events import write_locked
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.shipper import (
    EXIT_FLUSH_SECONDS,
    FOREGROUND,
    URL_ENV,
    connect_shipper,
    lock_shipper,
    owner_alive,
    pending,
    remove_spool,
    ship_spools,
)

__all__ = [
    "EXIT_FLUSH_SECONDS",
    "SPOOL_ENV",
    "SpoolSink",
    "SyncResult",
    "ship_spool",
    "spool_and_ship",
    "spool_root",
    "sync",
]

SPOOL_ENV: Final = "LINEAGE_SPOOL"
CHECK_EVERY: Final = 1.0
"""Seconds between a recording process's checks that its store's shipper still runs."""


def spool_root() -> Path:
    """Where spools live: ``$LINEAGE_SPOOL``, else the user's cache directory.

    Examples
    --------
    >>> os.environ[SPOOL_ENV] = "/tmp/spool"; spool_root().as_posix()
    '/tmp/spool'
    >>> del os.environ[SPOOL_ENV]
    """
    chosen = os.environ.get(SPOOL_ENV)
    if chosen:
        return Path(chosen)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "lineage" / "spool"


def without_password(url: str) -> str:
    """The URL with any password removed (a spool keeps the URL; libpq finds the password again).

    Examples
    --------
    >>> without_password("postgresql://ci:pw@db/lineage?sslmode=require&password=pw")
    'postgresql://ci@db/lineage?sslmode=require'
    """
    url = re.sub(r"^([a-z]+://[^:/@?#]*):[^@/?#]*@", r"\1@", url, flags=re.IGNORECASE)
    url = re.sub(r"([?&])password=[^&]*&?", r"\1", url, flags=re.IGNORECASE)
    return url.rstrip("?&")


def store_dir(url: str) -> Path:
    """The spool directory for one store URL (the same whatever password the URL carries)."""
    key = hashlib.sha256(without_password(url).encode()).hexdigest()[:16]
    return spool_root() / key


def _report(message: str) -> None:
    from lineage_cli.recorder import _report as report  # the recorder's one stderr line, never raising

    report(message)


def ship_spool(connection: Any, directory: Path) -> tuple[int, int]:
    """Send everything in one process's spool past its offset; return ``(sent, newly stored)``."""
    return ship_spools(connection, [directory])


def _as_store_error(url: str, exc: BaseException) -> BaseException:
    """A driver error as the store's one sentence; anything else as it is."""
    from lineage_cli.store.postgres.connect import describe, driver

    try:
        if isinstance(exc, driver().Error):
            return describe(url, exc)
    except Exception:
        pass
    return exc


def _reason(exc: BaseException) -> str:
    """Why shipping failed, as the store's one sentence (password masked), without its advice."""
    message = getattr(exc, "message", None)
    return str(message) if message else type(exc).__name__


class SpoolSink:
    """The recorder's sink for a PostgreSQL store: spool locally, ship from a separate process.

    The shipper is a process of its own, not a thread: loading the driver and encoding batches
    would otherwise take the job's interpreter lock for up to a second under load. It is shared
    by every recording process of the store on this host (:mod:`lineage_cli.store.shipper`):
    the first to find none running starts it, and each checks every :data:`CHECK_EVERY` s that
    one still runs. ``paths`` is this process's spool (named in messages). With
    ``background=False`` (``lineage record``, ``lineage import``) nothing is started and
    :meth:`close` ships in the foreground.
    """

    def __init__(self, url: str, *, background: bool = True) -> None:
        self.url = url
        self.background = background
        self.stored = 0
        self.problem: str | None = None  # the last reason shipping failed (password masked)
        self._lock = threading.Lock()
        self._pid = 0
        self._fd: int | None = None
        self._next_check = 0.0
        self.paths = StorePaths(store_dir(url) / "unopened")

    def _open(self) -> None:
        parent = store_dir(self.url)
        directory = parent / f"{socket.gethostname()}-{os.getpid()}-{os.urandom(4).hex()}"
        directory.mkdir(parents=True, exist_ok=True)
        store_file = parent / "store"
        if not store_file.exists():
            store_file.write_text(without_password(self.url) + "\n")
        self.paths = StorePaths(directory)
        if not self.background:
            (directory / FOREGROUND).touch()  # before the first event: no shipper sends it meanwhile
        self._fd = os.open(self.paths.events, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._pid = os.getpid()
        if self.background:
            self._next_check = 0.0
            atexit.register(self.close)

    def _check_shipper(self) -> None:
        """Start the store's shipper (from a thread: the fork stays off the record call) if none runs."""
        lock = lock_shipper(self.paths.root.parent)
        if lock is not None:
            threading.Thread(
                target=self._start_shipper, args=(lock,), name="lineage-shipper", daemon=True
            ).start()

    def _start_shipper(self, lock: int) -> bool:
        """Start a shipper that inherits ``lock`` (so it holds the store's lock from the start)."""
        # The URL (and any password) goes through the environment, never the command line.
        env = {**os.environ, URL_ENV: self.url}
        try:
            subprocess.Popen(
                [sys.executable, "-m", "lineage_cli.store.shipper", str(self.paths.root.parent), str(lock)],
                env=env,
                pass_fds=(lock,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C to the job does not cut a batch in half
            )
            return True
        except OSError:
            return False
        finally:
            os.close(lock)  # the shipper's copy keeps the lock

    def __call__(self, event: dict[str, Any]) -> None:
        """Append one event to the spool (the shipper picks it up within a tenth of a second)."""
        line = orjson.dumps(event) + b"\n"
        with self._lock:
            if self._fd is None or self._pid != os.getpid():
                self._open()  # first event, or a forked child: a spool of its own
            assert self._fd is not None
            write_locked(self._fd, line, check_tail=False)
            if self.background and (now := time.monotonic()) >= self._next_check:
                self._next_check = now + CHECK_EVERY
                self._check_shipper()

    def _flush_here(self, deadline: float) -> bool:
        """Ship from this process until nothing is left or ``deadline`` passes.

        In the foreground a lasting failure (a read-only role...) raises at once; in the
        background nothing raises.
        """
        connection: Any = None
        while pending(self.paths.root) and time.monotonic() < deadline:
            try:
                if connection is None:
                    connection = connect_shipper(self.url)
                self.stored += ship_spool(connection, self.paths.root)[1]
            except Exception as exc:
                error = _as_store_error(self.url, exc)
                self.problem = _reason(error)
                with contextlib.suppress(Exception):
                    connection.close()
                connection = None
                if getattr(error, "lasting", False) and not self.background:
                    self._discard()
                    raise error from None  # `lineage record` with a read-only role: fail now, in one sentence
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        with contextlib.suppress(Exception):
            connection.close()
        return not pending(self.paths.root)

    def _wait_for_shipper(self, deadline: float) -> bool:
        """Wait (polling the offset) while the store's shipper sends what is left; start one if none runs.

        Returns ``False`` early when no shipper could be started (this process then sends itself).
        """
        next_check = 0.0
        while pending(self.paths.root) and time.monotonic() < deadline:
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + 0.25
                lock = lock_shipper(self.paths.root.parent)
                if lock is not None and not self._start_shipper(lock):
                    return False
            time.sleep(0.05)  # the shipper sends every 0.1 s: polling faster only burns CPU
        return not pending(self.paths.root)

    def _discard(self) -> None:
        remove_spool(self.paths.root)

    def close(self, timeout: float = EXIT_FLUSH_SECONDS) -> bool:
        """Flush for at most ``timeout`` seconds; name the spool on stderr if events are left in it.

        Returns ``True`` when every event reached the store.
        """
        with self._lock:
            if self._fd is None or self._pid != os.getpid():
                return True
            os.close(self._fd)
            self._fd = None
        deadline = time.monotonic() + timeout
        done = self.background and self._wait_for_shipper(deadline)
        if not done:
            done = self._flush_here(deadline)  # the foreground, or no shipper could run here
        from lineage_cli.store.postgres.connect import mask

        if done:
            self._discard()
        else:
            why = self.problem or "the store could not be reached in time"
            _report(
                f"events for {mask(self.url)} are kept in {self.paths.events} ({why.rstrip('.')}); "
                "run `lineage sync` to send them."
            )
        return done


def spool_and_ship(url: str, events: list[dict[str, Any]], timeout: float = EXIT_FLUSH_SECONDS) -> int:
    """What ``lineage record`` and ``lineage import`` do: the recorder's path, in the foreground.

    The events are spooled, then shipped for at most ``timeout`` seconds. Returns how many
    were newly stored; when the store cannot be reached they stay spooled (one stderr line
    names the spool) and the count is how many were spooled.
    """
    sink = SpoolSink(url, background=False)
    for event in events:
        sink(event)
    return sink.stored if sink.close(timeout) else len(events)


@dataclass
class SyncResult:
    """What ``lineage sync`` did: events sent, newly stored, and spools still holding events."""

    sent: int = 0
    stored: int = 0
    left: list[str] | None = None
    problems: list[str] | None = None


def _spools(url: str | None) -> Iterator[tuple[str, Path]]:
    root = spool_root()
    parents = [store_dir(url)] if url else sorted(p for p in root.glob("*") if p.is_dir())
    for parent in parents:
        target = url
        if target is None:
            try:
                target = (parent / "store").read_text().strip()
            except OSError:
                continue
        for directory in sorted(p for p in parent.glob("*") if p.is_dir()):
            yield target, directory


def sync(url: str | None = None) -> SyncResult:
    """Send every spool (only ``url``'s when given); a spool of a finished process is removed once sent.

    Raises
    ------
    StoreError
        When events are left in a spool (the store could not be reached): one sentence naming
        the spools and the stores, passwords masked.

    Examples
    --------
    >>> import tempfile
    >>> os.environ[SPOOL_ENV] = tempfile.mkdtemp()
    >>> sync().sent
    0
    >>> del os.environ[SPOOL_ENV]
    """
    from lineage_cli.errors import LineageError
    from lineage_cli.store.postgres.connect import describe, driver, mask

    result = SyncResult(left=[], problems=[])
    assert result.left is not None and result.problems is not None
    connections: dict[str, Any] = {}
    try:
        for target, directory in _spools(url):
            if not pending(directory) and owner_alive(directory):
                continue
            try:
                if target not in connections:
                    connections[target] = connect_shipper(target)
                sent, stored = ship_spool(connections[target], directory)
                result.sent += sent
                result.stored += stored
            except LineageError as exc:
                result.problems.append(str(exc))
            except driver().Error as exc:
                result.problems.append(str(describe(target, exc)))
                connections.pop(target, None)
            if pending(directory):
                result.left.append(f"{directory / 'events.jsonl'} ({mask(target)})")
            elif not owner_alive(directory):
                remove_spool(directory)
    finally:
        for connection in connections.values():
            with contextlib.suppress(Exception):
                connection.close()
    if result.left:
        from lineage_cli.store.postgres.connect import StoreError

        why = f" ({result.problems[0]})" if result.problems else ""
        raise StoreError(
            f"{len(result.left)} spool(s) still hold events: {', '.join(result.left)}{why}",
            hint="Run `lineage sync` again once the store can be reached.",
        )
    return result
