"""The Typer application object and the group that turns core errors into exit codes."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup, TyperOption

from lineage_cli import __version__
from lineage_cli.cli import startup
from lineage_cli.cli.exitcodes import exit_code_for
from lineage_cli.cli.options import GraphOpt, StoreOpt
from lineage_cli.cli.output import error
from lineage_cli.errors import LineageError

__all__ = ["app"]


class LineageGroup(TyperGroup):
    """Runs a subcommand and maps every deliberate error to one stderr sentence and an exit code.

    Doing this in the group (not only in ``main``) means ``CliRunner`` tests see exactly
    what a user sees.
    """

    def invoke(self, ctx: Any) -> Any:
        startup.release()  # from here a Ctrl-C raises KeyboardInterrupt, handled below
        try:
            return super().invoke(ctx)
        except LineageError as exc:
            error(str(exc))
            raise typer.Exit(exit_code_for(exc)) from None
        except KeyboardInterrupt as exc:
            error("interrupted.")
            raise typer.Exit(exit_code_for(exc)) from None
        except BrokenPipeError as exc:
            # The reader went away: silence the final flush of stdout, then exit quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(exit_code_for(exc)) from None
        except OSError as exc:
            # The safety net for a file system failure no core function turned into a sentence.
            where = f"{exc.filename}: " if exc.filename else ""
            problem = exc.strerror or str(exc)
            error(f"{where}{problem}. Check the path, its kind (file or directory) and permissions.")
            raise typer.Exit(exit_code_for(exc)) from None


_type_of = TyperOption.display_type_rich


def _flag_type(self: TyperOption, ctx: Any) -> str | None:
    # Typer's help shows a `<bool>` placeholder beside every flag, as if it took a value.
    return None if self.is_flag else _type_of(self, ctx)


TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]


app = typer.Typer(
    cls=LineageGroup,
    name="lineage",
    help="Record where every artifact came from, and answer questions about it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lineage {__version__}")
        raise typer.Exit()


def _defaults_for(group: Any, ctx: Any, values: dict[str, Any]) -> dict[str, Any]:
    """A Click ``default_map`` giving ``values`` to every subcommand (and sub-subcommand)."""
    defaults: dict[str, Any] = {}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if hasattr(command, "list_commands"):
            defaults[name] = _defaults_for(command, ctx, values)
        else:
            defaults[name] = {key: value for key, value in values.items() if value is not None}
    return defaults


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    store: StoreOpt = None,
    graph: GraphOpt = None,
) -> None:
    """Record where every artifact came from, and answer questions about it."""
    from lineage_cli.store.discovery import find_project

    # `lineage --store DIR stale` means `lineage stale --store DIR`; a project file's critical
    # file is the default of `impact --critical`. Options given after the subcommand still win.
    project = find_project()
    critical = project.settings.get("critical") if project else None
    if store is None and graph is None and critical is None:
        return
    values = {"store": store, "graph": graph, "graph_file": graph, "critical": critical}
    ctx.default_map = _defaults_for(ctx.command, ctx, values)
