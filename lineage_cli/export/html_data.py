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


class _Table:
    """Strings to small integers, in first-seen order (deterministic for sorted input)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.values: list[str] = []

    def __call__(self, value: Any) -> int:
        if value is None:
            return -1
        text = value if isinstance(value, str) else str(value)
        code = self.index.get(text)
        if code is None:
            code = self.index[text] = len(self.values)
            self.values.append(text)
        return code


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
    >>> data["ids"], data["edges"], [STATUSES[s] for s in data["status"]]
    (['clean', 'raw'], [1, 0], ['unknown', 'unknown'])
    """
    history = history or History()
    raw: dict[str, Any] = dict(graph.node_documents())
    # An artifact seen only at an earlier build keeps that build's record (newest first wins).
    for build in reversed(history.builds):
        for aid, node in build.document.get("nodes", {}).items():
            raw.setdefault(aid, node)
    ids = sorted(raw)
    position = {aid: n for n, aid in enumerate(ids)}
    workflows, stages, agents, tools, envs, transforms, times = (_Table() for _ in range(7))
    columns: dict[str, list[Any]] = {
        k: [] for k in ("wf", "st", "ag", "tool", "env", "tf", "ts", "ver", "status", "meta")
    }
    labels: list[list[Any]] = []
    for n, aid in enumerate(ids):
        node = _mapping(raw[aid])
        prov, meta = _mapping(node.get("provenance")), _mapping(node.get("metadata"))
        columns["wf"].append(workflows(prov.get("workflow", "")))
        columns["st"].append(stages(prov.get("stage", "")))
        columns["ag"].append(agents(prov.get("agent", "")))
        columns["tool"].append(tools(prov.get("tool")))
        columns["env"].append(envs(prov.get("environment")))
        columns["tf"].append(transforms(node.get("transformation", "")))
        columns["ts"].append(times(prov.get("timestamp")))
        columns["ver"].append(str(node.get("version", "")))
        columns["status"].append(_STATUS_CODE.get(str(node.get("status")), _STATUS_CODE["unknown"]))
        columns["meta"].append(meta or None)
        vis = meta.get("visualization")
        label = vis.get("node_label") if isinstance(vis, dict) else None
        if isinstance(label, str) and label:
            labels.append([n, label])
    kinds, descriptions = _Table(), _Table()
    edge_index: dict[tuple[str, str], int] = {}
    flat: list[int] = []
    edge_kind: list[int] = []
    edge_description: list[int] = []

    def add_edges(rows: Iterable[tuple[str, str, str, str]]) -> list[int]:
        present = []
        for source, target, kind, description in rows:
            if source not in position or target not in position:
                continue  # outside the selection
            key = (source, target)
            e = edge_index.get(key)
            if e is None:
                e = edge_index[key] = len(edge_kind)
                flat.extend((position[source], position[target]))
                edge_kind.append(kinds(kind))
                edge_description.append(descriptions(description))
            present.append(e)
        return sorted(set(present))

    add_edges((s, t, k, d) for s, t, k, d, _ in graph.edge_rows())
    edges_now = len(edge_kind)  # edges 0 .. edges_now-1 are the exported graph's own
    builds = []
    for build in history.builds:
        nodes = build.document.get("nodes", {})
        present = sorted(position[a] for a in nodes if a in position)
        builds.append(
            {
                "t": build.time,
                "n": present,
                "e": add_edges(_edges_of(build.document)),
                "v": [str(nodes[ids[n]].get("version", "")) for n in present],
                "s": [_STATUS_CODE.get(str(nodes[ids[n]].get("status")), 4) for n in present],
            }
        )
    return {
        "format": 1,
        "title": title,
        "built_at": _built_at(graph),
        "group": group_by,
        "statuses": list(STATUSES),
        "ids": ids,
        "labels": labels,
        "tables": {
            "wf": workflows.values,
            "st": stages.values,
            "ag": agents.values,
            "tool": tools.values,
            "env": envs.values,
            "tf": transforms.values,
            "ts": times.values,
            "etype": kinds.values,
            "edesc": descriptions.values,
        },
        **columns,
        "edges": flat,
        "etype": edge_kind,
        "edesc": edge_description,
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
