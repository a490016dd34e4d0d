"""Import OpenLineage RunEvents (the NDJSON the client's file transport writes) into the event log."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson

from lineage_cli.errors import LineageError, LineageFileError, TimestampError
from lineage_cli.interop.common import ImportResult, append_new_events, digest
from lineage_cli.interop.naming import agent_for_producer, artifact_id_of
from lineage_cli.interop.openlineage_facets import column_edges, symlink_aliases
from lineage_cli.interop.openlineage_read import BadShape, read_records
from lineage_cli.lineagefile import gc_paused
from lineage_cli.model import TransformationType, format_timestamp, parse_timestamp
from lineage_cli.store.base import Store
from lineage_cli.store.events import (
    KIND_ARTIFACT,
    KIND_DESCRIBED,
    KIND_FLOW_COMPLETED,
    KIND_FLOW_FAILED,
    KIND_FLOW_STARTED,
    KIND_RUN_INPUTS,
    LogProblem,
    new_event,
)
from lineage_cli.store.layout import StorePaths

__all__ = [
    "RUN_EVENT_TYPES",
    "SOURCE",
    "OpenLineageRunEvent",
    "import_openlineage",
    "map_run_events",
    "parse_run_events",
]

SOURCE: Final = "openlineage"
"""The ``source`` of the flow events an OpenLineage import appends."""

RUN_EVENT_TYPES: Final = ("START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER")
"""The RunEvent ``eventType`` values of the OpenLineage spec (2-0-2)."""

JOB_EVENT: Final = "JOB"
"""The ``event_type`` of a checked JobEvent (static lineage: a job's inputs and outputs, no run)."""

DATASET_EVENT: Final = "DATASET"
"""The ``event_type`` of a checked DatasetEvent (facts about one dataset)."""

_FAILED: Final = frozenset({"FAIL", "ABORT"})

# Run facets worth keeping on the flow events; others (Spark's logical plan, for one) can be
# megabytes and say nothing about lineage.
_KEPT_RUN_FACETS: Final = ("parent", "nominalTime", "processing_engine", "errorMessage", "jobType")
_LIFECYCLE: Final = "lifecycleStateChange"

_STDIN: Final = "-"


@dataclass(frozen=True, slots=True)
class OpenLineageRunEvent:
    """One checked RunEvent and where it came from (file, line) for messages and ordering."""

    path: str
    line: int
    order: int
    raw: dict[str, Any]
    event_type: str
    time: datetime
    run_id: str
    job_namespace: str
    job_name: str
    producer: str
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    run_facets: dict[str, Any]
    job_facets: dict[str, Any]

    @property
    def parent(self) -> dict[str, Any] | None:
        """The parent run facet when it names a parent run id, else ``None``."""
        parent = self.run_facets.get("parent")
        run = parent.get("run") if isinstance(parent, dict) else None
        if isinstance(run, dict) and isinstance(run.get("runId"), str):
            return parent
        return None


def _facets(holder: dict[str, Any], key: str = "facets") -> dict[str, Any]:
    facets = holder.get(key)
    return facets if isinstance(facets, dict) else {}


def _datasets(raw: dict[str, Any], key: str) -> tuple[list[dict[str, Any]], str | None]:
    value = raw.get(key)
    if value is None:
        return [], None
    if not isinstance(value, list):
        return [], f"`{key}` must be a list of datasets"
    for position, dataset in enumerate(value):
        if not isinstance(dataset, dict) or not all(
            isinstance(dataset.get(field), str) and dataset[field] for field in ("namespace", "name")
        ):
            return [], f"`{key}[{position}]` needs non-empty string `namespace` and `name`"
    return value, None


def _event_time(value: Any, assume_utc: bool) -> datetime:
    try:
        return parse_timestamp(value, what="eventTime")
    except TimestampError:
        naive = None
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                naive = datetime.fromisoformat(value.strip())
        if naive is None or naive.tzinfo is not None:
            raise
        if assume_utc:
            return naive.replace(tzinfo=UTC)
        raise TimestampError(
            f"eventTime {value!r} has no timezone, so it is ambiguous "
            "(pass --assume-utc if its producer ran in UTC)"
        ) from None


def _check(raw: Any, path: str, line: int, order: int, assume_utc: bool = False) -> OpenLineageRunEvent | str:
    """A checked event (a RunEvent, JobEvent or DatasetEvent), or a problem sentence."""
    if not isinstance(raw, dict):
        return "expected a JSON object (an OpenLineage RunEvent)"
    run, job = raw.get("run"), raw.get("job")
    if run is None and job is None:
        if "dataset" not in raw:
            return "not an OpenLineage event (no `run`, `job` or `dataset`)"
        # A DatasetEvent: facts about one dataset, as an event whose one output it is.
        event_type, run, job = DATASET_EVENT, {"runId": ""}, {"namespace": "", "name": ""}
        outputs, problem = _datasets({"dataset": [raw["dataset"]]}, "dataset")
        if problem:
            return problem.replace("`dataset[0]`", "`dataset`")
        inputs: list[dict[str, Any]] = []
    else:
        if run is None:  # a JobEvent: static lineage of a job, no run
            event_type = JOB_EVENT
            run = (
                {"runId": f"job:{job.get('namespace')}/{job.get('name')}"} if isinstance(job, dict) else None
            )
        else:
            event_type = raw.get("eventType") or "OTHER"  # optional in the spec; OTHER adds metadata only
            if event_type not in RUN_EVENT_TYPES:
                return f"unknown event type {event_type!r} (expected one of {', '.join(RUN_EVENT_TYPES)})"
        if not isinstance(run, dict) or not isinstance(run.get("runId"), str) or not run["runId"]:
            return "`run.runId` must be a non-empty string"
        if not isinstance(job, dict) or not all(
            isinstance(job.get(field), str) and job[field] for field in ("namespace", "name")
        ):
            return "`job` needs non-empty string `namespace` and `name`"
        inputs, problem = _datasets(raw, "inputs")
        if problem:
            return problem
        outputs, problem = _datasets(raw, "outputs")
        if problem:
            return problem
    try:
        when = _event_time(raw.get("eventTime"), assume_utc)
    except LineageError as exc:
        return exc.message
    producer = raw.get("producer")
    return OpenLineageRunEvent(
        path=path,
        line=line,
        order=order,
        raw=raw,
        event_type=event_type,
        time=when,
        run_id=run["runId"],
        job_namespace=job["namespace"],
        job_name=job["name"],
        producer=producer if isinstance(producer, str) and producer else "unknown",
        inputs=inputs,
        outputs=outputs,
        run_facets=_facets(run),
        job_facets=_facets(job),
    )


def parse_run_events(
    data: bytes, name: str, *, first_order: int = 0, assume_utc: bool = False
) -> tuple[list[OpenLineageRunEvent], list[LogProblem], int, int]:
    r"""Parse OpenLineage events (NDJSON, or a JSON array: see :func:`read_records`) into checked RunEvents.

    Returns ``(events, problems, records, ignored)``: problems name the line of each
    malformed line, unknown event type or missing field; ``records`` counts records (lines,
    or array elements); ``ignored`` is 0 (kept for callers: JobEvents and DatasetEvents,
    once ignored, are events now, of types ``JOB`` and ``DATASET``). A file holding indented
    JSON events (the client's ``debug_mode``), or a JSON array of them, is read whole. A file
    of another shape is one problem naming that shape.

    Examples
    --------
    >>> line = (b'{"eventType": "COMPLETE", "eventTime": "2026-01-01T10:00:00+02:00",'
    ...         b' "run": {"runId": "r1"}, "job": {"namespace": "ns", "name": "j"}}')
    >>> events, problems, records, ignored = parse_run_events(line + b"\n{oops\n", "f")
    >>> events[0].time.isoformat(), events[0].event_type
    ('2026-01-01T08:00:00+00:00', 'COMPLETE')
    >>> str(problems[0])
    'f, line 2: not valid JSON (unexpected character, expected a string key); skipped'
    """
    events: list[OpenLineageRunEvent] = []
    problems: list[LogProblem] = []
    ignored = 0
    try:
        parsed, records = read_records(data)
    except BadShape as exc:
        expected = "expected OpenLineage events as NDJSON (one a line) or a JSON array of events"
        return [], [LogProblem(name, 1, f"the file is {exc}: {expected}; skipped")], 1, 0
    for number, raw in parsed:
        if isinstance(raw, orjson.JSONDecodeError):
            message = raw.msg.split(":", 1)[0]
            problems.append(LogProblem(name, number, f"not valid JSON ({message}); skipped"))
            continue
        checked = _check(raw, name, number, first_order + number, assume_utc)
        if isinstance(checked, str):
            problems.append(LogProblem(name, number, checked + "; skipped"))
        else:
            events.append(checked)
    return events, problems, records, ignored


def _error_message(event: OpenLineageRunEvent) -> str:
    """The run's error: the spec's ``errorMessage`` facet, else an engine's exception facet.

    Engines name their own facet (the Spark agent writes ``spark.exception``); any run facet
    whose name ends in ``exception`` and that holds a ``message`` is one.
    """
    facets = event.run_facets
    names = ["errorMessage", *sorted(k for k in facets if k.lower().endswith("exception"))]
    for name in names:
        facet = facets.get(name)
        if isinstance(facet, dict) and isinstance(facet.get("message"), str) and facet["message"].strip():
            return str(facet["message"]).strip()
    return f"OpenLineage run ended with {event.event_type}"


def _transformation(event: OpenLineageRunEvent) -> str:
    facets = event.job_facets
    for facet, field in (("documentation", "description"), ("sql", "query")):
        value = facets.get(facet)
        if isinstance(value, dict) and isinstance(value.get(field), str) and value[field].strip():
            return str(value[field]).strip()
    return event.job_name


def _tool(event: OpenLineageRunEvent) -> str | None:
    engine = event.run_facets.get("processing_engine")
    if isinstance(engine, dict) and isinstance(engine.get("name"), str):
        return " ".join(str(engine[k]) for k in ("name", "version") if engine.get(k))
    return None


def _job_ref(event: OpenLineageRunEvent) -> dict[str, str]:
    return {"namespace": event.job_namespace, "name": event.job_name}


def map_run_events(events: Iterable[OpenLineageRunEvent]) -> list[dict[str, Any]]:
    """Map checked RunEvents to lineage events (schema v1), in eventTime order.

    - The run becomes a flow: ``lineage_id`` is the ``runId``; ``parent_lineage_id`` the
      parent run facet's ``runId``. START appends ``flow_started``, COMPLETE
      ``flow_completed``, FAIL and ABORT ``flow_failed``; RUNNING and OTHER add none.
    - Each output dataset of any event becomes an ``artifact_recorded`` event at that
      event's time, with that event's inputs and facets.
    - An event that names inputs also appends a ``run_inputs`` event: ``lineage build``
      gives every artifact of the run all the inputs any of its events named, whichever
      import call, file or order they arrive in.
    - Event ids are digests of the OpenLineage event (and dataset), so re-importing
      the same events gives the same ids.

    Examples
    --------
    >>> raw = (b'{"eventType": "FAIL", "eventTime": "2026-01-01T00:00:00Z", "producer": "p",'
    ...        b' "run": {"runId": "r"}, "job": {"namespace": "ns", "name": "load"},'
    ...        b' "inputs": [{"namespace": "s3://b", "name": "raw.csv"}],'
    ...        b' "outputs": [{"namespace": "s3://b", "name": "clean.csv"}]}')
    >>> events = map_run_events(parse_run_events(raw, "f")[0])
    >>> [e["kind"] for e in events]
    ['run_inputs', 'artifact_recorded', 'flow_failed']
    >>> events[1]["artifact_id"], events[1]["inputs"], events[1]["workflow"], events[1]["stage"]
    ('s3://b/clean.csv', ['s3://b/raw.csv'], 'ns', 'load')
    """
    mapped: list[dict[str, Any]] = []
    with gc_paused():  # many small containers, none of them garbage
        for event in sorted(events, key=lambda e: (e.time, e.order)):
            _map_one(event, mapped)
    return mapped


def _described(key: str, common: dict[str, Any], artifact_id: str, **fields: Any) -> dict[str, Any]:
    event_id = f"ol-{digest(key, 'described', artifact_id)}"
    return new_event(KIND_DESCRIBED, event_id=event_id, **common, artifact_id=artifact_id, **fields)


def _map_aliases(
    event: OpenLineageRunEvent, key: str, common: dict[str, Any], mapped: list[dict[str, Any]]
) -> None:
    """An ``artifact_described`` event for each dataset with ``symlinks`` (its other names)."""
    done: set[str] = set()
    for dataset in (*event.inputs, *event.outputs):
        artifact_id = artifact_id_of(dataset)
        aliases = symlink_aliases(dataset, artifact_id)
        if aliases and artifact_id not in done:
            done.add(artifact_id)
            mapped.append(_described(key, common, artifact_id, aliases=aliases, metadata=None))


def _map_dataset_event(event: OpenLineageRunEvent, mapped: list[dict[str, Any]]) -> None:
    """A DatasetEvent updates its dataset's record: its facets are merged into the metadata."""
    key = digest(event.raw)
    dataset = event.outputs[0]
    artifact_id = artifact_id_of(dataset)
    facets = dict(_facets(dataset))
    metadata: dict[str, Any] = {
        name: facets.pop(name) for name in ("schema", "columnLineage") if name in facets
    }
    lifecycle = facets.get(_LIFECYCLE)
    if isinstance(lifecycle, dict) and isinstance(lifecycle.get(_LIFECYCLE), str):
        metadata[_LIFECYCLE] = lifecycle[_LIFECYCLE]
    if facets:
        metadata["datasetFacets"] = facets
    common = {
        "lineage_id": f"dataset:{artifact_id}",
        "parent_lineage_id": None,
        "time": format_timestamp(event.time),
    }
    aliases = symlink_aliases(dataset, artifact_id)
    mapped.append(_described(key, common, artifact_id, aliases=aliases, metadata=metadata or None))


def _map_one(event: OpenLineageRunEvent, mapped: list[dict[str, Any]]) -> None:
    """Append the lineage events of one OpenLineage event to ``mapped`` (each depends on it alone)."""
    if event.event_type == DATASET_EVENT:
        _map_dataset_event(event, mapped)
        return
    key = digest(event.raw)
    parent = event.parent
    time = format_timestamp(event.time)
    ol_ref: dict[str, Any] = {
        "runId": event.run_id,
        "eventType": event.event_type,
        "job": _job_ref(event),
        "producer": event.producer,
    }
    if parent is not None:
        ol_ref["parentRun"] = {"runId": parent["run"]["runId"], "job": parent.get("job")}
    common: dict[str, Any] = {
        "lineage_id": event.run_id,
        "parent_lineage_id": parent["run"]["runId"] if parent else None,
        "time": time,
        "agent": agent_for_producer(event.producer),
        "workflow": event.job_namespace,
        "stage": event.job_name,
    }
    kept = {k: event.run_facets[k] for k in _KEPT_RUN_FACETS if k in event.run_facets}
    flow_fields: dict[str, Any] = {
        **common,
        "source": SOURCE,
        "job_id": f"{event.job_namespace}/{event.job_name}",
        "attributes": {"openlineage": {**ol_ref, "runFacets": kept} if kept else ol_ref},
    }
    _map_aliases(event, key, common, mapped)
    inputs = list(dict.fromkeys(artifact_id_of(dataset) for dataset in event.inputs))
    if inputs:
        mapped.append(new_event(KIND_RUN_INPUTS, event_id=f"ol-{key}-inputs", **common, inputs=inputs))
    if event.event_type == "START":
        mapped.append(new_event(KIND_FLOW_STARTED, event_id=f"ol-{key}-started", **flow_fields))
    outputs: dict[str, dict[str, Any]] = {}  # a dataset listed twice is one artifact
    facets: dict[str, dict[str, Any]] = {}
    for dataset in event.outputs:
        artifact_id = artifact_id_of(dataset)
        outputs.setdefault(artifact_id, dataset)
        facets.setdefault(artifact_id, {}).update(_facets(dataset))
    for artifact_id, dataset in outputs.items():
        facet = facets[artifact_id]
        mapped.append(_artifact_event(event, dataset, artifact_id, inputs, facet, key, common, ol_ref))
    if event.event_type == "COMPLETE":
        mapped.append(new_event(KIND_FLOW_COMPLETED, event_id=f"ol-{key}-completed", **flow_fields))
    elif event.event_type in _FAILED:
        mapped.append(
            new_event(
                KIND_FLOW_FAILED, event_id=f"ol-{key}-failed", error=_error_message(event), **flow_fields
            )
        )


def _artifact_event(
    event: OpenLineageRunEvent,
    dataset: dict[str, Any],
    artifact_id: str,
    run_inputs: list[str],
    facets: dict[str, Any],
    key: str,
    common: dict[str, Any],
    ol_ref: dict[str, Any],
) -> dict[str, Any]:
    # A job that reads and writes one dataset (an incremental load, a MERGE) refines it;
    # listing the dataset as its own input would make a cycle.
    inputs = [i for i in run_inputs if i != artifact_id]
    if len(inputs) < len(run_inputs):
        kind = TransformationType.REFINED
    elif not inputs:
        kind = TransformationType.GENERATED
    else:
        kind = TransformationType.MERGED if len(inputs) > 1 else TransformationType.DERIVED
    remaining = dict(facets)
    metadata: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name in ("schema", "columnLineage"):
        if name in remaining:
            metadata[name] = remaining.pop(name)
    lifecycle = remaining.get(_LIFECYCLE)
    if isinstance(lifecycle, dict) and isinstance(lifecycle.get(_LIFECYCLE), str):
        # CREATE, OVERWRITE, DROP...: the build shows a DROP as the status "dropped".
        metadata[_LIFECYCLE] = lifecycle[_LIFECYCLE]
    version_facet = remaining.get("version")
    version = None if event.event_type == JOB_EVENT else event.run_id  # a job's records are numbered
    if isinstance(version_facet, dict) and isinstance(version_facet.get("datasetVersion"), str):
        version = version_facet["datasetVersion"]
    type_facet = remaining.get("datasetType")
    artifact_kind = "dataset"
    if isinstance(type_facet, dict) and isinstance(type_facet.get("datasetType"), str):
        artifact_kind = type_facet["datasetType"].lower()
    reference: dict[str, Any] = {"namespace": dataset["namespace"], "name": dataset["name"], **ol_ref}
    if remaining:
        reference["facets"] = remaining
    output_facets = _facets(dataset, "outputFacets")
    if output_facets:
        reference["outputFacets"] = output_facets
    metadata["openlineage"] = reference
    columns = column_edges({"facets": facets})
    if columns:
        extra["columns"] = columns
    return new_event(
        KIND_ARTIFACT,
        event_id=f"ol-{digest(key, artifact_id)}",
        **common,
        artifact_id=artifact_id,
        version=version,
        artifact_kind=artifact_kind,
        inputs=inputs,
        transformation=_transformation(event),
        transformation_type=kind.value,
        metadata=metadata,
        tool=_tool(event),
        environment=None,
        **extra,
    )


def _read_source(source: str | os.PathLike[str]) -> tuple[bytes, str]:
    if str(source) == _STDIN:
        return sys.stdin.buffer.read(), "<stdin>"
    name = str(source)
    try:
        return Path(source).read_bytes(), name
    except FileNotFoundError:
        raise LineageFileError(
            name,
            "no such file.",
            hint="Pass the file the OpenLineage client's file transport writes (log_file_path).",
        ) from None
    except IsADirectoryError:
        raise LineageFileError(
            name, "is a directory.", hint="Pass the event files themselves, for example DIR/*.json."
        ) from None
    except OSError as exc:
        raise LineageFileError(name, f"cannot be read ({exc.strerror})") from None


def import_openlineage(
    sources: Sequence[str | os.PathLike[str]],
    store: StorePaths | Store,
    *,
    skip_bad: bool = False,
    assume_utc: bool = False,
) -> ImportResult:
    r"""Append the lineage events equivalent to OpenLineage RunEvents to the store's log.

    ``sources`` are NDJSON files (``-`` is standard input): one file the client's file
    transport appends to (``append: true``), or the one-event files it writes otherwise.
    Events are applied in eventTime order across all sources. Events already in the log
    (same id) are skipped, so importing a file twice adds nothing.

    Parameters
    ----------
    sources:
        The files to read.
    store:
        The store whose ``events.jsonl`` receives the events.
    skip_bad:
        Import the good lines even when some lines have problems. Without it, any
        problem means nothing is appended (the problems are still returned).
    assume_utc:
        Read an ``eventTime`` without a timezone as UTC instead of reporting it. (The
        client's own examples write ``datetime.now().isoformat()``, a local time with no
        offset: only right when those producers ran in UTC.)

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.store.layout import StorePaths
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "ol.ndjson").write_text(
    ...     '{"eventType": "START", "eventTime": "2026-01-01T00:00:00Z", "producer": "p",'
    ...     ' "run": {"runId": "r"}, "job": {"namespace": "ns", "name": "j"},'
    ...     ' "outputs": [{"namespace": "file", "name": "out.csv"}]}\n')
    >>> import_openlineage([tmp / "ol.ndjson"], StorePaths(tmp / "store")).summary()
    '1 OpenLineage events read (1 artifacts): 2 events appended, 0 duplicates skipped, 0 problems.'
    >>> import_openlineage([tmp / "ol.ndjson"], StorePaths(tmp / "store")).appended
    0
    """
    result = ImportResult(unit="OpenLineage events")
    events: list[OpenLineageRunEvent] = []
    order = 0
    for source in sources:
        data, name = _read_source(source)
        parsed, problems, records, ignored = parse_run_events(
            data, name, first_order=order, assume_utc=assume_utc
        )
        order += len(data) + 2  # keeps file order ahead of line numbers across sources
        events += parsed
        result.problems += problems
        result.read += records
        result.ignored += ignored
    if result.problems and not skip_bad:
        return result
    mapped = map_run_events(events)
    result.artifacts = len({e["artifact_id"] for e in mapped if e["kind"] == KIND_ARTIFACT})
    append_new_events(store, mapped, result)
    return result
