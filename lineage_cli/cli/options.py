"""Options shared by many commands, declared once so they work after any subcommand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from lineage_cli.model import parse_timestamp

__all__ = ["AsOfOpt", "GraphOpt", "JsonOpt", "StoreOpt", "parse_as_of"]

GraphOpt = Annotated[
    str | None,
    typer.Option(
        "--graph",
        "-g",
        envvar="LINEAGE_GRAPH",
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
        envvar="LINEAGE_STORE",
        metavar="DIR|URL",
        help="Store directory, or a postgresql:// URL. Default: $LINEAGE_STORE, else .lineage/.",
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
        help="Answer from the store as it was at this ISO-8601 time (Z or offset, or a date).",
        show_default=False,
    ),
]


def parse_as_of(text: str | None) -> datetime | None:
    """Parse an ``--as-of`` value (``None`` passes through)."""
    return None if text is None else parse_timestamp(text, what="--as-of")
