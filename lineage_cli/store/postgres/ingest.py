"""Append events to a PostgreSQL store: one COPY into a temporary table, then one idempotent INSERT.

A resent event (same ``event_id``) changes nothing (``ON CONFLICT DO NOTHING``), so a batch
whose commit outcome was unknown (the server died mid-statement) is simply sent again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from lineage_cli.store.build import _parse_time

__all__ = ["event_row", "insert_rows"]

Row = tuple[str, Any, str | None, str]


def event_row(event: dict[str, Any], body: bytes | None = None) -> Row:
    """``(event_id, time, artifact_id, body)`` for one event; ``body`` is its JSON if already encoded.

    An event without an id gets one from its content, so resending it is harmless too.

    Examples
    --------
    >>> event_row({"event_id": "e1", "time": "2026-01-01T00:00:00Z", "artifact_id": "a"})[0]
    'e1'
    """
    text = (body if body is not None else orjson.dumps(event)).decode()
    event_id = event.get("event_id")
    if not isinstance(event_id, str):
        event_id = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    time_text = event.get("time")
    moment = _parse_time(time_text) if isinstance(time_text, str) else None
    artifact_id = event.get("artifact_id")
    # PostgreSQL text cannot hold NUL; the body keeps the exact id (JSON escapes it).
    clean = artifact_id.replace("\x00", "") if isinstance(artifact_id, str) else None
    return event_id.replace("\x00", ""), moment, clean, text


def insert_rows(connection: Any, rows: Iterable[Row]) -> int:
    """Insert rows in order in one transaction; return how many were new (duplicates are dropped)."""
    with connection.transaction(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS incoming (n bigint, event_id text, time timestamptz,"
            " artifact_id text, body text) ON COMMIT DELETE ROWS"
        )
        with cursor.copy("COPY incoming FROM STDIN") as copy:
            for n, row in enumerate(rows):
                copy.write_row((n, *row))
        cursor.execute(
            "INSERT INTO events (event_id, time, artifact_id, body)"
            " SELECT event_id, time, artifact_id, body FROM incoming ORDER BY n"
            " ON CONFLICT (event_id) DO NOTHING"
        )
        return int(cursor.rowcount)
