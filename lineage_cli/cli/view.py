"""Commands: view (the HTML export written to a temporary file and opened in the browser)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from lineage_cli.cli.app import app
from lineage_cli.cli.export import _direction, _group_by
from lineage_cli.cli.options import AsOfOpt, GraphOpt, StoreOpt, parse_as_of
from lineage_cli.cli.output import info, warn

__all__ = ["view"]


@app.command("view")
def view(
    root: Annotated[
        str | None,
        typer.Option(
            "--root", metavar="ID", help="Show only this artifact's neighbourhood.", show_default=False
        ),
    ] = None,
    upstream: Annotated[bool, typer.Option("--upstream", help="With --root: its ancestors.")] = False,
    downstream: Annotated[bool, typer.Option("--downstream", help="With --root: its descendants.")] = False,
    both: Annotated[bool, typer.Option("--both", help="With --root: both directions (the default).")] = False,
    depth: Annotated[
        int | None,
        typer.Option("--depth", metavar="N", help="With --root: at most N hops away.", show_default=False),
    ] = None,
    group_by: Annotated[
        str,
        typer.Option(
            "--group-by", metavar="KEY", help="Group large graphs by workflow, stage, agent or none."
        ),
    ] = "workflow",
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
        group_by=_group_by(group_by),
        root=root,
        direction=_direction(upstream, downstream, both, root),
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
