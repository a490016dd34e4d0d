"""The recorder's path to a PostgreSQL store: a local spool first, then a background shipper.

A recorded event is appended to this process's spool file (the event log's locked append,
:func:`~lineage_cli.store.events.write_locked`): microseconds, no network. A daemon thread
ships new lines in batches (one COPY and one ``INSERT ... ON CONFLICT DO NOTHING`` per batch)
and remembers how far it got. A slow, down or unreachable server only delays shipping: the
job's thread never waits on it, and nothing raises into the job. At exit the spool is flushed
for at most :data:`EXIT_FLUSH_SECONDS`; whatever is left stays on disk, one stderr line names
it, and ``lineage sync`` sends it later (the last step of a throwaway CI runner).

Layout: ``$LINEAGE_SPOOL`` (default ``~/.cache/lineage/spool``) / one directory per store
(named by a hash of its URL without the password, which holds that URL in ``store``) / one
directory per process (``HOST-PID-RANDOM``) with ``events.jsonl`` and ``shipped`` (the byte
offset sent so far). Shipping is at-least-once; the event id makes a resend harmless.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
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
EXIT_FLUSH_SECONDS: Final = 5.0
"""How long a process may spend at exit sending what it recorded."""
SHIP_EVERY: Final = 0.1
"""Seconds between the shipper's rounds."""
BATCH_BYTES: Final = 4 * 1024 * 1024
SHIP_CONNECT_TIMEOUT: Final = 2.0
SHIP_STATEMENT_TIMEOUT_MS: Final = 10_000
_OFFSET_WIDTH: Final = 20
_URL_ENV: Final = "LINEAGE_SHIP_URL"


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


def _read_offset(path: Path) -> int:
    try:
        return int(path.read_bytes().strip() or 0)
    except (OSError, ValueError):
        return 0


def _write_offset(path: Path, offset: int) -> None:
    # Fixed width, one small write: losing it only means sending some events again.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, f"{offset:0{_OFFSET_WIDTH}d}".encode(), 0)
    finally:
        os.close(fd)


def _connect(url: str) -> Any:
    from lineage_cli.store.postgres.connect import connect
    from lineage_cli.store.postgres.schema import ensure_schema

    connection = connect(url, timeout=SHIP_CONNECT_TIMEOUT)
    ensure_schema(connection, url)
    connection.execute(f"SET statement_timeout = {SHIP_STATEMENT_TIMEOUT_MS}")
    connection.commit()
    return connection


def ship_spool(connection: Any, directory: Path) -> tuple[int, int]:
    """Send everything in one process's spool past its offset; return ``(sent, newly stored)``."""
    from lineage_cli.store.postgres.ingest import event_row, insert_rows

    paths = StorePaths(directory)
    offset_file = directory / "shipped"
    sent = stored = 0
    with contextlib.suppress(FileNotFoundError), open(paths.events, "rb") as log:
        fcntl.flock(log.fileno(), fcntl.LOCK_SH)  # whole lines only: a write in flight completes first
        try:
            size = os.fstat(log.fileno()).st_size
        finally:
            fcntl.flock(log.fileno(), fcntl.LOCK_UN)
        offset = _read_offset(offset_file)
        while offset < size:
            chunk = os.pread(log.fileno(), min(BATCH_BYTES, size - offset), offset)
            end = chunk.rfind(b"\n") + 1
            if end == 0:
                break  # a torn last line (its writer died): it stays, unsent
            rows = []
            for line in chunk[:end].split(b"\n"):
                if line.strip():
                    try:
                        rows.append(event_row(orjson.loads(line), line))
                    except orjson.JSONDecodeError:
                        continue  # a line torn by a killed writer, then repaired: not an event
            stored += insert_rows(connection, rows)
            sent += len(rows)
            offset += end
            _write_offset(offset_file, offset)
    return sent, stored


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


def _pending(directory: Path) -> int:
    """Bytes of ``directory``'s spool not yet shipped."""
    try:
        size = (directory / "events.jsonl").stat().st_size
    except OSError:
        return 0
    return max(0, size - _read_offset(directory / "shipped"))


class SpoolSink:
    """The recorder's sink for a PostgreSQL store: spool locally, ship from a separate process.

    The shipper is a process of its own (``python -m lineage_cli.store.spool``), not a thread:
    loading the driver and encoding batches would otherwise take the job's interpreter lock
    for up to a second under load. ``paths`` is this process's spool (named in messages).
    With ``background=False`` (``lineage record``, ``lineage import``) nothing is started and
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
        self._shipper: subprocess.Popen[bytes] | None = None
        self.paths = StorePaths(store_dir(url) / "unopened")

    def _open(self) -> None:
        parent = store_dir(self.url)
        directory = parent / f"{socket.gethostname()}-{os.getpid()}-{os.urandom(4).hex()}"
        directory.mkdir(parents=True, exist_ok=True)
        store_file = parent / "store"
        if not store_file.exists():
            store_file.write_text(without_password(self.url) + "\n")
        self.paths = StorePaths(directory)
        self._fd = os.open(self.paths.events, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._pid = os.getpid()
        self._shipper = None
        if self.background:
            # Started from a thread: the fork and exec stay off the job's first record call.
            threading.Thread(target=self._start_shipper, name="lineage-shipper-start", daemon=True).start()
            atexit.register(self.close)

    def _start_shipper(self) -> None:
        # The URL (and any password) goes through the environment, never the command line.
        env = {**os.environ, _URL_ENV: self.url}
        with contextlib.suppress(OSError):
            self._shipper = subprocess.Popen(
                [sys.executable, "-m", "lineage_cli.store.spool", str(self.paths.root), str(os.getpid())],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C to the job does not cut a batch in half
            )

    def __call__(self, event: dict[str, Any]) -> None:
        """Append one event to the spool (the shipper picks it up within :data:`SHIP_EVERY`)."""
        line = orjson.dumps(event) + b"\n"
        with self._lock:
            if self._fd is None or self._pid != os.getpid():
                self._open()  # first event, or a forked child: a spool (and a shipper) of its own
            assert self._fd is not None
            write_locked(self._fd, line, check_tail=False)

    def _flush_here(self, deadline: float) -> bool:
        """Ship from this process until nothing is left or ``deadline`` passes.

        In the foreground a lasting failure (a read-only role...) raises at once; in the
        background nothing raises.
        """
        connection: Any = None
        while _pending(self.paths.root) and time.monotonic() < deadline:
            try:
                if connection is None:
                    connection = _connect(self.url)
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
        return not _pending(self.paths.root)

    def _wait_for_shipper(self, deadline: float) -> bool:
        """Wait (polling the offset) while the shipper process sends what is left."""
        while _pending(self.paths.root) and time.monotonic() < deadline:
            shipper = self._shipper
            if shipper is not None and shipper.poll() is not None:
                break  # it stopped: nobody is sending any more
            time.sleep(0.02)
        return not _pending(self.paths.root)

    def _discard(self) -> None:
        with contextlib.suppress(OSError):
            for name in ("events.jsonl", "shipped"):
                (self.paths.root / name).unlink(missing_ok=True)
            self.paths.root.rmdir()

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
        if self.background:
            done = self._wait_for_shipper(deadline)
            shipper = self._shipper
            if not done and (shipper is None or shipper.poll() is not None):
                done = self._flush_here(deadline)  # no shipper process could run here: send it ourselves
        else:
            done = self._flush_here(deadline)
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


def _parent_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_shipper(directory: Path, parent: int, url: str) -> None:
    """The shipper process: send new lines every :data:`SHIP_EVERY` s; stop when the job is gone.

    After the job exits it keeps sending while batches succeed, and keeps trying for
    :data:`EXIT_FLUSH_SECONDS` after the last one that did, then leaves what is left for
    ``lineage sync``; a spool it emptied after the job exited is removed.
    """
    connection: Any = None
    backoff = SHIP_EVERY
    orphaned_at: float | None = None
    while True:
        if orphaned_at is None and not _parent_alive(parent):
            orphaned_at = time.monotonic()
        pending = _pending(directory)
        if orphaned_at is not None and (not pending or time.monotonic() - orphaned_at > EXIT_FLUSH_SECONDS):
            if not pending:
                with contextlib.suppress(OSError):
                    for name in ("events.jsonl", "shipped"):
                        (directory / name).unlink(missing_ok=True)
                    directory.rmdir()
            break
        if pending:
            try:
                if connection is None:
                    connection = _connect(url)
                ship_spool(connection, directory)
                backoff = SHIP_EVERY
                if orphaned_at is not None:
                    orphaned_at = time.monotonic()  # still delivering: the bound is on a store that fails
            except Exception:
                with contextlib.suppress(Exception):
                    connection.close()
                connection = None
                backoff = min(2.0, max(0.25, backoff * 2))
        time.sleep(backoff if pending else SHIP_EVERY)
    with contextlib.suppress(Exception):
        connection.close()


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


def _owner_alive(directory: Path) -> bool:
    """Whether the process that writes this spool may still be running (a spool of another host: yes)."""
    rest, _, _ = directory.name.rpartition("-")
    host, _, pid_text = rest.rpartition("-")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # never remove what another machine may still be writing
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
            if not _pending(directory) and _owner_alive(directory):
                continue
            try:
                if target not in connections:
                    connections[target] = _connect(target)
                sent, stored = ship_spool(connections[target], directory)
                result.sent += sent
                result.stored += stored
            except LineageError as exc:
                result.problems.append(str(exc))
            except driver().Error as exc:
                result.problems.append(str(describe(target, exc)))
                connections.pop(target, None)
            if _pending(directory):
                result.left.append(f"{directory / 'events.jsonl'} ({mask(target)})")
            elif not _owner_alive(directory):
                with contextlib.suppress(OSError):
                    for name in ("events.jsonl", "shipped"):
                        (directory / name).unlink(missing_ok=True)
                    directory.rmdir()
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


if __name__ == "__main__":  # the shipper process started by SpoolSink
    run_shipper(Path(sys.argv[1]), int(sys.argv[2]), os.environ.pop(_URL_ENV, ""))
