"""Commands: ls, the selection language's own command (see README, "Selecting artifacts")."""

from __future__ import annotations

from typing import Annotated

import typer

from lineage_cli.cli import output
from lineage_cli.cli.app import app
from lineage_cli.cli.completion import complete_selector
from lineage_cli.cli.options import AsOfOpt, GraphOpt, JsonOpt, StoreOpt, parse_as_of
from lineage_cli.documents import artifact_row, ls_document
from lineage_cli.source import open_graph

__all__ = ["ExcludeOpt", "SelectorArgs", "ls_command"]

SelectorArgs = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="SELECTOR...",
        help="What to list: ids, short names, globs, +x, x+, N+x, x+N, @x, workflow: stage: agent: "
        "status: kind: tool: type: tag: meta.KEY:VALUE; a space is a union, a comma an intersection. "
        "Default: every artifact.",
        show_default=False,
        autocompletion=complete_selector,
    ),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        "-x",
        metavar="SELECTOR",
        help="Leave out what this selects (repeat).",
        show_default=False,
    ),
]


@app.command("ls")
def ls_command(
    selectors: SelectorArgs = None,
    exclude: ExcludeOpt = None,
    count: Annotated[
        bool, typer.Option("--count", help="Print only how many artifacts are selected.")
    ] = False,
    graph: GraphOpt = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the artifacts a selector picks (a table on a terminal; sorted ids when piped)."""
    view = open_graph(graph, store, parse_as_of(as_of))
    if as_json and not count:
        document = ls_document(view, selectors or [], exclude or [])
        _say_if_none(document["count"], selectors, exclude)
        output.print_json(document)
        return
    from lineage_cli.selection import select_ids

    ids = select_ids(view, selectors or [], exclude or [])
    _say_if_none(len(ids), selectors, exclude)
    if count:
        print(len(ids))
    elif output.is_terminal():
        from rich.text import Text

        table = output.table("id", "status", "workflow", "version", "time")
        for aid in ids:
            row = artifact_row(view, aid)
            cells = [row[key] or "" for key in ("status", "workflow", "version", "timestamp")]
            if len(cells[2]) > 12:  # a content hash: its start tells versions apart, as in git
                cells[2] = cells[2][:11] + "…"
            cells[3] = cells[3][:19] + "Z" if len(cells[3]) > 20 else cells[3]  # seconds are enough here
            table.add_row(Text(aid), *(Text(cell) for cell in cells))
        with output.paged("lineage ls ... --json") as out:
            out.print(table)
        output.info(f"{len(ids):,} artifacts.")
    else:
        output.print_ids(ids)


def _say_if_none(found: int, selectors: list[str] | None, exclude: list[str] | None) -> None:
    if not found and (selectors or exclude):
        output.info("No artifact matches the selection.")
