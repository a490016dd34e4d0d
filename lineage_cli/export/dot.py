"""Graphviz DOT export: status colours, group clusters and tooltips, typed edges, escaped strings."""

from __future__ import annotations

import re

from lineage_cli.export.base import ExportOptions
from lineage_cli.export.drawing import Drawing, color_of, label_of, shorten, tooltip_of
from lineage_cli.graph import LineageGraph

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


class DotExporter:
    """A Graphviz ``digraph``: left to right, nodes filled by status, one cluster per group.

    Examples
    --------
    >>> g = LineageGraph.from_pairs([("raw", "clean")], workflow="etl")
    >>> print(DotExporter().export(g, ExportOptions(group_by="none")).decode())
    digraph lineage {
        graph [rankdir=LR, newrank=true, fontname="Helvetica"];
        node [shape=box, style="filled,rounded", fontname="Helvetica"];
        edge [fontname="Helvetica", fontsize=10];
        n0 [label="clean", fillcolor="#9E9E9E", tooltip="etl"];
        n1 [label="raw", fillcolor="#9E9E9E", tooltip="etl"];
        n1 -> n0 [label="derived"];
    }
    """

    name = "dot"
    description = "Graphviz DOT (text): nodes coloured by status, clustered by group; pipe into `dot -Tpng`."
    binary = False
    picture = True

    def export(self, graph: LineageGraph, options: ExportOptions) -> bytes:
        """Render ``graph`` as DOT text (the same graph gives the same bytes)."""
        drawing = Drawing.of(graph, options.group_by)
        lines = [
            "digraph lineage {",
            f'{_INDENT}graph [rankdir=LR, newrank=true, fontname="Helvetica"];',
            f'{_INDENT}node [shape=box, style="filled,rounded", fontname="Helvetica"];',
            f'{_INDENT}edge [fontname="Helvetica", fontsize=10];',
        ]

        def node_line(aid: str, indent: str) -> str:
            return (
                f"{indent}n{drawing.number[aid]} [label={quote(shorten(label_of(graph, aid)))}, "
                f"fillcolor={quote(color_of(graph, aid))}, tooltip={quote(tooltip_of(graph, aid))}];"
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
        for e in edges:
            label = quote(e.transformation_type.value)
            lines.append(f"{_INDENT}n{number[e.source]} -> n{number[e.target]} [label={label}];")
        lines.append("}")
        return ("\n".join(lines) + "\n").encode()


EXPORTERS = {"dot": DotExporter()}
