"""Commands: export."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lineage_cli.cli.app import app
from lineage_cli.cli.completion import complete_selector
from lineage_cli.cli.listing import ExcludeOpt
from lineage_cli.cli.neighbourhood import (
    BothOpt,
    DownstreamOpt,
    GroupByOpt,
    RootDepthOpt,
    RootOpt,
    UpstreamOpt,
    direction_of,
    group_by_of,
)
from lineage_cli.cli.options import AsOfOpt, GraphOpt, StoreOpt, parse_as_of
from lineage_cli.cli.output import info, warn, warn_unbuilt
from lineage_cli.errors import UsageError
from lineage_cli.export import FORMATS, get_exporter

__all__ = ["export"]


@app.command("export")
def export(
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="Output format (default: the --output file's extension, .png .svg .dot .gv .mmd .json, "
            "else mermaid), one of: " + ", ".join(FORMATS) + ".",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE (atomically) instead of stdout. Needed for png on a terminal.",
            show_default=False,
        ),
    ] = None,
    root: RootOpt = None,
    upstream: UpstreamOpt = False,
    downstream: DownstreamOpt = False,
    both: BothOpt = False,
    depth: RootDepthOpt = None,
    group_by: GroupByOpt = "workflow",
    max_nodes: Annotated[
        int | None,
        typer.Option(
            "--max-nodes",
            metavar="N",
            help=(
                "Keep at most N artifacts, nearest the root (or the sources) first; 0 means no limit. "
                "Default: 500 for pictures (mermaid, dot, png, svg), no limit for data."
            ),
            show_default=False,
        ),
    ] = None,
    columns: Annotated[
        bool,
        typer.Option(
            "--columns", help="DOT, PNG, SVG: draw artifacts as records of their columns, with column edges."
        ),
    ] = False,
    select_: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            metavar="SELECTOR",
            help="Export only what this selects (as `lineage ls`; repeat for a union).",
            show_default=False,
            autocompletion=complete_selector,
        ),
    ] = None,
    exclude: ExcludeOpt = None,
    collapse: Annotated[
        str | None,
        typer.Option(
            "--collapse",
            metavar="KEY",
            help="One box per workflow, stage or agent, with its count and status mix.",
            show_default=False,
        ),
    ] = None,
    reduce: Annotated[
        bool, typer.Option("--reduce", help="Leave out edges implied by longer paths (transitive reduction).")
    ] = False,
    graph_file: GraphOpt = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Export the graph (or a root's neighbourhood) as a diagram, a picture or a lineage file.

    Pictures are cut to --max-nodes (and Mermaid to its own limits of 500 edges and
    50,000 characters); stderr says what was cut and how to see the rest.
    """
    from lineage_cli.export.extensions import choose_format
    from lineage_cli.export.run import ExportRequest, export_graph
    from lineage_cli.source import open_lineage_graph
    from lineage_cli.store.discovery import find_project

    project = find_project()

    format = choose_format(output, format)
    collapsed = group_by_of(collapse) if collapse is not None else None
    if collapsed == "none":
        raise UsageError("--collapse takes workflow, stage or agent.")
    request = ExportRequest(
        format=format,
        group_by=group_by_of(group_by),
        root=root,
        direction=direction_of(upstream, downstream, both, root),
        depth=depth,
        max_nodes=max_nodes,
        columns=columns,
        picture_max_nodes=project.settings.get("max_nodes") if project else None,
        select=tuple(select_ or ()),
        exclude=tuple(exclude or ()),
        collapse=collapsed,
        reduce=reduce,
    )
    to_stdout = output is None or output == "-"
    if to_stdout and get_exporter(format).binary and sys.stdout.isatty():
        raise UsageError(
            f"{format.upper()} is binary and stdout is a terminal: pass --output FILE, or pipe it."
        )
    moment = parse_as_of(as_of, store)
    if format == "html":  # the page also shows the store's builds and stale reasons
        from lineage_cli.export.html import export_page

        result = export_page(graph_file, store, moment, request)
    else:
        graph = open_lineage_graph(graph_file, store, moment, on_pending=warn_unbuilt)
        result = export_graph(graph, request)
    if result.cut is not None:
        warn(result.cut.message(root=root))
    if result.reduced is not None:
        info(f"--reduce: left out {result.reduced:,} of {result.edges:,} edges, implied by longer paths.")
    if result.too_large is not None:
        warn(result.too_large)
    if to_stdout:
        sys.stdout.buffer.write(result.data)
        sys.stdout.flush()
    else:
        from lineage_cli.store.atomic import write_atomic

        assert output is not None
        write_atomic(output, result.data)
