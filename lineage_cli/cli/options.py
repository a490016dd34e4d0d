"""Options shared by many commands, declared once so they work after any subcommand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

__all__ = ["AsOfOpt", "GraphOpt", "JsonOpt", "StoreOpt", "parse_as_of", "parse_time"]

GraphOpt = Annotated[
    str | None,
    typer.Option(
        "--graph",
        "-g",
        metavar="FILE",
        help="Lineage file to read ('-' for stdin). Default: $LINEAGE_GRAPH, else STORE/lineage.json.",
        show_default=False,
    ),
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        "-s",
        metavar="DIR|URL",
        help=(
            "Store directory, or a postgresql:// URL. Default: $LINEAGE_STORE, the project file, "
            "or the nearest .lineage/ up."
        ),
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print exactly one JSON document (see README for its shape)."),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="TIMESTAMP",
        help="Answer from the store as it was then: ISO-8601, a snapshot number, now, 2h, '3d ago'.",
        show_default=False,
    ),
]


def parse_time(text: str, store: str | None, what: str) -> datetime:
    """Read a time argument (see :mod:`lineage_cli.timeargs`); say on stderr how it was taken."""
    from lineage_cli.store.base import open_store
    from lineage_cli.timeargs import resolve_time

    with open_store(store) as chosen:  # a database store connects only if a snapshot number is asked for
        resolved = resolve_time(text, chosen, what=what)
    if resolved.taken_as is not None:
        typer.echo(f"{what} {resolved.taken_as}", err=True)
    return resolved.moment


def parse_as_of(text: str | None, store: str | None = None) -> datetime | None:
    """Read an ``--as-of`` value (``None`` passes through)."""
    return None if text is None else parse_time(text, store, "--as-of")
