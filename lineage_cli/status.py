"""The store's status, a CI gate like ``git status``: counts, failures, runs in progress, staleness.

Read from the store's events in one fold, like ``stale``, so it always agrees with ``stale`` and
with a query after ``lineage build``; the events not built yet are counted too. The same on a
directory and on a PostgreSQL store (:meth:`~lineage_cli.store.base.Store.fold_now`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from lineage_cli.errors import UsageError
from lineage_cli.model import format_timestamp
from lineage_cli.store.base import Store
from lineage_cli.store.events import LogProblem
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.local import as_store

if TYPE_CHECKING:
    from lineage_cli.store.build import StaleReason

__all__ = ["DEFAULT_FAIL_ON", "FAIL_ON_CHOICES", "StatusRows", "StoreStatus", "parse_fail_on", "store_status"]

FAIL_ON_CHOICES: Final = ("stale", "failed", "in_progress", "unbuilt")
DEFAULT_FAIL_ON: Final = frozenset({"stale", "failed", "in_progress"})


@dataclass(frozen=True, slots=True)
class StatusRows:
    """What a status is made from: a fold of the store, or the last build's tables when nothing is unbuilt.

    ``nodes`` are ``(artifact, status, lineage id in its metadata)`` sorted by artifact: at least
    every failed, in-progress and stale one (the others are only counted, in ``counts``).
    """

    counts: dict[str, int]
    events: int
    nodes: Iterable[tuple[str, str, Any]]
    flows: Mapping[str, tuple[datetime | None, Any, str | None, str]]
    stale: Mapping[str, StaleReason]


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """What ``lineage status`` reports (see README, "lineage status")."""

    counts: dict[str, int]
    failed: list[dict[str, Any]]
    in_progress: list[dict[str, Any]]
    stale: list[dict[str, Any]]
    unbuilt_events: int
    events: int

    def failing(self, fail_on: Iterable[str]) -> list[str]:
        """Which of the ``fail_on`` categories are not empty, in a fixed order."""
        found = {
            "stale": bool(self.stale),
            "failed": bool(self.failed),
            "in_progress": bool(self.in_progress),
            "unbuilt": self.unbuilt_events > 0,
        }
        wanted = set(fail_on)
        return [name for name in FAIL_ON_CHOICES if name in wanted and found[name]]

    def to_json(self, fail_on: Iterable[str] = DEFAULT_FAIL_ON) -> dict[str, Any]:
        """The one JSON document of ``lineage status --json``."""
        failing = self.failing(fail_on)
        return {
            "ok": not failing,
            "failing": failing,
            "counts": self.counts,
            "failed": self.failed,
            "in_progress": self.in_progress,
            "stale": self.stale,
            "events": self.events,
            "unbuilt_events": self.unbuilt_events,
        }


def parse_fail_on(text: str) -> frozenset[str]:
    """Read ``--fail-on`` (comma-separated; ``none`` for never).

    Examples
    --------
    >>> sorted(parse_fail_on("failed, stale"))
    ['failed', 'stale']
    >>> parse_fail_on("none")
    frozenset()
    >>> parse_fail_on("broken")
    Traceback (most recent call last):
    ...
    lineage_cli.errors.UsageError: --fail-on 'broken' is not a status to fail on. Use ...
    """
    names = {part.strip() for part in text.split(",") if part.strip()}
    if names == {"none"}:
        return frozenset()
    unknown = sorted(names - set(FAIL_ON_CHOICES))
    if unknown:
        raise UsageError(
            f"--fail-on {', '.join(unknown)!r} is not a status to fail on.",
            hint="Use a comma-separated list of: " + ", ".join(FAIL_ON_CHOICES) + ", or none.",
        )
    return frozenset(names)


def _time(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment is not None else None


def store_status(
    store: Store | StorePaths,
    *,
    skip_bad: bool = False,
    on_problem: Callable[[LogProblem], None] | None = None,
) -> StoreStatus:
    """The status of ``store`` (a directory or PostgreSQL, :func:`~lineage_cli.store.base.open_store`) now.

    Examples
    --------
    >>> import tempfile
    >>> from lineage_cli.recorder import record_to_store
    >>> from lineage_cli.store.base import open_store
    >>> store = open_store(tempfile.mkdtemp())
    >>> _ = record_to_store(store, "raw", version="1")
    >>> _ = record_to_store(store, "model", inputs=["raw"], status="failed", error="exit status 3")
    >>> status = store_status(store)
    >>> status.counts["failed"], status.failed[0]["error"], status.failing({"failed", "stale"})
    (1, 'exit status 3', ['failed'])
    """
    store = as_store(store)  # a bare directory (the Python API's older form) too
    rows = store.built_status()  # only what is printed, when the last build is the whole story
    if rows is None:
        fold = store.fold_now(skip_bad=skip_bad, on_problem=on_problem)
        nodes = fold.nodes
        rows = StatusRows(
            counts=fold.status_counts(),
            events=fold.events,
            nodes=((a, nodes[a]["status"], nodes[a]["metadata"].get("lineage_id")) for a in sorted(nodes)),
            flows=fold.flows,
            stale=fold.stale,
        )
        unbuilt = store.pending_events()
    else:
        unbuilt = 0
    failed: list[dict[str, Any]] = []
    in_progress: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for artifact_id, status, lineage_id in rows.nodes:
        flow = rows.flows.get(lineage_id) if isinstance(lineage_id, str) else None
        if status == "failed":
            failed.append(
                {
                    "artifact": artifact_id,
                    "error": flow[2] if flow else None,
                    "failed_at": _time(flow[0] if flow else None),
                    "lineage_id": lineage_id,
                }
            )
        elif status == "in_progress":
            in_progress.append(
                {
                    "artifact": artifact_id,
                    "started_at": _time(flow[0] if flow else None),
                    "lineage_id": lineage_id,
                }
            )
        elif status == "stale":
            reason = rows.stale[artifact_id]
            group = groups.setdefault(
                reason.changed,
                {
                    "changed": reason.changed,
                    "to_version": reason.to_version,
                    "changed_at": reason.changed_at,
                    "artifacts": [],
                },
            )
            group["artifacts"].append(artifact_id)
    return StoreStatus(
        counts=rows.counts,
        failed=failed,
        in_progress=in_progress,
        stale=[groups[changed] for changed in sorted(groups)],
        unbuilt_events=unbuilt,
        events=rows.events,
    )
