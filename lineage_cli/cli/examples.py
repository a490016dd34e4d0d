"""One example per command, appended to its ``--help`` (a test checks every command has one)."""

from __future__ import annotations

from typing import Any

import typer

__all__ = ["EXAMPLES", "add_examples"]

EXAMPLES: dict[str, str] = {
    "ls": "lineage ls '+core__patient,tag:claims*' --exclude 'kind:seed'",
    "export": "lineage export -o lineage.png --select '2+core__patient+1' --collapse workflow",
    "provenance": "lineage provenance core__patient",
    "ancestors": "lineage ancestors core__patient --depth 2",
    "descendants": "lineage descendants raw.erp.orders | xargs -n 1 echo rebuild",
    "path": "lineage path dim_date ltv__c --directed",
    "common-ancestors": "lineage common-ancestors fct_orders fct_invoices",
    "impact": "lineage impact stg_erp__currencies --critical critical.txt --fail-on-critical",
    "cross-workflow": "lineage cross-workflow --json",
    "record": "lineage record report.html --input model.pkl --workflow nightly --stage report --agent ci",
    "build": "lineage build --store .lineage",
    "stale": "lineage stale || echo 'rebuild these'",
    "snapshots": "lineage snapshots --json",
    "at": "lineage at 2026-03-01T02:30:00Z --output - | lineage validate -",
    "diff": "lineage diff 2026-03-01T02:30:00Z 2026-03-01T03:05:00Z",
    "validate": "lineage validate --strict lineage.json",
    "import": "lineage import graph other-team.json && lineage build",
    "import openlineage": "lineage import openlineage events.ndjson --skip-bad",
    "import graph": "lineage import graph sample_graphs/warehouse-etl.json",
    "sync": 'lineage sync --store "$LINEAGE_STORE"',
    "import dbt": "lineage import dbt target/ && lineage stale",
    "serve": "lineage serve --port 5000  # then OPENLINEAGE_URL=http://127.0.0.1:5000 in the job",
    "view": "lineage view --root core__patient --upstream --depth 2",
    "init": "lineage init && lineage status",
    "status": "lineage status --fail-on failed,in_progress",
    "run": "lineage run --input orders.csv --output totals.csv -- python totals.py",
}
"""Command path (``"import graph"`` for a subcommand) -> one command line a user would type."""


def _with_example(help_text: str | None, example: str | None) -> str | None:
    if example is None:
        return help_text
    # \b keeps the example's line as written: click otherwise rewraps paragraphs.
    return f"{(help_text or '').rstrip()}\n\n\b\nExample: {example}"


def add_examples(app: typer.Typer, prefix: str = "") -> None:
    """Append each command's example from :data:`EXAMPLES` to its help, in ``app`` and its groups."""
    for command in app.registered_commands:
        callback: Any = command.callback
        name = command.name or (callback.__name__ if callback else "")
        doc = command.help or (callback.__doc__ if callback else None)
        command.help = _with_example(doc, EXAMPLES.get(prefix + name))
    for group in app.registered_groups:
        sub = group.typer_instance
        if sub is None:
            continue
        name = group.name or sub.info.name or ""
        info = sub.info
        info.help = _with_example(group.help or info.help, EXAMPLES.get(prefix + name))
        add_examples(sub, f"{prefix}{name} ")
