"""Command: serve (an OpenLineage HTTP endpoint and read-only queries over the store)."""

from __future__ import annotations

import importlib.util
from typing import Annotated

import typer

from lineage_cli.cli import output
from lineage_cli.cli.app import app
from lineage_cli.cli.options import StoreOpt
from lineage_cli.errors import UsageError
from lineage_cli.store.base import open_store


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; beyond loopback a token is required.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port (0 picks a free one).")] = 5000,
    store: StoreOpt = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="LINEAGE_TOKEN",
            metavar="TOKEN",
            help="Writes need `Authorization: Bearer TOKEN` (the client's OPENLINEAGE_API_KEY).",
            show_default=False,
        ),
    ] = None,
    max_body: Annotated[
        int, typer.Option("--max-body", min=1, metavar="MIB", help="Largest request body, in MiB.")
    ] = 10,
    assume_utc: Annotated[
        bool,
        typer.Option("--assume-utc", help="Read an eventTime without a timezone as UTC (default: a 400)."),
    ] = False,
) -> None:
    """Receive OpenLineage events over HTTP (POST /api/v1/lineage) and answer queries as JSON.

    Point a producer at it with OPENLINEAGE_URL=http://127.0.0.1:5000 (see README, "lineage serve").

    Events take the same path as `lineage import openlineage`, so a resend adds nothing.
    """
    if importlib.util.find_spec("starlette") is None or importlib.util.find_spec("uvicorn") is None:
        raise UsageError(
            "`lineage serve` needs the optional [serve] extra (Starlette and uvicorn), "
            "which is not installed.",
            hint="Install it with: pip install 'lineage-cli[serve]'.",
        )
    from lineage_cli.serve.server import run_server

    run_server(
        open_store(store),
        host=host,
        port=port,
        token=token,
        max_body=max_body * 1024 * 1024,
        assume_utc=assume_utc,
        log=output.info,  # its lines go to stderr as they are (with their "warning:" prefix)
    )
