"""What a build makes of one artifact, decided locally: its node, its digest, its stale reason.

Both a full fold (:mod:`lineage_cli.store.build`) and an incremental build
(:mod:`lineage_cli.store.incremental`) make nodes, graph hashes and stale reasons with these
functions, so the two agree by construction:

- a node depends on its current record, its flow's state and declared inputs, the metadata
  declared about it, and whether it is stale;
- the graph hash is a sum of per-node digests (each covering the node and the type of its
  input edges, so nodes and edges both), so a build updates it by the nodes it changed;
- a stale artifact's chain goes through the stale parent nearest its change (fewest hops,
  then smallest id), so the reasons of a region can be recomputed from its parents' reasons.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson

from lineage_cli.model import ArtifactStatus, format_timestamp

__all__ = [
    "HASH_MODULUS",
    "LIFECYCLE",
    "StaleReason",
    "external_node",
    "first_stamp",
    "graph_hash",
    "node_digest",
    "node_document",
    "spread_stale",
]

LIFECYCLE: Final = "lifecycleStateChange"
"""The metadata key saying what a record did to its dataset (``CREATE``, ``OVERWRITE``, ``DROP``...)."""

HASH_MODULUS: Final = 1 << 128
"""Node digests are summed modulo this: the sum of a graph does not depend on node order."""

Flow = tuple[datetime, ArtifactStatus, str | None, str]
"""A flow's state: when it was reached, the state, its error, the id of the event that set it."""


@dataclass(frozen=True, slots=True)
class StaleReason:
    """Why an artifact is stale: the chain from the upstream artifact that changed down to it.

    ``chain`` runs upstream to downstream: ``chain[0]`` is the artifact that was re-produced
    (``changed``), ``chain[-1]`` the stale artifact. ``from_version`` is the version of
    ``changed`` that ``chain[1]`` was built from (``None`` when ``changed`` had no record
    then), ``to_version`` its version now.
    """

    artifact: str
    changed: str
    from_version: str | None
    to_version: str
    changed_at: str
    built_at: str
    chain: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON shape documented in the README (``lineage stale --json``)."""
        return {
            "artifact": self.artifact,
            "changed": self.changed,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "changed_at": self.changed_at,
            "built_at": self.built_at,
            "chain": list(self.chain),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StaleReason:
        """The reason :meth:`to_json` wrote."""
        return cls(
            artifact=data["artifact"],
            changed=data["changed"],
            from_version=data["from_version"],
            to_version=data["to_version"],
            changed_at=data["changed_at"],
            built_at=data["built_at"],
            chain=tuple(data["chain"]),
        )

    def extended(self, artifact_id: str) -> StaleReason:
        """The reason of ``artifact_id``, stale because this reason's artifact (its parent) is."""
        return StaleReason(
            artifact_id,
            self.changed,
            self.from_version,
            self.to_version,
            self.changed_at,
            self.built_at,
            (*self.chain, artifact_id),
        )


def node_digest(artifact_id: str, node: Mapping[str, Any], edge_type: str) -> int:
    """The digest of one node and its input edges (all of one ``edge_type``), as an integer.

    Examples
    --------
    >>> node_digest("a", {"x": 1, "y": 2}, "") == node_digest("a", {"y": 2, "x": 1}, "")
    True
    >>> node_digest("a", {"x": 1}, "") == node_digest("b", {"x": 1}, "")
    False
    """
    data = b"%s\0%s\0%s" % (
        artifact_id.encode(),
        orjson.dumps(node, option=orjson.OPT_SORT_KEYS),
        edge_type.encode(),
    )
    return int.from_bytes(hashlib.sha256(data).digest()[:16], "big")


def graph_hash(total: int) -> str:
    """The graph hash shown to users, from the sum of its node digests (:func:`node_digest`).

    Examples
    --------
    >>> graph_hash(0)
    'sha256:0000000000000000'
    >>> graph_hash(node_digest("a", {}, "") + node_digest("b", {}, "")) == graph_hash(
    ...     node_digest("b", {}, "") + node_digest("a", {}, ""))
    True
    """
    return "sha256:" + f"{total % HASH_MODULUS:032x}"[:16]


def node_document(
    artifact_id: str,
    record: tuple[datetime, int, int, dict[str, Any]],
    inputs: list[str],
    flow: Flow | None,
    newer_metadata: Mapping[str, Any] | None,
    stale: bool,
) -> dict[str, Any]:
    """The node of a recorded artifact (see README, "The store", for the status rules).

    Examples
    --------
    >>> from lineage_cli.model import parse_timestamp
    >>> event = {"time": "2026-01-01T00:00:00Z", "lineage_id": "L", "version": "7"}
    >>> node = node_document("a", (parse_timestamp(event["time"]), 1, 1, event), [], None, None, False)
    >>> node["status"], node["version"], node["metadata"]
    ('fresh', '7', {'lineage_id': 'L'})
    """
    moment, _, count, event = record
    lineage_id = event["lineage_id"]
    metadata = {"lineage_id": lineage_id}
    user_metadata = event.get("metadata")
    if user_metadata:
        metadata.update(user_metadata)  # the user's keys win
    kind = event.get("artifact_kind")
    if kind is not None:
        metadata.setdefault("kind", kind)
    if newer_metadata:
        metadata.update(newer_metadata)
    state = None if flow is None else flow[1]
    if state is None or state is ArtifactStatus.FRESH:
        if user_metadata and user_metadata.get(LIFECYCLE) == "DROP":
            status = ArtifactStatus.DROPPED.value
        else:
            status = ArtifactStatus.STALE.value if stale else ArtifactStatus.FRESH.value
    elif state is ArtifactStatus.FAILED:
        status = state.value
        if flow and flow[2]:
            metadata.setdefault("error", flow[2])
    else:  # in progress, or skipped: a skipped flow built nothing, so whether it is current is unknown
        status = state.value
    time_text = event["time"]
    if time_text[-1] != "Z":
        time_text = format_timestamp(moment)
    version = event.get("version")
    return {
        "version": str(count) if version is None else version,
        "status": status,
        "provenance": {
            "agent": event.get("agent") or "",
            "workflow": event.get("workflow") or "",
            "stage": event.get("stage") or "",
            "timestamp": time_text,
            "tool": event.get("tool"),
            "environment": event.get("environment"),
        },
        "inputs": inputs,
        "transformation": event.get("transformation") or "",
        "metadata": metadata,
    }


def external_node(first_seen: str) -> dict[str, Any]:
    """The node of an input that was never recorded, first seen at ``first_seen`` (its first consumer's time).

    Examples
    --------
    >>> external_node("2026-01-01T00:00:00Z")["metadata"]
    {'external': True}
    """
    return {
        "version": "",
        "status": ArtifactStatus.UNKNOWN.value,
        "provenance": {"agent": "", "workflow": "", "stage": "", "timestamp": first_seen},
        "inputs": [],
        "transformation": "",
        "metadata": {"external": True},
    }


def first_stamp(stamps: Iterable[str]) -> str | None:
    """The earliest of some timestamps (as instants; on a tie, the smallest text), ``None`` if none.

    Examples
    --------
    >>> first_stamp(["2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00Z"])
    '2026-01-01T00:00:00Z'
    """
    best: tuple[datetime, str] | None = None
    for text in stamps:
        when = (datetime.fromisoformat(text), text)
        if best is None or when < best:
            best = when
    return None if best is None else best[1]


def spread_stale(
    region: Iterable[str],
    parents: Mapping[str, Sequence[str]],
    direct: Mapping[str, StaleReason],
    outside: Mapping[str, tuple[int, StaleReason]],
) -> dict[str, tuple[int, StaleReason]]:
    """Each stale artifact of ``region`` with its distance from its change and its reason.

    ``direct`` holds the region's artifacts made stale by a parent re-produced after them
    (distance 0); ``outside`` the stale parents outside the region, with their distance and
    reason. Any other artifact of the region is stale when a parent is; its distance is one
    more than its nearest stale parent's, and its chain goes through the stale parent with the
    smallest ``(distance, id)``. A shortest-path pass (a heap, O((V + E) log V)), iterative,
    cycle-safe, independent of the order of ``region``.

    Examples
    --------
    >>> r = StaleReason("b", "a", "1", "2", "t1", "t0", ("a", "b"))
    >>> found = spread_stale(["b", "c", "d"], {"c": ["b"], "d": ["c", "b"]}, {"b": r}, {})
    >>> {k: (d, v.chain) for k, (d, v) in sorted(found.items())}
    {'b': (0, ('a', 'b')), 'c': (1, ('a', 'b', 'c')), 'd': (1, ('a', 'b', 'd'))}
    """
    members = set(region)
    children: dict[str, list[str]] = {}
    dist: dict[str, int] = {}
    heap: list[tuple[int, str]] = []
    for artifact_id in members:
        if artifact_id in direct:
            dist[artifact_id] = 0
            heap.append((0, artifact_id))
            continue
        best = None
        for parent in parents.get(artifact_id, ()):
            if parent in members:
                children.setdefault(parent, []).append(artifact_id)
            elif parent in outside:
                here = outside[parent][0] + 1
                if best is None or here < best:
                    best = here
        if best is not None:
            dist[artifact_id] = best
            heap.append((best, artifact_id))
    heapq.heapify(heap)
    done: list[str] = []  # settled in (distance, id) order: a parent's reason is made first
    settled: set[str] = set()
    while heap:
        here, artifact_id = heapq.heappop(heap)
        if artifact_id in settled:
            continue
        settled.add(artifact_id)
        done.append(artifact_id)
        for child in children.get(artifact_id, ()):
            if child not in direct and (child not in dist or here + 1 < dist[child]):
                dist[child] = here + 1
                heapq.heappush(heap, (here + 1, child))
    found: dict[str, tuple[int, StaleReason]] = {}
    for artifact_id in done:
        here = dist[artifact_id]
        if here == 0:
            found[artifact_id] = (0, direct[artifact_id])
            continue
        via: tuple[int, str] | None = None
        for parent in parents.get(artifact_id, ()):
            known = found.get(parent) if parent in members else outside.get(parent)
            if known is not None and (via is None or (known[0], parent) < via):
                via = (known[0], parent)
        assert via is not None  # a settled artifact has a settled (or outside) parent one hop nearer
        reason = found[via[1]][1] if via[1] in members else outside[via[1]][1]
        found[artifact_id] = (here, reason.extended(artifact_id))
    return found
