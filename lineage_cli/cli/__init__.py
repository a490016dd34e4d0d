"""The `lineage` command line: thin commands that parse, call one core function, and render."""

from __future__ import annotations

from lineage_cli.cli import (  # noqa: F401  (importing a module registers its commands)
    export,
    importing,
    query,
    store,
    timetravel,
    validate,
)
from lineage_cli.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    from lineage_cli.cli.output import buffer_stdout

    buffer_stdout()
    app()
