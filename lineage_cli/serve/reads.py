"""The server's read endpoints: the same core queries and JSON documents as the CLI's ``--json``.

Each artifact query is one entry of :data:`ARTIFACT_READS` and each store-wide answer one
entry of :data:`STORE_READS`, so a new query is one line here. :meth:`StoreReader.page` is
the HTML view, the page ``lineage export --format html`` writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from lineage_cli import impact, queries
from lineage_cli.documents import impact_document, ls_document, provenance_document, walk_document
from lineage_cli.errors import InputError, UsageError
from lineage_cli.export.base import GroupBy
from lineage_cli.graph import GraphView
from lineage_cli.model import parse_timestamp
from lineage_cli.status import DEFAULT_FAIL_ON, parse_fail_on, store_status
from lineage_cli.store.base import Store
from lineage_cli.store.events import LogProblem
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.local import as_store

__all__ = ["ARTIFACT_READS", "STORE_READS", "Params", "StoreReader"]

Params = Mapping[str, Sequence[str]]
"""A request's query parameters: each name with all its values, in order."""

ArtifactRead = Callable[[GraphView, str, Params], dict[str, Any]]
StoreRead = Callable[["StoreReader", Params], dict[str, Any]]


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


def _as_of(params: Params) -> datetime | None:
    text = _one(params, "as_of")
    return None if text is None else parse_timestamp(text, what="as_of")


def _walk(direction: queries.Direction, key: str) -> ArtifactRead:
    def read(view: GraphView, artifact: str, params: Params) -> dict[str, Any]:
        depth = _depth(params)
        return walk_document(artifact, key, depth, queries.walk_tree(view, artifact, direction, depth))

    return read


def _impact(view: GraphView, artifact: str, params: Params) -> dict[str, Any]:
    critical = params.get("critical")
    return impact_document(impact.analyze_impact(view, artifact, list(critical) if critical else None))


ARTIFACT_READS: Final[dict[str, ArtifactRead]] = {
    "provenance": lambda view, artifact, _params: provenance_document(queries.provenance(view, artifact)),
    "ancestors": _walk("upstream", "ancestors"),
    "descendants": _walk("downstream", "descendants"),
    "impact": _impact,
}
"""``GET /api/v1/NAME?artifact=ID``: the document of ``lineage NAME ID --json``."""


def _status(reader: StoreReader, params: Params) -> dict[str, Any]:
    # Only what the document says depends on fail_on: an HTTP read answers 200 either way.
    fail_on = _one(params, "fail_on")
    wanted = DEFAULT_FAIL_ON if fail_on is None else parse_fail_on(fail_on)
    reader.require_events("so there is no status to report")
    status = store_status(reader.here(), skip_bad=True, on_problem=reader.report)
    return status.to_json(wanted)


def _ls(reader: StoreReader, params: Params) -> dict[str, Any]:
    view = reader.view(_as_of(params), "so there is nothing to list")
    return ls_document(view, params.get("select") or (), params.get("exclude") or ())


STORE_READS: Final[dict[str, StoreRead]] = {
    "status": _status,
    "ls": _ls,
}
"""``GET /api/v1/NAME``: the document of ``lineage NAME --json`` for the whole store.

``status?fail_on=LIST`` is ``lineage status --skip-bad --fail-on LIST --json`` (answered
200 whatever it finds); ``ls?select=SEL&exclude=SEL&as_of=T`` is ``lineage ls SEL...
--exclude SEL... --as-of T --json``, each parameter repeatable as the CLI's.
"""


class StoreReader:
    """Answers reads from the store's graph, building it first when events were recorded since.

    Events the server accepted are in the store, not yet in its graph: a read after a write
    runs ``lineage build`` (one at a time; readers that arrive during a build share it). With
    ``as_of`` the store answers as of that moment instead. Each thread reads through a handle
    of its own (:meth:`~lineage_cli.store.base.Store.for_thread`: a PostgreSQL connection each).

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

    def __init__(
        self, store: StorePaths | Store, *, on_problem: Callable[[LogProblem], None] | None = None
    ) -> None:
        self.store = as_store(store)
        self._on_problem = on_problem
        self._lock = threading.Lock()
        self._built: object = None  # the store's events stamp when the graph was last built
        self._reported: set[tuple[int, str]] = set()
        self._local = threading.local()

    def here(self) -> Store:
        """The store handle of the calling thread (made on its first read)."""
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = self.store.for_thread()
        return store

    def refresh(self) -> None:
        """Build the graph if events were recorded since the last build (a no-op when none were)."""
        store = self.here()
        stamp = store.events_stamp()
        if stamp is None or stamp == self._built:
            return
        with self._lock:
            stamp = store.events_stamp()  # taken before the build: a later change triggers the next one
            if stamp is None or stamp == self._built:
                return  # another reader built it while this one waited
            store.build(skip_bad=True, on_problem=self.report)
            self._built = stamp

    def report(self, problem: LogProblem) -> None:
        """Pass a problem with the log to ``on_problem``, once each (not on every build)."""
        key = (problem.line, problem.problem)
        if self._on_problem is not None and key not in self._reported:  # once, not on every build
            self._reported.add(key)
            self._on_problem(problem)

    def _nothing_yet(self, so: str) -> InputError:
        return InputError(
            f"the store {self.store.location} has no events yet, {so}.",
            hint="Send OpenLineage events to POST /api/v1/lineage first.",
        )

    def require_events(self, so: str) -> None:
        """Raise :class:`InputError` (a 404) when no event has been recorded yet; ``so`` says what follows."""
        if self.here().events_stamp() is None:
            raise self._nothing_yet(so)

    def _current(self, as_of: datetime | None, so: str) -> None:
        """Build the graph if events were recorded (not needed ``as_of`` a moment: the store travels)."""
        if as_of is None:
            self.refresh()
            if self._built is None:
                raise self._nothing_yet(so)

    def view(self, as_of: datetime | None, so: str) -> GraphView:
        """The graph now (built first if events were recorded) or at ``as_of``."""
        self._current(as_of, so)
        return self.here().open_view(as_of)

    def read(self, name: str, params: Params) -> dict[str, Any]:
        """The document of query ``name`` (a key of either table) for these parameters."""
        if name in STORE_READS:
            self.refresh()
            return STORE_READS[name](self, params)
        if name not in ARTIFACT_READS:
            known = ", ".join(sorted([*ARTIFACT_READS, *STORE_READS]))
            raise UsageError(f"there is no read named {name!r}; the reads are {known}.")
        artifact = _one(params, "artifact")
        if artifact is None:
            raise UsageError(f"pass the artifact id as ?artifact=ID (GET /api/v1/{name}?artifact=ID).")
        view = self.view(_as_of(params), f"so there is no artifact {artifact!r}")
        return ARTIFACT_READS[name](view, artifact, params)

    def page(self, params: Params) -> bytes:
        """The HTML view of ``lineage export --format html`` for these parameters.

        ``root``, ``direction`` (upstream, downstream or both), ``depth``, ``group_by`` and
        ``as_of`` are the command's ``--root``, ``--upstream``/``--downstream``/``--both``,
        ``--depth``, ``--group-by`` and ``--as-of``.
        """
        from lineage_cli.export.html import export_page
        from lineage_cli.export.run import ExportRequest

        as_of = _as_of(params)
        self._current(as_of, "so there is nothing to show")
        root = _one(params, "root")
        direction = _one(params, "direction") or "both"
        if direction not in _DIRECTIONS:
            raise UsageError(f"`direction` is upstream, downstream or both, not {direction!r}.")
        if root is None and (_one(params, "direction") or _one(params, "depth")):
            raise UsageError("`direction` and `depth` need `root`: name the artifact to start from.")
        group_by = _one(params, "group_by") or "workflow"
        if group_by not in _GROUPS:
            raise UsageError(f"`group_by` is one of {', '.join(_GROUPS)}, not {group_by!r}.")
        request = ExportRequest(
            format="html",
            group_by=_GROUPS[group_by],
            root=root,
            direction=_DIRECTIONS[direction],
            depth=_depth(params),
            max_nodes=0,
        )
        data: bytes = export_page(None, self.here(), as_of, request).data
        return data


_DIRECTIONS: Final[dict[str, queries.Direction]] = {
    "upstream": "upstream",
    "downstream": "downstream",
    "both": "both",
}
_GROUPS: Final[dict[str, GroupBy]] = {
    "workflow": "workflow",
    "stage": "stage",
    "agent": "agent",
    "none": "none",
}
