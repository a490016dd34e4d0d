"""Build: fold the log (whole, or its new bytes), write the lineage file and query index, snapshot it.

The fold and its rules are in :mod:`lineage_cli.store.fold`; the incremental state of a
directory store in :mod:`lineage_cli.store.local.state`. This module writes what a build
leaves in the store (see README, "Building").
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from lineage_cli.lineagefile import gc_paused
from lineage_cli.model import utc_now
from lineage_cli.store.atomic import write_atomic
from lineage_cli.store.events import LogProblem
from lineage_cli.store.fold import (
    LIFECYCLE,
    PROGRESS_EVERY,
    Fold,
    Progress,
    StaleReason,
    _fold,
    _Folder,
    _order,
    _parse_time,
    digest_total,
    fold_log,
    graph_hash,
    read_log,
    require_log,
)
from lineage_cli.store.layout import StorePaths

__all__ = [
    "LIFECYCLE",
    "PROGRESS_EVERY",
    "BuildResult",
    "Fold",
    "Progress",
    "StaleReason",
    "_Folder",
    "_order",
    "_parse_time",
    "build_store",
    "digest_total",
    "encode_document",
    "fold_log",
    "graph_hash",
    "read_log",
    "require_log",
]


def encode_document(fold: Fold, built_at: datetime) -> tuple[bytes, str]:
    """The lineage file bytes for ``fold`` and the hash of its content (``built_at`` excluded).

    Examples
    --------
    >>> from lineage_cli.model import parse_timestamp
    >>> fold = Fold({}, [], 0, 0, [], 0, None)
    >>> one, h1 = encode_document(fold, parse_timestamp("2026-01-01"))
    >>> two, h2 = encode_document(fold, parse_timestamp("2026-02-01"))
    >>> one != two and h1 == h2
    True
    """
    data = orjson.dumps(fold.document(built_at), option=orjson.OPT_INDENT_2) + b"\n"
    return data, graph_hash(digest_total(fold))


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What ``lineage build`` did."""

    output: Path
    artifacts: int
    edges: int
    events: int
    duplicates: int
    problems: list[LogProblem]
    statuses: dict[str, int]
    graph_hash: str
    snapshot: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``lineage build --json`` (see README)."""
        return {
            "output": str(self.output),
            "artifacts": self.artifacts,
            "edges": self.edges,
            "events": self.events,
            "duplicates": self.duplicates,
            "skipped": [str(p) for p in self.problems],
            "statuses": self.statuses,
            "graph_hash": self.graph_hash,
            "snapshot": self.snapshot,
        }


def _index_store(paths: StorePaths, fold: Fold, built_at: datetime, progress: Progress | None) -> None:
    """Write the query index for the lineage file just written (see README, "Performance").

    The rows come straight from the fold (the same nodes and edges, in the same order, as
    reading the file back would give), so nothing is parsed or decoded again. A store where
    the index cannot be written still built fine: the next query answers from the file and
    tries again.
    """
    import sqlite3

    from lineage_cli.store.index import build_index_rows, graph_fingerprint

    if progress and fold.events >= PROGRESS_EVERY:
        progress("writing the query index", fold.events)
    artifacts = fold.nodes.items()
    # Every fold edge is explicit with empty metadata, so no implicit edges follow them.
    edges = (
        (edge["source"], edge["target"], position, edge["type"], edge["description"], None)
        for position, edge in enumerate(fold.edges)
    )
    aliases = ((name, aid) for aid, node in fold.nodes.items() for name in node.get("aliases", ()))
    with contextlib.suppress(OSError, sqlite3.Error):
        build_index_rows(paths, artifacts, edges, fingerprint=graph_fingerprint(paths.graph), aliases=aliases)


def _fingerprint(paths: StorePaths) -> str | None:
    """The fingerprint of the store's ``lineage.json`` (``None``: there is none)."""
    from lineage_cli.store.index import graph_fingerprint

    try:
        return graph_fingerprint(paths.graph)
    except OSError:
        return None


def build_store(
    paths: StorePaths,
    *,
    output: str | os.PathLike[str] | None = None,
    full: bool = False,
    skip_bad: bool = False,
    on_problem: Callable[[LogProblem], None] | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Fold the log, write the lineage file atomically, and record a snapshot if the graph changed.

    ``output`` defaults to the store's ``lineage.json``. Only the log's new bytes are folded
    into the stored state (:mod:`lineage_cli.store.local.state`) unless ``full``, or unless the
    state cannot be used.

    Examples
    --------
    >>> import tempfile
    >>> from lineage_cli.recorder import record_to_store
    >>> store = StorePaths(Path(tempfile.mkdtemp()))
    >>> _ = record_to_store(store, "report", inputs=["table"])
    >>> result = build_store(store)
    >>> result.artifacts, result.edges, result.snapshot["number"]  # 'table' is external
    (2, 1, 1)
    >>> build_store(store).snapshot is None   # nothing changed: no new snapshot
    True
    """
    from lineage_cli.store.local.state import apply_new_bytes, mark_graph, save_full, update_index
    from lineage_cli.store.snapshots import log_tail_hash, record_snapshot

    require_log(paths)
    with gc_paused():  # the whole build: enabling it between steps would trigger full collections
        applied = None if full else apply_new_bytes(paths, skip_bad=skip_bad)
        if applied is not None:  # only the new bytes of the log, applied to the stored state
            fold, base, log_tail, delta, described = applied
            total = base.total
        else:
            log = read_log(paths)
            folder, fold = _fold(paths, None, skip_bad, on_problem, progress, log)
            log_tail = log_tail_hash(log, fold.log_bytes)
            lines = log.count(b"\n", 0, fold.log_bytes)
            del log  # the raw log is as big as the file about to be encoded: free it first
            saved = save_full(paths, folder, fold, log_lines=lines, log_tail=log_tail)
            total = saved.total if saved is not None else digest_total(fold)
            del folder
        built_at = utc_now()
        if progress and fold.events >= PROGRESS_EVERY:
            progress("writing the lineage file", fold.events)
        data = orjson.dumps(fold.document(built_at), option=orjson.OPT_INDENT_2) + b"\n"
        digest = graph_hash(total)
        target = Path(output) if output is not None else paths.graph
        previous = _fingerprint(paths)
        write_atomic(target, data)
        if target == paths.graph:
            if applied is None or described != previous or not update_index(paths, previous, delta):
                _index_store(paths, fold, built_at, progress)
            mark_graph(paths, _fingerprint(paths))
            from lineage_cli.store.freshness import mark_built

            mark_built(paths, fold.log_bytes, fold.events, built_at)
        snapshot = record_snapshot(paths, fold, built_at, digest, data, log_tail)
        result = BuildResult(
            output=target,
            artifacts=len(fold.nodes),
            edges=len(fold.edges),
            events=fold.events,
            duplicates=fold.duplicates,
            problems=fold.problems,
            statuses=fold.status_counts(),
            graph_hash=digest,
            snapshot=snapshot,
        )
        del fold, data  # freed by reference counting while the collector is still paused
    return result
