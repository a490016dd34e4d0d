"""Time arguments: ISO-8601, a snapshot (build) number, ``now``, ``2h``, ``3d ago``, ``yesterday``.

Every command that takes a moment (``at``, ``diff``, ``--as-of``) reads it here, so they all
accept the same forms and say, on stderr, which moment they took.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from lineage_cli.errors import TimestampError
from lineage_cli.model import format_timestamp, parse_timestamp, utc_now
from lineage_cli.store.base import Store
from lineage_cli.store.layout import StorePaths

__all__ = ["ResolvedTime", "resolve_time"]

_UNITS: Final = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}
_RELATIVE: Final = re.compile(r"^(\d+)\s*([a-z]+)(\s+ago)?$")
_SNAPSHOT: Final = re.compile(r"^#?(\d{1,9})$")
FORMS: Final = "ISO-8601 with Z or an offset, a snapshot number (3 or #3), now, 2h, '3d ago', yesterday"


@dataclass(frozen=True, slots=True)
class ResolvedTime:
    """A moment, and how a time argument was read when that was not plain (``None``: it was)."""

    moment: datetime
    taken_as: str | None


def _snapshot_time(paths: StorePaths | Store | None, number: int, what: str) -> tuple[datetime, str]:
    from lineage_cli.store.snapshots import list_snapshots

    if paths is None:
        entries: list[dict[str, Any]] = []
    elif isinstance(paths, Store):  # any store behind the seam: a PostgreSQL store's builds table
        entries = paths.builds()
    else:
        entries = list_snapshots(paths)
    for entry in entries:
        if entry.get("number") == number and isinstance(entry.get("last_event_time"), str):
            moment = parse_timestamp(entry["last_event_time"], what=what)
            return moment, f"snapshot {number}, its last event at {format_timestamp(moment)}"
    known = [e["number"] for e in entries if isinstance(e.get("number"), int)]
    hint = (
        f"This store has snapshots {known[0]} to {known[-1]}."
        if known
        else "This store has no snapshots yet."
    )
    raise TimestampError(
        f"{what} {number} is not a snapshot number of this store.",
        hint=f"{hint} See `lineage snapshots`, or give a time ({FORMS}).",
    )


def resolve_time(
    text: str,
    paths: StorePaths | Store | None = None,
    *,
    what: str = "TIMESTAMP",
    now: datetime | None = None,
) -> ResolvedTime:
    """Read a time argument; ``paths`` is the store (directory or opened) whose snapshot numbers count.

    A time without a timezone is still ambiguous and rejected, as in lineage files.

    Raises
    ------
    TimestampError
        For text in none of the forms, a naive time, or an unknown snapshot number.

    Examples
    --------
    >>> now = parse_timestamp("2026-03-02T12:00:00Z")
    >>> [format_timestamp(resolve_time(t, now=now).moment) for t in ("now", "2h", "3d ago", "yesterday")]
    ['2026-03-02T12:00:00Z', '2026-03-02T10:00:00Z', '2026-02-27T12:00:00Z', '2026-03-01T12:00:00Z']
    >>> resolve_time("2026-03-01T00:00:00Z").taken_as is None
    True
    >>> resolve_time("90 minutes ago", now=now).taken_as
    "'90 minutes ago' is 2026-03-02T10:30:00Z"
    """
    stripped = text.strip()
    lowered = stripped.lower()
    current = now or utc_now()
    moment: datetime
    how: str | None = None
    if lowered == "now":
        moment = current
    elif lowered in ("yesterday", "today"):
        moment = current - timedelta(days=1) if lowered == "yesterday" else current
    elif match := _SNAPSHOT.match(lowered):
        moment, how = _snapshot_time(paths, int(match.group(1)), what)
    elif (match := _RELATIVE.match(lowered)) and match.group(2) in _UNITS:
        moment = current - timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    else:
        try:
            moment = parse_timestamp(stripped, what=what)
        except TimestampError as exc:
            if "is not an ISO-8601" not in exc.message:
                raise  # a naive time: its own hint (add Z or an offset) says what to do
            raise TimestampError(exc.message, hint=f"Use one of: {FORMS}.") from None
        # ISO-8601, a bare date included (documented as midnight UTC): nothing to explain.
        return ResolvedTime(moment, None)
    return ResolvedTime(moment, f"{text!r} is " + (how or format_timestamp(moment)))
