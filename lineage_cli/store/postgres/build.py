"""``lineage build`` on PostgreSQL: one builder at a time, the events below the horizon, the fold reused."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from lineage_cli.model import format_timestamp, utc_now
from lineage_cli.store.atomic import write_atomic
from lineage_cli.store.build import BuildResult, Progress, encode_document
from lineage_cli.store.events import LogProblem
from lineage_cli.store.postgres.fold import fold_from_state
from lineage_cli.store.postgres.write import write_fold

if TYPE_CHECKING:
    from lineage_cli.store.postgres import PostgresStore

__all__ = ["build"]


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
        with connection.transaction(), connection.cursor() as cursor:
            state = cursor.execute(
                "SELECT horizon::text, events, last_event_time, graph_hash FROM build_state WHERE id = 1"
                " FOR UPDATE"
            ).fetchone()
            # Every transaction below xmin has finished: its events are all visible, or never will be.
            horizon = cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").fetchone()[0]
            run = fold_from_state(
                cursor,
                f"{store.location} events, seq",
                full=full,
                state=state,
                horizon=horizon,
                skip_bad=skip_bad,
                on_problem=on_problem,
                progress=progress,
            )
            fold = run.fold
            built_at = utc_now()
            data, digest = encode_document(fold, built_at)
            if full or run.new_events:
                write_fold(cursor, run, full=full)
            snapshot = None
            if digest != state[3]:
                number = cursor.execute("SELECT coalesce(max(number), 0) + 1 FROM builds").fetchone()[0]
                snapshot = {
                    "number": number,
                    "built_at": format_timestamp(built_at),
                    "events": fold.events,
                    "log_bytes": None,
                    "last_event_time": fold.last_event_time,
                    "graph_hash": digest,
                    "artifacts": len(fold.nodes),
                    "edges": len(fold.edges),
                    "log_tail": None,
                    "file": None,
                }
                cursor.execute(
                    "INSERT INTO builds VALUES (%s, %s)", (number, orjson.dumps(snapshot).decode())
                )
            cursor.execute(
                "UPDATE build_state SET horizon = %s::xid8, events = %s, last_event_time = %s,"
                " graph_hash = %s",
                (horizon, fold.events, fold.last_event_time, digest),
            )
        target: Path | str = store.location
        if output is not None:
            target = Path(output)
            write_atomic(target, data)
        return BuildResult(
            output=target,  # type: ignore[arg-type]
            artifacts=len(fold.nodes),
            edges=len(fold.edges),
            events=fold.events,
            duplicates=0,  # the database refused them when they were sent
            problems=fold.problems,
            statuses=fold.status_counts(),
            graph_hash=digest,
            snapshot=snapshot,
        )

    result: Any = store._run(work)
    return result  # type: ignore[no-any-return]
