"""JSON export: the lineage file format itself, so an export can be read back or validated."""

from __future__ import annotations

from lineage_cli.export.base import ExportOptions
from lineage_cli.graph import LineageGraph
from lineage_cli.lineagefile import dumps_graph

__all__ = ["EXPORTERS", "JsonExporter"]


class JsonExporter:
    """The (selected) graph as a lineage file: data, so it is not cut to a picture's size.

    Examples
    --------
    >>> g = LineageGraph.from_pairs([("raw", "clean")])
    >>> JsonExporter().export(g, ExportOptions()).splitlines()[1]
    b'  "version": "1.0",'
    """

    name = "json"
    description = "The lineage file format (JSON): the selection as data; --group-by has no effect."
    binary = False
    picture = False

    def export(self, graph: LineageGraph, options: ExportOptions) -> bytes:
        """Serialize ``graph`` (deterministic bytes)."""
        return dumps_graph(graph)


EXPORTERS = {"json": JsonExporter()}
