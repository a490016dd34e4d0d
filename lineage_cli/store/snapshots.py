"""Snapshots: an index of the builds whose graph changed, with a compressed copy of small graphs.

``snapshots/index.jsonl`` gets one line per build that changed the graph::

    {"number": 3, "built_at": "...Z", "events": 1200, "log_bytes": 480213,
     "last_event_time": "...Z", "graph_hash": "sha256:...", "artifacts": 310, "edges": 702,
     "log_tail": "sha256:...", "file": "000003.json.gz"}

``file`` is a gzip copy of the lineage file as built, kept when the file is at most
:data:`COPY_LIMIT` bytes (``null`` above, where compressing would cost more than the
build). Time travel starts from such a copy when every event it folded is at or before the
requested moment and nothing appended since is; otherwise it replays the log (see
:mod:`lineage_cli.timetravel`).
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import os
from datetime import datetime
from typing import Any, Final

import orjson

from lineage_cli.errors import LineageFileError
from lineage_cli.model import format_timestamp
from lineage_cli.store.atomic import write_atomic
from lineage_cli.store.layout import StorePaths

__all__ = ["COPY_LIMIT", "list_snapshots", "load_snapshot", "log_tail_hash", "record_snapshot"]

COPY_LIMIT: Final = 32 * 1024 * 1024
"""Largest lineage file (bytes) that a snapshot keeps a compressed copy of."""

INDEX_NAME: Final = "index.jsonl"
TAIL_BYTES: Final = 4096


def log_tail_hash(log: bytes, end: int) -> str:
    r"""Fingerprint of the last few KiB of the log before ``end``: detects a rewritten log cheaply.

    Examples
    --------
    >>> log_tail_hash(b"abc\n", 4) == log_tail_hash(b"abc\nmore", 4)
    True
    """
    return "sha256:" + hashlib.sha256(log[max(0, end - TAIL_BYTES) : end]).hexdigest()[:16]


def list_snapshots(paths: StorePaths) -> list[dict[str, Any]]:
    """Every snapshot entry, oldest first (empty when there are none).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> list_snapshots(StorePaths(pathlib.Path(tempfile.mkdtemp())))
    []
    """
    index = paths.snapshots / INDEX_NAME
    try:
        data = index.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:  # the store (or its snapshots) is a file, or unreadable
        raise LineageFileError(
            str(index),
            f"cannot be read ({exc.strerror})",
            hint="Pass --store DIR naming a store directory.",
        ) from None
    entries = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            if number == len(data.splitlines()) and not data.endswith(b"\n"):
                continue  # torn by a killed build; that snapshot never completed
            raise LineageFileError(
                str(index), "not valid JSON", line=number, hint="Remove that line; snapshots are rebuilt."
            ) from None
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def load_snapshot(paths: StorePaths, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The lineage document a snapshot kept, or ``None`` when it kept no copy (or lost it).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.store.layout import StorePaths
    >>> load_snapshot(StorePaths(pathlib.Path(tempfile.mkdtemp())), {"number": 1, "file": "000001.json.gz"})
    """
    name = entry.get("file")
    if not isinstance(name, str):
        return None
    try:
        document = orjson.loads(gzip.decompress((paths.snapshots / name).read_bytes()))
    except (OSError, EOFError, orjson.JSONDecodeError):
        return None  # a missing or damaged copy: replaying the log gives the same answer
    return document if isinstance(document, dict) else None


def record_snapshot(
    paths: StorePaths,
    *,
    built_at: datetime,
    digest: str,
    data: bytes | None,
    log_tail: str,
    events: int,
    log_bytes: int,
    last_event_time: str | None,
    artifacts: int,
    edges: int,
) -> dict[str, Any] | None:
    """Append a snapshot entry if ``digest`` differs from the last snapshot's; return it, else ``None``.

    ``data`` is the lineage file as built (``None``: the build left it to be written on demand,
    so no copy is kept); ``log_tail`` is :func:`log_tail_hash` of the log folded.
    """
    paths.snapshots.mkdir(parents=True, exist_ok=True)
    index = paths.snapshots / INDEX_NAME
    fd = os.open(index, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # two builds at once must not take the same number
        entries = list_snapshots(paths)
        if entries and entries[-1].get("graph_hash") == digest:
            return None
        number = int(entries[-1].get("number", len(entries))) + 1 if entries else 1
        name = None
        if data is not None and len(data) <= COPY_LIMIT:
            name = f"{number:06d}.json.gz"
            write_atomic(paths.snapshots / name, gzip.compress(data, compresslevel=1, mtime=0))
        entry = {
            "number": number,
            "built_at": format_timestamp(built_at),
            "events": events,
            "log_bytes": log_bytes,
            "last_event_time": last_event_time,
            "graph_hash": digest,
            "artifacts": artifacts,
            "edges": edges,
            "log_tail": log_tail,
            "file": name,
        }
        os.write(fd, orjson.dumps(entry) + b"\n")
        return entry
    finally:
        os.close(fd)
