"""Build on PostgreSQL: the directory store's fold (store/build.py), fed from tables instead of a file.

Events are taken by *transaction horizon*: every event whose writing transaction is below
``pg_snapshot_xmin`` of the build's snapshot has committed (or aborted), so a concurrent writer
that commits out of order is picked up by the next build, never skipped. Events are folded in
``(tx, seq)`` order, so any split into builds folds them in exactly the order one full build
does. A build normally applies them with :mod:`lineage_cli.store.incremental`; this module
folds every event (``--full``, aliases) or, for ``lineage stale`` on a store built by an
older version, the whole stored state plus the events since.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from lineage_cli.errors import LineageFileError
from lineage_cli.model import ArtifactStatus
from lineage_cli.store.build import Fold, Progress, StaleReason, _Folder, _parse_time
from lineage_cli.store.events import KIND_ARTIFACT, KIND_DESCRIBED, LogProblem

if TYPE_CHECKING:
    from lineage_cli.status import StatusRows

__all__ = ["FoldRun", "feed", "fold_events_until", "fold_from_state"]

_STATUS = {s.value: s for s in ArtifactStatus}


@dataclass(slots=True)
class FoldRun:
    """A fold seeded from the tables plus the new events, and what those new events touched."""

    folder: _Folder
    fold: Fold
    horizon: str
    touched: set[str]
    flows_touched: set[str]
    new_events: int
    described: list[tuple[int, str]]
    """Every ``artifact_described`` event folded, ``(seq, body)``: the fold keeps only their effect."""


def _collector(
    on_problem: Callable[[LogProblem], None] | None,
) -> tuple[list[LogProblem], Callable[[LogProblem], None]]:
    """A list that keeps every problem, and the function that adds one (and passes it on)."""
    problems: list[LogProblem] = []

    def report(problem: LogProblem) -> None:
        problems.append(problem)
        if on_problem:
            on_problem(problem)

    return problems, report


def feed(
    folder: _Folder,
    rows: Iterable[tuple[int, str]],
    name: str,
    *,
    skip_bad: bool,
    report: Callable[[LogProblem], None],
    touched: set[str] | None = None,
    flows_touched: set[str] | None = None,
    described: list[tuple[int, str]] | None = None,
) -> int:
    """Fold ``(seq, body)`` rows in order, as :func:`lineage_cli.store.build.fold_log` folds log lines.

    ``described`` collects the ``artifact_described`` events folded (a later build re-reads them).
    """
    count = 0
    for seq, body in rows:
        count += 1
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError:
            problem: str | None = "not valid JSON"
        else:
            before = folder.events
            problem = folder.add(seq, event)
            if problem is None and folder.events > before:
                if event["kind"] == KIND_ARTIFACT:
                    if touched is not None:
                        touched.add(event["artifact_id"])
                elif event["kind"] == KIND_DESCRIBED:
                    if described is not None:
                        described.append((seq, body))
                elif flows_touched is not None:
                    flows_touched.add(event["lineage_id"])
        if problem is not None:
            if not skip_bad:
                raise LineageFileError(
                    name, problem, line=seq, hint="Pass --skip-bad to skip it (events cannot be edited)."
                )
            report(LogProblem(name, seq, problem + "; skipped"))
    return count


def _seed(cursor: Any, folder: _Folder, state: tuple[Any, ...], described: list[tuple[int, str]]) -> None:
    """Load the fold's state as the last build left it (artifacts in the order it made them)."""
    _, events, last_event_time, _ = state
    cursor.execute(
        "SELECT r.artifact_id, r.seq, r.number, r.is_current, r.body FROM records r"
        " JOIN artifact a ON a.name = r.artifact_id ORDER BY a.ord, r.seq"
    )
    current, older = folder.current, folder.older
    for artifact_id, seq, number, is_current, body in cursor:
        event = orjson.loads(body)
        record = (_parse_time(event["time"]), seq, number, event)
        if is_current:
            current[artifact_id] = record  # type: ignore[assignment]
        else:
            older.setdefault(artifact_id, []).append(record)  # type: ignore[arg-type]
    cursor.execute("SELECT lineage_id, time, state, error, event_id FROM flows")
    for lineage_id, time_text, state_text, error, event_id in cursor:
        folder.flows[lineage_id] = (_parse_time(time_text), _STATUS[state_text], error, event_id)  # type: ignore[assignment]
    cursor.execute("SELECT lineage_id, input FROM declared")
    for lineage_id, source in cursor:
        sources = folder.declared_inputs.setdefault(lineage_id, set())
        if source is not None:
            sources.add(source)
    # Aliases and metadata declared earlier: their effect does not depend on their order.
    cursor.execute("SELECT seq, body FROM described ORDER BY seq")
    for seq, body in cursor:
        event = orjson.loads(body)
        folder.described.add(_parse_time(event["time"]), event)  # type: ignore[arg-type]
        described.append((seq, body))
    folder.events = int(events)
    folder.last_time = _parse_time(last_event_time) if last_event_time else None


def fold_from_state(
    cursor: Any,
    name: str,
    *,
    full: bool,
    state: tuple[Any, ...],
    horizon: str | None,
    skip_bad: bool,
    on_problem: Callable[[LogProblem], None] | None,
    progress: Progress | None = None,
) -> FoldRun:
    """Seed the fold from the tables (nothing with ``full``) and add the events since the horizon.

    ``state`` is the ``build_state`` row. ``horizon`` bounds the events taken (``None``: every
    event visible now, for a read-only answer such as ``lineage stale``).
    """
    problems, report = _collector(on_problem)
    folder = _Folder(None)
    described: list[tuple[int, str]] = []
    if not full:
        _seed(cursor, folder, state, described)
    low = "0" if full else state[0]
    if horizon is None:
        cursor.execute("SELECT seq, body FROM events WHERE tx >= %s::xid8 ORDER BY tx, seq", (low,))
    else:
        cursor.execute(
            "SELECT seq, body FROM events WHERE tx >= %s::xid8 AND tx < %s::xid8 ORDER BY tx, seq",
            (low, horizon),
        )
    touched: set[str] = set()
    flows_touched: set[str] = set()
    new_events = feed(
        folder,
        cursor,
        name,
        skip_bad=skip_bad,
        report=report,
        touched=touched,
        flows_touched=flows_touched,
        described=described,
    )
    fold = folder.finish(problems, 0, progress)
    return FoldRun(folder, fold, horizon or low, touched, flows_touched, new_events, described)


def fold_events_until(
    cursor: Any,
    name: str,
    moment: datetime,
    *,
    skip_bad: bool,
    on_problem: Callable[[LogProblem], None] | None,
) -> Fold:
    """The fold of every event at or before ``moment`` (in build order): the graph as it was then.

    Only the events up to ``moment`` are read (an index range on ``time``), plus any event
    whose time could not be read, so the fold reports it as the directory store's replay does.
    """
    problems, report = _collector(on_problem)
    folder = _Folder(moment)
    cursor.execute(
        "SELECT seq, body FROM events WHERE time <= %s OR time IS NULL ORDER BY tx, seq", (moment,)
    )
    feed(folder, cursor, name, skip_bad=skip_bad, report=report)
    return folder.finish(problems, 0)


def stale_list(fold: Fold) -> list[StaleReason]:
    """The stale artifacts to list, as ``lineage stale`` lists them on a directory store."""
    return [fold.stale[a] for a in sorted(fold.stale) if fold.nodes[a]["status"] == "stale"]


def built_status(cursor: Any) -> StatusRows | None:
    """What ``lineage status`` prints, read from the last build's tables (``None``: events are unbuilt).

    A node is failed or in progress only when its record's flow is, so those are found through
    the flows in those states; stale ones through ``stale``. The lineage id printed is the one in
    the node's metadata (its user metadata may name another), and so is the flow looked up.
    """
    from lineage_cli.status import StatusRows
    from lineage_cli.store.postgres.schema import UNBUILT

    if cursor.execute(UNBUILT).fetchone()[0]:
        return None
    events, statuses = cursor.execute("SELECT events, statuses FROM build_state").fetchone()
    if statuses is None:
        return None  # built by an older version: no totals kept
    counted = orjson.loads(statuses)
    nodes: dict[str, tuple[str, Any]] = {}
    for name, status, doc in cursor.execute(
        "SELECT a.name, a.status, a.doc FROM flows f JOIN artifact a ON a.lineage_id = f.lineage_id"
        " WHERE f.state IN ('failed', 'in_progress') AND a.status IN ('failed', 'in_progress')"
        " AND a.doc IS NOT NULL"
    ):
        nodes[name] = (status, orjson.loads(doc)["metadata"].get("lineage_id"))
    stale: dict[str, StaleReason] = {}
    for name, reason in cursor.execute(
        "SELECT s.artifact_id, s.reason FROM stale s JOIN artifact a ON a.name = s.artifact_id"
        " WHERE a.status = 'stale' AND a.doc IS NOT NULL"
    ):
        nodes[name] = ("stale", None)
        stale[name] = StaleReason.from_json(orjson.loads(reason))
    wanted = sorted({lineage_id for _, lineage_id in nodes.values() if isinstance(lineage_id, str)})
    flows = {
        lineage_id: (_parse_time(time_text), _STATUS[state_text], error, event_id)
        for lineage_id, time_text, state_text, error, event_id in cursor.execute(
            "SELECT lineage_id, time, state, error, event_id FROM flows WHERE lineage_id = ANY(%s)", (wanted,)
        )
    }
    return StatusRows(
        counts={s.value: int(counted.get(s.value, 0)) for s in ArtifactStatus},
        events=int(events),
        nodes=((name, nodes[name][0], nodes[name][1]) for name in sorted(nodes)),
        flows=flows,
        stale=stale,
    )
