"""Commands: provenance, ancestors, descendants, path, common-ancestors, impact and cross-workflow."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from lineage_cli import impact, queries
from lineage_cli.cli import output
from lineage_cli.cli.app import app
from lineage_cli.cli.completion import complete_ids
from lineage_cli.cli.exitcodes import ExitCode
from lineage_cli.cli.options import AsOfOpt, GraphOpt, JsonOpt, StoreOpt, parse_as_of
from lineage_cli.columns import ColumnGraph, ColumnLineage, column_lineage, looks_like_column
from lineage_cli.documents import impact_document, provenance_document, walk_document
from lineage_cli.errors import UsageError
from lineage_cli.graph import GraphView
from lineage_cli.model import format_timestamp
from lineage_cli.names import resolve_all
from lineage_cli.source import open_graph

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text


def _id_argument(metavar: str, help_text: str) -> Any:
    """An artifact id argument: a short name is accepted, and the shell completes ids."""
    return typer.Argument(
        metavar=metavar,
        help=f"{help_text} A unique short name works too.",
        show_default=False,
        autocompletion=complete_ids,
    )


IdArg = Annotated[str, _id_argument("ID", "Artifact id.")]
DepthOpt = Annotated[
    int | None,
    typer.Option(
        "--depth",
        "-d",
        min=0,
        metavar="N",
        help="Only artifacts at most N hops away (default: no limit).",
        show_default=False,
    ),
]


def _open(graph: str | None, store: str | None, as_of: str | None, *ids: str) -> GraphView:
    """The graph to query; the column graph when an id is a column (``ARTIFACT#COLUMN``)."""
    moment = parse_as_of(as_of, store)
    view = open_graph(graph, store, moment, on_pending=output.warn_unbuilt)
    if ids and looks_like_column(view, ids):
        from lineage_cli.columns import column_graph
        from lineage_cli.graph import LineageGraph
        from lineage_cli.source import open_lineage_graph

        whole = view if isinstance(view, LineageGraph) else open_lineage_graph(graph, store, moment)
        return column_graph(whole)
    return view


def _open_named(
    graph: str | None, store: str | None, as_of: str | None, *names: str
) -> tuple[GraphView, list[str]]:
    """The graph, and each artifact name resolved to its id: where short names are accepted."""
    view = _open(graph, store, as_of, *names)
    if isinstance(view, ColumnGraph):  # column ids are exact; the column graph names what is missing
        return view, [view.require(name) for name in names]
    return view, resolve_all(view, names)


def _text(value: str, style: str = "") -> Text:
    # Text objects, not markup strings: artifact ids may contain `[` and must print as-is.
    from rich.text import Text

    return Text(value, style=style)


# -- provenance ---------------------------------------------------------------------


def _print_table(title: str, table: Table) -> None:
    # A heading line of its own: a table title would wrap to the table's width.
    out = output.console()
    out.print(_text(title, "bold"))
    out.print(table)


def _plain_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _headline_facts(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Facts worth a line of their own: the error of a failed artifact, and its aliases."""
    facts = []
    error = (document["metadata"] or {}).get("error")
    if document["status"] == "failed" and isinstance(error, str):
        facts.append(("error", error))
    if document.get("aliases"):
        facts.append(("aliases", " ".join(document["aliases"])))
    return facts


def _provenance_lines(document: dict[str, Any]) -> list[str]:
    """``key: value`` lines; one ``parent:``/``child:`` line per edge, for grep and cut."""
    lines = [f"artifact: {document['artifact']}", f"recorded: {'yes' if document['recorded'] else 'no'}"]
    for key in ("version", "status", "transformation"):
        lines.append(f"{key}: {_plain_value(document[key])}")
    lines += [f"{key}: {value}" for key, value in _headline_facts(document)]
    for key, value in (
        document["provenance"]
        or dict.fromkeys(("agent", "workflow", "stage", "timestamp", "tool", "environment"))
    ).items():
        lines.append(f"{key}: {_plain_value(value)}")
    lines.append(f"metadata: {_plain_value(document['metadata'])}")
    for kind, key in (("parent", "parents"), ("child", "children")):
        for ref in document[key]:
            lines.append(f"{kind}: {ref['artifact']}\t{ref['type'] or ''}\t{ref['description']}".rstrip("\t"))
    return [line.rstrip() for line in lines]


def _render_provenance(document: dict[str, Any]) -> None:
    from rich.table import Table

    out = output.console()
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("artifact", _text(document["artifact"]))
    if not document["recorded"]:
        facts.add_row("record", _text("none: this id appears only as an edge endpoint", "yellow"))
    else:
        for key in ("version", "status", "transformation"):
            facts.add_row(key, _text(_plain_value(document[key])))
        for key, value in _headline_facts(document):
            facts.add_row(key, _text(value, "red" if key == "error" else ""))
        for key, value in document["provenance"].items():
            facts.add_row(key, _text(_plain_value(value)))
        if document["metadata"]:
            facts.add_row("metadata", _text(_plain_value(document["metadata"])))
    out.print(facts)
    for title, key in (("Parents (inputs)", "parents"), ("Children (outputs)", "children")):
        out.print()
        if not document[key]:
            out.print(_text(f"{title}: none", "bold"))
            continue
        table = output.table("artifact", "type", "description")
        for ref in document[key]:
            table.add_row(_text(ref["artifact"]), _text(ref["type"] or "?"), _text(ref["description"]))
        _print_table(f"{title}: {len(document[key])}", table)


def _print_columns(artifact_id: str, columns: list[ColumnLineage], *, as_json: bool) -> None:
    """``provenance --columns``: one document, or a line per column source: column, source, type."""
    if as_json:
        output.print_json({"artifact": artifact_id, "columns": [c.to_json() for c in columns]})
        return
    if output.is_terminal():
        table = output.table("column", "from", "type")
        for c in columns:
            for number, source in enumerate(c.sources or [{"source": "", "type": None}]):
                table.add_row(
                    _text(c.column if number == 0 else ""),
                    _text(source["source"]),
                    _text(source["type"] or ""),
                )
        _print_table(f"Columns of {artifact_id}: {len(columns)}", table)
        return
    lines = []
    for c in columns:
        lines += [f"{c.column}\t{s['source']}\t{s['type'] or ''}".rstrip("\t") for s in c.sources] or [
            c.column
        ]
    print("\n".join(lines))


@app.command("provenance")
def provenance_command(
    artifact: IdArg,
    graph: GraphOpt = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    columns: Annotated[
        bool,
        typer.Option("--columns", help="List the artifact's columns and the columns each came from."),
    ] = False,
) -> None:
    """Where an artifact came from: its record, its parents (with edge types) and its children.

    An id ARTIFACT#COLUMN asks about one column (column lineage from OpenLineage).
    """
    if columns:
        _print_columns(*column_lineage(_open(graph, store, as_of), artifact), as_json=as_json)
        return
    view, (artifact,) = _open_named(graph, store, as_of, artifact)
    document = provenance_document(queries.provenance(view, artifact))
    if as_json:
        output.print_json(document)
    elif output.is_terminal():
        _render_provenance(document)
    else:
        print("\n".join(_provenance_lines(document)))


# -- ancestors and descendants -----------------------------------------------------


TREE_LEVELS = 25
"""Deepest level drawn on a terminal: below it a tree is wider than any screen."""


SHOWN_ABOVE = " (shown above)"
"""Mark of an artifact reached again: drawn once in full, at its first place in the tree."""


def _not_drawn_below(
    start: list[str], step: Callable[[str], Sequence[str]], members: set[str], drawn: set[str]
) -> int:
    """How many artifacts of ``members`` below ``start`` are not drawn yet (a walk, not recursion)."""
    seen = {aid for aid in start if aid not in drawn}
    queue = list(seen)
    while queue:
        for other in step(queue.pop()):
            if other in members and other not in seen and other not in drawn:
                seen.add(other)
                queue.append(other)
    drawn.update(seen)  # counted once, under the first cut that reaches them
    return len(seen)


def _render_tree(view: GraphView, root: str, members: set[str], direction: queries.Direction) -> None:
    from rich.tree import Tree

    # Depth first, in print order, with an explicit stack (no recursion): each artifact is
    # expanded at its first place, and every later place says "shown above", so no artifact
    # looks as if it had fewer inputs than it has.
    step = view.parents if direction == "upstream" else view.children
    top = Tree(_text(root, "bold"))
    expanded: set[str] = set()
    stack: list[tuple[str, Tree, int]] = [(root, top, 0)]
    while stack:
        aid, branch, level = stack.pop()
        if aid in expanded:
            branch.label = _text(aid).append(SHOWN_ABOVE, "dim")
            continue
        expanded.add(aid)
        following = [other for other in step(aid) if other in members]
        if following and level >= TREE_LEVELS:
            hidden = _not_drawn_below(following, step, members, expanded)
            branch.add(_text(f"… {hidden} more below (pipe the output or use --json to list them)", "dim"))
            continue
        stack.extend(reversed([(other, branch.add(_text(other)), level + 1) for other in following]))
    with output.paged(f"lineage {'ancestors' if direction == 'upstream' else 'descendants'} ...") as out:
        out.print(top)


def _walk_command(
    artifact: str,
    direction: queries.Direction,
    key: str,
    depth: int | None,
    graph: str | None,
    store: str | None,
    as_of: str | None,
    as_json: bool,
) -> None:
    view, (artifact,) = _open_named(graph, store, as_of, artifact)
    if not as_json and output.is_terminal():
        tree = queries.walk_tree(view, artifact, direction, depth)
        found = walk_document(artifact, key, depth, tree)[key]
        _render_tree(view, artifact, set(tree), direction)
        output.info(f"{len(found)} {key}" + (f" within {depth} hops" if depth is not None else "") + ".")
        return
    # Only the ids: one recursive query on a store's index (the tree would be a lookup per artifact).
    found = (queries.ancestors if direction == "upstream" else queries.descendants)(view, artifact, depth)
    if as_json:
        output.print_json(walk_document(artifact, key, depth, dict.fromkeys(found, artifact)))
    else:
        output.print_ids(found)


def _register_walk(name: str, direction: queries.Direction, help_text: str) -> None:
    def command(
        artifact: IdArg,
        depth: DepthOpt = None,
        graph: GraphOpt = None,
        store: StoreOpt = None,
        as_of: AsOfOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        _walk_command(artifact, direction, name, depth, graph, store, as_of, as_json)

    command.__doc__ = help_text
    app.command(name)(command)


_register_walk(
    "ancestors", "upstream", "Every artifact upstream of ID (a tree on a terminal; sorted ids when piped)."
)
_register_walk(
    "descendants",
    "downstream",
    "Every artifact downstream of ID (a tree on a terminal; sorted ids when piped).",
)


# -- path and common ancestors -------------------------------------------------------


@app.command("path")
def path_command(
    from_id: Annotated[str, _id_argument("FROM", "Start artifact id.")],
    to_id: Annotated[str, _id_argument("TO", "End artifact id.")],
    directed: Annotated[
        bool,
        typer.Option("--directed", help="Follow edges only upstream -> downstream (FROM must feed TO)."),
    ] = False,
    graph: GraphOpt = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A shortest path between two artifacts, following edges either way unless --directed.

    Exits 1 when there is no path.
    """
    view, (from_id, to_id) = _open_named(graph, store, as_of, from_id, to_id)
    path = queries.shortest_path(view, from_id, to_id, directed=directed)
    if as_json:
        output.print_json(
            {
                "from": from_id,
                "to": to_id,
                "directed": directed,
                "path": path,
                "length": None if path is None else len(path) - 1,
            }
        )
    elif path is not None and output.is_terminal():
        line = _text(path[0], "bold")
        for upstream, downstream in itertools.pairwise(path):
            # Show each edge's real direction: an undirected path may go against the flow.
            line.append(" -> " if downstream in view.children(upstream) else " <- ", "dim")
            line.append(downstream, "bold")
        output.console().print(line)
        output.info(f"{len(path) - 1} hops.")
    elif path is not None:
        output.print_ids(path)
    if path is None:
        how = "following edges downstream only" if directed else "following edges either way"
        output.info(f"No path from {from_id!r} to {to_id!r} ({how}).")
        raise typer.Exit(ExitCode.NEGATIVE)


@app.command("common-ancestors")
def common_ancestors_command(
    a: Annotated[str, _id_argument("A", "First artifact id.")],
    b: Annotated[str, _id_argument("B", "Second artifact id.")],
    graph: GraphOpt = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Artifacts upstream of both A and B; the lowest ones (nearest to A and B) are marked."""
    view, (a, b) = _open_named(graph, store, as_of, a, b)
    result = queries.common_ancestry(view, a, b)
    if as_json:
        output.print_json({"a": a, "b": b, "common_ancestors": result.common, "lowest": result.lowest})
    elif output.is_terminal():
        lowest = set(result.lowest)
        table = output.table("artifact", "lowest")
        for aid in result.common:
            table.add_row(_text(aid), "yes" if aid in lowest else "")
        _print_table(f"Common ancestors of {a} and {b}: {len(result.common)}", table)
    else:
        output.print_ids(result.common)


# -- impact and cross-workflow ---------------------------------------------------------


def _render_impact(view: GraphView, report: impact.ImpactReport) -> None:
    out = output.console()
    critical = set(report.affected_critical)
    table = output.table(
        "artifact",
        "workflow",
        "agent",
        "status",
        "critical",
    )
    for aid in report.affected_artifacts:
        node = view.node(aid)
        cells = (
            ("", "", "(no record)")
            if node is None
            else (
                node.provenance.workflow,
                node.provenance.agent,
                node.status.value,
            )
        )
        table.add_row(_text(aid), *map(_text, cells), _text("yes", "bold red") if aid in critical else "")
    _print_table(f"{report.stale_count} artifacts affected by a change to {report.changed_artifact}", table)
    out.print(_text(f"workflows: {', '.join(report.affected_workflows) or '-'}"))
    out.print(_text(f"agents: {', '.join(report.affected_agents) or '-'}"))
    out.print(_text(f"already stale: {report.already_stale}"))
    for path in report.critical_paths:
        out.print(_text("critical: " + " -> ".join(path), "red"))


@app.command("impact")
def impact_command(
    artifact: IdArg,
    critical: Annotated[
        str | None,
        typer.Option(
            "--critical",
            "-c",
            metavar="FILE",
            help="File of critical artifact ids, one per line ('#' comments and blank lines ignored).",
            show_default=False,
        ),
    ] = None,
    fail_on_critical: Annotated[
        bool,
        typer.Option("--fail-on-critical", help="Exit 1 when any critical artifact is affected."),
    ] = False,
    graph: GraphOpt = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What a change to ID affects downstream: artifacts, workflows, agents and critical paths."""
    if fail_on_critical and critical is None:
        raise UsageError("--fail-on-critical needs --critical FILE naming the critical artifacts.")
    critical_ids = impact.read_critical_ids(critical) if critical is not None else None
    view, (artifact,) = _open_named(graph, store, as_of, artifact)
    report = impact.analyze_impact(view, artifact, critical_ids)
    if report.unknown_critical:
        count = len(report.unknown_critical)
        output.warn(
            f"{critical}: {count} critical {'id is' if count == 1 else 'ids are'} not in the graph ("
            + ", ".join(report.unknown_critical)
            + "); check the file for typos."
        )
    if as_json:
        output.print_json(impact_document(report))
    elif output.is_terminal():
        _render_impact(view, report)
    else:
        output.print_ids(report.affected_artifacts)
        for path in report.critical_paths:
            output.info("critical: " + " -> ".join(path))
    if fail_on_critical and report.critical_paths:
        raise typer.Exit(ExitCode.NEGATIVE)


@app.command("cross-workflow")
def cross_workflow_command(
    graph: GraphOpt = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Artifacts produced by one workflow and consumed by another (sorted ids when piped)."""
    links = impact.cross_workflow_links(_open(graph, store, as_of))
    if as_json:
        output.print_json(
            {
                "links": [
                    {
                        "artifact": link.artifact_id,
                        "producer_workflow": link.producer_workflow,
                        "consumer_workflows": link.consumer_workflows,
                        "consumers": link.consumers,
                        "shared_since": format_timestamp(link.shared_since),
                    }
                    for link in links
                ]
            }
        )
    elif output.is_terminal():
        table = output.table(
            "artifact",
            "producer",
            "consumer workflows",
            "consumers",
            "shared since",
        )
        for link in links:
            table.add_row(
                _text(link.artifact_id),
                _text(link.producer_workflow),
                _text(", ".join(link.consumer_workflows)),
                str(len(link.consumers)),
                format_timestamp(link.shared_since),
            )
        _print_table(f"Cross-workflow artifacts: {len(links)}", table)
    else:
        output.print_ids(link.artifact_id for link in links)
