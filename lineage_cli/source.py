"""Open the graph a query runs on: a lineage file, the store's graph, or the store at a past moment."""

from __future__ import annotations

import os
from datetime import datetime

from lineage_cli.errors import UsageError
from lineage_cli.graph import GraphView, LineageGraph
from lineage_cli.lineagefile import load_graph
from lineage_cli.store.layout import resolve_store

__all__ = ["GRAPH_ENV", "graph_file_path", "open_graph", "open_lineage_graph"]

GRAPH_ENV = "LINEAGE_GRAPH"


def open_lineage_graph(
    graph_file: str | None = None,
    store: str | os.PathLike[str] | None = None,
    as_of: datetime | None = None,
) -> LineageGraph:
    """Load the whole graph into memory.

    Reads ``graph_file`` (``-`` is stdin), else ``$LINEAGE_GRAPH``, else the store's
    ``lineage.json``; ``as_of`` rebuilds the store's graph as it was at that moment.
    """
    if as_of is not None:
        from lineage_cli.timetravel import graph_at

        if graph_file or os.environ.get(GRAPH_ENV):
            raise UsageError(
                "--as-of replays the store's event log, so it cannot be used with --graph or $LINEAGE_GRAPH.",
                hint="Drop --graph (or unset LINEAGE_GRAPH) and pass --store DIR if needed.",
            )

        return graph_at(resolve_store(store), as_of)
    return load_graph(graph_file_path(graph_file, store))


def open_graph(
    graph_file: str | None = None,
    store: str | os.PathLike[str] | None = None,
    as_of: datetime | None = None,
) -> GraphView:
    """Open the graph a query reads, as cheaply as the request allows.

    Same resolution as :func:`open_lineage_graph`; a query that only walks neighbours
    may get an index-backed view instead of the whole file.
    """
    return open_lineage_graph(graph_file, store, as_of)


def graph_file_path(graph_file: str | None = None, store: str | os.PathLike[str] | None = None) -> str:
    """The lineage file a command reads: ``graph_file``, else ``$LINEAGE_GRAPH``, else the store's.

    Examples
    --------
    >>> graph_file_path("g.json", "/tmp/s")
    'g.json'
    """
    chosen = graph_file or os.environ.get(GRAPH_ENV)
    return chosen if chosen else str(resolve_store(store).graph)
