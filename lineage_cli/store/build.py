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
from lineage_cli.model import format_timestamp, utc_now
from lineage_cli.store.atomic import remove_atomic, write_atomic
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
from lineage_cli.store.local.state import Applied

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
    deferred: bool = False
    """``lineage.json`` is left to be written when first read (:mod:`lineage_cli.store.local.document`)."""

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


def _index_store(
    paths: StorePaths, nodes: dict[str, dict[str, Any]], edges: list[dict[str, Any]], token: str
) -> None:
    """Write the query index for this build, which then carries ``token`` (see README, "Performance").

    The rows come straight from the fold or the state (the same nodes and edges, in the same
    order, as reading the file back would give), so nothing is parsed or decoded again. A store
    where the index cannot be written still built fine: the next query answers from the file
    and tries again.
    """
    import sqlite3

    from lineage_cli.store.index import build_index_rows

    # Every fold edge is explicit with empty metadata, so no implicit edges follow them.
    rows = (
        (edge["source"], edge["target"], position, edge["type"], edge["description"], None)
        for position, edge in enumerate(edges)
    )
    aliases = ((name, aid) for aid, node in nodes.items() for name in node.get("aliases", ()))
    with contextlib.suppress(OSError, sqlite3.Error):
        build_index_rows(paths, nodes.items(), rows, fingerprint=token, aliases=aliases)


@dataclass(slots=True)
class _Finisher:
    """What a build leaves beside the state: ``lineage.json`` (or not), ``--output FILE``, the index.

    Called inside the state's transaction (:data:`lineage_cli.store.local.state.Finish`), or
    once without a state (``cursor`` ``None``), when the store keeps none.
    """

    paths: StorePaths
    output: Path
    step: Callable[[str], None]
    fold: Fold | None = None
    data: bytes | None = None
    token: str = ""

    def __call__(self, cursor: Any, applied: Applied) -> str:
        from lineage_cli.store.index import graph_fingerprint
        from lineage_cli.store.local.document import deferred, encode
        from lineage_cli.store.local.state import update_index

        paths = self.paths
        store_document = cursor is None or not deferred(applied.doc_bytes)
        rows = None
        if store_document or self.output != paths.graph:
            rows = self._rows(cursor)
            self.step("writing the lineage file")
            self.data = encode(applied.built_at, *rows)
            write_atomic(self.output, self.data)
        if store_document:
            if self.output != paths.graph:
                write_atomic(paths.graph, self.data)  # type: ignore[arg-type]
            token = graph_fingerprint(paths.graph)
        else:  # outdated now: removed before the state commits, written again when first read
            remove_atomic(paths.graph)
            token = applied.token
        if applied.delta is None or not update_index(paths, applied.previous, applied.delta, token):
            self.step("writing the query index")
            nodes, edges = rows if rows is not None else self._rows(cursor)
            _index_store(paths, nodes, edges, token)
        self.token = token
        return token

    def _rows(self, cursor: Any) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        """The graph's nodes and edges: the full fold's, else read back from the state."""
        from lineage_cli.store.local.state import read_document

        return (self.fold.nodes, self.fold.edges) if self.fold is not None else read_document(cursor)


def _without_state(fold: Fold, log_tail: str, built_at: str) -> Applied:
    """A full fold's totals when the store keeps no state (its document is always written)."""
    from lineage_cli.store.incremental import Base, merge_counts

    base = Base(
        events=fold.events,
        last_event_time=fold.last_event_time,
        next_ord=0,
        total=digest_total(fold),
        statuses=merge_counts(fold.status_counts()),
        artifacts=len(fold.nodes),
        edges=len(fold.edges),
        has_aliases=False,
    )
    return Applied(base, fold.log_bytes, log_tail, fold.duplicates, "", built_at)


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

    Only the log's new bytes are folded into the stored state
    (:mod:`lineage_cli.store.local.state`) unless ``full``, or unless the state cannot be used.
    The store's ``lineage.json`` is written while the graph is small, and otherwise left to be
    written on demand (:mod:`lineage_cli.store.local.document`); ``output`` also gets the whole
    document. A build with no new events, where everything is in place, writes nothing.

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
    from lineage_cli.store.freshness import mark_built
    from lineage_cli.store.local.document import is_current
    from lineage_cli.store.local.state import BUILD_PREFIX, apply_new_bytes, save_full
    from lineage_cli.store.snapshots import log_tail_hash, record_snapshot

    require_log(paths)
    built_at = utc_now()
    stamp = format_timestamp(built_at)
    target = Path(output) if output is not None else paths.graph
    problems: list[LogProblem] = []

    def step(phase: str) -> None:
        if progress and events >= PROGRESS_EVERY:
            progress(phase, events)

    finish = _Finisher(paths, target, step)
    events = 0
    with gc_paused():  # the whole build: enabling it between steps would trigger full collections
        applied = None
        if not full:
            applied = apply_new_bytes(
                paths,
                built_at=stamp,
                finish=finish,
                current=lambda token, size: target == paths.graph and is_current(paths, token, size),
            )
        if applied is None:
            log = read_log(paths)
            folder, fold = _fold(paths, None, skip_bad, on_problem, progress, log)
            log_tail = log_tail_hash(log, fold.log_bytes)
            lines = log.count(b"\n", 0, fold.log_bytes)
            del log  # the raw log is as big as the file about to be encoded: free it first
            finish.fold, events, problems = fold, fold.events, fold.problems
            applied = save_full(
                paths, folder, fold, log_lines=lines, log_tail=log_tail, built_at=stamp, finish=finish
            )
            del folder
            if applied is None:  # no state kept: everything from the fold
                applied = _without_state(fold, log_tail, stamp)
                finish(None, applied)
            finish.fold = None
            del fold
        base = applied.base
        digest = graph_hash(base.total)
        snapshot = None
        if applied.changed:
            deferred = finish.token if finish.token.startswith(BUILD_PREFIX) else None
            mark_built(paths, applied.log_bytes, base.events, built_at, document=deferred)
            snapshot = record_snapshot(
                paths,
                built_at=built_at,
                digest=digest,
                data=finish.data,
                log_tail=applied.log_tail,
                events=base.events,
                log_bytes=applied.log_bytes,
                last_event_time=base.last_event_time,
                artifacts=base.artifacts,
                edges=base.edges,
            )
        finish.data = None
    return BuildResult(
        output=target,
        artifacts=base.artifacts,
        edges=base.edges,
        events=base.events,
        duplicates=applied.duplicates,
        problems=problems,
        statuses=dict(base.statuses),
        graph_hash=digest,
        snapshot=snapshot,
        deferred=target == paths.graph and not paths.graph.exists(),
    )
