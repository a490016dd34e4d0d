"""Graphviz DOT export: status colours, group clusters and tooltips, typed edges, escaped strings."""

from __future__ import annotations

import re

from lineage_cli.export.base import ExportOptions
from lineage_cli.export.drawing import STATUS_COLORS, Drawing, color_of, shorten, status_of
from lineage_cli.graph import LineageGraph
from lineage_cli.model import ArtifactStatus

COUNT_KEY = "lineage_edge_count"
"""Edge metadata key of a collapsed edge (see :mod:`lineage_cli.export.picture`)."""

__all__ = ["EXPORTERS", "DotExporter", "quote"]

_INDENT = "    "
# Backslash and quote need a backslash; & would start an HTML entity that Graphviz decodes.
# Line breaks become DOT's \n; other control characters, which would be invalid in SVG,
# are shown as their Unicode "control picture"; lone surrogates cannot be encoded at all.
_SPECIAL = re.compile(r'\r\n|[\\"&\r\n\x00-\x1f\x7f\ud800-\udfff]')
_REPLACEMENTS = {
    "\\": "\\\\",
    '"': '\\"',
    "&": "&amp;",
    "\r\n": "\\n",
    "\r": "\\n",
    "\n": "\\n",
    "\x7f": "\u2421",
}


def _replace(match: re.Match[str]) -> str:
    text = match.group()
    if text in _REPLACEMENTS:
        return _REPLACEMENTS[text]
    code = ord(text)
    return chr(0x2400 + code) if code < 0x20 else "\ufffd"


def quote(text: str) -> str:
    r"""``text`` as a double-quoted DOT string that Graphviz shows exactly as written.

    Examples
    --------
    >>> print(quote('say "hi" & <b>'))
    "say \"hi\" &amp; <b>"
    >>> print(quote("a\\b"), quote("two\nlines"))
    "a\\b" "two\nlines"
    """
    return '"' + _SPECIAL.sub(_replace, text) + '"'


def _edge_labels(graph: LineageGraph) -> tuple[bool, str]:
    """Whether edges are labelled, and the legend's sentence about them.

    A label is drawn only where it says something: the counts of a collapsed picture, or the
    transformation types when they differ. When every edge has the same type, the legend says
    it once (dbt-tuva's 753 edges all said "derived").
    """
    if any(COUNT_KEY in e.metadata for e in graph.edges):
        return True, "edge label: how many artifact edges join the two groups"
    kinds = sorted({e.transformation_type.value for e in graph.edges})
    if len(kinds) > 1:
        return True, "edge label: transformation type"
    return False, f"every edge: {kinds[0]}" if kinds else ""


def _legend(graph: LineageGraph, options: ExportOptions, edge_note: str, labels: dict[str, str]) -> list[str]:
    """The legend cluster: a box per status drawn, then one note of edges, root and cuts."""
    statuses = sorted({status_of(graph, aid) for aid in graph.artifact_ids()}, key=list(ArtifactStatus).index)
    lines = [
        f"{_INDENT}subgraph cluster_legend {{",
        f'{_INDENT * 2}label="Legend"; style="dashed"; color="#999999";',
    ]
    for status in statuses:
        color = STATUS_COLORS[status]
        name = status.value
        lines.append(f'{_INDENT * 2}legend_{name} [label="{name}", fillcolor="{color}", tooltip="status"];')
    notes = [edge_note] if edge_note else []
    if options.root is not None and options.root in labels:
        notes.append(f"thick border: the root, {shorten(labels[options.root], 80)}")
    notes += list(options.notes)
    if notes:
        # \l ends a left-aligned line in a DOT label; each note is escaped like any label.
        text = "".join(quote(note)[1:-1] + "\\l" for note in notes)
        lines.append(
            f'{_INDENT * 2}legend_notes [shape=note, style="filled", fillcolor="#FFFFFF", label="{text}"];'
        )
    lines.append(f"{_INDENT}}}")
    return lines


class DotExporter:
    r"""A Graphviz ``digraph``: left to right, nodes filled by status, one cluster per group, a legend.

    Boxes show short names (the full id is the tooltip); edges are labelled only where the
    label says something; the legend shows the status colours drawn and notes what a limit cut.

    Examples
    --------
    >>> g = LineageGraph.from_pairs([("raw", "clean")], workflow="etl")
    >>> print(DotExporter().export(g, ExportOptions(group_by="none")).decode())
    digraph lineage {
        graph [rankdir=LR, newrank=true, fontname="Helvetica"];
        node [shape=box, style="filled,rounded", fontname="Helvetica"];
        edge [fontname="Helvetica", fontsize=10];
        n0 [label="clean", fillcolor="#9E9E9E", tooltip="clean"];
        n1 [label="raw", fillcolor="#9E9E9E", tooltip="raw"];
        n1 -> n0;
        subgraph cluster_legend {
            label="Legend"; style="dashed"; color="#999999";
            legend_unknown [label="unknown", fillcolor="#9E9E9E", tooltip="status"];
            legend_notes [shape=note, style="filled", fillcolor="#FFFFFF", label="every edge: derived\l"];
        }
    }
    """

    name = "dot"
    description = "Graphviz DOT (text): nodes coloured by status, clustered by group; pipe into `dot -Tpng`."
    binary = False
    picture = True

    def export(self, graph: LineageGraph, options: ExportOptions) -> bytes:
        """Render ``graph`` as DOT text (the same graph gives the same bytes)."""
        drawing = Drawing.of(graph, options.group_by)
        labels = drawing.short_labels(graph)
        lines = [
            "digraph lineage {",
            f'{_INDENT}graph [rankdir=LR, newrank=true, fontname="Helvetica"];',
            f'{_INDENT}node [shape=box, style="filled,rounded", fontname="Helvetica"];',
            f'{_INDENT}edge [fontname="Helvetica", fontsize=10];',
        ]

        ports = _column_ports(graph, drawing.number) if options.columns else {}

        def node_line(aid: str, indent: str) -> str:
            root = ', penwidth=4, color="#000000"' if aid == options.root else ""
            label = quote(shorten(labels[aid]))
            shape = ""
            if aid in ports:  # a record: the artifact, then one field (a port) per column
                fields = "|".join(f"<c{n}> {_record_text(c)}" for c, n in ports[aid].items())
                label, shape = (
                    quote(f"{{{_record_text(shorten(labels[aid]))}|{fields}}}"),
                    "shape=Mrecord, ",
                )
            return (
                f"{indent}n{drawing.number[aid]} [{shape}label={label}, "
                f"fillcolor={quote(color_of(graph, aid))}, tooltip={quote(shorten(aid))}{root}];"
            )

        for index, (title, members) in enumerate(drawing.groups):
            if options.group_by == "none":
                lines += [node_line(aid, _INDENT) for aid in members]
                continue
            lines.append(f"{_INDENT}subgraph cluster_{index} {{")
            lines.append(f'{_INDENT * 2}label={quote(shorten(title))}; style="rounded"; color="#999999";')
            lines += [node_line(aid, _INDENT * 2) for aid in members]
            lines.append(f"{_INDENT}}}")
        number = drawing.number
        edges = sorted(
            graph.edges,
            key=lambda e: (number[e.source], number[e.target], e.transformation_type.value),
        )
        labelled, edge_note = _edge_labels(graph)
        for e in edges:
            attributes = ""
            if labelled:
                count = e.metadata.get(COUNT_KEY)
                text = str(count) if count is not None else e.transformation_type.value
                attributes = f" [label={quote(text)}" + (
                    f", penwidth={min(1 + int(count) // 5, 6)}]" if count else "]"
                )
            lines.append(f"{_INDENT}n{number[e.source]} -> n{number[e.target]}{attributes};")
        if ports:
            lines += _column_edge_lines(graph, number, ports)
        lines += _legend(graph, options, edge_note, labels)
        lines.append("}")
        return ("\n".join(lines) + "\n").encode()


_RECORD_SPECIAL = re.compile(r"([{}|<>\\])")


def _record_text(text: str) -> str:
    # Inside a record label, braces, bars and angle brackets are structure: escape them.
    return _RECORD_SPECIAL.sub(r"\\\1", text)


def _column_ports(graph: LineageGraph, number: dict[str, int]) -> dict[str, dict[str, int]]:
    """Each drawn artifact with column lineage (its own, or as a source) -> its columns' port numbers."""
    columns: dict[str, set[str]] = {}
    for aid in number:
        node = graph.nodes.get(aid)
        if node is None or not node.columns:
            continue
        columns.setdefault(aid, set()).update(node.columns)
        for sources in node.columns.values():
            for source in sources:
                dataset, _, column = source["source"].rpartition("#")
                if dataset in number:
                    columns.setdefault(dataset, set()).add(column)
    return {aid: {c: n for n, c in enumerate(sorted(names))} for aid, names in columns.items()}


def _column_edge_lines(
    graph: LineageGraph, number: dict[str, int], ports: dict[str, dict[str, int]]
) -> list[str]:
    lines = []
    for aid in sorted(ports, key=number.__getitem__):
        node = graph.nodes.get(aid)
        for column, sources in sorted(node.columns.items()) if node is not None else ():
            for source in sources:
                dataset, _, source_column = source["source"].rpartition("#")
                if dataset in ports:
                    kind = quote(source.get("type") or "")
                    lines.append(
                        f"{_INDENT}n{number[dataset]}:c{ports[dataset][source_column]} -> "
                        f'n{number[aid]}:c{ports[aid][column]} [style=dashed, color="#607D8B", label={kind}];'
                    )
    return lines


EXPORTERS = {"dot": DotExporter()}
