"""Commands: at and diff."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lineage_cli.cli import output
from lineage_cli.cli.app import app
from lineage_cli.cli.options import JsonOpt, StoreOpt, parse_time
from lineage_cli.cli.store import SkipBadOpt, report_problem
from lineage_cli.errors import UsageError
from lineage_cli.model import format_timestamp, utc_now
from lineage_cli.store.base import open_store

_TIME_HELP = (
    "ISO-8601 with Z or an offset (2026-01-31T12:00:00Z) or a bare date (midnight UTC); a snapshot "
    "number (3); now; 2h, 90m, '3d ago', yesterday."
)
TimeArg = Annotated[str, typer.Argument(metavar="TIMESTAMP", help=_TIME_HELP, show_default=False)]


@app.command()
def at(
    timestamp: TimeArg,
    out: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the lineage file there ('-' for stdout)."),
    ] = None,
    skip_bad: SkipBadOpt = False,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """The lineage graph as it was at TIMESTAMP: every record at or before it, none after."""
    if json and out not in (None, "-"):
        raise UsageError("Use --json or --output FILE, not both.", hint="--output - prints the JSON too.")
    moment = parse_time(timestamp, store, "TIMESTAMP")
    with open_store(store) as chosen:
        document = chosen.document_at(moment, skip_bad=skip_bad, on_problem=report_problem)
        if not document["nodes"]:
            first = chosen.first_event_time()
            if first is not None and first > moment:
                output.info(
                    f"{format_timestamp(moment)} is before the first event ({format_timestamp(first)}): "
                    "nothing had been recorded yet."
                )
    if json or out == "-":
        output.print_json(document)
    elif out is not None:
        import orjson

        from lineage_cli.store.atomic import write_atomic

        write_atomic(out, orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
        output.info(f"wrote {out}: {len(document['nodes'])} artifacts as of {document['built_at']}.")
    elif output.is_terminal():
        from rich.text import Text

        table = output.table(
            "artifact",
            "version",
            "status",
            "recorded",
            "inputs",
            title=f"as of {document['built_at']}",
            title_justify="left",
        )
        for artifact_id in sorted(document["nodes"]):
            node = document["nodes"][artifact_id]
            table.add_row(
                Text(artifact_id),
                Text(str(node["version"])),
                Text(node["status"]),
                Text(node["provenance"]["timestamp"]),
                Text(", ".join(node["inputs"])),
            )
        output.console().print(table)
    else:
        output.print_ids(sorted(document["nodes"]))


@app.command()
def diff(
    start: TimeArg,
    end: Annotated[
        str | None,
        typer.Argument(metavar="[TIMESTAMP]", help="The later moment (default: now).", show_default=False),
    ] = None,
    skip_bad: SkipBadOpt = False,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """What changed between two moments (or one and now): artifacts, statuses and edges."""
    with open_store(store) as chosen:
        result = chosen.diff(
            parse_time(start, store, "T1"),
            parse_time(end, store, "T2") if end is not None else utc_now(),
            skip_bad=skip_bad,
            on_problem=report_problem,
        )
    if json:
        output.print_json(result.to_json())
        return
    # One change per line, marked like a unified diff: + added, - removed, ~ modified.
    lines = [f"+ {a}" for a in result.added]
    lines += [f"- {a}" for a in result.removed]
    lines += [f"~ {a} {v1} -> {v2}" for a, v1, v2 in result.modified]
    lines += [f"x {a} dropped" for a in result.dropped]
    lines += [f"! {a} {s1} -> {s2}" for a, s1, s2 in result.status_changed]
    lines += [f"+ {s} -> {t}" for s, t in result.edges_added]
    lines += [f"- {s} -> {t}" for s, t in result.edges_removed]
    if output.is_terminal():
        from rich.text import Text

        console = output.console()
        styles = {"+": "green", "-": "red", "~": "yellow", "x": "red", "!": "magenta"}
        for line in lines:
            console.print(Text(line, style=styles[line[0]]))
        if result.empty:
            output.info("no changes.")
    else:
        sys.stdout.write("".join(line + "\n" for line in lines))
        sys.stdout.flush()
