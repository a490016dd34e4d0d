"""One call from a graph and a request to exported bytes: select, collapse, cut, reduce, export."""

from __future__ import annotations

from dataclasses import dataclass

from lineage_cli.export import FORMATS, get_exporter
from lineage_cli.export.base import ExportOptions, Fitted, GroupBy
from lineage_cli.export.picture import MAX_PIXELS, collapse, picture_size, reduce_edges
from lineage_cli.export.select import Cut, select, subgraph
from lineage_cli.graph import LineageGraph
from lineage_cli.names import resolve
from lineage_cli.queries import Direction

__all__ = ["DEFAULT_MAX_NODES", "ExportRequest", "ExportResult", "export_graph"]

DEFAULT_MAX_NODES = 500
"""Default cut for pictures. Measured: `dot -Tsvg` with edge labels takes 0.7 s at 500 nodes,
5.5 s at 1,000 and about 3 minutes at 2,000; past a few hundred boxes a picture is unreadable
anyway. Data formats (JSON) are not cut unless ``--max-nodes`` is given."""


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What to export and how.

    ``max_nodes`` is ``None`` for the format's default (``picture_max_nodes``, else
    ``DEFAULT_MAX_NODES``, for pictures; no limit for data) and ``0`` for no limit.
    ``picture_max_nodes`` is the project file's picture limit. ``select`` and ``exclude`` are
    selectors of :mod:`lineage_cli.selection`; ``collapse`` draws one box per group; ``reduce``
    drops edges implied by longer paths; ``columns`` draws column records (DOT).
    """

    format: str
    group_by: GroupBy = "workflow"
    root: str | None = None
    direction: Direction = "both"
    depth: int | None = None
    max_nodes: int | None = None
    columns: bool = False
    picture_max_nodes: int | None = None
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    collapse: GroupBy | None = None
    reduce: bool = False


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The exported document and what the caller should say about it on stderr.

    ``cut``: what a limit left out (``None``: nothing); ``reduced``: edges ``--reduce`` dropped,
    of ``edges`` drawn before; ``size``: the laid-out picture in pixels, when measured;
    ``too_large``: a warning naming readable alternatives when that picture is too big.
    """

    data: bytes
    binary: bool
    cut: Cut | None
    reduced: int | None = None
    edges: int = 0
    size: tuple[int, int] | None = None
    too_large: str | None = None


def _measure(fmt: str, data: bytes, artifacts: int) -> tuple[int, int] | None:
    """The laid-out size of a picture: read from PNG or SVG, or laid out by `dot` for DOT text.

    DOT text of more than ``DEFAULT_MAX_NODES`` artifacts (asked for with ``--max-nodes``) is
    not laid out just to measure it: that takes minutes, for a picture nobody can read anyway.
    """
    if fmt in ("png", "svg"):
        return picture_size(fmt, data)
    if fmt != "dot" or artifacts > DEFAULT_MAX_NODES:
        return None
    import graphviz

    try:
        plain: bytes = graphviz.Source(data.decode(), engine="dot").pipe(format="plain")
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError):
        return None  # DOT text is still fine to write; it just cannot be measured here
    return picture_size("plain", plain)


def _too_large(size: tuple[int, int] | None) -> str | None:
    if size is None or max(size) <= MAX_PIXELS:
        return None
    view = ", or the HTML view (--format html)" if "html" in FORMATS else ""
    return (
        f"the picture is {size[0]:,} x {size[1]:,} px, too large to read or open (more than "
        f"{MAX_PIXELS:,} px a side); draw less: --collapse workflow, --root ID --depth 2, "
        f"--select 'ID+2', or --reduce{view}."
    )


def export_graph(graph: LineageGraph, request: ExportRequest) -> ExportResult:
    """Select what ``request`` asks for, cut it to the limits, and export it.

    Raises
    ------
    UsageError
        For an unknown format or a bad selection.
    UnknownArtifactError
        For an unknown ``--root``.

    Examples
    --------
    >>> g = LineageGraph.from_pairs([("a", "b"), ("b", "c")])
    >>> result = export_graph(g, ExportRequest("dot", root="c", direction="upstream", depth=1))
    >>> result.data.count(b" -> "), result.cut
    (1, None)
    >>> export_graph(g, ExportRequest("json", max_nodes=2)).cut.kept_nodes
    2
    >>> export_graph(g, ExportRequest("json", select=("b+",))).data.count(b'"source"')
    1
    """
    exporter = get_exporter(request.format)
    picture = bool(getattr(exporter, "picture", False))
    if request.select or request.exclude:
        from lineage_cli.selection import select_ids

        graph = subgraph(graph, set(select_ids(graph, request.select, request.exclude)))
    root = None if request.root is None else resolve(graph, request.root)
    group_by = request.group_by
    if request.collapse is not None:
        around = select(graph, root=root, direction=request.direction, depth=request.depth).graph
        graph, root, group_by = collapse(around, request.collapse), None, "none"
    if request.max_nodes is None:
        default = DEFAULT_MAX_NODES if request.picture_max_nodes is None else request.picture_max_nodes
        max_nodes = (default or None) if picture else None
    else:
        max_nodes = request.max_nodes or None
    budget = None
    if isinstance(exporter, Fitted):
        count = len(graph.artifact_ids()) if max_nodes is None else max_nodes
        budget = exporter.budget(graph, ExportOptions(group_by=group_by), count)
    chosen = select(
        graph,
        root=root,
        direction=request.direction,
        depth=request.depth,
        max_nodes=max_nodes,
        budget=budget,
    )
    drawn, reduced = chosen.graph, None
    edges = len(drawn.edges)
    if request.reduce:
        drawn, reduced = reduce_edges(drawn)
    notes = [] if chosen.cut is None else [chosen.cut.summary()]
    if reduced:
        notes.append(f"--reduce: {reduced:,} of {edges:,} edges implied by longer paths not drawn")
    options = ExportOptions(group_by=group_by, root=root, notes=tuple(notes), columns=request.columns)
    data = exporter.export(drawn, options)
    size = _measure(request.format, data, len(drawn.artifact_ids())) if picture else None
    return ExportResult(data, exporter.binary, chosen.cut, reduced, edges, size, _too_large(size))
