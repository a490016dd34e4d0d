"""Write a full fold's result to the PostgreSQL store's tables, in the directory store's order.

A full build (``--full``, the first build, or one with aliases, which merge artifacts anywhere)
rewrites every table from the fold; every other build writes only what changed
(:func:`lineage_cli.store.postgres.state.write_delta`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from lineage_cli.store.incremental import Base, Node, merge_counts
from lineage_cli.store.nodes import HASH_MODULUS, node_digest
from lineage_cli.store.postgres.fold import FoldRun
from lineage_cli.store.postgres.state import (
    ARTIFACT_COLUMNS,
    artifact_row,
    attr_rows,
    copy_rows,
    declared_rows,
)

__all__ = ["write_fold"]

_TABLES = "artifact, edge, records, flows, stale, declared, described, alias, attr"


def _record_rows(run: FoldRun) -> Iterator[tuple[Any, ...]]:
    current, older = run.folder.current, run.folder.older
    for artifact_id, (_, seq, number, event) in current.items():
        records = [(seq, number, True, event)] + [
            (r[1], r[2], False, r[3]) for r in older.get(artifact_id, ())
        ]
        first = min(r[0] for r in records)
        for r_seq, r_number, is_current, r_event in records:
            yield artifact_id, r_seq, r_number, is_current, first, orjson.dumps(r_event).decode()


def write_fold(cursor: Any, run: FoldRun) -> Base:
    """Replace the tables' content with ``run``'s fold; return the totals an incremental build continues."""
    fold, folder = run.fold, run.folder
    nodes = fold.nodes
    edge_types = {edge["target"]: edge["type"] for edge in fold.edges}
    rows: dict[str, Node] = {}
    total = 0
    current = folder.current
    for position, (artifact_id, doc) in enumerate(nodes.items()):
        kind = edge_types.get(artifact_id, "")
        digest = node_digest(artifact_id, doc, kind)
        total += digest
        recorded = artifact_id in current
        rows[artifact_id] = Node(
            position if recorded else None,
            current[artifact_id][3]["lineage_id"] if recorded else None,
            orjson.dumps(doc),
            digest,
            doc["status"],
            doc["provenance"]["timestamp"],
            kind,
        )
    cursor.execute(f"TRUNCATE {_TABLES}")
    copy_rows(cursor, "records", "artifact_id, seq, number, is_current, first_seq, body", _record_rows(run))
    copy_rows(
        cursor,
        "flows",
        "lineage_id, time, state, error, event_id",
        (
            (lid, moment.isoformat(), state.value, error, event_id)
            for lid, (moment, state, error, event_id) in folder.flows.items()
        ),
    )
    copy_rows(
        cursor,
        "stale",
        "artifact_id, distance, reason",
        (
            (aid, fold.stale_distance[aid], orjson.dumps(reason.to_json()).decode())
            for aid, reason in fold.stale.items()
        ),
    )
    copy_rows(cursor, "declared", "lineage_id, input", declared_rows(folder.declared_inputs))
    copy_rows(
        cursor,
        "described",
        "seq, body, artifact_id",
        ((seq, body, orjson.loads(body)["artifact_id"]) for seq, body in sorted(set(run.described))),
    )
    copy_rows(cursor, "artifact", ARTIFACT_COLUMNS, (artifact_row(aid, node) for aid, node in rows.items()))
    copy_rows(
        cursor,
        "edge",
        "source, target, ord, position, kind, description, metadata",
        (
            (source, aid, rows[aid].ord, position, rows[aid].edge_type, doc["transformation"], None)
            for aid, doc in nodes.items()
            for position, source in enumerate(doc["inputs"])
        ),
    )
    aliases = {
        name: aid for aid, doc in nodes.items() for name in doc.get("aliases", ()) if name not in nodes
    }
    copy_rows(cursor, "alias", "name, artifact", sorted(aliases.items()))
    copy_rows(cursor, "attr", "key, value, name", attr_rows(nodes.items()))
    return Base(
        events=fold.events,
        last_event_time=fold.last_event_time,
        next_ord=len(current),
        total=total % HASH_MODULUS,
        statuses=merge_counts(fold.status_counts()),
        artifacts=len(nodes),
        edges=len(fold.edges),
        has_aliases=bool(folder.described.aliases),
    )
