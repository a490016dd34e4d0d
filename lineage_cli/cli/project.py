"""Commands for a project's first day: init (a store, found from then on like git's), status and run."""

from __future__ import annotations

from typing import Annotated

import typer

from lineage_cli.cli import output
from lineage_cli.cli.app import app


@app.command()
def init(
    directory: Annotated[
        str | None,
        typer.Argument(
            metavar="[DIR]", help="Where to create .lineage/ (default: here).", show_default=False
        ),
    ] = None,
) -> None:
    """Create a store, DIR/.lineage/: every command run in DIR or below then finds it."""
    from lineage_cli.store.discovery import init_store

    store, created = init_store(directory)
    if created:
        output.info(f"initialised an empty lineage store in {store}/")
    else:
        output.info(f"{store}/ is already a lineage store; nothing changed.")
