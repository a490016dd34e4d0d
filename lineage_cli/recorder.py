"""The data-flow recorder: lineage contexts, artifact records, in-memory fan-out and the store sink.

Code records lineage as it runs::

    with data_flow_context(source="nightly", workflow="nightly", stage="load", agent="etl"):
        record_artifact("clean.parquet", inputs=["raw.csv"], transformation="dedupe")

The active context lives in a :class:`contextvars.ContextVar` (one per thread and per asyncio
task, as in structlog's ``contextvars`` module), so concurrent jobs never see each other's
context. Every event goes to the current :class:`DataFlowRecorder`; the process-wide default
recorder also hands each event to the store sink: ``configure(store=...)``, else
``$LINEAGE_STORE``, else the store the CLI finds (project file, or the nearest ``.lineage/``
walking up, see :mod:`lineage_cli.store.discovery`). Only without any of them do events stay
in memory. The bookkeeping (path ids, content hashes, provenance) is in
:mod:`lineage_cli.bookkeeping`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final, cast

import orjson

from lineage_cli import bookkeeping
from lineage_cli.errors import UsageError
from lineage_cli.model import TransformationType
from lineage_cli.store.base import Store
from lineage_cli.store.discovery import STORE_ENV, discover_store, is_database_location
from lineage_cli.store.events import (
    KIND_FLOW_COMPLETED,
    KIND_FLOW_FAILED,
    KIND_FLOW_STARTED,
    append_events,
    artifact_event,
    new_event,
    new_id,
)
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.local.sink import StoreSink
from lineage_cli.store.spool import SpoolSink

__all__ = [
    "DataFlowContext",
    "DataFlowRecorder",
    "StoreSink",
    "Subscriber",
    "artifact_event",
    "configure",
    "current_context",
    "data_flow_context",
    "get_recorder",
    "record_artifact",
    "record_events",
    "record_file",
    "record_to_store",
    "use_recorder",
]

Subscriber = Callable[[dict[str, Any]], None]
"""A callable that receives each published event (a JSON-ready dict)."""

DEFAULT_RECORDER_KEEPS: Final = 10_000
"""How many recent events the process-wide default recorder keeps in memory.

A long job records millions of events; the store holds them all, memory holds the tail.
A recorder you create yourself keeps everything unless you pass ``max_events``.
"""

_TRANSFORMATION_TYPES: Final = frozenset(t.value for t in TransformationType)
LINEAGE_ID_ENV: Final = "LINEAGE_ID"
"""Set by ``lineage run`` for its command (and read by ``lineage record --lineage-id``)."""


@dataclass(frozen=True, slots=True)
class DataFlowContext:
    """The scope of one computation: its lineage id and who, where and what produced it.

    Examples
    --------
    >>> ctx = DataFlowContext("L1", None, source="calibration", workflow="nightly")
    >>> (ctx.lineage_id, ctx.workflow, ctx.parent_lineage_id)
    ('L1', 'nightly', None)
    """

    lineage_id: str
    parent_lineage_id: str | None
    source: str | None = None
    job_id: str | None = None
    workflow: str | None = None
    stage: str | None = None
    agent: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


_current: ContextVar[DataFlowContext | None] = ContextVar("lineage_data_flow_context", default=None)


def current_context() -> DataFlowContext | None:
    """The innermost active :func:`data_flow_context` in this thread or task, if any.

    Examples
    --------
    >>> current_context() is None
    True
    """
    return _current.get()


def _report(message: str) -> None:
    # The recorder runs inside somebody else's job: a broken subscriber or a full disk is
    # worth one line on stderr, never an exception that kills the job.
    try:
        sys.stderr.write(f"lineage: {message}\n")
        sys.stderr.flush()
    except Exception:
        pass


class DataFlowRecorder:
    """Keeps published events in memory and fans each one out to subscribers.

    A subscriber that raises is reported on stderr; the job and the other subscribers
    carry on. Safe to use from many threads.

    Parameters
    ----------
    max_events:
        Keep only the most recent ``max_events`` events (``None``: keep all).

    Examples
    --------
    >>> rec = DataFlowRecorder()
    >>> seen = []
    >>> unsubscribe = rec.subscribe(seen.append)
    >>> rec.publish({"kind": "flow_started"})
    >>> len(rec.get_events()), len(seen)
    (1, 1)
    >>> rec.clear(); rec.get_events()
    []
    """

    def __init__(self, *, max_events: int | None = None) -> None:
        self._events: deque[dict[str, Any]] = deque(maxlen=max_events)
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber(event)`` for every later event; return a function that unsubscribes."""
        with self._lock:
            self._subscribers = [*self._subscribers, subscriber]

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = [s for s in self._subscribers if s is not subscriber]

        return unsubscribe

    def publish(self, event: dict[str, Any]) -> None:
        """Keep ``event`` and hand it to every subscriber; subscriber errors are only reported."""
        self._events.append(event)  # deque.append is atomic under the GIL
        for subscriber in self._subscribers:  # a copy-on-write list: safe to iterate unlocked
            try:
                subscriber(event)
            except Exception as exc:
                name = getattr(subscriber, "__qualname__", None) or type(subscriber).__name__
                _report(f"lineage subscriber {name} failed on a {event.get('kind')} event: {exc!r}")

    def get_events(self) -> list[dict[str, Any]]:
        """A copy of the kept events, oldest first."""
        return list(self._events)

    def clear(self) -> None:
        """Forget the kept events (subscribers stay)."""
        self._events.clear()


class _Config:
    """Process-wide recorder state: the default recorder, the store sink and the bookkeeping switches."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.default = DataFlowRecorder(max_events=DEFAULT_RECORDER_KEEPS)
        self.active = self.default
        self.explicit_store: str | None = None
        self.sink: StoreSink | SpoolSink | None = None
        self.sink_source: str | None = None
        self.provenance = os.environ.get("LINEAGE_AUTO_PROVENANCE", "1").lower() not in ("0", "false", "no")
        self.warned_unwritable = False
        self.inputs = bookkeeping.InputChecker()
        # Discovery walks up from the working directory: done again only when that changes.
        self.found_for: tuple[str, str] | None = None
        self.found: tuple[str | None, str | None] = (None, None)

    def discovered(self) -> tuple[str | None, str | None]:
        """The store and the project root found from here (``None``: none), as absolute paths."""
        chosen = self.explicit_store or os.environ.get(STORE_ENV) or ""
        if chosen:  # a configured store does not move when the job changes directory
            key = ("", chosen)
            if key == self.found_for:
                return self.found
        try:
            here = os.getcwd()
        except OSError:  # the working directory was removed
            return self.found
        if not chosen:
            key = (here, "")
        if key != self.found_for:
            try:
                location = discover_store(self.explicit_store, start=here)
            except Exception as exc:  # a broken project file must not break the job
                _report(f"could not find the lineage store ({exc}); events are kept in memory only")
                location = None
            if location is None or not location.found:
                self.found = (None, None)
            elif is_database_location(location.location):
                self.found = (location.location, None)
            else:
                self.found = (os.path.join(here, location.location), location.root)
            self.found_for = key
        return self.found

    def sink_for_now(
        self, found: tuple[str | None, str | None] | None = None
    ) -> StoreSink | SpoolSink | None:
        """The sink for the configured or discovered store (``None``: memory only).

        ``found`` is :meth:`discovered`'s answer when the caller already has it.
        """
        wanted = (found or self.discovered())[0]
        if wanted != self.sink_source:
            with self.lock:
                if wanted != self.sink_source:
                    if self.sink is not None:
                        self.sink.close()
                    self.sink = _make_sink(wanted) if wanted else None
                    self.sink_source = wanted
        return self.sink


def _make_sink(store: str) -> StoreSink | SpoolSink:
    """A directory store's log, or a PostgreSQL store's spool and shipper (see :mod:`.store.spool`)."""
    if is_database_location(store):
        return SpoolSink(store)
    return StoreSink(store)


_config = _Config()


def configure(*, store: str | os.PathLike[str] | None = None, provenance: bool | None = None) -> None:
    r"""Send recorded events to ``store`` (a directory or a ``postgresql://`` URL); ``None``: find it.

    Without a configured store, ``$LINEAGE_STORE``, a project file or a ``.lineage/`` above
    the working directory, events stay in memory only. ``provenance=False`` stops filling
    in the tool, environment and git commit a record leaves unset (as does
    ``LINEAGE_AUTO_PROVENANCE=0``); ``None`` leaves that setting as it is. For a PostgreSQL
    store, events are spooled locally and shipped in the background (:mod:`lineage_cli.store.spool`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = tempfile.mkdtemp()
    >>> configure(store=store)
    >>> _ = record_artifact("report.csv", inputs=["table"])
    >>> configure(store=None)
    >>> (pathlib.Path(store) / "events.jsonl").read_bytes().count(b"\n")
    1
    """
    with _config.lock:
        if provenance is not None:
            _config.provenance = provenance
        # Absolute now: a job that changes directory later keeps writing to the same store.
        text = os.fspath(store) if store is not None else None
        if text is not None and not is_database_location(text):  # a URL is not a path
            text = os.path.abspath(text)
        _config.explicit_store = text
        _config.found_for = None
        _config.warned_unwritable = False
        # Reopen on the next event even for the same path: the directory may have been
        # removed and recreated since (a test's temporary store), and an open descriptor
        # would keep writing to the deleted file.
        if _config.sink is not None:
            _config.sink.close()
        _config.sink = None
        _config.sink_source = None


def get_recorder() -> DataFlowRecorder:
    """The recorder events go to now (the default one unless :func:`use_recorder` swapped it).

    Examples
    --------
    >>> isinstance(get_recorder(), DataFlowRecorder)
    True
    """
    return _config.active


@contextlib.contextmanager
def use_recorder(recorder: DataFlowRecorder) -> Iterator[DataFlowRecorder]:
    """Make ``recorder`` the process-wide recorder inside the block; restore the previous one after.

    Threads started in the block record into it too. Events published to a swapped-in
    recorder do not reach the store sink, so tests capture events without touching a store.

    Examples
    --------
    >>> rec = DataFlowRecorder()
    >>> with use_recorder(rec):
    ...     _ = record_artifact("x")
    >>> [e["artifact_id"] for e in rec.get_events()]
    ['x']
    >>> get_recorder() is rec
    False
    """
    with _config.lock:
        previous = _config.active
        _config.active = recorder
    try:
        yield recorder
    finally:
        with _config.lock:
            _config.active = previous


def _publish(event: dict[str, Any], found: tuple[str | None, str | None] | None = None) -> None:
    recorder = _config.active
    recorder.publish(event)
    if recorder is _config.default:
        sink = _config.sink_for_now(found)
        if sink is not None:
            try:
                sink(event)
            except Exception as exc:  # recording must never break the job it records
                if _config.warned_unwritable:
                    return  # once per process: a job recording thousands of events gets one line
                _config.warned_unwritable = True
                problem = exc.strerror if isinstance(exc, OSError) else repr(exc)
                _report(
                    f"could not append to {sink.paths.events} ({problem}); events are kept in memory "
                    "only (this is reported once)"
                )


def _lifecycle(kind: str, ctx: DataFlowContext, **extra: Any) -> dict[str, Any]:
    return new_event(
        kind,
        lineage_id=ctx.lineage_id,
        parent_lineage_id=ctx.parent_lineage_id,
        source=ctx.source,
        job_id=ctx.job_id,
        workflow=ctx.workflow,
        stage=ctx.stage,
        agent=ctx.agent,
        attributes=ctx.attributes,
        **extra,
    )


@contextlib.contextmanager
def data_flow_context(
    source: str | None = None,
    job_id: str | None = None,
    *,
    workflow: str | None = None,
    stage: str | None = None,
    agent: str | None = None,
    lineage_id: str | None = None,
    **attributes: Any,
) -> Iterator[DataFlowContext]:
    """Open a lineage scope: publishes ``flow_started``, then ``flow_completed`` or ``flow_failed``.

    The context gets a fresh ``lineage_id`` (or the one given) and, when nested, records
    the enclosing context's id as ``parent_lineage_id``; ``workflow``, ``stage`` and
    ``agent`` default to the enclosing context's. When the block raises, ``flow_failed``
    carries the error and the exception propagates unchanged.

    Examples
    --------
    >>> rec = DataFlowRecorder()
    >>> with use_recorder(rec), data_flow_context(source="calibration", job_id="run-42") as ctx:
    ...     event = record_artifact("params", kind="metadata", metadata={"version": 2})
    >>> event["lineage_id"] == ctx.lineage_id
    True
    >>> [e["kind"] for e in rec.get_events()]
    ['flow_started', 'artifact_recorded', 'flow_completed']
    """
    if attributes:
        try:
            orjson.dumps(attributes)
        except TypeError as exc:
            raise UsageError(f"data_flow_context attributes must be JSON-serializable ({exc}).") from None
    parent = _current.get()
    ctx = DataFlowContext(
        lineage_id=lineage_id or new_id(),
        # Outermost: under `lineage run` ($LINEAGE_ID), the run's flow is the parent.
        parent_lineage_id=parent.lineage_id if parent else (os.environ.get(LINEAGE_ID_ENV) or None),
        source=source,
        job_id=job_id,
        workflow=workflow or (parent.workflow if parent else None) or source,
        stage=stage or (parent.stage if parent else None),
        agent=agent or (parent.agent if parent else None),
        attributes=dict(attributes),
    )
    token = _current.set(ctx)
    try:
        _publish(_lifecycle(KIND_FLOW_STARTED, ctx))
        try:
            yield ctx
        except BaseException as exc:
            _publish(_lifecycle(KIND_FLOW_FAILED, ctx, error=f"{type(exc).__name__}: {exc}"))
            raise
        _publish(_lifecycle(KIND_FLOW_COMPLETED, ctx))
    finally:
        _current.reset(token)


def _bookkeeping(
    artifact_id: str | os.PathLike[str],
    inputs: Iterable[str | os.PathLike[str]],
    root: str | None,
    *,
    hash: bool,
    version: str | int | None,
    metadata: Mapping[str, Any] | None,
    tool: str | None,
    environment: str | None,
    provenance: bool,
    auto_tool: bool = True,
) -> tuple[str, list[str], dict[str, Any]]:
    """Normalise the ids, hash the content and fill in provenance: the fields to record with."""
    if not isinstance(artifact_id, (str, os.PathLike)):
        raise UsageError(f"An artifact id must be a non-empty string or a path, not {artifact_id!r}.")
    if isinstance(inputs, (str, os.PathLike)):  # a lone id would otherwise become one per character
        inputs = [inputs]
    try:
        normal, *sources = bookkeeping.normalise_ids([artifact_id, *inputs], root)
    except TypeError as exc:
        raise UsageError(f"Artifact {artifact_id!r}: {exc}.") from None
    meta = dict(metadata) if metadata else {}
    if hash:
        try:
            digest = bookkeeping.hash_path(artifact_id)
        except OSError as exc:
            raise UsageError(
                f"Cannot hash {os.fspath(artifact_id)!r} ({exc.strerror or exc}).",
                hint="Record it after it is written, or leave hash off.",
            ) from None
        meta.setdefault("sha256", digest)
        if version is None:
            version = bookkeeping.content_version(digest)
    if provenance:
        auto = bookkeeping.auto_provenance()
        tool = tool or (auto.tool if auto_tool else None)
        environment = environment or auto.environment
        for key, value in auto.metadata_items:
            meta.setdefault(key, value)
    fields: dict[str, Any] = {"version": version, "metadata": meta, "tool": tool, "environment": environment}
    # The id was checked above; a bad input is passed through for artifact_event to reject.
    return cast(str, normal), cast(list[str], sources), fields


def _check_inputs(artifact_id: str, inputs: list[str]) -> None:
    for warning in _config.inputs.check(inputs):
        _report(f"{artifact_id!r}: {warning}")
    _config.inputs.add(artifact_id)


def record_artifact(
    artifact_id: str | os.PathLike[str],
    *,
    kind: str | None = None,
    inputs: Iterable[str | os.PathLike[str]] = (),
    version: str | int | None = None,
    transformation: str = "",
    transformation_type: str | TransformationType = TransformationType.DERIVED,
    metadata: Mapping[str, Any] | None = None,
    workflow: str | None = None,
    stage: str | None = None,
    agent: str | None = None,
    tool: str | None = None,
    environment: str | None = None,
    hash: bool = False,
) -> dict[str, Any]:
    """Record that ``artifact_id`` was produced from ``inputs``; return the published event.

    Provenance (lineage id, workflow, stage, agent) comes from the active
    :func:`data_flow_context`; explicit arguments win. With no active context the artifact
    gets a lineage id of its own. ``tool`` (this script), ``environment`` (host, Python) and
    the git commit and dirty flag (metadata) are filled in when left unset, unless
    ``configure(provenance=False)``.

    Path ids (``os.PathLike``, or text such as ``./out/x.csv``) are normalised, relative to
    the store's project directory when inside it, so one file is one artifact. ``hash=True``
    hashes the file (or directory) with SHA-256: the version is then its content, and
    recording identical content again makes nothing stale. An input that is unknown but close
    to a recorded id is warned about once on stderr.

    Examples
    --------
    >>> rec = DataFlowRecorder()
    >>> with use_recorder(rec):
    ...     a = record_artifact("a")
    ...     b = record_artifact("b", inputs=["a"])
    >>> a["lineage_id"] != b["lineage_id"], b["inputs"]
    (True, ['a'])
    """
    ctx = _current.get()
    found = _config.discovered() if _config.active is _config.default else None
    artifact, sources, fields = _bookkeeping(
        artifact_id,
        inputs,
        found[1] if found else None,
        hash=hash,
        version=version,
        metadata=metadata,
        tool=tool,
        environment=environment,
        provenance=_config.provenance,
    )
    event = artifact_event(
        artifact,
        kind=kind,
        inputs=sources,
        transformation=transformation,
        transformation_type=transformation_type,
        # Outside any context, a record joins the flow of `lineage run` ($LINEAGE_ID), if any.
        lineage_id=ctx.lineage_id if ctx else (os.environ.get(LINEAGE_ID_ENV) or None),
        parent_lineage_id=ctx.parent_lineage_id if ctx else None,
        workflow=workflow or (ctx.workflow if ctx else None),
        stage=stage or (ctx.stage if ctx else None),
        agent=agent or (ctx.agent if ctx else None),
        **fields,
    )
    _check_inputs(event["artifact_id"], event["inputs"])
    _publish(event, found)
    return event


def record_file(
    path: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
    kind: str | None = "file",
    **fields: Any,
) -> dict[str, Any]:
    r"""Record a file or directory with its content hash: ``record_artifact(path, hash=True, ...)``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = out.write_text("a,b\n")
    >>> with use_recorder(DataFlowRecorder()):
    ...     event = record_file(out, inputs=["raw.csv"])
    >>> event["version"] == event["metadata"]["sha256"][:16], event["artifact_kind"]
    (True, 'file')
    """
    return record_artifact(path, inputs=inputs, kind=kind, hash=True, **fields)


def record_to_store(
    store: StorePaths | Store, artifact_id: str | os.PathLike[str], **fields: Any
) -> dict[str, Any]:
    """Append one artifact event (made by :func:`artifact_event`) straight to ``store``'s log.

    ``store`` is a store directory or any store opened by :func:`lineage_cli.store.base.open_store`.

    This is what ``lineage record`` runs, so shell scripts write exactly what Python writes:
    path ids are normalised relative to ``root``, ``hash`` hashes the content, and
    ``provenance`` fills in the environment and git commit (not the tool: the shell knows it).
    ``status`` ``in_progress``, ``failed`` or ``completed`` also appends the flow event that
    gives the artifact that status (``error`` says why it failed), for shell steps that cannot
    be wrapped in ``lineage run``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> store = StorePaths(Path(tempfile.mkdtemp()))
    >>> record_to_store(store, "report", inputs=["table"], agent="ci")["agent"]
    'ci'
    """
    event, events = record_events(artifact_id, **fields)  # the keywords are record_events' own
    if isinstance(store, Store):  # any store behind the seam: a PostgreSQL store spools and ships
        store.append(events)
    else:
        append_events(store.events, events)
    return event


def record_events(
    artifact_id: str | os.PathLike[str],
    *,
    root: str | None = None,
    hash: bool = False,
    provenance: bool = False,
    status: str | None = None,
    error: str | None = None,
    **fields: Any,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The events :func:`record_to_store` appends, and the artifact event among them (nothing is written).

    ``lineage run`` sends them to its store's sink itself.

    Examples
    --------
    >>> event, events = record_events("report", inputs=["table"], status="failed", error="exit 3")
    >>> [e["kind"] for e in events], event["inputs"]
    (['artifact_recorded', 'flow_failed'], ['table'])
    """
    artifact, sources, extra = _bookkeeping(
        artifact_id,
        fields.pop("inputs", ()),
        root,
        hash=hash,
        version=fields.pop("version", None),
        metadata=fields.pop("metadata", None),
        tool=fields.pop("tool", None),
        environment=fields.pop("environment", None),
        provenance=provenance and _config.provenance,
        auto_tool=False,
    )
    flow_kind = _FLOW_KINDS.get(status) if status is not None else None
    if status is not None and flow_kind is None:
        raise UsageError(f"Unknown status {status!r}.", hint="Use one of: " + ", ".join(_FLOW_KINDS) + ".")
    if flow_kind is not None and not fields.get("lineage_id"):
        fields["lineage_id"] = new_id()
    event = artifact_event(artifact, inputs=sources, **extra, **fields)
    events = [event]
    if flow_kind is not None:
        flow = new_event(
            flow_kind,
            lineage_id=event["lineage_id"],
            parent_lineage_id=event["parent_lineage_id"],
            source=None,
            job_id=None,
            workflow=event["workflow"],
            stage=event["stage"],
            agent=event["agent"],
            attributes={},
            **({"error": error or "failed"} if flow_kind == KIND_FLOW_FAILED else {}),
        )
        # A running flow starts before its artifact; a finished one ends after it.
        events = [flow, event] if flow_kind == KIND_FLOW_STARTED else [event, flow]
    return event, events


_FLOW_KINDS: Final = {
    "in_progress": KIND_FLOW_STARTED,
    "failed": KIND_FLOW_FAILED,
    "completed": KIND_FLOW_COMPLETED,
}
