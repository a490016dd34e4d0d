"""The server's read endpoints: the same core queries and JSON documents as the CLI's ``--json``.

Each artifact query is one entry of :data:`ARTIFACT_READS` and each store-wide answer one
entry of :data:`STORE_READS`, so a new query is one line here (``status`` and ``ls`` are
listed where they go once their core functions exist).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from lineage_cli import queries
from lineage_cli.documents import impact_document, provenance_document, walk_document
from lineage_cli.errors import InputError, UsageError
from lineage_cli.graph import GraphView
from lineage_cli.model import parse_timestamp
from lineage_cli.source import open_graph
from lineage_cli.store.events import LogProblem
from lineage_cli.store.layout import StorePaths

__all__ = ["ARTIFACT_READS", "STORE_READS", "Params", "StoreReader"]

Params = Mapping[str, Sequence[str]]
"""A request's query parameters: each name with all its values, in order."""

ArtifactRead = Callable[[GraphView, str, Params], dict[str, Any]]
StoreRead = Callable[[StorePaths, Params], dict[str, Any]]


def _one(params: Params, name: str) -> str | None:
    values = params.get(name) or ()
    if len(values) > 1:
        raise UsageError(f"pass `{name}` once, not {len(values)} times.")
    return values[0] if values else None


def _depth(params: Params) -> int | None:
    text = _one(params, "depth")
    if text is None:
        return None
    if not text.isdigit() or not text.isascii():
        raise UsageError(f"`depth` must be a whole number of hops, 0 or more, not {text!r}.")
    return int(text)


def _walk(direction: queries.Direction, key: str) -> ArtifactRead:
    def read(view: GraphView, artifact: str, params: Params) -> dict[str, Any]:
        depth = _depth(params)
        return walk_document(artifact, key, depth, queries.walk_tree(view, artifact, direction, depth))

    return read


def _impact(view: GraphView, artifact: str, params: Params) -> dict[str, Any]:
    critical = params.get("critical")
    return impact_document(queries.analyze_impact(view, artifact, list(critical) if critical else None))


ARTIFACT_READS: Final[dict[str, ArtifactRead]] = {
    "provenance": lambda view, artifact, _params: provenance_document(queries.provenance(view, artifact)),
    "ancestors": _walk("upstream", "ancestors"),
    "descendants": _walk("downstream", "descendants"),
    "impact": _impact,
}
"""``GET /api/v1/NAME?artifact=ID``: the document of ``lineage NAME ID --json``."""

STORE_READS: Final[dict[str, StoreRead]] = {
    # "status": lambda store, _params: status_document(store_status(store)),  # once `lineage status` exists
    # "ls": lambda store, params: ls_document(select(store, _one(params, "select"))),  # once selection exists
}
"""``GET /api/v1/NAME``: the document of ``lineage NAME --json`` for the whole store."""


class StoreReader:
    """Answers reads from the store's graph, building it first when the event log has grown.

    Events the server accepted are in the log, not yet in ``lineage.json``: a read after a
    write runs ``lineage build`` (one at a time; readers that arrive during a build share
    it). With ``as_of`` the log is replayed to that moment instead.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from lineage_cli.recorder import record_to_store
    >>> store = StorePaths(Path(tempfile.mkdtemp()))
    >>> _ = record_to_store(store, "report", inputs=["table"])
    >>> StoreReader(store).read("ancestors", {"artifact": ["report"]})
    {'artifact': 'report', 'depth': None, 'ancestors': ['table']}
    """

    def __init__(self, store: StorePaths, *, on_problem: Callable[[LogProblem], None] | None = None) -> None:
        self.store = store
        self._on_problem = on_problem
        self._lock = threading.Lock()
        self._built: tuple[int, ...] | None = None  # the log's stamp when the graph was last built
        self._reported: set[tuple[int, str]] = set()

    def _stamp(self) -> tuple[int, ...] | None:
        """What changes whenever the log does: appended to, or replaced (``None``: no log)."""
        try:
            stat = os.stat(self.store.events)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def refresh(self) -> None:
        """Build the graph if the log changed since the last build (a no-op when nothing changed)."""
        from lineage_cli.store.build import build_store

        stamp = self._stamp()
        if stamp is None or stamp == self._built:
            return
        with self._lock:
            stamp = self._stamp()  # taken before the build: a later change triggers the next one
            if stamp is None or stamp == self._built:
                return  # another reader built it while this one waited
            build_store(self.store, skip_bad=True, on_problem=self._report)
            self._built = stamp

    def _report(self, problem: LogProblem) -> None:
        key = (problem.line, problem.problem)
        if self._on_problem is not None and key not in self._reported:  # once, not on every build
            self._reported.add(key)
            self._on_problem(problem)

    def read(self, name: str, params: Params) -> dict[str, Any]:
        """The document of query ``name`` (a key of either table) for these parameters."""
        if name in STORE_READS:
            self.refresh()
            return STORE_READS[name](self.store, params)
        if name not in ARTIFACT_READS:
            known = ", ".join(sorted([*ARTIFACT_READS, *STORE_READS]))
            raise UsageError(f"there is no read named {name!r}; the reads are {known}.")
        artifact = _one(params, "artifact")
        if artifact is None:
            raise UsageError(f"pass the artifact id as ?artifact=ID (GET /api/v1/{name}?artifact=ID).")
        as_of_text = _one(params, "as_of")
        as_of: datetime | None = None
        if as_of_text is not None:
            as_of = parse_timestamp(as_of_text, what="as_of")
        else:
            self.refresh()
        if as_of is None and not self.store.graph.exists():
            raise InputError(
                f"the store {self.store.root} has no events yet, so there is no artifact {artifact!r}.",
                hint="Send OpenLineage events to POST /api/v1/lineage first.",
            )
        view = open_graph(store=self.store.root, as_of=as_of)
        return ARTIFACT_READS[name](view, artifact, params)
