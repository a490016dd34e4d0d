"""Commands: record, build, stale and snapshots."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from lineage_cli.cli import output
from lineage_cli.cli.app import app
from lineage_cli.cli.exitcodes import ExitCode
from lineage_cli.cli.options import AsOfOpt, JsonOpt, StoreOpt, parse_as_of
from lineage_cli.errors import UsageError
from lineage_cli.model import TransformationType
from lineage_cli.store.base import open_store

if TYPE_CHECKING:
    from lineage_cli.store.events import LogProblem


class FlowStatus(StrEnum):
    """The states `lineage record --status` can give a step."""

    IN_PROGRESS = "in_progress"
    FAILED = "failed"
    COMPLETED = "completed"


SkipBadOpt = Annotated[
    bool,
    typer.Option(
        "--skip-bad", help="Skip malformed events (each is reported on stderr) instead of stopping."
    ),
]


def report_problem(problem: LogProblem) -> None:
    """Show a skipped log line on stderr (shared with the time-travel commands)."""
    output.warn(str(problem))


def _progress(phase: str, done: int) -> None:
    output.info(f"{phase}: {done:,} events")


def _parse_meta(pairs: list[str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--meta {pair!r} is not KEY=VALUE.", hint="For example: --meta rows=1200.")
        try:
            # JSON values keep their type (rows=1200 is a number, ok=true a boolean); anything
            # else is kept as the text it is.
            metadata[key] = orjson.loads(text)
        except orjson.JSONDecodeError:
            metadata[key] = text
    return metadata


@app.command()
def record(
    artifact: Annotated[
        str, typer.Argument(metavar="ARTIFACT", help="The artifact produced.", show_default=False)
    ],
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input", "-i", metavar="ID", help="An artifact it was made from (repeat).", show_default=False
        ),
    ] = None,
    workflow: Annotated[
        str | None, typer.Option("--workflow", "-w", help="Workflow that produced it.")
    ] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Stage within the workflow.")] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", "-a", help="Agent (job, bot, person) that produced it.")
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", "-V", help="Its version (default: the build numbers records 1, 2, ...)."),
    ] = None,
    transformation: Annotated[str, typer.Option("--transformation", "-t", help="How it was produced.")] = "",
    transformation_type: Annotated[
        TransformationType, typer.Option("--type", help="Transformation type of its input edges.")
    ] = TransformationType.DERIVED,
    kind: Annotated[
        str | None, typer.Option("--kind", help="What sort of artifact it is (table, model...).")
    ] = None,
    meta: Annotated[
        list[str] | None,
        typer.Option(
            "--meta", "-m", metavar="KEY=VALUE", help="Metadata (repeat); JSON values keep their type."
        ),
    ] = None,
    lineage_id: Annotated[
        str | None,
        typer.Option(
            "--lineage-id", envvar="LINEAGE_ID", help="Tie the record to a flow (default: a fresh id)."
        ),
    ] = None,
    tool: Annotated[str | None, typer.Option("--tool", help="Tool or command used.")] = None,
    environment: Annotated[str | None, typer.Option("--environment", help="Execution environment.")] = None,
    hash_content: Annotated[
        bool, typer.Option("--hash", help="Hash the file or directory: its SHA-256 becomes the version.")
    ] = False,
    status: Annotated[
        FlowStatus | None,
        typer.Option(
            "--status",
            help="Also record the step state: in_progress, failed, or completed (ends in_progress).",
            show_default=False,
        ),
    ] = None,
    error_text: Annotated[
        str | None, typer.Option("--error", metavar="TEXT", help="With --status failed: what went wrong.")
    ] = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Append an artifact record to the store's event log (the same event as `record_artifact`)."""
    from lineage_cli.recorder import record_to_store
    from lineage_cli.store.discovery import discover_store

    if error_text is not None and status is not FlowStatus.FAILED:
        raise UsageError("--error goes with --status failed.")
    with open_store(store) as chosen:
        event = record_to_store(
            chosen,
            artifact,
            root=discover_store(store).root,
            hash=hash_content,
            provenance=True,
            status=status.value if status is not None else None,
            error=error_text,
            inputs=inputs or [],
            workflow=workflow,
            stage=stage,
            agent=agent,
            version=version,
            transformation=transformation,
            transformation_type=transformation_type,
            kind=kind,
            metadata=_parse_meta(meta or []),
            lineage_id=lineage_id,
            tool=tool,
            environment=environment,
        )
    if json:
        output.print_json(event)
    else:
        state = f", {status.value}" if status is not None else ""
        output.info(f"recorded {event['artifact_id']} ({event['event_id']}{state})")


@app.command()
def build(
    out: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write here instead of STORE/lineage.json."),
    ] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Fold every event again, not only those added since the last build."),
    ] = False,
    skip_bad: SkipBadOpt = False,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Fold the event log into the lineage file, with statuses; snapshot it when it changed."""
    with open_store(store) as chosen:
        result = chosen.build(
            output=out, full=full, skip_bad=skip_bad, on_problem=report_problem, progress=_progress
        )
    if json:
        output.print_json(result.to_json())
        return
    statuses = ", ".join(f"{count} {name}" for name, count in result.statuses.items() if count)
    snapshot = (
        f"snapshot {result.snapshot['number']}" if result.snapshot else "unchanged since the last snapshot"
    )
    output.info(
        f"built {result.output}{' (written when first read)' if result.deferred else ''}: "
        f"{result.artifacts} artifacts, {result.edges} edges "
        f"from {result.events} events" + (f" ({statuses})" if statuses else "") + f"; {snapshot}."
    )


@app.command()
def stale(
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    skip_bad: SkipBadOpt = False,
    json: JsonOpt = False,
) -> None:
    """List stale artifacts with the upstream change behind each; exit 1 when any is stale."""
    with open_store(store) as chosen:
        reasons = chosen.stale(as_of=parse_as_of(as_of, store), skip_bad=skip_bad, on_problem=report_problem)
    if json:
        output.print_json({"stale": [r.to_json() for r in reasons]})
    elif output.is_terminal():
        from rich.text import Text

        table = output.table("artifact", "changed upstream", "version", "chain")
        for r in reasons:
            table.add_row(
                Text(r.artifact),
                Text(r.changed),
                Text(f"{r.from_version or '(none)'} -> {r.to_version}"),
                Text(" -> ".join(r.chain)),
            )
        if reasons:
            output.console().print(table)
        else:
            output.info("nothing is stale.")
    else:
        output.print_ids(r.artifact for r in reasons)  # a set answer: ids, sorted; reasons in --json
    if reasons:
        raise typer.Exit(ExitCode.NEGATIVE)


@app.command()
def snapshots(store: StoreOpt = None, json: JsonOpt = False) -> None:
    """List the snapshots: one per build that changed the graph."""
    with open_store(store) as chosen:
        entries = chosen.builds()
    if json:
        output.print_json({"snapshots": entries})
        return
    columns = ("number", "built_at", "last_event_time", "events", "artifacts", "edges", "graph_hash", "file")
    if output.is_terminal():
        from rich.table import Table

        table = Table(show_edge=False, pad_edge=False)
        for column in columns:
            table.add_column(column.replace("_", " "))
        for entry in entries:
            table.add_row(*(str(entry.get(c) if entry.get(c) is not None else "-") for c in columns))
        output.console().print(table)
    else:
        for entry in entries:
            sys.stdout.write(
                "\t".join(str(entry.get(c) if entry.get(c) is not None else "-") for c in columns) + "\n"
            )
        sys.stdout.flush()


@app.command()
def sync(
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            "-s",
            envvar="LINEAGE_STORE",
            metavar="URL",
            help="Only this PostgreSQL store's spool (default: every spool on this machine).",
            show_default=False,
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Send the events spooled for PostgreSQL stores (last step on a CI runner); exit 2 if any are left."""
    from lineage_cli.store.base import is_postgres_location
    from lineage_cli.store.spool import sync as sync_spools

    result = sync_spools(store if is_postgres_location(store) else None)
    if json:
        output.print_json({"sent": result.sent, "stored": result.stored})
    else:
        output.info(f"sent {result.sent} spooled events ({result.stored} new to the store).")
