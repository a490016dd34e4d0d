"""The `lineage` command line: thin commands that parse, call one core function, and render."""

from __future__ import annotations

from lineage_cli.cli import startup

startup.guard()  # importing the commands takes a while: a Ctrl-C then is one line, not a traceback

from lineage_cli.cli import (  # noqa: E402, F401  (importing a module registers its commands)
    export,
    importing,
    listing,
    project,
    query,
    serve,
    store,
    timetravel,
    validate,
    view,
)
from lineage_cli.cli.app import app  # noqa: E402
from lineage_cli.cli.examples import add_examples  # noqa: E402

add_examples(app)
startup.release()

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    from lineage_cli.cli.output import buffer_stdout

    startup.guard()  # until LineageGroup runs the command (Typer builds it from annotations first)
    buffer_stdout()
    app()
