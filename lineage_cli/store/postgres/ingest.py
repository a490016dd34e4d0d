"""Append events to a PostgreSQL store: one COPY (a resend: a temporary table, then an idempotent INSERT).

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


def _without_nul(value: Any) -> Any:
    """``value`` with every NUL in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def event_row(event: dict[str, Any], body: bytes | None = None) -> Row:
    r"""``(event_id, time, artifact_id, body)`` for one event; ``body`` is its JSON if already encoded.

    An event without an id gets one from its content, so resending it is harmless too.
    PostgreSQL's text and jsonb cannot hold NUL, so a NUL in any string of the event is
    stored as U+FFFD (time travel reads every body as jsonb).

    Examples
    --------
    >>> event_row({"event_id": "e1", "time": "2026-01-01T00:00:00Z", "artifact_id": "a"})[0]
    'e1'
    >>> event_row({"event_id": "e\x00", "artifact_id": "a\x00"})[2] == "a\ufffd"
    True
    """
    raw = body if body is not None else orjson.dumps(event)
    if b"\\u0000" in raw:  # rare: only then look for a NUL in the event's strings
        cleaned = _without_nul(event)
        if cleaned != event:
            event, raw = cleaned, orjson.dumps(cleaned)
    text = raw.decode()
    event_id = event.get("event_id")
    if not isinstance(event_id, str):
        event_id = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    time_text = event.get("time")
    moment = _parse_time(time_text) if isinstance(time_text, str) else None
    artifact_id = event.get("artifact_id")
    return event_id, moment, artifact_id if isinstance(artifact_id, str) else None, text


def insert_rows(connection: Any, rows: Iterable[Row]) -> int:
    """Insert rows in order in one transaction; return how many were new (duplicates are dropped).

    First one COPY straight into the table (a third of the server's work per event less than
    going through a temporary table); a batch holding an event already stored (a resend)
    fails as a whole there, and goes through the temporary table and ``ON CONFLICT``.
    """
    from psycopg.errors import UniqueViolation

    rows = list(rows)
    if len({row[0] for row in rows}) == len(rows):
        try:
            with (
                connection.transaction(),
                connection.cursor() as cursor,
                cursor.copy("COPY events (event_id, time, artifact_id, body) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        except UniqueViolation:
            pass  # rolled back: nothing of this batch was stored
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
