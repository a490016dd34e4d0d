"""Write a fold's result to the PostgreSQL store's tables, in the directory store's order.

The tables are rewritten whole from the fold: with aliases (which merge artifacts), a flow's
declared inputs (which add edges to artifacts no new event named) and external inputs (which
come and go with their consumers), what one event changes is not local, and the fold already
holds every row. Only the events are read incrementally (see :mod:`.fold`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from lineage_cli.attributes import document_attributes
from lineage_cli.model import format_timestamp
from lineage_cli.store.index import REVERSED
from lineage_cli.store.postgres.fold import FoldRun

__all__ = ["write_fold"]

_TABLES = "artifact, edge, records, flows, stale, declared, described, alias, attr"


def _copy(cursor: Any, table: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _record_rows(run: FoldRun) -> Iterator[tuple[Any, ...]]:
    current, older = run.folder.current, run.folder.older
    for artifact_id, (_, seq, number, event) in current.items():
        records = [(seq, number, True, event)] + [
            (r[1], r[2], False, r[3]) for r in older.get(artifact_id, ())
        ]
        first = min(r[0] for r in records)
        for r_seq, r_number, is_current, r_event in records:
            yield artifact_id, r_seq, r_number, is_current, first, orjson.dumps(r_event).decode()


def _declared_rows(declared: dict[str, set[str]]) -> Iterator[tuple[str, str | None]]:
    for lineage_id, sources in declared.items():
        if not sources:  # a flow that declared it read nothing: its artifacts are generated
            yield lineage_id, None
        for source in sorted(sources):
            yield lineage_id, source


def _edge_rows(run: FoldRun, order: dict[str, int]) -> Iterator[tuple[Any, ...]]:
    positions: dict[str, int] = {}
    for edge in run.fold.edges:
        target = edge["target"]
        position = positions.get(target, 0)
        positions[target] = position + 1
        yield edge["source"], target, order[target], position, edge["type"], edge["description"], None


def write_fold(cursor: Any, run: FoldRun, *, full: bool) -> None:
    """Replace the tables' content with ``run``'s fold (``full`` reads nothing different here)."""
    del full  # every build rewrites the tables; see the module's docstring
    fold, folder = run.fold, run.folder
    nodes = fold.nodes
    order = {aid: position for position, aid in enumerate(nodes)}  # the lineage file's order
    cursor.execute(f"TRUNCATE {_TABLES}")
    _copy(cursor, "records", "artifact_id, seq, number, is_current, first_seq, body", _record_rows(run))
    _copy(
        cursor,
        "flows",
        "lineage_id, time, state, error, event_id",
        (
            (lid, format_timestamp(moment), state.value, error, event_id)
            for lid, (moment, state, error, event_id) in folder.flows.items()
        ),
    )
    _copy(
        cursor,
        "stale",
        "artifact_id, reason",
        ((aid, orjson.dumps(reason.to_json()).decode()) for aid, reason in fold.stale.items()),
    )
    _copy(
        cursor,
        "declared",
        "lineage_id, input",
        _declared_rows(folder.declared_inputs),
    )
    _copy(cursor, "described", "seq, body", sorted(set(run.described)))
    dumps = orjson.dumps
    _copy(cursor, "artifact", "name, doc, ord", ((aid, dumps(doc), order[aid]) for aid, doc in nodes.items()))
    _copy(
        cursor,
        "edge",
        "source, target, ord, position, kind, description, metadata",
        _edge_rows(run, order),
    )
    aliases = {
        name: aid for aid, doc in nodes.items() for name in doc.get("aliases", ()) if name not in nodes
    }
    _copy(cursor, "alias", "name, artifact", sorted(aliases.items()))
    _copy(
        cursor,
        "attr",
        "key, value, name",
        (
            row
            for aid, doc in nodes.items()
            for row in ((key, value, aid) for key, value in document_attributes(aid, doc))
        ),
    )
    _copy(cursor, "attr", "key, value, name", ((REVERSED, aid[::-1], aid) for aid in nodes))
    # An endpoint that is no artifact (a lineage file written elsewhere) is still an id.
    cursor.execute(
        "INSERT INTO artifact (name) SELECT DISTINCT source FROM edge ON CONFLICT (name) DO NOTHING"
    )
