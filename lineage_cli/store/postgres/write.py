"""Write a full fold's result to the PostgreSQL store's tables, in the directory store's order.

A full build (``--full``, the first build, or one with aliases, which merge artifacts anywhere)
rewrites every table from the fold (:func:`lineage_cli.store.sqlstate.write_full`, plus the
query index's alias and attribute tables); every other build writes only what changed
(:func:`lineage_cli.store.sqlstate.write_delta`).
"""

from __future__ import annotations

from typing import Any

import orjson

from lineage_cli.store.incremental import Base
from lineage_cli.store.postgres.fold import FoldRun
from lineage_cli.store.sqlstate import attr_rows, copy_rows, write_full

__all__ = ["write_fold"]


def write_fold(cursor: Any, run: FoldRun) -> Base:
    """Replace the tables' content with ``run``'s fold; return the totals an incremental build continues."""
    cursor.execute("TRUNCATE artifact, edge, records, flows, stale, declared, described, alias, attr")
    described = ((seq, body, orjson.loads(body)["artifact_id"]) for seq, body in sorted(set(run.described)))
    base = write_full(cursor, run.folder, run.fold, described)
    nodes = run.fold.nodes
    aliases = {
        name: aid for aid, doc in nodes.items() for name in doc.get("aliases", ()) if name not in nodes
    }
    copy_rows(cursor, "alias", "name, artifact", sorted(aliases.items()))
    copy_rows(cursor, "attr", "key, value, name", attr_rows(nodes.items()))
    return base
