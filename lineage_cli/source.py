"""Open the graph a query runs on: a lineage file, the store's graph, or the store at a past moment."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from lineage_cli.errors import InputError, LineageFileError, UsageError
from lineage_cli.graph import GraphView, LineageGraph
from lineage_cli.lineagefile import load_graph
from lineage_cli.store.base import Store, is_postgres_location, open_store, store_location
from lineage_cli.store.layout import StorePaths, resolve_store

__all__ = [
    "GRAPH_ENV",
    "directory_view",
    "graph_file_path",
    "open_graph",
    "open_lineage_graph",
    "store_document",
]

GRAPH_ENV = "LINEAGE_GRAPH"


def open_lineage_graph(
    graph_file: str | None = None,
    store: str | os.PathLike[str] | Store | None = None,
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
        if graph_file or os.environ.get(GRAPH_ENV):
            raise UsageError(
                "--as-of replays the store's event log, so it cannot be used with --graph or $LINEAGE_GRAPH.",
                hint="Drop --graph (or unset LINEAGE_GRAPH) and pass --store DIR if needed.",
            )
    elif graph_file or os.environ.get(GRAPH_ENV):
        return load_graph(graph_file_path(graph_file))  # the file given wins over any store
    with open_store(store) as chosen:
        return chosen.open_graph(as_of, on_pending=on_pending)


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
    if graph_file or os.environ.get(GRAPH_ENV):
        return open_lineage_graph(graph_file, store, as_of)
    return open_store(store).open_view(as_of, on_pending=on_pending)


def directory_view(paths: StorePaths) -> GraphView:
    """A directory store's graph: its index when current, else ``lineage.json`` (see :func:`open_graph`).

    Examples
    --------
    >>> import tempfile
    >>> type(directory_view(resolve_store(tempfile.mkdtemp()))).__name__
    Traceback (most recent call last):
    ...
    lineage_cli.errors.LineageFileError: .../lineage.json: no such file...
    """
    import sqlite3
    from contextlib import suppress

    from lineage_cli.store.index import build_index, graph_fingerprint, open_index

    index = open_index(paths)
    if index is not None:
        return index
    from lineage_cli.store.local import LocalStore

    document = LocalStore(paths).document()  # written first if the last build left it to be
    try:
        fingerprint = graph_fingerprint(document)
    except OSError:
        fingerprint = None  # load_graph below reports the missing file
    graph = load_graph(document)
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
    if chosen:
        return store_document(chosen)
    if is_postgres_location(store_location(store)):
        raise UsageError(
            "A PostgreSQL store keeps no lineage file to read.",
            hint="Write one with `lineage build --output FILE` (or `lineage export --format json`).",
        )
    from lineage_cli.store.local import LocalStore

    return str(LocalStore(resolve_store(store)).document())


def store_document(path: str) -> str:
    """``path``, written first when it names a store's ``lineage.json`` that its last build left to be.

    Examples
    --------
    >>> store_document("no/such/lineage.json")
    'no/such/lineage.json'
    """
    chosen = Path(path)
    if chosen.name == "lineage.json" and not chosen.exists() and (chosen.parent / "built.json").is_file():
        from lineage_cli.store.local import LocalStore

        LocalStore(StorePaths(chosen.parent)).document()
    return path
