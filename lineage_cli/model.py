"""The lineage data model: statuses, transformation types, provenance, artifacts (nodes) and edges."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from lineage_cli.errors import TimestampError

__all__ = [
    "ArtifactStatus",
    "LineageEdge",
    "LineageNode",
    "ProvenanceRecord",
    "TransformationType",
    "format_timestamp",
    "parse_timestamp",
    "utc_now",
]


class ArtifactStatus(StrEnum):
    """How current an artifact is."""

    FRESH = "fresh"
    """Recently created or validated."""
    STALE = "stale"
    """An input, directly or further upstream, changed after this artifact was built."""
    FAILED = "failed"
    """The last attempt to produce it failed."""
    IN_PROGRESS = "in_progress"
    """Currently being produced."""
    UNKNOWN = "unknown"
    """Status cannot be determined."""
    DROPPED = "dropped"
    """Its last record dropped it (an OpenLineage ``lifecycleStateChange`` of ``DROP``)."""


class TransformationType(StrEnum):
    """What an edge's transformation did to its source."""

    GENERATED = "generated"
    """Produced from scratch."""
    REFINED = "refined"
    """An existing artifact was improved."""
    MERGED = "merged"
    """Several artifacts were combined."""
    DERIVED = "derived"
    """Extracted or computed from the inputs (the default for an implicit edge)."""
    COPIED = "copied"
    """A direct copy with no transformation."""
    VALIDATED = "validated"
    """The input was verified; the output is an attestation."""


_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_timestamp(text: str, *, what: str = "timestamp") -> datetime:
    """Parse an ISO-8601 timestamp into an aware UTC ``datetime``.

    Accepts a ``Z`` suffix or a numeric offset, or a bare date meaning midnight UTC.
    A time without a timezone is ambiguous and is rejected.

    Parameters
    ----------
    text:
        The timestamp text.
    what:
        What the timestamp is, for the error message (for example ``"node 'a': provenance.timestamp"``).

    Raises
    ------
    TimestampError
        When ``text`` is not ISO-8601 or names a time with no timezone.

    Examples
    --------
    >>> parse_timestamp("2026-01-02T03:04:05Z").isoformat()
    '2026-01-02T03:04:05+00:00'
    >>> parse_timestamp("2026-01-02T05:04:05+02:00") == parse_timestamp("2026-01-02T03:04:05Z")
    True
    >>> parse_timestamp("2026-01-02").isoformat()
    '2026-01-02T00:00:00+00:00'
    """
    if not isinstance(text, str):
        raise TimestampError(f"{what} must be an ISO-8601 string, not {type(text).__name__}.")
    stripped = text.strip()
    if _BARE_DATE.match(stripped):
        try:
            day = date.fromisoformat(stripped)
        except ValueError as exc:
            raise TimestampError(f"{what} {text!r} is not a valid date ({exc}).") from None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(stripped)
    except ValueError:
        raise TimestampError(
            f"{what} {text!r} is not an ISO-8601 timestamp.",
            hint="Use a form like 2026-01-31T12:00:00Z, an offset like +02:00, or a bare date.",
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise TimestampError(
            f"{what} {text!r} has no timezone, so it is ambiguous.",
            hint="Add Z for UTC or an offset such as +02:00.",
        )
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 and 0001-01-01T00:00+05:00 have no UTC time
        raise TimestampError(
            f"{what} {text!r} is out of range: in UTC it falls outside the years 1 to 9999.",
            hint="Use a time between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.",
        ) from None


def format_timestamp(moment: datetime) -> str:
    """Format an aware ``datetime`` as ISO-8601 UTC with a ``Z`` suffix.

    Microseconds are kept when present, so parse then format loses nothing.

    Examples
    --------
    >>> format_timestamp(parse_timestamp("2024-02-22T18:57:22.705277Z"))
    '2024-02-22T18:57:22.705277Z'
    >>> format_timestamp(parse_timestamp("2026-01-02T05:04:05+02:00"))
    '2026-01-02T03:04:05Z'
    """
    if moment.tzinfo is None:
        raise TimestampError(f"timestamp {moment.isoformat()} has no timezone.")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def utc_now() -> datetime:
    """Return the current time as an aware UTC ``datetime``.

    Examples
    --------
    >>> utc_now().tzinfo is UTC
    True
    """
    return datetime.now(UTC)


@dataclass(slots=True)
class ProvenanceRecord:
    """Who produced an artifact, in which workflow and stage, when, and with what.

    Examples
    --------
    >>> p = ProvenanceRecord("etl-bot", "nightly", "load", parse_timestamp("2026-01-01"))
    >>> p.workflow
    'nightly'
    """

    agent: str
    workflow: str
    stage: str
    timestamp: datetime
    tool: str | None = None
    environment: str | None = None


@dataclass(slots=True)
class LineageNode:
    """One artifact in the lineage graph.

    ``inputs`` are the ids of the artifacts it was produced from (its parents).
    ``metadata`` is free-form; ``metadata["visualization"]`` may hold
    ``node_label``, ``node_color`` and ``group``.

    Examples
    --------
    >>> prov = ProvenanceRecord("a", "wf", "s", parse_timestamp("2026-01-01"))
    >>> node = LineageNode("report", "v1", prov, ["table"], "aggregate")
    >>> node.status
    <ArtifactStatus.UNKNOWN: 'unknown'>
    >>> node.label
    'report'
    """

    artifact_id: str
    version: str
    provenance: ProvenanceRecord
    inputs: list[str]
    transformation: str
    status: ArtifactStatus = ArtifactStatus.UNKNOWN
    metadata: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    """Other ids of the same artifact (OpenLineage ``symlinks``); every command accepts them."""
    columns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Column lineage: each column -> its source columns, ``{"source": "ID#COLUMN", "type": ...}``."""

    @property
    def quality_score(self) -> float | None:
        """``metadata["quality_score"]`` (0 to 1), if recorded."""
        value = self.metadata.get("quality_score")
        return float(value) if isinstance(value, int | float) else None

    @property
    def partition(self) -> str | None:
        """``metadata["partition"]``, if recorded."""
        value = self.metadata.get("partition")
        return value if isinstance(value, str) else None

    def freshness(self, now: datetime | None = None) -> timedelta:
        """Age of the artifact at ``now`` (default: the current UTC time)."""
        return (now or utc_now()) - self.provenance.timestamp

    @property
    def visualization(self) -> dict[str, Any]:
        """``metadata["visualization"]`` as a dict (empty when absent or malformed)."""
        value = self.metadata.get("visualization")
        return value if isinstance(value, dict) else {}

    @property
    def label(self) -> str:
        """The display label: ``visualization.node_label``, else the artifact id."""
        value = self.visualization.get("node_label")
        return value if isinstance(value, str) and value else self.artifact_id

    @property
    def group(self) -> str:
        """The visual group: ``visualization.group``, else the workflow."""
        value = self.visualization.get("group")
        return value if isinstance(value, str) and value else self.provenance.workflow


@dataclass(slots=True)
class LineageEdge:
    """A transformation link from an upstream ``source`` to a downstream ``target``.

    Examples
    --------
    >>> LineageEdge("raw", "clean", TransformationType.DERIVED, "dedupe").source
    'raw'
    """

    source: str
    target: str
    transformation_type: TransformationType = TransformationType.DERIVED
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
