"""The fold: the event log (or its new events) folded into the lineage graph, with statuses and stale reasons.

The fold is one linear pass over the log (no per-event work that grows with the log), with
the garbage collector paused, because a million small dicts are all live and a collection
pass in the middle would cost as much as the fold.

Rules (see README, "The store"):

- events with an ``event_id`` already seen are ignored (the first wins), so re-importing
  the same events adds nothing;
- a later record of an artifact (later ``time``; on a tie, the larger ``event_id``, then
  later in the log) replaces the earlier one and its input edges;
- a flow's declared inputs (``run_inputs`` events, which OpenLineage imports write) are
  inputs of every artifact the flow recorded, whichever import they arrived in;
- names declared to be one artifact (``artifact_described`` aliases) are one artifact,
  under the shortest of its own ids; its records, inputs and edges are merged, and its
  other names are kept as the node's ``aliases``;
- an artifact with no ``version`` gets the number of its record (1, 2, 3...);
- status: FAILED when the flow that produced it (its ``lineage_id``) failed, IN_PROGRESS
  when that flow started and has not finished, UNKNOWN when it was skipped, DROPPED when its
  record says so (metadata ``lifecycleStateChange`` ``DROP``), STALE when an input, directly or
  further upstream, was re-produced (as a different version) after it was built, FRESH otherwise;
- an input that was never recorded becomes an artifact marked external (``metadata.external``),
  status UNKNOWN, so every built file validates.
"""

from __future__ import annotations

import fcntl
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from lineage_cli.errors import LineageFileError
from lineage_cli.graph import FORMAT_VERSION
from lineage_cli.lineagefile import gc_paused
from lineage_cli.model import ArtifactStatus, TransformationType, format_timestamp
from lineage_cli.store.aliases import Descriptions
from lineage_cli.store.events import (
    EVENT_KINDS,
    EVENT_SCHEMA_VERSION,
    KIND_ARTIFACT,
    KIND_DESCRIBED,
    KIND_FLOW_COMPLETED,
    KIND_FLOW_FAILED,
    KIND_FLOW_SKIPPED,
    KIND_FLOW_STARTED,
    KIND_RUN_INPUTS,
    LogProblem,
    check_event,
    parse_events,
)
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.nodes import (
    LIFECYCLE,
    StaleReason,
    external_node,
    graph_hash,
    node_digest,
    node_document,
    spread_stale,
)

__all__ = [
    "LIFECYCLE",
    "PROGRESS_EVERY",
    "Fold",
    "Progress",
    "StaleReason",
    "digest_total",
    "fold_log",
    "graph_hash",
    "read_log",
    "require_log",
]

PROGRESS_EVERY: Final = 100_000
"""The progress callback is called once per this many events (so small logs stay quiet)."""

Progress = Callable[[str, int], None]
"""``progress(phase, events_done)``: called during long builds, for a progress line on stderr."""

_TYPES: Final = frozenset(t.value for t in TransformationType)
_ARTIFACT_KINDS: Final = frozenset({KIND_ARTIFACT, KIND_DESCRIBED})
_FLOW_STATES: Final = {
    KIND_FLOW_STARTED: ArtifactStatus.IN_PROGRESS,
    KIND_FLOW_COMPLETED: ArtifactStatus.FRESH,
    KIND_FLOW_FAILED: ArtifactStatus.FAILED,
    KIND_FLOW_SKIPPED: ArtifactStatus.UNKNOWN,
}

# One record of an artifact: (time, position in the log, record number, event).
_Record = tuple[datetime, int, int, dict[str, Any]]


def _order(record: _Record) -> tuple[datetime, str, int]:
    """Which record is later: time, then event id (so import order does not matter), then log position."""
    return record[0], record[3].get("event_id") or "", record[1]


def _with_declared_inputs(artifact_id: str, own: list[str], declared: set[str]) -> tuple[list[str], str]:
    """The inputs of a record by a flow with declared inputs, and the transformation type they imply.

    All the flow's inputs, sorted (the order of its events and imports must not show), minus the
    artifact itself: a flow that reads and writes one dataset refines it.
    """
    every = declared.union(own)
    refined = artifact_id in every
    every.discard(artifact_id)
    if refined:
        kind = TransformationType.REFINED
    elif not every:
        kind = TransformationType.GENERATED
    else:
        kind = TransformationType.MERGED if len(every) > 1 else TransformationType.DERIVED
    return sorted(every), kind.value


@dataclass(slots=True)
class Fold:
    """The result of folding a log: the graph document (without ``built_at``) and what was seen."""

    nodes: dict[str, dict[str, Any]]
    edges: list[dict[str, Any]]
    events: int
    duplicates: int
    problems: list[LogProblem]
    log_bytes: int
    last_event_time: str | None
    stale: dict[str, StaleReason] = field(default_factory=dict)
    stale_distance: dict[str, int] = field(default_factory=dict)
    """How many hops each stale artifact is from the one its change made stale directly."""
    flows: dict[str, tuple[datetime, ArtifactStatus, str | None, str]] = field(default_factory=dict)
    """Each flow's state and when it was reached (started, completed or failed), with its error
    and the id of the event that set it (ties on time are broken by it)."""

    def document(self, built_at: datetime) -> dict[str, Any]:
        """The lineage-file document for this fold."""
        return {
            "version": FORMAT_VERSION,
            "built_at": format_timestamp(built_at),
            "nodes": self.nodes,
            "edges": self.edges,
        }

    def status_counts(self) -> dict[str, int]:
        """How many artifacts have each status (every status listed, in enum order)."""
        counts = {s.value: 0 for s in ArtifactStatus}
        for node in self.nodes.values():
            counts[node["status"]] += 1
        return counts


def require_log(paths: StorePaths) -> None:
    """Raise a clear error when the store has no event log (a wrong ``--store`` is the usual cause).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> require_log(StorePaths(Path(tempfile.mkdtemp()) / "nowhere"))
    Traceback (most recent call last):
    ...
    lineage_cli.errors.LineageFileError: .../nowhere/events.jsonl: no such file, so there is nothing ...
    """
    if not paths.events.exists():
        raise LineageFileError(
            str(paths.events),
            "no such file, so there is nothing to build or travel in",
            hint=(
                "Record events first (record_artifact, `lineage record` or `lineage run`), create a "
                "store with `lineage init`, or pass --store DIR."
            ),
        )


def read_log(paths: StorePaths) -> bytes:
    """The log's bytes (empty when there is no log yet), read under a shared lock.

    Writers append under an exclusive lock, so the read waits for a write in flight and
    sees whole lines only: a torn last line then really means a writer died mid-line.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> read_log(StorePaths(Path(tempfile.mkdtemp())))
    b''
    """
    try:
        with paths.events.open("rb") as log:
            fcntl.flock(log.fileno(), fcntl.LOCK_SH)
            try:
                return log.read()
            finally:
                fcntl.flock(log.fileno(), fcntl.LOCK_UN)
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise LineageFileError(str(paths.events), f"cannot be read ({exc.strerror})") from None


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _bad_artifact(event: dict[str, Any]) -> str | None:
    inputs = event.get("inputs", [])
    if type(inputs) is not list:
        return "`inputs` must be a list of artifact ids"
    for item in inputs:
        if type(item) is not str:
            return "`inputs` must be a list of artifact ids"
    metadata = event.get("metadata")
    if metadata is not None and type(metadata) is not dict:
        return "`metadata` must be an object"
    columns = event.get("columns")
    if columns is not None and type(columns) is not dict:
        return "`columns` must be an object (column -> its source columns)"
    if event.get("transformation_type", "derived") not in _TYPES:
        return f"unknown transformation_type {event.get('transformation_type')!r}"
    version = event.get("version")
    if version is not None and type(version) is not str:
        return "`version` must be a string"
    return None


class _Folder:
    """The mutable state of one fold; see :func:`fold_log`."""

    def __init__(self, until: datetime | None) -> None:
        self.until = until
        self.seen: set[str] = set()
        self.current: dict[str, _Record] = {}
        self.older: dict[str, list[_Record]] = {}  # superseded records, only for re-produced artifacts
        self.flows: dict[str, tuple[datetime, ArtifactStatus, str | None, str]] = {}
        self.declared_inputs: dict[str, set[str]] = {}  # flow -> inputs its run_inputs events name
        self._resolved: dict[str, tuple[list[str], str]] | None = None
        self.described = Descriptions()  # artifact_described events: aliases, metadata to merge
        self.renamed: dict[str, str] = {}  # an alias -> the artifact it names (set by finish)
        self.histories: dict[str, tuple[list[datetime], list[str]]] = {}
        self.events = 0
        self.duplicates = 0
        self.last_time: datetime | None = None

    def add(self, number: int, event: Any) -> str | None:
        """Fold one event; return a problem sentence if the event is malformed."""
        # The common checks of check_event, inlined: this runs a million times per build.
        try:
            schema, kind, time_text = event["schema"], event["kind"], event["time"]
            valid = (
                type(schema) is int
                and schema <= EVENT_SCHEMA_VERSION
                and kind in EVENT_KINDS
                and type(time_text) is str
                and type(event["lineage_id"]) is str
                and (kind not in _ARTIFACT_KINDS or type(event["artifact_id"]) is str)
            )
        except (KeyError, TypeError):
            valid = False
        if not valid:
            return check_event(event) or "not a valid event"
        event_id = event.get("event_id")
        if event_id is not None:
            if event_id in self.seen:
                self.duplicates += 1
                return None
            self.seen.add(event_id)
        moment = _parse_time(time_text)
        if moment is None:
            return f"`time` {time_text!r} is not an ISO-8601 time with a timezone"
        if self.until is not None and moment > self.until:
            return None
        if kind == KIND_RUN_INPUTS:
            problem = _bad_artifact(event)
            if problem:
                return problem
            self.declared_inputs.setdefault(event["lineage_id"], set()).update(event.get("inputs", ()))
        elif kind == KIND_DESCRIBED:
            problem = self.described.add(moment, event)
            if problem:
                return problem
        elif kind == KIND_ARTIFACT:
            problem = _bad_artifact(event)
            if problem:
                return problem
            artifact_id = event["artifact_id"]
            current = self.current.get(artifact_id)
            if current is None:
                self.current[artifact_id] = (moment, number, 1, event)
            else:
                older = self.older.setdefault(artifact_id, [])
                record = (moment, number, len(older) + 2, event)
                if _order(record) >= _order(current):
                    older.append(current)
                    self.current[artifact_id] = record
                else:  # an older record that reached the log late (an import): history only
                    older.append(record)
        else:
            lineage_id = event["lineage_id"]
            state = _FLOW_STATES[kind]
            known = self.flows.get(lineage_id)
            flow_event_id = event_id if type(event_id) is str else ""
            # A finished flow stays finished whatever order its events arrive in.
            if (
                known is None
                or (known[1] is ArtifactStatus.IN_PROGRESS and state is not ArtifactStatus.IN_PROGRESS)
                or (
                    state is not ArtifactStatus.IN_PROGRESS
                    and (moment, flow_event_id) >= (known[0], known[3])
                )
            ):
                self.flows[lineage_id] = (moment, state, event.get("error"), flow_event_id)
        self.events += 1
        if self.last_time is None or moment > self.last_time:
            self.last_time = moment
        return None

    def version_of(self, record: _Record) -> str:
        version = record[3].get("version")
        return version if version is not None else str(record[2])

    def version_at(self, artifact_id: str, moment: datetime) -> str | None:
        """The version of ``artifact_id`` that was current at ``moment`` (``None``: none yet)."""
        history = self.histories.get(artifact_id)
        if history is None:  # sorted once per re-produced artifact, however many consumers ask
            records = sorted([*self.older.get(artifact_id, ()), self.current[artifact_id]], key=_order)
            history = ([r[0] for r in records], [self.version_of(r) for r in records])
            self.histories[artifact_id] = history
        index = bisect_right(history[0], moment)
        return history[1][index - 1] if index else None

    def resolved_inputs(self) -> dict[str, tuple[list[str], str]]:
        """Each current record's inputs and transformation type, its flow's declared inputs included.

        Computed once per fold (O(V + E)) and shared by staleness and the nodes.
        """
        resolved = self._resolved
        if resolved is None:
            declared = self.declared_inputs
            renamed = self.renamed
            resolved = {}
            for artifact_id, (_, _, _, event) in self.current.items():
                own = event.get("inputs") or []
                flow_inputs = declared.get(event["lineage_id"])
                if renamed:  # inputs named by an alias name the artifact itself
                    own = list(dict.fromkeys(renamed.get(i, i) for i in own))
                    if flow_inputs is not None:
                        flow_inputs = {renamed.get(i, i) for i in flow_inputs}
                    elif artifact_id in own:
                        flow_inputs = set()  # recompute the type: reading itself is a refinement
                if flow_inputs is None:
                    resolved[artifact_id] = (own, event.get("transformation_type") or "derived")
                else:
                    resolved[artifact_id] = _with_declared_inputs(artifact_id, own, flow_inputs)
            self._resolved = resolved
        return resolved

    def direct_reason(self, artifact_id: str, inputs: list[str]) -> StaleReason | None:
        """Why ``artifact_id`` is stale because of a parent re-produced after it, or ``None``.

        The first input (in input order) re-produced after it was built, as a different version:
        re-recording the same content (same explicit version) changes nothing downstream.
        """
        current = self.current
        built = current[artifact_id][0]
        for source in inputs:
            upstream = current.get(source)
            if upstream is not None and upstream[0] > built:
                before = self.version_at(source, built)
                now = self.version_of(upstream)
                if before != now:
                    return StaleReason(
                        artifact=artifact_id,
                        changed=source,
                        from_version=before,
                        to_version=now,
                        changed_at=format_timestamp(upstream[0]),
                        built_at=format_timestamp(built),
                        chain=(source, artifact_id),
                    )
        return None

    def stale(self) -> dict[str, tuple[int, StaleReason]]:
        """Stale artifacts with their distance from the change and their reason (:func:`spread_stale`)."""
        inputs_of = self.resolved_inputs()
        direct: dict[str, StaleReason] = {}
        for artifact_id in self.current:
            reason = self.direct_reason(artifact_id, inputs_of[artifact_id][0])
            if reason is not None:
                direct[artifact_id] = reason
        if not direct:
            return {}
        parents = {artifact_id: inputs for artifact_id, (inputs, _) in inputs_of.items()}
        found = spread_stale(self.current, parents, direct, {})
        return {artifact_id: found[artifact_id] for artifact_id in sorted(found)}

    def node(self, artifact_id: str, stale: bool) -> tuple[dict[str, Any], str]:
        """The node of a recorded artifact and the type of its input edges."""
        record = self.current[artifact_id]
        inputs, edge_type = self.resolved_inputs()[artifact_id]
        described = self.described
        node = node_document(
            artifact_id,
            record,
            inputs,
            self.flows.get(record[3]["lineage_id"]),
            described.metadata_since(artifact_id, record[0]) if described else None,
            stale,
        )
        if described:
            names = described.aliases.aliases_of(artifact_id)
            if names:
                node["aliases"] = names
        columns = record[3].get("columns")
        if columns:
            node["columns"] = described.renamed_columns(columns, self.renamed) if self.renamed else columns
        return node, edge_type

    def finish(self, problems: list[LogProblem], log_bytes: int, progress: Progress | None = None) -> Fold:
        if progress and self.events >= PROGRESS_EVERY:
            progress("computing statuses", self.events)
        self.renamed = self.described.merge_records(self.current, self.older, _order)
        found = self.stale()
        nodes: dict[str, dict[str, Any]] = {}
        edges: list[dict[str, Any]] = []
        add_edge = edges.append
        make = self.node
        for artifact_id in self.current:
            node, edge_type = make(artifact_id, artifact_id in found)
            nodes[artifact_id] = node
            transformation = node["transformation"]
            for source in node["inputs"]:
                add_edge(
                    {
                        "source": source,
                        "target": artifact_id,
                        "type": edge_type,
                        "description": transformation,
                        "metadata": {},
                    }
                )
        _add_external(nodes)
        return Fold(
            nodes=nodes,
            edges=edges,
            events=self.events,
            duplicates=self.duplicates,
            problems=problems,
            log_bytes=log_bytes,
            last_event_time=format_timestamp(self.last_time) if self.last_time else None,
            stale={artifact_id: reason for artifact_id, (_, reason) in found.items()},
            stale_distance={artifact_id: distance for artifact_id, (distance, _) in found.items()},
            flows=self.flows,
        )


def _add_external(nodes: dict[str, dict[str, Any]]) -> None:
    """Make every input that was never recorded an artifact, marked external, so the file validates.

    The log says nothing about who made a source table or a config file, so its status is
    unknown and its provenance empty; it is first seen when its first consumer was recorded.
    """
    first_seen: dict[str, tuple[datetime, str]] = {}
    for node in nodes.values():
        external = [source for source in node["inputs"] if source not in nodes]
        if not external:
            continue
        text = node["provenance"]["timestamp"]
        when = (datetime.fromisoformat(text), text)
        for source in external:
            if source not in first_seen or when < first_seen[source]:
                first_seen[source] = when
    for source in sorted(first_seen):  # sorted: the file does not depend on the order of the log
        nodes[source] = external_node(first_seen[source][1])


def fold_log(
    paths: StorePaths,
    *,
    until: datetime | None = None,
    skip_bad: bool = False,
    on_problem: Callable[[LogProblem], None] | None = None,
    progress: Progress | None = None,
    data: bytes | None = None,
) -> Fold:
    """Fold the store's event log (every event at or before ``until``, or all) into a graph.

    Raises
    ------
    LineageFileError
        For a malformed event, naming its line, unless ``skip_bad`` (then it is reported
        through ``on_problem`` and skipped). A torn last line is always reported and skipped.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from lineage_cli.recorder import record_to_store
    >>> store = StorePaths(Path(tempfile.mkdtemp()))
    >>> _ = record_to_store(store, "raw")
    >>> _ = record_to_store(store, "clean", inputs=["raw"])
    >>> _ = record_to_store(store, "raw", version="2")
    >>> fold = fold_log(store)
    >>> {a: n["status"] for a, n in fold.nodes.items()}
    {'raw': 'fresh', 'clean': 'stale'}
    >>> fold.stale["clean"].from_version, fold.stale["clean"].to_version
    ('1', '2')
    """
    return _fold(paths, until, skip_bad, on_problem, progress, data)[1]


def _fold(
    paths: StorePaths,
    until: datetime | None,
    skip_bad: bool,
    on_problem: Callable[[LogProblem], None] | None,
    progress: Progress | None,
    data: bytes | None,
) -> tuple[_Folder, Fold]:
    """:func:`fold_log`, with the folder (the fold's state, which a build keeps)."""
    raw = read_log(paths) if data is None else data
    log_bytes = raw.rfind(b"\n") + 1  # a torn tail is not folded yet; a later build re-reads it
    problems: list[LogProblem] = []

    def report(problem: LogProblem) -> None:
        problems.append(problem)
        if on_problem:
            on_problem(problem)

    folder = _Folder(until)
    name = str(paths.events)
    with gc_paused():
        for number, event in parse_events(raw, name, skip_bad=skip_bad, on_problem=report, check=False):
            problem = folder.add(number, event)
            if problem is not None:
                if not skip_bad:
                    raise LineageFileError(
                        name,
                        problem,
                        line=number,
                        hint="Fix or remove that line, or pass --skip-bad to skip it.",
                    )
                report(LogProblem(name, number, problem + "; skipped"))
            if progress and number % PROGRESS_EVERY == 0:
                progress("folding events", number)
        return folder, folder.finish(problems, log_bytes, progress)


def digest_total(fold: Fold) -> int:
    """The sum of the fold's node digests (:func:`lineage_cli.store.nodes.node_digest`).

    Examples
    --------
    >>> digest_total(Fold({}, [], 0, 0, [], 0, None))
    0
    """
    edge_types = {edge["target"]: edge["type"] for edge in fold.edges}
    total = 0
    for artifact_id, node in fold.nodes.items():
        total += node_digest(artifact_id, node, edge_types.get(artifact_id, ""))
    return total
