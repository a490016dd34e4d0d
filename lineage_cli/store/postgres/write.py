"""Write a fold's result to the PostgreSQL store's tables: everything (full build) or only what changed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from lineage_cli.model import format_timestamp
from lineage_cli.store.postgres.fold import FoldRun

__all__ = ["write_fold"]


def _copy(cursor: Any, table: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _record_rows(run: FoldRun, artifact_ids: Iterable[str]) -> Iterator[tuple[Any, ...]]:
    current, older = run.folder.current, run.folder.older
    for artifact_id in artifact_ids:
        _, seq, number, event = current[artifact_id]
        records = [(seq, number, True, event)] + [
            (r[1], r[2], False, r[3]) for r in older.get(artifact_id, ())
        ]
        first = min(r[0] for r in records)
        for r_seq, r_number, is_current, r_event in records:
            yield artifact_id, r_seq, r_number, is_current, first, orjson.dumps(r_event).decode()


def _edge_rows(run: FoldRun, artifact_ids: Iterable[str], order: dict[str, int]) -> Iterator[tuple[Any, ...]]:
    nodes = run.fold.nodes
    for artifact_id in artifact_ids:
        node = nodes[artifact_id]
        inputs = node["inputs"]
        if not inputs:
            continue
        edge_type = run.folder.current[artifact_id][3].get("transformation_type") or "derived"
        for position, source in enumerate(inputs):
            yield source, artifact_id, order[artifact_id], position, edge_type, node["transformation"], None


def write_fold(cursor: Any, run: FoldRun, *, full: bool) -> None:
    """Bring the tables in line with ``run``'s fold, writing only rows that changed unless ``full``."""
    fold, folder = run.fold, run.folder
    first_seq = {
        aid: min([rec[1], *(r[1] for r in folder.older.get(aid, ()))]) for aid, rec in folder.current.items()
    }
    reasons = {aid: orjson.dumps(reason.to_json()).decode() for aid, reason in fold.stale.items()}
    if full:
        cursor.execute("TRUNCATE artifact, edge, records, flows, stale")
        changed: Iterable[str] = list(fold.nodes)
        stale_rows = list(reasons.items())
        flow_ids: Iterable[str] = list(folder.flows)
        touched: Iterable[str] = list(folder.current)
    else:
        cursor.execute("SELECT artifact_id, reason FROM stale")
        old = dict(cursor.fetchall())
        stale_changed = {a for a in old.keys() | reasons.keys() if old.get(a) != reasons.get(a)}
        flow_ids = run.flows_touched
        by_flow = (
            {aid for aid, rec in folder.current.items() if rec[3]["lineage_id"] in run.flows_touched}
            if run.flows_touched
            else set()
        )
        changed = sorted(run.touched | by_flow | stale_changed)
        touched = sorted(run.touched)
        cursor.execute("DELETE FROM stale WHERE artifact_id = ANY(%s)", (sorted(stale_changed),))
        stale_rows = [(a, reasons[a]) for a in sorted(stale_changed) if a in reasons]
        cursor.execute("DELETE FROM records WHERE artifact_id = ANY(%s)", (touched,))
        cursor.execute("DELETE FROM flows WHERE lineage_id = ANY(%s)", (sorted(flow_ids),))
    _copy(
        cursor, "records", "artifact_id, seq, number, is_current, first_seq, body", _record_rows(run, touched)
    )
    _copy(
        cursor,
        "flows",
        "lineage_id, time, state, error",
        (
            (lid, format_timestamp(folder.flows[lid][0]), folder.flows[lid][1].value, folder.flows[lid][2])
            for lid in flow_ids
            if lid in folder.flows
        ),
    )
    _copy(cursor, "stale", "artifact_id, reason", stale_rows)
    dumps = orjson.dumps
    node_rows = [(aid, dumps(fold.nodes[aid]), first_seq[aid]) for aid in changed]
    if full:
        _copy(cursor, "artifact", "name, doc, ord", node_rows)
        _copy(
            cursor,
            "edge",
            "source, target, ord, position, kind, description, metadata",
            _edge_rows(run, fold.nodes, first_seq),
        )
        cursor.execute(
            "INSERT INTO artifact (name) SELECT DISTINCT source FROM edge ON CONFLICT (name) DO NOTHING"
        )
        return
    cursor.executemany(
        "INSERT INTO artifact (name, doc, ord) VALUES (%s, %s, %s)"
        " ON CONFLICT (name) DO UPDATE SET doc = excluded.doc, ord = excluded.ord",
        node_rows,
    )
    cursor.execute("DELETE FROM edge WHERE target = ANY(%s) RETURNING source", (touched,))
    removed = sorted({row[0] for row in cursor.fetchall()})
    new_edges = list(_edge_rows(run, touched, first_seq))
    _copy(cursor, "edge", "source, target, ord, position, kind, description, metadata", new_edges)
    cursor.execute(
        "INSERT INTO artifact (name) SELECT unnest(%s::text[]) ON CONFLICT (name) DO NOTHING",
        (sorted({row[0] for row in new_edges}),),
    )
    # An endpoint no edge names any more is no longer known, as in a fresh lineage file.
    cursor.execute(
        "DELETE FROM artifact a WHERE a.doc IS NULL AND a.name = ANY(%s)"
        " AND NOT EXISTS (SELECT 1 FROM edge e WHERE e.source = a.name)",
        (removed,),
    )
