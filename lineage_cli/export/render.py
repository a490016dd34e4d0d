"""PNG and SVG export: the DOT export rendered by Graphviz through the graphviz package."""

from __future__ import annotations

from lineage_cli.errors import LineageError
from lineage_cli.export.base import ExportOptions
from lineage_cli.export.dot import DotExporter
from lineage_cli.graph import LineageGraph

__all__ = ["EXPORTERS", "INSTALL_DOT", "RenderedExporter"]

INSTALL_DOT = (
    "Rendering {fmt} needs Graphviz's `dot` program, which is not on PATH: install Graphviz "
    "(Debian/Ubuntu: `sudo apt-get install graphviz`, macOS: `brew install graphviz`), "
    "or export `--format dot` and render it elsewhere."
)


class RenderedExporter:
    """A picture drawn by Graphviz ``dot`` from the DOT export.

    Examples
    --------
    >>> svg = EXPORTERS["svg"].export(LineageGraph.from_pairs([("a", "b")]), ExportOptions())
    >>> b"<svg" in svg
    True
    """

    picture = True

    def __init__(self, fmt: str, description: str, *, binary: bool) -> None:
        self.name = fmt
        self.description = description
        self.binary = binary

    def export(self, graph: LineageGraph, options: ExportOptions) -> bytes:
        """Render ``graph`` with ``dot``; a missing ``dot`` is one sentence on how to install it."""
        import graphviz  # heavy and rarely needed: imported only when rendering

        source = DotExporter().export(graph, options).decode()
        try:
            data: bytes = graphviz.Source(source, engine="dot").pipe(format=self.name)
        except graphviz.ExecutableNotFound:
            raise LineageError(INSTALL_DOT.format(fmt=self.name.upper())) from None
        except graphviz.CalledProcessError as exc:
            stderr = (exc.stderr or b"").decode(errors="replace").strip()
            raise LineageError(f"Graphviz `dot` failed to render {self.name.upper()}: {stderr}") from None
        return data


EXPORTERS = {
    "png": RenderedExporter(
        "png", "PNG picture rendered by Graphviz `dot` (needs --output FILE).", binary=True
    ),
    "svg": RenderedExporter("svg", "SVG picture rendered by Graphviz `dot`.", binary=False),
}
