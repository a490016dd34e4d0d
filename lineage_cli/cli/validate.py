"""Commands: validate."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from lineage_cli.cli.app import app
from lineage_cli.cli.exitcodes import ExitCode
from lineage_cli.cli.options import GraphOpt, JsonOpt, StoreOpt
from lineage_cli.cli.output import console, info, is_terminal, print_json
from lineage_cli.source import graph_file_path, store_document

if TYPE_CHECKING:
    from lineage_cli.validate import Finding, ValidationReport


def _line(report: ValidationReport, finding: Finding) -> str:
    return f"{report.source}: {finding.location}: {finding.severity} [{finding.code}] {finding.message}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _summary(report: ValidationReport, strict: bool) -> str:
    size = f" ({report.artifacts} artifacts, {report.edges} edges)"
    if any(f.code == "malformed-json" for f in report.findings):
        size = ""  # nothing was read, so there is nothing to count
    if not report.findings:
        return f"{report.source}: valid{size}."
    counts = f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}"
    verdict = "valid" if report.ok(strict) else "invalid"
    note = " (warnings count as errors with --strict)" if strict and report.warnings else ""
    return f"{report.source}: {verdict}, {counts}{note}{size}."


def _render(reports: list[ValidationReport], strict: bool) -> None:
    if is_terminal():
        from rich.markup import escape

        out = console()
        for report in reports:
            for f in report.findings:
                colour = "red" if f.severity == "error" else "yellow"
                out.print(
                    f"{escape(report.source)}: [cyan]{escape(f.location)}[/]: "
                    f"[bold {colour}]{f.severity}[/] [dim]\\[{f.code}][/] {escape(f.message)}",
                    soft_wrap=True,
                )
    else:
        sys.stdout.writelines(_line(r, f) + "\n" for r in reports for f in r.findings)
        sys.stdout.flush()
    for report in reports:
        info(_summary(report, strict))


@app.command()
def validate(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FILE",
            help="Lineage files to check ('-' for stdin). Default: --graph, $LINEAGE_GRAPH, "
            "else STORE/lineage.json.",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Count warnings as errors.")] = False,
    json: JsonOpt = False,
    graph: GraphOpt = None,
    store: StoreOpt = None,
) -> None:
    """Check lineage files: structure, dangling references, duplicate edges, cycles, timestamps.

    Prints one finding per line; exits 1 when any file has errors (a malformed file included),
    or warnings under --strict.
    """
    # The validator is imported here, not at the top: every other command's start-up would pay for it.
    from lineage_cli.validate import reports_to_dict, validate_paths

    reports = validate_paths([store_document(f) for f in files] if files else [graph_file_path(graph, store)])
    passed = all(r.ok(strict) for r in reports)
    if json:
        print_json(reports_to_dict(reports, strict))
    else:
        _render(reports, strict)
    if not passed:
        raise typer.Exit(ExitCode.NEGATIVE)
