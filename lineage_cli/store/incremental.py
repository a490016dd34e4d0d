"""An incremental build: fold only the new events, and recompute only the part of the graph they reach.

A store keeps the fold's state per artifact (records, flows, declared inputs, descriptions,
nodes with their digests, stale reasons with their distance) where it can read it by key;
:class:`FoldState` is what this module needs from it. :func:`fold_new_events` loads the state
of the keys the new events name, folds them with the full fold's rules (``_Folder.add``), and
recomputes the *affected region*:

- the touched artifacts: recorded again, described, or made by a flow whose state or declared
  inputs changed (``R``);
- for staleness, ``R`` and every descendant of it in the stored graph (one recursive query);
  nothing else can change, because status and stale reasons depend only on what is upstream;
- the external inputs that ``R`` named before or names now, which appear, move or disappear.

The result is a :class:`Delta`: the rows to replace, and the graph hash updated by the digests
of the nodes that changed. New aliases (``artifact_described`` with ``aliases``) merge
artifacts anywhere in the graph: a store that has any gets a full fold instead (``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from lineage_cli.model import ArtifactStatus, format_timestamp
from lineage_cli.store.events import KIND_ARTIFACT, KIND_DESCRIBED
from lineage_cli.store.fold import _Folder, _parse_time
from lineage_cli.store.nodes import (
    HASH_MODULUS,
    Flow,
    StaleReason,
    external_node,
    first_stamp,
    node_digest,
    spread_stale,
)

__all__ = ["Base", "Delta", "FoldState", "Node", "fold_new_events"]

Rows = list[tuple[int, str]]
"""New events as ``(position, body)``, in fold order."""

_STATUSES = [s.value for s in ArtifactStatus]


@dataclass(frozen=True, slots=True)
class Node:
    """One artifact as a build left it. ``ord`` is its place in node order (``None``: external)."""

    ord: int | None
    lineage_id: str | None
    doc: bytes
    digest: int
    status: str
    stamp: str
    edge_type: str


@dataclass(slots=True)
class Base:
    """What the last build left, besides the rows: totals and counters."""

    events: int
    last_event_time: str | None
    next_ord: int
    total: int
    statuses: dict[str, int]
    artifacts: int
    edges: int
    has_aliases: bool


class FoldState(Protocol):
    """The fold's stored state, read by key (each method answers for the keys it is given)."""

    def records(self, ids: Collection[str]) -> Iterable[tuple[str, int, int, bool, dict[str, Any]]]:
        """``(artifact, position, number, is_current, event)`` of every record of ``ids``."""

    def flows(self, lineage_ids: Collection[str]) -> dict[str, Flow]:
        """The stored state of each flow."""

    def declared(self, lineage_ids: Collection[str]) -> dict[str, set[str]]:
        """The inputs each flow declared (an empty set: declared it read nothing)."""

    def descriptions(self, ids: Collection[str]) -> Iterable[dict[str, Any]]:
        """The ``artifact_described`` events about ``ids``."""

    def artifacts_of_flows(self, lineage_ids: Collection[str]) -> set[str]:
        """The recorded artifacts whose current record belongs to one of ``lineage_ids``."""

    def descendants(self, ids: Collection[str]) -> set[str]:
        """Every descendant of ``ids`` in the stored graph (cycle-safe)."""

    def inputs(self, ids: Collection[str]) -> dict[str, list[str]]:
        """Each artifact's stored inputs, in edge order (artifacts without inputs are left out)."""

    def consumers(self, ids: Collection[str]) -> dict[str, list[str]]:
        """Each artifact's stored children."""

    def nodes(self, ids: Collection[str]) -> dict[str, Node]:
        """The stored nodes of ``ids`` (unknown ids are left out)."""

    def stale(self, ids: Collection[str]) -> dict[str, tuple[int, StaleReason]]:
        """The stored stale reasons of ``ids`` with their distance (fresh ones are left out)."""


@dataclass(slots=True)
class Delta:
    """What an incremental build changes, row by row."""

    base: Base
    nodes: dict[str, tuple[Node, dict[str, Any]]] = field(default_factory=dict)
    """Changed or new nodes, with their documents."""
    removed: list[str] = field(default_factory=list)
    """External nodes no artifact names any more."""
    edges: dict[str, list[str]] = field(default_factory=dict)
    """The new inputs of every artifact of the region (its input edges are replaced)."""
    records: list[tuple[str, int, int, bool, int, dict[str, Any]]] = field(default_factory=list)
    """Every record of the artifacts recorded again: artifact, position, number, current, first
    position, event."""
    recorded: list[str] = field(default_factory=list)
    flows: dict[str, Flow] = field(default_factory=dict)
    declared: dict[str, set[str]] = field(default_factory=dict)
    described: list[tuple[int, str, str]] = field(default_factory=list)
    """New ``artifact_described`` events: position, body, artifact."""
    stale: dict[str, tuple[int, StaleReason] | None] = field(default_factory=dict)
    """The region's stale reasons (``None``: no longer stale)."""
    new_events: int = 0


def _scan(rows: Rows) -> tuple[set[str], set[str], set[str], bool, list[tuple[int, str, str]]]:
    """The keys the new events name: artifacts recorded, flows, artifacts described, any alias."""
    recorded: set[str] = set()
    flows: set[str] = set()
    described: set[str] = set()
    descriptions: list[tuple[int, str, str]] = []
    aliases = False
    for position, body in rows:
        try:
            event = orjson.loads(body)
            kind, lineage_id = event["kind"], event["lineage_id"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            continue  # the fold reports it
        if type(lineage_id) is not str:
            continue
        artifact_id = event.get("artifact_id")
        if kind == KIND_ARTIFACT and type(artifact_id) is str:
            recorded.add(artifact_id)
        elif kind == KIND_DESCRIBED and type(artifact_id) is str:
            described.add(artifact_id)
            descriptions.append((position, body, artifact_id))
            aliases = aliases or bool(event.get("aliases"))
        elif kind != KIND_DESCRIBED:
            flows.add(lineage_id)
    return recorded, flows, described, aliases, descriptions


class _Loader:
    """Loads stored state into a folder, each key once."""

    def __init__(self, state: FoldState, folder: _Folder) -> None:
        self.state = state
        self.folder = folder
        self.records: set[str] = set()
        self.flows: set[str] = set()
        self.described: set[str] = set()

    def load_records(self, ids: Iterable[str]) -> None:
        wanted = [i for i in ids if i not in self.records]
        self.records.update(wanted)
        if not wanted:
            return
        current, older = self.folder.current, self.folder.older
        for artifact_id, position, number, is_current, event in self.state.records(sorted(wanted)):
            record = (_parse_time(event["time"]), position, number, event)
            if is_current:
                current[artifact_id] = record  # type: ignore[assignment]
            else:
                older.setdefault(artifact_id, []).append(record)  # type: ignore[arg-type]

    def load_flows(self, lineage_ids: Iterable[str]) -> None:
        wanted = sorted(set(lineage_ids) - self.flows)
        self.flows.update(wanted)
        if wanted:
            self.folder.flows.update(self.state.flows(wanted))
            for lineage_id, sources in self.state.declared(wanted).items():
                self.folder.declared_inputs.setdefault(lineage_id, set()).update(sources)

    def load_descriptions(self, ids: Iterable[str]) -> None:
        wanted = sorted(set(ids) - self.described)
        self.described.update(wanted)
        for event in self.state.descriptions(wanted) if wanted else ():
            self.folder.described.add(_parse_time(event["time"]), event)  # type: ignore[arg-type]


def fold_new_events(
    state: FoldState, base: Base, rows: Rows, feed: Callable[[_Folder, Rows], None]
) -> Delta | None:
    """Fold ``rows`` (the events since the last build) into ``state``; ``None``: a full fold is needed.

    ``feed(folder, rows)`` folds the rows (reporting or raising on malformed events).
    """
    recorded, flow_ids, described_ids, aliases, descriptions = _scan(rows)
    if aliases or base.has_aliases:
        return None
    folder = _Folder(None)
    loader = _Loader(state, folder)
    loader.load_records(recorded)
    loader.load_flows(flow_ids)
    loader.load_descriptions(described_ids)
    flows_before = {lid: (f[1], f[2]) for lid, f in folder.flows.items()}
    declared_before = {lid: set(sources) for lid, sources in folder.declared_inputs.items()}
    folder.events = base.events
    folder.last_time = _parse_time(base.last_event_time) if base.last_event_time else None
    feed(folder, rows)
    new_events = folder.events - base.events
    # The region: artifacts recorded again, or made by a flow whose declared inputs changed (their
    # inputs, so staleness below them, can change). Artifacts described, or made by a flow whose
    # state changed, get a new node but keep their inputs, so nothing below them changes.
    inputs_changed = sorted(
        lid for lid, sources in folder.declared_inputs.items() if declared_before.get(lid) != sources
    )
    state_changed = sorted(
        lid for lid, flow in folder.flows.items() if flows_before.get(lid) != (flow[1], flow[2])
    )
    region = recorded | state.artifacts_of_flows(inputs_changed)
    restated = (described_ids | state.artifacts_of_flows(state_changed)) - region
    loader.load_records(region | restated)
    region = {a for a in region if a in folder.current}
    restated = {a for a in restated if a in folder.current}
    loader.load_flows(folder.current[a][3]["lineage_id"] for a in region | restated)
    loader.load_descriptions(region | restated)
    inputs_of = folder.resolved_inputs()
    old_inputs = state.inputs(sorted(region))
    below = state.descendants(sorted(region)) - region
    children_of_recorded = {c for cs in state.consumers(sorted(recorded)).values() for c in cs}
    children_of_recorded |= {a for a in region if recorded.intersection(inputs_of[a][0])}
    parents: dict[str, list[str]] = {a: inputs_of[a][0] for a in region}
    parents.update(state.inputs(sorted(below)))
    # Which artifacts are stale because of a parent re-produced after them: only the region and
    # the children of what was recorded again can change; the rest keep their stored reason.
    checked = region | children_of_recorded
    loader.load_records(checked)
    loader.load_records(p for a in checked for p in parents.get(a, ()))
    everyone = region | below
    outside_parents = {p for a in everyone for p in parents.get(a, ()) if p not in everyone}
    stored_stale = state.stale(sorted(everyone | outside_parents | restated))
    direct: dict[str, StaleReason] = {}
    for artifact_id in everyone:
        if artifact_id in checked:
            reason = folder.direct_reason(artifact_id, parents.get(artifact_id, []))
        else:
            kept = stored_stale.get(artifact_id)
            reason = kept[1] if kept is not None and kept[0] == 0 else None
        if reason is not None:
            direct[artifact_id] = reason
    outside = {p: stored_stale[p] for p in outside_parents if p in stored_stale}
    found = spread_stale(everyone, parents, direct, outside)

    candidates = {s for a in region for s in inputs_of[a][0]}
    candidates |= {s for sources in old_inputs.values() for s in sources} | recorded
    stored = state.nodes(sorted(everyone | candidates | restated))
    delta = Delta(base=base, new_events=new_events)
    new_base = delta.base
    statuses = dict(base.statuses)

    def put(
        artifact_id: str, node: dict[str, Any], ord_: int | None, lineage_id: str | None, kind: str
    ) -> None:
        old = stored.get(artifact_id)
        digest = node_digest(artifact_id, node, kind)
        stamp = node["provenance"]["timestamp"]
        if old is not None:
            if old.digest == digest and old.ord == ord_:
                return
            new_base.total -= old.digest
            statuses[old.status] -= 1
        else:
            new_base.artifacts += 1
        new_base.total += digest
        statuses[node["status"]] += 1
        row = Node(ord_, lineage_id, orjson.dumps(node), digest, node["status"], stamp, kind)
        delta.nodes[artifact_id] = (row, node)

    for artifact_id in [a for a in folder.current if a in region]:  # fold order: new ones get new places
        node, kind = folder.node(artifact_id, artifact_id in found)
        old = stored.get(artifact_id)
        if old is not None and old.ord is not None:
            ord_ = old.ord
        else:
            ord_ = new_base.next_ord
            new_base.next_ord += 1
        put(
            artifact_id,
            node,
            ord_,
            folder.current[artifact_id][3]["lineage_id"],
            kind if node["inputs"] else "",
        )
        delta.edges[artifact_id] = node["inputs"]
        new_base.edges += len(node["inputs"]) - len(old_inputs.get(artifact_id, ()))
    for artifact_id in sorted(restated):
        stale = artifact_id in found if artifact_id in everyone else artifact_id in stored_stale
        node, kind = folder.node(artifact_id, stale)
        old = stored[artifact_id]
        put(artifact_id, node, old.ord, old.lineage_id, kind if node["inputs"] else "")
    for artifact_id in below - restated:  # only staleness can change below the region
        old = stored[artifact_id]
        if old.status in ("stale", "fresh") and (old.status == "stale") != (artifact_id in found):
            node = orjson.loads(old.doc)
            node["status"] = "stale" if artifact_id in found else "fresh"
            put(artifact_id, node, old.ord, old.lineage_id, old.edge_type)
    # External inputs: the region's inputs, before and now, that no record names.
    externals = sorted(c for c in candidates if c not in folder.current and not _recorded(stored.get(c)))
    users = state.consumers(externals)
    stamps_of = state.nodes(sorted({u for us in users.values() for u in us} - region))
    region_users: dict[str, list[str]] = {}  # an input -> the timestamps of the region's consumers
    for artifact_id in region:
        stamp = (delta.nodes[artifact_id][0] if artifact_id in delta.nodes else stored[artifact_id]).stamp
        for source in delta.edges[artifact_id]:
            region_users.setdefault(source, []).append(stamp)
    for source in externals:
        stamps = [stamps_of[u].stamp for u in users.get(source, ()) if u not in region and u in stamps_of]
        first = first_stamp(stamps + region_users.get(source, []))
        if first is None:
            if source in stored:
                delta.removed.append(source)
                new_base.total -= stored[source].digest
                statuses[stored[source].status] -= 1
                new_base.artifacts -= 1
        else:
            put(source, external_node(first), None, None, "")
    new_base.total %= HASH_MODULUS
    new_base.statuses = statuses

    for artifact_id in sorted(everyone):
        now = found.get(artifact_id)
        was = stored_stale.get(artifact_id)
        if now != was:
            delta.stale[artifact_id] = now
    delta.recorded = sorted(a for a in recorded if a in folder.current)
    for artifact_id in delta.recorded:
        records = [folder.current[artifact_id], *folder.older.get(artifact_id, ())]
        first = min(r[1] for r in records)
        delta.records.extend((artifact_id, r[1], r[2], r is records[0], first, r[3]) for r in records)
    delta.flows = {lid: folder.flows[lid] for lid in sorted(flow_ids) if lid in folder.flows}
    run_inputs = {lid for lid in flow_ids if lid in folder.declared_inputs}
    delta.declared = {lid: folder.declared_inputs[lid] for lid in sorted(run_inputs)}
    delta.described = descriptions
    new_base.events = folder.events
    new_base.last_event_time = format_timestamp(folder.last_time) if folder.last_time else None
    return delta


def _recorded(node: Node | None) -> bool:
    return node is not None and node.ord is not None


def merge_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """Every status with its count, in enum order (a status no artifact has counts 0)."""
    return {status: int(counts.get(status, 0)) for status in _STATUSES}
