"""Mermaid flowchart export: one subgraph per group, generated ids, labels as escaped entity text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lineage_cli.export.base import Budget, ExportOptions
from lineage_cli.export.drawing import (
    STATUS_COLORS,
    Drawing,
    custom_color,
    group_of,
    label_of,
    shorten,
    status_of,
)
from lineage_cli.graph import LineageGraph
from lineage_cli.model import ArtifactStatus, LineageEdge

__all__ = ["EXPORTERS", "MAX_EDGES", "MAX_TEXT_SIZE", "MermaidExporter", "escape"]

MAX_EDGES = 500
"""Mermaid's default ``maxEdges``: a flowchart with more edges is refused."""

MAX_TEXT_SIZE = 50_000
"""Mermaid's default ``maxTextSize`` (in UTF-16 code units, as JavaScript counts)."""

# Characters that stand for themselves inside a quoted Mermaid label; everything else becomes
# an entity code (#quot; style, numeric here) so no id can close the string, open markdown,
# start a comment (%%), or be read as HTML.
_UNSAFE = re.compile(r"\r\n|[^\w .,:/+=?!~^*'-]")
_INDENT = "    "


def _entity(match: re.Match[str]) -> str:
    char = match.group()
    return "<br>" if char in ("\r\n", "\r", "\n") else f"#{ord(char)};"


def escape(text: str) -> str:
    r"""Text for inside a double-quoted Mermaid label.

    Letters, digits and harmless punctuation stay; anything else becomes Mermaid's
    entity code ``#<code point>;`` (newline becomes ``<br>``).

    Examples
    --------
    >>> escape('say "end" & <go>')
    'say #34;end#34; #38; #60;go#62;'
    >>> escape("été #1;\n")
    'été #35;1#59;<br>'
    """
    return _UNSAFE.sub(_entity, text)


def _js_length(text: str) -> int:
    """Length in UTF-16 code units, which is how Mermaid measures ``maxTextSize``."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _class_name(status: ArtifactStatus) -> str:
    return f"s_{status.value}"


def _header() -> list[str]:
    lines = ["flowchart LR"]
    for status, color in STATUS_COLORS.items():
        lines.append(f"{_INDENT}classDef {_class_name(status)} fill:{color},stroke:#333,color:#000")
    return lines


def _node_line(nid: str, label: str) -> str:
    # An empty quoted string is a syntax error; a space entity draws the same empty box.
    return f'{_INDENT}{_INDENT}{nid}["{escape(shorten(label)) or "#32;"}"]'


def _group_open(gid: str, title: str) -> str:
    return f'{_INDENT}subgraph {gid}["{escape(shorten(title))}"]'


def _edge_line(source: str, target: str, edge: LineageEdge) -> str:
    return f'{_INDENT}{source} -->|"{edge.transformation_type.value}"| {target}'


@dataclass(slots=True)
class _MermaidBudget:
    """Upper bounds on the text each artifact and edge adds, with ids of the widest number."""

    graph: LineageGraph
    options: ExportOptions
    width: int
    max_edges: int | None = MAX_EDGES
    max_size: int | None = MAX_TEXT_SIZE
    fixed_size: int = 0
    groups_seen: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        # Header, then one `class ... s_status` line per status.
        self.fixed_size = sum(_js_length(line) + 1 for line in _header())
        self.fixed_size += sum(len(f"{_INDENT}class  {_class_name(s)}\n") for s in ArtifactStatus)

    def node_cost(self, artifact_id: str) -> int:
        nid = "n" + "9" * self.width
        cost = _js_length(_node_line(nid, label_of(self.graph, artifact_id))) + 1 + len(nid) + 1
        color = custom_color(self.graph, artifact_id)
        if color is not None:
            cost += len(f"{_INDENT}style {nid} fill:{color}\n")
        if self.options.group_by != "none":
            title = group_of(self.graph, artifact_id, self.options.group_by)
            if title not in self.groups_seen:
                self.groups_seen.add(title)
                gid = "g" + "9" * self.width
                cost += _js_length(_group_open(gid, title)) + 1 + len(f"{_INDENT}end\n")
        return cost

    def edge_cost(self, edge: LineageEdge) -> int:
        nid = "n" + "9" * self.width
        return _js_length(_edge_line(nid, nid, edge)) + 1


class MermaidExporter:
    """A Mermaid ``flowchart``: subgraphs per group, nodes coloured by status, typed edges.

    Examples
    --------
    >>> g = LineageGraph.from_pairs([("raw", "clean")], workflow="etl")
    >>> print(MermaidExporter().export(g, ExportOptions()).decode())  # doctest: +ELLIPSIS
    flowchart LR
    ...
        subgraph g0["etl"]
            n0["clean"]
            n1["raw"]
        end
        n1 -->|"derived"| n0
        class n0,n1 s_unknown
    """

    name = "mermaid"
    description = "Mermaid flowchart (text), one subgraph per group; fits Mermaid's default limits."
    binary = False
    picture = True

    def budget(self, graph: LineageGraph, options: ExportOptions, count: int) -> Budget:
        """Price artifacts and edges against Mermaid's ``maxEdges`` and ``maxTextSize``."""
        return _MermaidBudget(graph, options, len(str(max(count - 1, 0))))

    def export(self, graph: LineageGraph, options: ExportOptions) -> bytes:
        """Render ``graph`` as Mermaid text (the same graph gives the same bytes)."""
        drawing = Drawing.of(graph, options.group_by)
        nid = {aid: f"n{number}" for aid, number in drawing.number.items()}
        lines = _header()
        for index, (title, members) in enumerate(drawing.groups):
            grouped = options.group_by != "none"
            if grouped:
                lines.append(_group_open(f"g{index}", title))
            for aid in members:
                line = _node_line(nid[aid], label_of(graph, aid))
                lines.append(line if grouped else line[len(_INDENT) :])
            if grouped:
                lines.append(f"{_INDENT}end")
        edges = sorted(
            graph.edges,
            key=lambda e: (drawing.number[e.source], drawing.number[e.target], e.transformation_type.value),
        )
        lines += [_edge_line(nid[e.source], nid[e.target], e) for e in edges]
        by_status: dict[ArtifactStatus, list[str]] = {}
        styles: list[str] = []
        for aid in drawing.ids:
            by_status.setdefault(status_of(graph, aid), []).append(nid[aid])
            color = custom_color(graph, aid)
            if color is not None:
                styles.append(f"{_INDENT}style {nid[aid]} fill:{color}")
        for status in ArtifactStatus:
            if status in by_status:
                lines.append(f"{_INDENT}class {','.join(by_status[status])} {_class_name(status)}")
        lines += styles
        return ("\n".join(lines) + "\n").encode()


EXPORTERS = {"mermaid": MermaidExporter()}
