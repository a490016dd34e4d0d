"""Time travel on PostgreSQL from versions of the fold's state: what a build left, plus the events since.

Every build that folds events adds a *version* (``state_versions``): its horizon, its totals,
the running maximum of the event times folded so far (``max_time``), and whether every event
below its horizon was folded (``clean``: none skipped as malformed). The state tables each
have a history table (``artifact_v``, ``edge_v``...) where a row belongs to version ``v`` when
``b_from <= v < b_to``; a build closes only the rows it changed and adds their new versions.

The graph at ``T`` is the fold of every event with ``time <= T`` in commit order. Take the
latest clean version ``v`` whose ``max_time <= T``: every event below its horizon is at or
before ``T``, so that fold is version ``v``'s state with the events committed since its
horizon at or before ``T`` folded after it, which :func:`fold_new_events` does reading only
the keys they name (:class:`VersionFoldState`). With no such version (``T`` before the first
one, or a new alias to merge), the caller folds every event up to ``T`` instead. Every
statement here is a plain ``SELECT`` but :func:`save_version`, which a build runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson

from lineage_cli.graph import FORMAT_VERSION, gc_paused
from lineage_cli.model import format_timestamp
from lineage_cli.store.build import _Folder
from lineage_cli.store.events import LogProblem
from lineage_cli.store.incremental import Base, Delta, fold_new_events
from lineage_cli.store.nodes import StaleReason
from lineage_cli.store.postgres.fold import _collector, feed
from lineage_cli.store.sqlstate import EXTERNAL_ORD, SqlFoldState, base_values, read_base

__all__ = [
    "Moment",
    "VersionFoldState",
    "diff_nodes",
    "document_at",
    "moment_state",
    "save_version",
    "stale_at",
]


@dataclass(frozen=True, slots=True)
class _Table:
    """A state table and its history: the key a build changes rows by, the columns versioned."""

    current: str
    history: str
    key: str
    columns: str


TABLES: Final = (
    _Table("artifact", "artifact_v", "name", "name, doc, ord, lineage_id, digest, status, stamp, edge_type"),
    _Table("edge", "edge_v", "target", "source, target, position"),
    _Table("records", "records_v", "artifact_id", "artifact_id, seq, number, is_current"),
    _Table("flows", "flows_v", "lineage_id", "lineage_id, time, state, error, event_id"),
    _Table("declared", "declared_v", "lineage_id", "lineage_id, input"),
    _Table("described", "described_v", "artifact_id", "seq, artifact_id"),
    _Table("stale", "stale_v", "artifact_id", "artifact_id, distance, reason"),
)


def _at(alias: str, version: int) -> str:
    """The rows of ``alias`` that belong to ``version`` (an integer read from ``state_versions``)."""
    v = int(version)
    return f"{alias}.b_from <= {v} AND ({alias}.b_to IS NULL OR {alias}.b_to > {v})"


# -- writing: one version per build that folded events -------------------------------------


def _changed_keys(delta: Delta) -> dict[str, list[str]]:
    """The keys of each state table that the delta's rows replaced (as ``write_delta`` writes them)."""
    return {
        "artifact": sorted({*delta.nodes, *delta.removed}),
        "edge": sorted(a for a in delta.edges if a in delta.nodes),
        "records": sorted(delta.recorded),
        "flows": sorted(delta.flows),
        "declared": sorted(delta.declared),
        "described": sorted({artifact_id for _, _, artifact_id in delta.described}),
        "stale": sorted(delta.stale),
    }


def _sync(cursor: Any, table: _Table, version: int, keys: list[str] | None) -> None:
    """Close the open history rows the current table no longer has; add the rows it has anew.

    ``keys`` limits both to those keys (``None``: the whole table, after a full fold). Rows are
    compared whole (``EXCEPT ALL`` treats NULLs as equal), so a row a build rewrote unchanged
    keeps its version.
    """
    if keys is not None and not keys:
        return
    where = "" if keys is None else f" AND {table.key} = ANY(%(keys)s)"
    current = f"SELECT {table.columns} FROM {table.current} WHERE true{where}"
    open_rows = f"SELECT {table.columns} FROM {table.history} WHERE b_to IS NULL{where}"
    same = " AND ".join(f"h.{c} IS NOT DISTINCT FROM g.{c}" for c in table.columns.split(", "))
    params = {"version": version, "keys": keys}
    cursor.execute(
        f"UPDATE {table.history} h SET b_to = %(version)s FROM ({open_rows} EXCEPT ALL {current}) g"
        f" WHERE h.b_to IS NULL AND h.{table.key} = g.{table.key} AND {same}",
        params,
    )
    cursor.execute(
        f"INSERT INTO {table.history} ({table.columns}, b_from)"
        f" SELECT *, %(version)s FROM ({current} EXCEPT ALL {open_rows}) n",
        params,
    )


def save_version(cursor: Any, delta: Delta | None, base: Base, *, since: str, horizon: str) -> None:
    """Record the state a build just wrote as a new version (``delta``: its changes; ``None``: a full fold).

    ``since`` is the last build's horizon, ``horizon`` this build's. A build that folded no
    event adds no version: the events past the last version's horizon are the same ones.
    An incremental version is clean when the one before it is and it folded every event since.
    """
    latest = "SELECT version, clean FROM state_versions ORDER BY version DESC LIMIT 1"
    last = cursor.execute(latest).fetchone()
    if delta is None or last is None:  # a full fold (or no version yet): compare whole tables
        keys: dict[str, list[str]] | None = None
        # Clean when every event below the horizon was folded (none malformed, none a duplicate).
        below = cursor.execute("SELECT count(*) FROM events WHERE tx < %s::xid8", (horizon,)).fetchone()[0]
        clean = int(below) == base.events
    else:
        arrived = cursor.execute(
            "SELECT count(*) FROM events WHERE tx >= %s::xid8 AND tx < %s::xid8", (since, horizon)
        ).fetchone()[0]
        if not arrived:
            return
        keys = _changed_keys(delta)
        clean = bool(last[1]) and int(arrived) == delta.new_events
    version = 1 if last is None else int(last[0]) + 1
    for table in TABLES:
        _sync(cursor, table, version, None if keys is None else keys[table.current])
    cursor.execute(
        "INSERT INTO state_versions VALUES"
        " (%s, %s::xid8, %s, %s, %s, %s, %s, %s, %s, %s, %s::timestamptz, %s)",
        (version, horizon, *base_values(base), base.last_event_time, clean),
    )


# -- reading: the state at a version, by key --------------------------------------------------


def _views(version: int) -> dict[str, str]:
    """Each state table as the subquery of its rows at ``version`` (record and description bodies joined)."""
    at = _at("h", version)
    views = {t.current: f"(SELECT * FROM {t.history} h WHERE {at}) {t.current}" for t in TABLES}
    views["records"] = (
        "(SELECT h.artifact_id, h.seq, h.number, h.is_current, e.body FROM records_v h"
        f" JOIN events e ON e.seq = h.seq WHERE {at}) records"
    )
    views["described"] = (
        "(SELECT h.seq, h.artifact_id, e.body FROM described_v h"
        f" JOIN events e ON e.seq = h.seq WHERE {at}) described"
    )
    return views


_FROM: Final = re.compile(r"\bFROM (" + "|".join(t.current for t in TABLES) + r")\b")


class VersionFoldState(SqlFoldState):
    """:class:`SqlFoldState` reading the state tables as they were at one version (read-only).

    Each statement's table becomes the subquery of its rows at that version; the planner
    pushes the key probe into it, so every read is still an index probe.
    """

    def __init__(self, cursor: Any, version: int) -> None:
        super().__init__(cursor)
        self.version = version
        views = _views(version)
        self._rewrite: Callable[[str], str] = lambda s: _FROM.sub(lambda m: "FROM " + views[m[1]], s)

    def _rows(self, statement: str, ids: Collection[str]) -> list[Any]:
        return super()._rows(self._rewrite(statement), ids)


@dataclass(frozen=True, slots=True)
class Moment:
    """The graph at a moment: a version's state and what the events since change (``None``: nothing)."""

    version: int
    delta: Delta | None

    def changed(self) -> set[str]:
        """The artifacts whose node the events since the version changed or removed."""
        return set() if self.delta is None else {*self.delta.nodes, *self.delta.removed}


_VERSION: Final = (
    "SELECT version, horizon::text, events, last_event_time, NULL, digest_sum, next_ord, statuses,"
    " artifacts, edges, has_aliases FROM state_versions"
    " WHERE clean AND (max_time IS NULL OR max_time <= %s) ORDER BY version DESC LIMIT 1"
)


def moment_state(
    cursor: Any,
    name: str,
    moment: datetime,
    *,
    skip_bad: bool,
    on_problem: Callable[[LogProblem], None] | None,
) -> Moment | None:
    """The latest clean version with every event at or before ``moment``, plus the events since up to it.

    ``None`` when no version fits or only a full fold can tell (an alias among the events since).
    Malformed events since the version are reported (or raise) as the full fold reports them.
    """
    row = cursor.execute(_VERSION, (moment,)).fetchone()
    if row is None:
        return None
    version, state = int(row[0]), row[1:]
    base = read_base(state)
    if base is None:
        return None
    # Any event whose time could not be read is folded too, so the fold reports it.
    rows = cursor.execute(
        "SELECT seq, body FROM events WHERE tx >= %s::xid8 AND (time <= %s OR time IS NULL) ORDER BY tx, seq",
        (state[0], moment),
    ).fetchall()
    if not rows:
        return Moment(version, None)
    _, report = _collector(on_problem)

    def fold(folder: _Folder, new: list[tuple[int, str]]) -> None:
        folder.until = moment  # the full fold's own test of each event's time, as it reads it
        feed(folder, new, name, skip_bad=skip_bad, report=report)

    delta = fold_new_events(VersionFoldState(cursor, version), base, rows, fold)
    return None if delta is None else Moment(version, delta)


def _nodes(cursor: Any, at: Moment, names: Collection[str] | None) -> dict[str, tuple[int, str, Any]]:
    """``name -> (ord, edge type, node)`` at the moment (``names``: only those; ``None``: every one).

    A node read from the table is its JSON bytes; one the events since changed, its document.
    """
    where = "" if names is None else " AND h.name = ANY(%s)"
    cursor.execute(
        f"SELECT h.name, h.ord, h.edge_type, h.doc FROM artifact_v h WHERE h.doc IS NOT NULL"
        f" AND {_at('h', at.version)}{where}",
        () if names is None else (sorted(names),),
    )
    found: dict[str, tuple[int, str, Any]] = {name: (o, k or "", d) for name, o, k, d in cursor.fetchall()}
    if at.delta is not None:
        for name in at.delta.removed:
            found.pop(name, None)
        for name, (node, doc) in at.delta.nodes.items():
            if names is None or name in names:
                found[name] = (EXTERNAL_ORD if node.ord is None else node.ord, node.edge_type, doc)
    return found


def _decoded(node: Any) -> dict[str, Any]:
    return node if isinstance(node, dict) else orjson.loads(node)


def document_at(cursor: Any, at: Moment, moment: datetime) -> dict[str, Any]:
    """The lineage document at the moment, nodes and edges in the order the full fold makes them.

    The collector is paused, as for a fold: a million small dicts, all live, would otherwise
    be scanned again and again while they are made.
    """
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, Any]] = []
    add_edge = edges.append
    with gc_paused():
        found = _nodes(cursor, at, None)
        for name in sorted(found, key=lambda n: (found[n][0], n)):  # code-point order, as COLLATE "C"
            _, edge_type, raw = found[name]
            node = nodes[name] = _decoded(raw)
            about = node["transformation"]
            for source in node["inputs"]:  # the fold's edges: each target's inputs, in order
                add_edge({"source": source, "target": name, "type": edge_type, "description": about,
                          "metadata": {}})  # fmt: skip
    return {"version": FORMAT_VERSION, "built_at": format_timestamp(moment), "nodes": nodes, "edges": edges}


def diff_nodes(cursor: Any, start: Moment, end: Moment) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two documents: the nodes at each moment of every artifact that may differ (the rest are equal).

    Their edges are left out: every edge is one of its target's inputs, which the nodes hold.

    Those are the artifacts whose rows changed between the two versions, and those the events
    since either version changed: one range probe of each version index, then one key probe.
    """
    low, high = sorted((start.version, end.version))
    names = start.changed() | end.changed()
    if low != high:
        cursor.execute(
            "SELECT name FROM artifact_v WHERE b_from > %s AND b_from <= %s"
            " UNION SELECT name FROM artifact_v WHERE b_to > %s AND b_to <= %s",
            (low, high, low, high),
        )
        names.update(row[0] for row in cursor)
    before = {n: _decoded(node) for n, (_, _, node) in _nodes(cursor, start, names).items()}
    after = {n: _decoded(node) for n, (_, _, node) in _nodes(cursor, end, names).items()}
    return {"nodes": before, "edges": []}, {"nodes": after, "edges": []}


def stale_at(cursor: Any, at: Moment) -> list[StaleReason]:
    """The stale artifacts at the moment: the version's reasons, changed by the events since."""
    from lineage_cli.store.postgres.build import stale_after

    cursor.execute(
        "SELECT h.artifact_id, h.reason FROM stale_v h JOIN artifact_v a ON a.name = h.artifact_id"
        f" WHERE a.status = 'stale' AND {_at('h', at.version)} AND {_at('a', at.version)}"
    )
    reasons = {aid: StaleReason.from_json(orjson.loads(reason)) for aid, reason in cursor}
    if at.delta is None:
        return [reasons[aid] for aid in sorted(reasons)]
    return stale_after(reasons, at.delta, VersionFoldState(cursor, at.version))
