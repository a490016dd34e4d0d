"""What the picture formats share: labels, groups, the status palette, and safe generated ids."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lineage_cli.export.base import GroupBy
from lineage_cli.graph import LineageGraph
from lineage_cli.model import ArtifactStatus

__all__ = ["STATUS_COLORS", "Drawing", "color_of", "group_of", "label_of"]

STATUS_COLORS: dict[ArtifactStatus, str] = {
    ArtifactStatus.FRESH: "#4CAF50",
    ArtifactStatus.STALE: "#FF9800",
    ArtifactStatus.FAILED: "#F44336",
    ArtifactStatus.IN_PROGRESS: "#2196F3",
    ArtifactStatus.UNKNOWN: "#9E9E9E",
    ArtifactStatus.DROPPED: "#607D8B",
}
"""The spec's palette; ``metadata.visualization.node_color`` overrides it per artifact."""

NO_RECORD = "(no record)"
"""Group of an artifact that appears only as an edge endpoint."""

NO_GROUP = "(none)"
"""Title of the group of artifacts whose workflow, stage or agent is empty."""

# A colour a renderer accepts without interpretation: #RGB, #RRGGBB, #RRGGBBAA, or a plain name.
_COLOR = re.compile(r"^(#[0-9A-Fa-f]{3}|#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{8}|[A-Za-z]{3,30})$")


def label_of(graph: LineageGraph, artifact_id: str) -> str:
    """``visualization.node_label``, else the id.

    Examples
    --------
    >>> label_of(LineageGraph.from_pairs([("a", "b")]), "b")
    'b'
    """
    node = graph.node(artifact_id)
    return artifact_id if node is None else node.label


def group_of(graph: LineageGraph, artifact_id: str, group_by: GroupBy) -> str:
    """The group an artifact is drawn in: its workflow, stage or agent (``""`` for no grouping).

    Examples
    --------
    >>> g = LineageGraph.from_pairs([("a", "b")], workflow="nightly")
    >>> group_of(g, "a", "workflow"), group_of(g, "a", "stage"), group_of(g, "a", "none")
    ('nightly', '(none)', '')
    """
    if group_by == "none":
        return ""
    node = graph.node(artifact_id)
    if node is None:
        return NO_RECORD
    provenance = node.provenance
    value = {"workflow": provenance.workflow, "stage": provenance.stage, "agent": provenance.agent}[group_by]
    return value or NO_GROUP


def tooltip_of(graph: LineageGraph, artifact_id: str) -> str:
    """The tooltip: the artifact's visual group (``visualization.group``, else its workflow).

    Examples
    --------
    >>> tooltip_of(LineageGraph.from_pairs([("a", "b")], workflow="nightly"), "a")
    'nightly'
    """
    node = graph.node(artifact_id)
    return NO_RECORD if node is None else node.group


def status_of(graph: LineageGraph, artifact_id: str) -> ArtifactStatus:
    """The artifact's status (``unknown`` for an edge endpoint with no record).

    Examples
    --------
    >>> from lineage_cli.model import LineageEdge
    >>> graph = LineageGraph.from_pairs([("a", "b")])
    >>> graph.node("b").status = ArtifactStatus.STALE
    >>> graph.add_edge(LineageEdge("b", "c"))  # "c" is only an edge endpoint: no record
    >>> status_of(graph, "b").value, status_of(graph, "c").value
    ('stale', 'unknown')
    """
    node = graph.node(artifact_id)
    return ArtifactStatus.UNKNOWN if node is None else node.status


def color_of(graph: LineageGraph, artifact_id: str) -> str:
    """The fill colour: a valid ``visualization.node_color``, else the status colour.

    An override that is not a plain colour (``#RRGGBB`` or a name) is ignored rather than
    pasted into the document.

    Examples
    --------
    >>> color_of(LineageGraph.from_pairs([("a", "b")]), "a")
    '#9E9E9E'
    """
    node = graph.node(artifact_id)
    if node is not None:
        override = node.visualization.get("node_color")
        if isinstance(override, str) and _COLOR.match(override):
            return override
    return STATUS_COLORS[status_of(graph, artifact_id)]


def custom_color(graph: LineageGraph, artifact_id: str) -> str | None:
    """The valid ``node_color`` override, or ``None``.

    Examples
    --------
    >>> graph = LineageGraph.from_pairs([("a", "b")])
    >>> graph.node("a").metadata["visualization"] = {"node_color": "#FF0000"}
    >>> custom_color(graph, "a"), custom_color(graph, "b")
    ('#FF0000', None)
    """
    color = color_of(graph, artifact_id)
    return None if color == STATUS_COLORS[status_of(graph, artifact_id)] else color


@dataclass(frozen=True, slots=True)
class Drawing:
    """The graph laid out for a text format: ids sorted, numbered, and grouped.

    Generated ids (``n0``, ``n1`` ... by sorted artifact id) keep every format safe from
    whatever characters an artifact id holds, and ``a-b`` and ``a_b`` never collide.

    Examples
    --------
    >>> d = Drawing.of(LineageGraph.from_pairs([("b", "a"), ("a-b", "a_b")]), "workflow")
    >>> d.ids, d.number["a_b"]
    (['a', 'a-b', 'a_b', 'b'], 2)
    >>> [(title, members) for title, members in d.groups]
    [('default', ['a', 'a-b', 'a_b', 'b'])]
    """

    ids: list[str]
    number: dict[str, int]
    groups: list[tuple[str, list[str]]]

    @classmethod
    def of(cls, graph: LineageGraph, group_by: GroupBy) -> Drawing:
        """Number and group every artifact of ``graph`` (nodes and edge endpoints)."""
        ids = graph.artifact_ids()
        number = {aid: index for index, aid in enumerate(ids)}
        members: dict[str, list[str]] = {}
        for aid in ids:
            members.setdefault(group_of(graph, aid, group_by), []).append(aid)
        return cls(ids, number, sorted(members.items()))

    def short_labels(self, graph: LineageGraph) -> dict[str, str]:
        """Each artifact's box label: ``node_label``, else its shortest unique short name.

        The common prefix of ids such as ``model.the_tuva_project.`` says nothing in a picture
        of that project; the full id goes in the tooltip.

        Examples
        --------
        >>> g = LineageGraph.from_pairs([("model.p.stg_a", "model.p.core__a")])
        >>> Drawing.of(g, "none").short_labels(g)
        {'model.p.core__a': 'a', 'model.p.stg_a': 'stg_a'}
        """
        from lineage_cli.names import short_labels

        short = short_labels(self.ids)
        labels = {}
        for aid in self.ids:
            node = graph.node(aid)
            declared = node.visualization.get("node_label") if node is not None else None
            labels[aid] = declared if isinstance(declared, str) and declared else short[aid]
        return labels


MAX_LABEL = 500
"""Longest label drawn, in characters; longer ones keep their start and end around an ellipsis."""


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    """``text``, or its start and end around ``…`` when longer than ``limit`` characters.

    Examples
    --------
    >>> shorten("abcdefghij", 5)
    'ab…ij'
    >>> shorten("abc", 5)
    'abc'
    """
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2 + (limit - 1) % 2
    tail = limit - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")
