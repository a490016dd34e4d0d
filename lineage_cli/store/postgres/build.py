"""``lineage build`` on PostgreSQL: one builder at a time, the events below the horizon, only what they reach.

A build takes the events committed since the last build's transaction horizon (see
:mod:`.fold`) and applies them with :func:`lineage_cli.store.incremental.fold_new_events`,
which reads the fold's state of the keys they name and writes back only the rows that
change. ``--full``, the first build, and a store with aliases fold every event instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from lineage_cli.model import format_timestamp, utc_now
from lineage_cli.store.atomic import write_atomic
from lineage_cli.store.build import BuildResult, Progress, _Folder
from lineage_cli.store.events import LogProblem
from lineage_cli.store.incremental import Base, Delta, FoldState, fold_new_events, merge_counts
from lineage_cli.store.nodes import StaleReason, graph_hash
from lineage_cli.store.postgres.fold import _collector, feed, fold_from_state
from lineage_cli.store.postgres.history import save_version
from lineage_cli.store.postgres.view import load_document
from lineage_cli.store.postgres.write import write_fold
from lineage_cli.store.sqlstate import SqlFoldState, base_values, copy_rows, read_base, write_delta

if TYPE_CHECKING:
    from lineage_cli.store.postgres import PostgresStore

__all__ = ["build", "stale_after", "stale_now"]

_STATE = (
    "SELECT horizon::text, events, last_event_time, graph_hash, digest_sum, next_ord, statuses,"
    " artifacts, edges, has_aliases FROM build_state WHERE id = 1"
)


def _delta(
    cursor: Any, name: str, state: tuple[Any, ...], horizon: str | None, skip_bad: bool, report: Any
) -> Delta | None:
    """What the events since the last horizon change (below ``horizon``, or every one visible now)."""
    base = read_base(state)
    if base is None:
        return None
    if horizon is None:
        cursor.execute("SELECT seq, body FROM events WHERE tx >= %s::xid8 ORDER BY tx, seq", (state[0],))
    else:
        cursor.execute(
            "SELECT seq, body FROM events WHERE tx >= %s::xid8 AND tx < %s::xid8 ORDER BY tx, seq",
            (state[0], horizon),
        )
    rows = cursor.fetchall()

    def fold(folder: _Folder, new: list[tuple[int, str]]) -> None:
        feed(folder, new, name, skip_bad=skip_bad, report=report)

    return fold_new_events(SqlFoldState(cursor), base, rows, fold)


def stale_now(
    cursor: Any, name: str, *, skip_bad: bool, on_problem: Callable[[LogProblem], None] | None
) -> list[StaleReason] | None:
    """The stale artifacts now: the last build's, changed by the events since (read-only).

    ``None`` when only a full fold can tell (a store with aliases, or built by an older version).
    """
    _, report = _collector(on_problem)
    state = cursor.execute(_STATE).fetchone()
    delta = _delta(cursor, name, state, None, skip_bad, report)
    if delta is None:
        return None
    reasons = {
        aid: StaleReason.from_json(orjson.loads(reason))
        for aid, reason in cursor.execute(
            "SELECT s.artifact_id, s.reason FROM stale s JOIN artifact a ON a.name = s.artifact_id"
            " WHERE a.status = 'stale'"
        )
    }
    return stale_after(reasons, delta, SqlFoldState(cursor))


def stale_after(reasons: dict[str, StaleReason], delta: Delta, state: FoldState) -> list[StaleReason]:
    """The stale artifacts after ``delta``, from the ``reasons`` of the stale ones before it (``state``)."""
    now_stale = {aid for aid, (node, _) in delta.nodes.items() if node.status == "stale"}
    for aid in delta.nodes:
        if aid not in now_stale:
            reasons.pop(aid, None)
    missing = [aid for aid in now_stale if aid not in reasons and aid not in delta.stale]
    for aid, (_, reason) in state.stale(missing).items():
        reasons[aid] = reason
    for aid, found in delta.stale.items():
        if found is None:
            reasons.pop(aid, None)
        elif aid in reasons or aid in now_stale:
            reasons[aid] = found[1]
    return [reasons[aid] for aid in sorted(reasons)]


def _write_base(cursor: Any, horizon: str, base: Base, graph_hash: str) -> None:
    """Record what this build left (totals, counters, horizon)."""
    cursor.execute(
        "UPDATE build_state SET horizon = %s::xid8, graph_hash = %s, events = %s, last_event_time = %s,"
        " digest_sum = %s, next_ord = %s, statuses = %s, artifacts = %s, edges = %s, has_aliases = %s",
        (horizon, graph_hash, *base_values(base)),
    )


def _record_keys(body: str) -> tuple[str | None, list[str]]:
    """A record's lineage id and input names, as ``->>`` and ``?`` read them from its jsonb (a superset).

    Examples
    --------
    >>> _record_keys('{"lineage_id": "L1", "inputs": ["a", 3, "b"]}')
    ('L1', ['a', 'b'])
    """
    event = orjson.loads(body)
    lineage_id, inputs = event.get("lineage_id"), event.get("inputs")
    if lineage_id is not None and not isinstance(lineage_id, str):
        lineage_id = orjson.dumps(lineage_id).decode()
    names = [i for i in inputs if isinstance(i, str)] if isinstance(inputs, list) else []
    return lineage_id, names


def _index_records(cursor: Any, horizon: str) -> None:
    """Fill ``record_keys`` (time travel's index) for the records below ``horizon`` not yet in it."""
    low = cursor.execute("SELECT keys_horizon::text FROM build_state WHERE id = 1").fetchone()[0]
    cursor.execute(
        "SELECT seq, artifact_id, time, body FROM events"
        " WHERE tx >= %s::xid8 AND tx < %s::xid8 AND artifact_id IS NOT NULL",
        (low, horizon),
    )
    rows = [(seq, name, time, *_record_keys(body)) for seq, name, time, body in cursor.fetchall()]
    copy_rows(cursor, "record_keys", "seq, artifact_id, time, lineage_id, inputs", rows)
    cursor.execute("UPDATE build_state SET keys_horizon = %s::xid8 WHERE id = 1", (horizon,))


def build(
    store: PostgresStore,
    *,
    output: str | os.PathLike[str] | None,
    full: bool,
    skip_bad: bool,
    on_problem: Callable[[LogProblem], None] | None,
    progress: Progress | None,
) -> BuildResult:
    """Fold and write in one transaction; a second builder waits on the ``build_state`` row lock."""

    def work() -> BuildResult:
        connection = store.primary()
        name = f"{store.location} events, seq"
        with connection.transaction(), connection.cursor() as cursor:
            state = cursor.execute(_STATE + " FOR UPDATE").fetchone()
            # Every transaction below xmin has finished: its events are all visible, or never will be.
            horizon = cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").fetchone()[0]
            problems, report = _collector(on_problem)
            delta = None if full else _delta(cursor, name, state, horizon, skip_bad, report)
            if delta is None:
                problems, report = _collector(on_problem)
                run = fold_from_state(
                    cursor,
                    name,
                    full=True,
                    state=state,
                    horizon=horizon,
                    skip_bad=skip_bad,
                    on_problem=on_problem,
                    progress=progress,
                )
                problems = run.fold.problems
                base = write_fold(cursor, run)
            else:
                write_delta(cursor, delta)
                base = delta.base
            save_version(cursor, delta, base, since=state[0], horizon=horizon)  # for time travel
            built_at = utc_now()
            digest = graph_hash(base.total)
            snapshot = None
            if digest != state[3]:
                number = cursor.execute("SELECT coalesce(max(number), 0) + 1 FROM builds").fetchone()[0]
                snapshot = {
                    "number": number,
                    "built_at": format_timestamp(built_at),
                    "events": base.events,
                    "log_bytes": None,
                    "last_event_time": base.last_event_time,
                    "graph_hash": digest,
                    "artifacts": base.artifacts,
                    "edges": base.edges,
                    "log_tail": None,
                    "file": None,
                }
                cursor.execute(
                    "INSERT INTO builds VALUES (%s, %s)", (number, orjson.dumps(snapshot).decode())
                )
            _write_base(cursor, horizon, base, digest)
            _index_records(cursor, horizon)
            data = None
            if output is not None:
                data = orjson.dumps(
                    load_document(cursor, format_timestamp(built_at)), option=orjson.OPT_INDENT_2
                )
        target: Path | str = store.location
        if output is not None and data is not None:
            target = Path(output)
            write_atomic(target, data + b"\n")
        return BuildResult(
            output=target,  # type: ignore[arg-type]
            artifacts=base.artifacts,
            edges=base.edges,
            events=base.events,
            duplicates=0,  # the database refused them when they were sent
            problems=problems,
            statuses=merge_counts(base.statuses),
            graph_hash=digest,
            snapshot=snapshot,
        )

    result: Any = store._run(work)
    return result  # type: ignore[no-any-return]
