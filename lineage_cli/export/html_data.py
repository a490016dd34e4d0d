"""The HTML view's data: one columnar document of artifacts, edges, builds and stale reasons.

The page lays the graph out itself, so this is data only. Strings that repeat (workflows,
agents, tools, edge types) go into tables and each artifact holds an index; edges are one
flat array of artifact indexes. Artifacts are sorted by id, so the same graph gives the
same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lineage_cli.graph import LineageGraph
from lineage_cli.model import ArtifactStatus

__all__ = ["STATUSES", "Build", "History", "view_data"]

STATUSES: tuple[str, ...] = tuple(s.value for s in ArtifactStatus)
"""Status codes in the data, in this order (the page's legend uses the same)."""

_STATUS_CODE = {name: code for code, name in enumerate(STATUSES)}


@dataclass(frozen=True, slots=True)
class Build:
    """The graph as ``lineage at TIME`` gives it at one build of the store (a slider position)."""

    time: str
    document: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class History:
    """What only a store knows: its builds, oldest first, and why stale artifacts are stale.

    ``stale`` holds ``lineage stale --json`` objects.
    """

    builds: list[Build] = field(default_factory=list)
    stale: list[dict[str, Any]] = field(default_factory=list)


def _column(values: Iterable[Any]) -> tuple[list[int], list[str]]:
    """Each value as an index into a table of its distinct strings (``None`` is -1).

    Examples
    --------
    >>> _column(["b", "a", "b", None])
    ([0, 1, 0, -1], ['b', 'a'])
    """
    table: dict[str, int] = {}
    add = table.setdefault
    codes = [-1 if v is None else add(v if type(v) is str else str(v), len(table)) for v in values]
    return codes, list(table)


def _without_hint(meta: dict[str, Any]) -> dict[str, Any] | None:
    """``meta`` less ``visualization`` (a copy only when there is one to drop); ``None`` when empty."""
    if "visualization" in meta:
        meta = dict(meta)  # copying in C, then one delete, is 5x faster than a comprehension
        del meta["visualization"]
    return meta or None


def _label(artifact_id: str, meta: dict[str, Any]) -> int | str:
    """``node_label``, as the count of the id's last characters when it is the id's tail; 0 for none."""
    vis = meta.get("visualization")
    label = vis.get("node_label") if isinstance(vis, dict) else None
    if not isinstance(label, str) or not label:
        return 0
    return len(label) if artifact_id.endswith(label) else label


def _edges_of(document: Mapping[str, Any]) -> Iterable[tuple[str, str, str, str]]:
    """``(source, target, type, description)`` of a lineage document, as the graph reads it."""
    graph = LineageGraph.from_document(document)
    for source, target, kind, description, _ in graph.edge_rows():
        yield source, target, kind, description


def view_data(
    graph: LineageGraph, *, group_by: str = "workflow", title: str = "", history: History | None = None
) -> dict[str, Any]:
    """The page's data for ``graph`` (and, from a store, its builds and stale reasons).

    Examples
    --------
    >>> data = view_data(LineageGraph.from_pairs([("raw", "clean")]))
    >>> data["ids"], data["et"], data["es"], [STATUSES[s] for s in data["status"]]
    (['clean', 'raw'], [0], [-1], ['unknown', 'unknown'])
    """
    history = history or History()
    raw: dict[str, Any] = dict(graph.node_documents())
    # An artifact seen only at an earlier build keeps that build's record (newest first wins).
    for build in reversed(history.builds):
        for aid, node in build.document.get("nodes", {}).items():
            raw.setdefault(aid, node)
    ids = sorted(raw)
    position = {aid: n for n, aid in enumerate(ids)}
    nodes = [_mapping(raw[aid]) for aid in ids]
    provs = [_mapping(node.get("provenance")) for node in nodes]
    metas = [_mapping(node.get("metadata")) for node in nodes]
    tables: dict[str, list[str]] = {}
    columns: dict[str, Any] = {}
    for key, values in (
        ("wf", (p.get("workflow", "") for p in provs)),
        ("st", (p.get("stage", "") for p in provs)),
        ("ag", (p.get("agent", "") for p in provs)),
        ("tool", (p.get("tool") for p in provs)),
        ("env", (p.get("environment") for p in provs)),
        ("ts", (p.get("timestamp") for p in provs)),
        ("tf", (node.get("transformation", "") for node in nodes)),
    ):
        columns[key], tables[key] = _column(values)
    columns["ver"] = [str(node.get("version", "")) for node in nodes]
    unknown = _STATUS_CODE["unknown"]
    columns["status"] = [_STATUS_CODE.get(str(node.get("status")), unknown) for node in nodes]
    # The label hint is shown as the label, so the metadata panel leaves it out.
    columns["meta"] = [_without_hint(m) for m in metas]
    columns["label"] = [_label(aid, m) for aid, m in zip(ids, metas, strict=True)]

    edge_index: dict[tuple[int, int], int] = {}
    pairs: list[tuple[int, int]] = []
    kinds: list[str] = []
    descriptions: list[str] = []

    def add_edges(rows: Iterable[tuple[str, str, str, str]], *, in_order: bool = False) -> list[int]:
        found = []
        for source, target, kind, description in rows:
            s, t = position.get(source), position.get(target)
            if s is not None and t is not None:  # else outside the selection
                found.append((t, s, kind, description))
        if in_order:
            found.sort()  # by target, then source: small gaps, which gzip packs well
        present = []
        for t, s, kind, description in found:
            e = edge_index.get((s, t))
            if e is None:
                e = edge_index[(s, t)] = len(pairs)
                pairs.append((s, t))
                kinds.append(kind)
                descriptions.append(description)
            present.append(e)
        return sorted(set(present))

    add_edges(((s, t, k, d) for s, t, k, d, _ in graph.edge_rows()), in_order=True)
    edges_now = len(pairs)  # edges 0 .. edges_now-1 are the exported graph's own
    builds = []
    for build in history.builds:
        at = build.document.get("nodes", {})
        present = sorted(position[a] for a in at if a in position)
        builds.append(
            {
                "t": build.time,
                "n": present,
                "e": add_edges(_edges_of(build.document)),
                "v": [str(at[ids[n]].get("version", "")) for n in present],
                "s": [_STATUS_CODE.get(str(at[ids[n]].get("status")), unknown) for n in present],
            }
        )
    # Edges as gaps: each target minus the previous edge's, and target minus source.
    targets = [t for _, t in pairs]
    columns["et"] = [t - p for t, p in zip(targets, [0, *targets][:-1], strict=True)]
    columns["es"] = [t - s for s, t in pairs]
    columns["etype"], tables["etype"] = _column(kinds)
    columns["edesc"], tables["edesc"] = _column(descriptions)
    return {
        "format": 1,
        "title": title,
        "built_at": _built_at(graph),
        "group": group_by,
        "statuses": list(STATUSES),
        "ids": ids,
        "tables": tables,
        **columns,
        "edges_now": edges_now,
        # Artifacts known only from earlier builds: absent from the exported graph itself.
        "past_only": [n for n, aid in enumerate(ids) if aid not in graph],
        "builds": builds,
        "stale": [r for r in history.stale if r.get("artifact") in position],
    }


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _built_at(graph: LineageGraph) -> str | None:
    from lineage_cli.model import format_timestamp

    return format_timestamp(graph.built_at) if graph.built_at is not None else None
