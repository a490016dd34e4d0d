"""Commands: import openlineage, import graph, import dbt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from lineage_cli.cli.app import app
from lineage_cli.cli.options import StoreOpt
from lineage_cli.cli.output import error, info, warn
from lineage_cli.errors import InputError
from lineage_cli.store.base import open_store

if TYPE_CHECKING:
    from lineage_cli.interop.common import ImportResult

__all__ = ["import_app"]

import_app = typer.Typer(
    name="import",
    help="Append lineage from other tools to the store's event log (then run `lineage build`).",
    no_args_is_help=True,
)
app.add_typer(import_app)


def _report(result: ImportResult, *, skip_bad: bool) -> None:
    """Summary and problems on stderr; exit 2 when problems stopped the import."""
    for warning in result.warnings:
        warn(warning)
    if result.problems and not skip_bad:
        for problem in result.problems:
            error(str(problem).removesuffix("; skipped"))
        # Bad input: the group prints it as the last error line and exitcodes maps it (to 2).
        raise InputError(
            f"nothing imported: {len(result.problems)} problem(s) in the input.",
            hint="Fix those lines, or pass --skip-bad to import the rest.",
        )
    for problem in result.problems:
        warn(str(problem))
    info(result.summary())


@import_app.command("openlineage")
def import_openlineage_command(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE...",
            help="NDJSON written by the OpenLineage client's file transport ('-' for stdin).",
            show_default=False,
        ),
    ],
    store: StoreOpt = None,
    skip_bad: Annotated[
        bool,
        typer.Option(
            "--skip-bad", help="Import the good lines and report the bad ones (default: import none)."
        ),
    ] = False,
    assume_utc: Annotated[
        bool,
        typer.Option(
            "--assume-utc",
            help="Read an eventTime without a timezone as UTC (default: report it as a bad line).",
        ),
    ] = False,
) -> None:
    """Import OpenLineage RunEvents: output datasets become artifacts, runs become flows.

    The artifact id of a dataset is NAMESPACE/NAME (see README, "OpenLineage and W3C PROV").
    Importing the same events twice adds nothing.
    """
    from lineage_cli.interop.openlineage_import import import_openlineage

    with open_store(store) as chosen:
        result = import_openlineage(files, chosen, skip_bad=skip_bad, assume_utc=assume_utc)
    _report(result, skip_bad=skip_bad)


@import_app.command("graph")
def import_graph_command(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A lineage file ('-' for stdin).", show_default=False),
    ],
    store: StoreOpt = None,
) -> None:
    """Merge a lineage file into the store as events that keep its timestamps."""
    from lineage_cli.interop.graph_import import import_graph
    from lineage_cli.source import store_document

    with open_store(store) as chosen:
        _report(import_graph(file if file == "-" else store_document(file), chosen), skip_bad=True)


@import_app.command("dbt")
def import_dbt_command(
    path: Annotated[
        str,
        typer.Argument(
            metavar="PATH", help="dbt's target/ directory or a manifest.json.", show_default=False
        ),
    ],
    run_results: Annotated[
        str | None,
        typer.Option(
            "--run-results",
            metavar="FILE",
            help="run_results.json for statuses (default: the one in PATH when it is a directory).",
        ),
    ] = None,
    catalog: Annotated[
        str | None,
        typer.Option(
            "--catalog",
            metavar="FILE",
            help="catalog.json for columns (default: the one in PATH when it is a directory).",
        ),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Import a dbt project: models, seeds, sources... become artifacts; tests, checks on them.

    Versions are file checksums, so after a model changes its descendants are stale until dbt
    rebuilds them. Importing the same files twice adds nothing (see README, "From dbt").
    """
    from lineage_cli.interop.dbt_import import import_dbt

    with open_store(store) as chosen:
        result = import_dbt(path, chosen, run_results=run_results, catalog=catalog)
    _report(result, skip_bad=True)
