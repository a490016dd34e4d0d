"""Commands for a project's first day: init (a store, found from then on like git's), status and run."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from lineage_cli.cli import output
from lineage_cli.cli.app import app
from lineage_cli.cli.exitcodes import ExitCode
from lineage_cli.cli.options import JsonOpt, StoreOpt
from lineage_cli.cli.store import SkipBadOpt, report_problem
from lineage_cli.store.base import open_store

if TYPE_CHECKING:
    from lineage_cli.status import StoreStatus


@app.command()
def init(
    directory: Annotated[
        str | None,
        typer.Argument(
            metavar="[DIR|URL]",
            help="Where to create .lineage/ (default: here), or a postgresql:// store to point this at.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create a store, DIR/.lineage/ (or a database's tables and lineage.toml): found from then on."""
    from lineage_cli.store.base import is_postgres_location
    from lineage_cli.store.discovery import init_database_store, init_store
    from lineage_cli.store.postgres.connect import mask

    if directory is not None and is_postgres_location(directory):
        project, created = init_database_store(directory)
        if created:
            output.info(f"initialised the lineage store {mask(directory)}; {project} points at it")
        else:
            output.info(
                f"{project} already points at {mask(directory)}; its tables are ready, nothing else changed."
            )
        return
    store, created = init_store(directory)
    if created:
        output.info(f"initialised an empty lineage store in {store}/")
    else:
        output.info(f"{store}/ is already a lineage store; nothing changed.")


@app.command()
def status(
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            metavar="LIST",
            help="Exit 1 when any of these is found: stale, failed, in_progress, unbuilt (or none).",
        ),
    ] = "stale,failed,in_progress",
    skip_bad: SkipBadOpt = False,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """The store at a glance, a CI gate: counts, failures, runs in progress, stale artifacts and why."""
    from lineage_cli.status import parse_fail_on, store_status

    wanted = parse_fail_on(fail_on)
    with open_store(store) as chosen:
        result = store_status(chosen, skip_bad=skip_bad, on_problem=report_problem)
    if json:
        output.print_json(result.to_json(wanted))
    else:
        _render_status(result)
    if result.failing(wanted):
        raise typer.Exit(ExitCode.NEGATIVE)


def _render_status(result: StoreStatus) -> None:
    counts = ", ".join(f"{count} {name}" for name, count in result.counts.items() if count)
    total = sum(result.counts.values())
    lines = [f"{total} artifacts" + (f": {counts}" if counts else "") + f" (from {result.events} events)"]
    for item in result.failed:  # the time it failed is in --json
        lines.append(f"failed: {item['artifact']}: {item['error'] or 'no error given'}")
    for item in result.in_progress:
        when = f" since {item['started_at']}" if item["started_at"] else ""
        lines.append(f"in progress: {item['artifact']}{when}")
    for group in result.stale:
        lines.append(
            f"stale: {len(group['artifacts'])} because {group['changed']} changed "
            f"(now version {group['to_version']}):"
        )
        lines += [f"  {artifact}" for artifact in group["artifacts"]]
    if result.unbuilt_events:
        lines.append(f"not built yet: {result.unbuilt_events} events (run `lineage build`)")
    if output.is_terminal():
        from rich.text import Text

        console = output.console()
        styles = {"failed": "bold red", "in progre": "yellow", "stale: ": "magenta", "not built": "cyan"}
        for line in lines:
            console.print(Text(line, style=styles.get(line[:9], "")))
    else:
        sys.stdout.write("".join(line + "\n" for line in lines))
        sys.stdout.flush()


@app.command(context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True})
def run(
    command: Annotated[
        list[str],
        typer.Argument(
            metavar="-- CMD [ARGS]...", help="The command to run, after `--`.", show_default=False
        ),
    ],
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", "-i", metavar="PATH", help="A file or directory it reads (repeat)."),
    ] = None,
    outputs: Annotated[
        list[str] | None,
        typer.Option("--output", "-o", metavar="PATH", help="A file or directory it writes (repeat)."),
    ] = None,
    workflow: Annotated[str | None, typer.Option("--workflow", "-w", help="Workflow of the step.")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Stage within the workflow.")] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", "-a", help="Who runs it (job, bot, person).")
    ] = None,
    transformation: Annotated[
        str | None, typer.Option("--transformation", "-t", help="What it does (default: the command).")
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Run a command and record it: a flow, and its outputs (hashed) built from its inputs.

    Exits with the command's own exit status; a failed command marks its outputs failed.
    """
    from lineage_cli.runner import run_command
    from lineage_cli.store.discovery import discover_store

    with open_store(store) as chosen:
        result = run_command(
            chosen,
            command,
            inputs=inputs or [],
            outputs=outputs or [],
            root=discover_store(store).root,
            workflow=workflow,
            stage=stage,
            agent=agent,
            transformation=transformation,
            on_warning=output.warn,
        )
    if result.exit_code is None:
        output.error(f"{result.error}; recorded as a failed run.")
        raise typer.Exit(ExitCode.NOT_FOUND if result.not_started == "not_found" else ExitCode.NOT_EXECUTABLE)
    raise typer.Exit(result.exit_code)
