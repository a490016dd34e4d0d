"""Time travel: the lineage graph as it was at any moment, and what changed between two moments.

The graph at ``T`` is the fold of every event whose ``time`` is at or before ``T`` and of
none after it (see :func:`lineage_cli.store.build.fold_log`). A snapshot whose events all
lie at or before ``T``, with nothing appended since that does, already *is* that fold, so
it is used instead of replaying the log; otherwise the log is replayed in one pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lineage_cli.graph import LineageGraph
from lineage_cli.model import format_timestamp
from lineage_cli.store.build import fold_log, read_log, require_log
from lineage_cli.store.events import LogProblem, parse_events
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.snapshots import list_snapshots, load_snapshot, log_tail_hash

__all__ = ["GraphDiff", "diff", "diff_documents", "document_at", "first_event_time", "graph_at"]


def _from_snapshot(
    paths: StorePaths,
    moment: datetime,
    log: bytes,
    skip_bad: bool,
    on_problem: Callable[[LogProblem], None] | None,
) -> dict[str, Any] | None:
    best: dict[str, Any] | None = None
    for entry in list_snapshots(paths):
        last = entry.get("last_event_time")
        offset = entry.get("log_bytes")
        if not entry.get("file") or not isinstance(last, str) or not isinstance(offset, int):
            continue
        if datetime.fromisoformat(last) > moment or offset > len(log):
            continue
        if entry.get("log_tail") != log_tail_hash(log, offset):
            continue  # the log was rewritten since this build
        if best is None or offset >= best["log_bytes"]:
            best = entry
    if best is None:
        return None
    first_line = log.count(b"\n", 0, best["log_bytes"]) + 1
    tail = parse_events(
        log[best["log_bytes"] :],
        str(paths.events),
        skip_bad=skip_bad,
        on_problem=on_problem,
        first_line=first_line,
    )
    for _, event in tail:
        try:
            if datetime.fromisoformat(event["time"]) <= moment:
                return None  # appended after the build but belongs before the moment: replay
        except (ValueError, TypeError):
            return None  # let the replay report the bad time with its line
    return load_snapshot(paths, best)


def document_at(
    paths: StorePaths,
    moment: datetime,
    *,
    skip_bad: bool = False,
    on_problem: Callable[[LogProblem], None] | None = None,
) -> dict[str, Any]:
    """The lineage document (nodes, edges, statuses) of the store as it was at ``moment``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.model import parse_timestamp
    >>> from lineage_cli.recorder import record_to_store
    >>> store = StorePaths(pathlib.Path(tempfile.mkdtemp()))
    >>> _ = record_to_store(store, "report")
    >>> document_at(store, parse_timestamp("2000-01-01"))["nodes"]
    {}
    """
    require_log(paths)
    return _document_at(paths, moment, read_log(paths), skip_bad, _report_once(on_problem))


def _report_once(on_problem: Callable[[LogProblem], None] | None) -> Callable[[LogProblem], None] | None:
    """``on_problem``, passing each bad line on once: a snapshot's tail and a replay may both read it."""
    if on_problem is None:
        return None
    seen: set[tuple[str, int]] = set()

    def report(problem: LogProblem) -> None:
        if (problem.path, problem.line) not in seen:
            seen.add((problem.path, problem.line))
            on_problem(problem)

    return report


def _document_at(
    paths: StorePaths,
    moment: datetime,
    log: bytes,
    skip_bad: bool,
    on_problem: Callable[[LogProblem], None] | None,
) -> dict[str, Any]:
    document = _from_snapshot(paths, moment, log, skip_bad, on_problem)
    if document is None:
        document = fold_log(paths, until=moment, skip_bad=skip_bad, on_problem=on_problem, data=log).document(
            moment
        )
    document["built_at"] = format_timestamp(moment)
    return document


def graph_at(
    store: StorePaths,
    moment: datetime,
    *,
    skip_bad: bool = False,
    on_problem: Callable[[LogProblem], None] | None = None,
) -> LineageGraph:
    """Rebuild the store's graph from every event at or before ``moment`` (none after).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.model import parse_timestamp, utc_now
    >>> from lineage_cli.recorder import record_to_store
    >>> store = StorePaths(pathlib.Path(tempfile.mkdtemp()))
    >>> _ = record_to_store(store, "report", inputs=["table"])
    >>> sorted(graph_at(store, utc_now()).nodes), len(graph_at(store, parse_timestamp("2000-01-01")))
    (['report', 'table'], 0)
    """
    return LineageGraph.from_document(document_at(store, moment, skip_bad=skip_bad, on_problem=on_problem))


@dataclass(frozen=True, slots=True)
class GraphDiff:
    """What changed between two moments: artifacts added, removed, modified; edges added, removed."""

    start: datetime
    end: datetime
    added: list[str]
    removed: list[str]
    modified: list[tuple[str, str, str]]
    """``(artifact, version at start, version at end)``."""
    edges_added: list[tuple[str, str]]
    edges_removed: list[tuple[str, str]]
    dropped: list[str] = field(default_factory=list)
    """Artifacts dropped in between (status ``dropped`` at the end, not at the start)."""
    status_changed: list[tuple[str, str, str]] = field(default_factory=list)
    """``(artifact, status at start, status at end)`` for artifacts in both graphs."""

    @property
    def empty(self) -> bool:
        """Whether nothing changed."""
        return not (
            self.added
            or self.removed
            or self.modified
            or self.edges_added
            or self.edges_removed
            or self.dropped
            or self.status_changed
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``lineage diff --json`` (see README)."""
        return {
            "from": format_timestamp(self.start),
            "to": format_timestamp(self.end),
            "artifacts": {
                "added": self.added,
                "removed": self.removed,
                "modified": [
                    {"artifact": a, "from_version": v1, "to_version": v2} for a, v1, v2 in self.modified
                ],
                "dropped": self.dropped,
                "status_changed": [
                    {"artifact": a, "from_status": s1, "to_status": s2} for a, s1, s2 in self.status_changed
                ],
            },
            "edges": {
                "added": [{"source": s, "target": t} for s, t in self.edges_added],
                "removed": [{"source": s, "target": t} for s, t in self.edges_removed],
            },
        }


def _edge_pairs(document: dict[str, Any]) -> set[tuple[str, str]]:
    pairs = {(e["source"], e["target"]) for e in document["edges"]}
    for artifact_id, node in document["nodes"].items():
        pairs.update((source, artifact_id) for source in node.get("inputs", ()))
    return pairs


def diff(
    store: StorePaths,
    start: datetime,
    end: datetime,
    *,
    skip_bad: bool = False,
    on_problem: Callable[[LogProblem], None] | None = None,
) -> GraphDiff:
    """Compare the graph at ``start`` with the graph at ``end``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.model import parse_timestamp, utc_now
    >>> from lineage_cli.recorder import record_to_store
    >>> store = StorePaths(pathlib.Path(tempfile.mkdtemp()))
    >>> _ = record_to_store(store, "report", inputs=["table"])
    >>> d = diff(store, parse_timestamp("2000-01-01"), utc_now())
    >>> d.added, d.edges_added
    (['report', 'table'], [('table', 'report')])
    """
    # One read of the log for both moments, and each bad line reported once, not per moment.
    require_log(store)
    log = read_log(store)
    report = _report_once(on_problem)
    before_document = _document_at(store, start, log, skip_bad, report)
    after_document = _document_at(store, end, log, skip_bad, report)
    return diff_documents(start, end, before_document, after_document)


def diff_documents(
    start: datetime, end: datetime, before_document: dict[str, Any], after_document: dict[str, Any]
) -> GraphDiff:
    """Compare two lineage documents (the graph at ``start`` and at ``end``), whichever store made them.

    Examples
    --------
    >>> from lineage_cli.model import parse_timestamp
    >>> t = parse_timestamp("2026-01-01")
    >>> after = {"nodes": {"a": {"version": "1"}}, "edges": []}
    >>> diff_documents(t, t, {"nodes": {}, "edges": []}, after).added
    ['a']
    """
    before, after = before_document["nodes"], after_document["nodes"]
    before_edges, after_edges = _edge_pairs(before_document), _edge_pairs(after_document)
    return GraphDiff(
        start=start,
        end=end,
        added=sorted(a for a in after if a not in before),
        removed=sorted(a for a in before if a not in after),
        modified=sorted(
            (a, str(before[a].get("version")), str(after[a].get("version")))
            for a in after
            if a in before and before[a].get("version") != after[a].get("version")
        ),
        edges_added=sorted(after_edges - before_edges),
        edges_removed=sorted(before_edges - after_edges),
        dropped=sorted(
            a
            for a, node in after.items()
            if node.get("status") == "dropped" and (a not in before or before[a].get("status") != "dropped")
        ),
        status_changed=sorted(
            (a, str(before[a].get("status")), str(after[a].get("status")))
            for a in after
            if a in before and before[a].get("status") != after[a].get("status")
        ),
    )


def first_event_time(paths: StorePaths) -> datetime | None:
    """The time of the earliest event in the log (``None``: no events); bad lines are passed over.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.recorder import record_to_store
    >>> store = StorePaths(pathlib.Path(tempfile.mkdtemp()))
    >>> first_event_time(store) is None
    True
    >>> _ = record_to_store(store, "report")
    >>> first_event_time(store) is not None
    True
    """
    earliest: datetime | None = None
    for _, event in parse_events(read_log(paths), str(paths.events), skip_bad=True):
        try:
            moment = datetime.fromisoformat(event["time"])
        except (KeyError, TypeError, ValueError):
            continue
        if moment.tzinfo is not None and (earliest is None or moment < earliest):
            earliest = moment
    return earliest
