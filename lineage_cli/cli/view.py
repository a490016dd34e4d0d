"""Commands: view (the HTML export written to a temporary file and opened in the browser)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from lineage_cli.cli.app import app
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
from lineage_cli.cli.output import info, warn

__all__ = ["view"]


@app.command("view")
def view(
    root: RootOpt = None,
    upstream: UpstreamOpt = False,
    downstream: DownstreamOpt = False,
    both: BothOpt = False,
    depth: RootDepthOpt = None,
    group_by: GroupByOpt = "workflow",
    no_open: Annotated[
        bool, typer.Option("--no-open", help="Only write the page and print its path; open no browser.")
    ] = False,
    graph_file: GraphOpt = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Open the graph as an interactive page in the browser; prints the page's path.

    The page is `lineage export --format html` written to a temporary file: it works offline
    and can be kept, mailed or opened again.
    """
    from lineage_cli.export.html import export_page
    from lineage_cli.export.run import ExportRequest
    from lineage_cli.store.atomic import write_atomic

    request = ExportRequest(
        format="html",
        group_by=group_by_of(group_by),
        root=root,
        direction=direction_of(upstream, downstream, both, root),
        depth=depth,
        max_nodes=0,
    )
    result = export_page(graph_file, store, parse_as_of(as_of, store), request)
    path = Path(tempfile.mkdtemp(prefix="lineage-view-")) / "lineage.html"
    write_atomic(path, result.data)
    print(path)
    if no_open:
        return
    import webbrowser

    if webbrowser.open(path.as_uri()):
        info(f"opened {path} in the browser.")
    else:
        warn(f"could not start a browser; open {path} yourself.")
