"""The shipper: one process per store and host sends every local spool of that store in batches.

A recording process appends to its own spool (:mod:`lineage_cli.store.spool`); the first one
to find no shipper running starts ``python -m lineage_cli.store.shipper``, handing it the
store's ``shipper.lock`` already locked, so two shippers of one store never run at once and a
process that starts later only checks the lock. One shipper instead of one per recording
process matters: loading the driver alone costs about 0.3 s of CPU, sixteen times over for
sixteen jobs on a two-core machine. Each round sends what every spool gained in **one**
transaction (one COPY, one ``INSERT ... ON CONFLICT DO NOTHING``), then advances each spool's
offset: at-least-once, and the event id makes a resend harmless.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any, Final

import orjson

__all__ = [
    "EXIT_FLUSH_SECONDS",
    "LOCK_NAME",
    "lock_shipper",
    "owner_alive",
    "pending",
    "remove_spool",
    "run_shipper",
    "ship_spools",
]

EXIT_FLUSH_SECONDS: Final = 5.0
"""How long a process may spend at exit sending what it recorded (and the shipper after the last one)."""
SHIP_EVERY: Final = 0.1
"""Seconds between the shipper's rounds when it has caught up."""
BATCH_BYTES: Final = 4 * 1024 * 1024
"""At most this many spooled bytes go in one transaction."""
SHIP_CONNECT_TIMEOUT: Final = 2.0
SHIP_STATEMENT_TIMEOUT_MS: Final = 10_000
LOCK_NAME: Final = "shipper.lock"
FOREGROUND: Final = "foreground"
"""A spool holding this file is sent by its own process (``lineage record``), not by the shipper."""
URL_ENV: Final = "LINEAGE_SHIP_URL"
_OFFSET_WIDTH: Final = 20
_SPOOL_FILES: Final = ("events.jsonl", "shipped", FOREGROUND)


def _read_offset(path: Path) -> int:
    try:
        return int(path.read_bytes().strip() or 0)
    except (OSError, ValueError):
        return 0


def _write_offset(path: Path, offset: int) -> None:
    # Fixed width, one small write: losing it only means sending some events again.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    except FileNotFoundError:
        return  # the spool was emptied and removed meanwhile (by the shipper, or `lineage sync`)
    try:
        os.pwrite(fd, f"{offset:0{_OFFSET_WIDTH}d}".encode(), 0)
    finally:
        os.close(fd)


def pending(directory: Path) -> int:
    """Bytes of ``directory``'s spool not yet shipped.

    Examples
    --------
    >>> pending(Path("/nonexistent"))
    0
    """
    try:
        size = (directory / "events.jsonl").stat().st_size
    except OSError:
        return 0
    return max(0, size - _read_offset(directory / "shipped"))


def _owner(directory: Path) -> tuple[str, int | None]:
    """The host and process id in a spool's name (``HOST-PID-RANDOM``)."""
    rest, _, _ = directory.name.rpartition("-")
    host, _, pid_text = rest.rpartition("-")
    return host, int(pid_text) if pid_text.isdigit() else None


def owner_alive(directory: Path) -> bool:
    """Whether the process that writes this spool may still be running (a spool of another host: yes).

    Examples
    --------
    >>> owner_alive(Path(f"{socket.gethostname()}-{os.getpid()}-ab12"))
    True
    """
    host, pid = _owner(directory)
    if host != socket.gethostname() or pid is None:
        return True  # never remove what another machine may still be writing
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_spool(directory: Path) -> None:
    """Remove a spool directory (its process is done and everything was sent)."""
    with contextlib.suppress(OSError):
        for name in _SPOOL_FILES:
            (directory / name).unlink(missing_ok=True)
        directory.rmdir()


def lock_shipper(store: Path) -> int | None:
    """A descriptor holding ``store``'s shipper lock, or ``None`` when a shipper already holds it.

    Examples
    --------
    >>> import tempfile
    >>> store = Path(tempfile.mkdtemp())
    >>> fd = lock_shipper(store)
    >>> lock_shipper(store) is None
    True
    >>> os.close(fd); lock_shipper(store) is not None
    True
    """
    try:
        fd = os.open(store / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def connect_shipper(url: str) -> Any:
    """A connection for shipping: short connect and statement timeouts, the schema made if missing."""
    from lineage_cli.store.postgres.connect import connect
    from lineage_cli.store.postgres.schema import ensure_schema

    connection = connect(url, timeout=SHIP_CONNECT_TIMEOUT)
    ensure_schema(connection, url)
    connection.execute(f"SET statement_timeout = {SHIP_STATEMENT_TIMEOUT_MS}")
    connection.commit()
    return connection


def _read_new(directory: Path, limit: int) -> tuple[list[Any], int, int] | None:
    """Rows of the whole lines past ``directory``'s offset (at most ``limit`` bytes), the offset, the end."""
    from lineage_cli.store.postgres.ingest import event_row

    try:
        log = open(directory / "events.jsonl", "rb")  # noqa: SIM115  (closed by the with below)
    except FileNotFoundError:
        return None
    with log:
        fcntl.flock(log.fileno(), fcntl.LOCK_SH)  # whole lines only: a write in flight completes first
        try:
            size = os.fstat(log.fileno()).st_size
        finally:
            fcntl.flock(log.fileno(), fcntl.LOCK_UN)
        offset = _read_offset(directory / "shipped")
        if offset >= size:
            return None
        chunk = os.pread(log.fileno(), min(limit, size - offset), offset)
    end = chunk.rfind(b"\n") + 1
    if end == 0:
        return None  # a torn last line (its writer died): it stays, unsent
    rows = []
    for line in chunk[:end].split(b"\n"):
        if line.strip():
            try:
                rows.append(event_row(orjson.loads(line), line))
            except orjson.JSONDecodeError:
                continue  # a line torn by a killed writer, then repaired: not an event
    return rows, offset, offset + end


def ship_spools(connection: Any, directories: list[Path]) -> tuple[int, int]:
    """Send what ``directories``' spools hold past their offsets; return ``(sent, newly stored)``.

    Each round takes at most :data:`BATCH_BYTES` from all of them together and stores it in
    one transaction; the offsets move only after it committed.
    """
    from lineage_cli.store.postgres.ingest import insert_rows

    sent = stored = 0
    while True:
        rows: list[Any] = []
        moved: list[tuple[Path, int]] = []
        budget = BATCH_BYTES
        for directory in directories:
            if budget <= 0:
                break
            found = _read_new(directory, budget)
            if found is None:
                continue
            new, start, end = found
            rows += new
            moved.append((directory, end))
            budget -= end - start
        if not moved:
            return sent, stored
        if rows:
            stored += insert_rows(connection, rows)
            sent += len(rows)
        for directory, end in moved:
            _write_offset(directory / "shipped", end)
        if budget > 0:
            return sent, stored  # caught up: what arrived meanwhile waits for the next round


def _local_spools(store: Path) -> list[Path]:
    """The spools of one store on this host, except those their own process sends (``lineage record``)."""
    here = socket.gethostname()
    try:
        found = sorted(p for p in store.iterdir() if p.is_dir() and _owner(p)[0] == here)
    except OSError:
        return []
    return [p for p in found if not ((p / FOREGROUND).exists() and owner_alive(p))]


def run_shipper(store: Path, lock: int, url: str) -> None:
    """The shipper process of one store on this host, holding its lock on descriptor ``lock``.

    Every :data:`SHIP_EVERY` s it sends what this host's spools of the store gained. When no
    process that writes them is left, it keeps sending while batches succeed, and keeps trying
    for :data:`EXIT_FLUSH_SECONDS` after the last one that did, then leaves what is left for
    ``lineage sync``; a spool it emptied after its process exited is removed.
    """
    connection: Any = None
    backoff = SHIP_EVERY
    orphaned_at: float | None = None
    while True:
        spools = _local_spools(store)
        live = [p for p in spools if owner_alive(p)]
        waiting = [p for p in spools if pending(p)]
        for done in set(spools) - set(live) - set(waiting):
            remove_spool(done)
        if live:
            orphaned_at = None
        elif orphaned_at is None:
            orphaned_at = time.monotonic()
        if orphaned_at is not None and (not waiting or time.monotonic() - orphaned_at > EXIT_FLUSH_SECONDS):
            # Hand over: release the lock, then look once more: a process that started recording
            # while the lock was still held found a shipper, so this one must not leave it behind.
            os.close(lock)
            if not any(owner_alive(p) for p in _local_spools(store)):
                break
            again = lock_shipper(store)
            if again is None:
                break  # a newer shipper took over
            lock, orphaned_at = again, None
            continue
        caught_up = True
        if waiting:
            try:
                if connection is None:
                    connection = connect_shipper(url)
                ship_spools(connection, waiting)
                caught_up = not any(pending(p) for p in waiting)
                backoff = SHIP_EVERY
                if orphaned_at is not None:
                    orphaned_at = time.monotonic()  # still delivering: the bound is on a store that fails
            except Exception:
                with contextlib.suppress(Exception):
                    connection.close()
                connection = None
                backoff = min(2.0, max(0.25, backoff * 2))
        if caught_up:
            time.sleep(backoff)
    with contextlib.suppress(Exception):
        connection.close()


if __name__ == "__main__":  # started by SpoolSink: STORE_DIR LOCK_FD, the URL in the environment
    run_shipper(Path(sys.argv[1]), int(sys.argv[2]), os.environ.pop(URL_ENV, ""))
