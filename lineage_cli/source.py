"""Open the graph a query runs on: a lineage file, the store's graph, or the store at a past moment."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

from lineage_cli.errors import InputError, LineageFileError, UsageError
from lineage_cli.graph import GraphView, LineageGraph
from lineage_cli.lineagefile import load_graph
from lineage_cli.store.freshness import ensure_built
from lineage_cli.store.layout import resolve_store

__all__ = ["GRAPH_ENV", "graph_file_path", "open_graph", "open_lineage_graph"]

GRAPH_ENV = "LINEAGE_GRAPH"


def open_lineage_graph(
    graph_file: str | None = None,
    store: str | os.PathLike[str] | None = None,
    as_of: datetime | None = None,
    on_pending: Callable[[int], None] | None = None,
) -> LineageGraph:
    """Load the whole graph into memory.

    Reads ``graph_file`` (``-`` is stdin), else ``$LINEAGE_GRAPH``, else the store's
    ``lineage.json``; ``as_of`` rebuilds the store's graph as it was at that moment. The
    store's graph is built first when its log has newer events and that is cheap; otherwise
    ``on_pending(count)`` hears how many events the answer misses
    (:func:`lineage_cli.store.freshness.ensure_built`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.lineagefile import save_graph
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "g.json"
    >>> save_graph(LineageGraph.from_pairs([("raw", "clean")]), path)
    >>> open_lineage_graph(str(path)).children("raw")
    ('clean',)
    """
    if as_of is not None:
        from lineage_cli.timetravel import graph_at

        if graph_file or os.environ.get(GRAPH_ENV):
            raise UsageError(
                "--as-of replays the store's event log, so it cannot be used with --graph or $LINEAGE_GRAPH.",
                hint="Drop --graph (or unset LINEAGE_GRAPH) and pass --store DIR if needed.",
            )

        return graph_at(resolve_store(store), as_of)
    if not (graph_file or os.environ.get(GRAPH_ENV)):
        ensure_built(resolve_store(store), on_pending)
    return load_graph(graph_file_path(graph_file, store))


def open_graph(
    graph_file: str | None = None,
    store: str | os.PathLike[str] | None = None,
    as_of: datetime | None = None,
    on_pending: Callable[[int], None] | None = None,
) -> GraphView:
    """Open the graph a query reads, as cheaply as the request allows.

    Same resolution as :func:`open_lineage_graph`. For the store's own graph it returns the
    store's index (:mod:`lineage_cli.store.index`) when the index matches ``lineage.json``, so a
    query reads only what it visits. When the index is missing or older than ``lineage.json``,
    the query is answered from the file and the index is rebuilt for the next query; a store
    that cannot be written (read-only, full disk) is answered from the file every time.

    Examples
    --------
    >>> import tempfile
    >>> from lineage_cli.lineagefile import save_graph
    >>> store = tempfile.mkdtemp()
    >>> save_graph(LineageGraph.from_pairs([("raw", "clean")]), resolve_store(store).graph)
    >>> type(open_graph(store=store)).__name__  # first query: builds the index
    'LineageGraph'
    >>> type(open_graph(store=store)).__name__
    'SqlIndex'
    """
    if as_of is not None or graph_file or os.environ.get(GRAPH_ENV):
        return open_lineage_graph(graph_file, store, as_of)
    import sqlite3
    from contextlib import suppress

    from lineage_cli.store.index import build_index, graph_fingerprint, open_index

    paths = resolve_store(store)
    ensure_built(paths, on_pending)
    index = open_index(paths)
    if index is not None:
        return index
    try:
        fingerprint = graph_fingerprint(paths.graph)
    except OSError:
        fingerprint = None  # load_graph below reports the missing file
    graph = load_graph(paths.graph)
    if fingerprint is not None:
        try:
            with suppress(OSError, sqlite3.Error):  # a read-only store still answers, from the file
                build_index(paths, graph, fingerprint=fingerprint)
        except LineageFileError:
            raise
        except InputError as exc:  # a malformed edge: name the file, as loading does
            raise LineageFileError(str(paths.graph), exc.message, hint=exc.hint) from None
    return graph


def graph_file_path(graph_file: str | None = None, store: str | os.PathLike[str] | None = None) -> str:
    """The lineage file a command reads: ``graph_file``, else ``$LINEAGE_GRAPH``, else the store's.

    Examples
    --------
    >>> graph_file_path("g.json", "/tmp/s")
    'g.json'
    """
    chosen = graph_file or os.environ.get(GRAPH_ENV)
    return chosen if chosen else str(resolve_store(store).graph)
