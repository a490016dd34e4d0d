"""The event log: the schema of one lineage event, locked one-line appends, and a tolerant reader."""

from __future__ import annotations

import fcntl
import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from lineage_cli.errors import LineageFileError, UsageError
from lineage_cli.model import TransformationType

__all__ = [
    "EVENT_KINDS",
    "EVENT_SCHEMA_VERSION",
    "KIND_ARTIFACT",
    "KIND_DESCRIBED",
    "KIND_FLOW_COMPLETED",
    "KIND_FLOW_FAILED",
    "KIND_FLOW_SKIPPED",
    "KIND_FLOW_STARTED",
    "KIND_RUN_INPUTS",
    "LogProblem",
    "append_events",
    "artifact_event",
    "check_event",
    "encode_event",
    "new_event",
    "new_id",
    "now_text",
    "open_log",
    "parse_events",
    "read_events",
    "write_locked",
]

TRANSFORMATION_TYPES: Final = frozenset(t.value for t in TransformationType)
"""The values an event's ``transformation_type`` may take."""

EVENT_SCHEMA_VERSION: Final = 1
"""Written as ``"schema"`` in every event; readers reject events from a newer schema."""

KIND_ARTIFACT: Final = "artifact_recorded"
KIND_FLOW_STARTED: Final = "flow_started"
KIND_FLOW_COMPLETED: Final = "flow_completed"
KIND_FLOW_FAILED: Final = "flow_failed"
KIND_RUN_INPUTS: Final = "run_inputs"
"""A declaration that the flow ``lineage_id`` read ``inputs`` (an OpenLineage run names them per event)."""
# A flow its runner skipped (dbt skips a model whose parent failed): its artifacts' status is unknown.
KIND_FLOW_SKIPPED: Final = "flow_skipped"
KIND_DESCRIBED: Final = "artifact_described"
"""Facts about an artifact that are not a new record: its ``aliases``, and ``metadata`` to merge in."""
EVENT_KINDS: Final = frozenset(
    {
        KIND_ARTIFACT,
        KIND_FLOW_STARTED,
        KIND_FLOW_COMPLETED,
        KIND_FLOW_FAILED,
        KIND_FLOW_SKIPPED,
        KIND_RUN_INPUTS,
        KIND_DESCRIBED,
    }
)

# One event, one line (see README, "The store"):
#
#   common:   schema (int), event_id (str, unique; a re-import with the same id adds nothing),
#             kind (one of EVENT_KINDS), time (ISO-8601 UTC, "Z"), lineage_id (str),
#             parent_lineage_id (str | null: the enclosing flow, for nested flows)
#   flow_*:   source, job_id, workflow, stage, agent (str | null), attributes (object),
#             error (str, flow_failed only)
#   artifact_recorded:
#             artifact_id, version (str), artifact_kind (str | null), inputs (list of ids),
#             transformation (str), transformation_type (TransformationType value),
#             metadata (object), agent, workflow, stage, tool, environment (str | null),
#             columns (object, optional: column -> [{"source": "ID#COLUMN", "type": str | null}])
#   run_inputs:
#             inputs (list of ids): the flow read these; every artifact it records gets them
#             all as inputs, whichever event, import or order they arrive in
#   artifact_described:
#             artifact_id, aliases (list of ids: other names of the same artifact),
#             metadata (object or null: merged into the artifact's current record when newer)


class _Ids:
    """Event and lineage ids: a random per-process prefix and a counter (64 + 64 bits, as hex).

    ``uuid4`` costs a system call per id; at tens of thousands of events a second that is
    a large share of the recorder's time. The prefix is redrawn in a forked child.
    """

    def __init__(self) -> None:
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        self.prefix = os.urandom(8).hex()
        self.counter = itertools.count(int.from_bytes(os.urandom(4), "big") << 16)

    def __call__(self) -> str:
        return f"{self.prefix}{next(self.counter) & 0xFFFFFFFFFFFFFFFF:016x}"


new_id: Final = _Ids()
"""``new_id()`` returns a fresh 32-hex-digit id, unique across processes and threads."""


class _Clock:
    """The current UTC time as event text (``2026-01-31T12:00:00.123456Z``), cheaply.

    ``datetime.now(UTC).isoformat()`` costs a few microseconds; the recorder makes tens of
    thousands of events a second, so the seconds part is formatted once per second.
    """

    def __init__(self) -> None:
        # One tuple, read and replaced whole, so threads never pair a second with another's text.
        self.cached: tuple[int, str] = (-1, "")

    def __call__(self) -> str:
        now = time.time()
        second = int(now)
        cached_second, prefix = self.cached
        if second != cached_second:
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self.cached = (second, prefix)
        return f"{prefix}.{int((now - second) * 1_000_000):06d}Z"


now_text: Final = _Clock()
"""``now_text()`` is the current UTC time as ISO-8601 text with microseconds and ``Z``."""


def new_event(kind: str, *, lineage_id: str, **fields: Any) -> dict[str, Any]:
    """Return a new event with the common fields filled in (id, schema, time now).

    Examples
    --------
    >>> e = new_event(KIND_FLOW_STARTED, lineage_id="L1", workflow="wf")
    >>> (e["schema"], e["kind"], e["lineage_id"], e["workflow"])
    (1, 'flow_started', 'L1', 'wf')
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    event: dict[str, Any] = {
        "schema": EVENT_SCHEMA_VERSION,
        "event_id": new_id(),
        "kind": kind,
        "time": now_text(),
        "lineage_id": lineage_id,
        "parent_lineage_id": None,
    }
    event.update(fields)
    return event


def encode_event(event: dict[str, Any]) -> bytes:
    """Encode one event as one JSON line (newline included).

    Examples
    --------
    >>> encode_event({"a": 1}).splitlines()
    [b'{"a":1}']
    """
    return orjson.dumps(event) + b"\n"


def append_events(log: str | os.PathLike[str], events: Iterable[dict[str, Any]]) -> int:
    """Append events to the log under an exclusive lock; return how many were written.

    All lines go out in one ``write`` on an ``O_APPEND`` descriptor while ``flock`` is
    held, so concurrent writers (threads or processes) never interleave partial lines.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> append_events(log, [new_event(KIND_FLOW_STARTED, lineage_id="L")])
    1
    """
    payload = b"".join(encode_event(e) for e in events)
    if not payload:
        return 0
    fd = open_log(log)
    try:
        write_locked(fd, payload)
    finally:
        os.close(fd)
    return payload.count(b"\n")


def open_log(log: str | os.PathLike[str]) -> int:
    """Open (creating it and its directory if missing) the log for locked appends; the descriptor.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> fd = open_log(pathlib.Path(tempfile.mkdtemp()) / "store" / "events.jsonl")
    >>> os.fstat(fd).st_size
    0
    >>> os.close(fd)
    """
    path = Path(log)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:  # the store is a file, the log a directory, or neither is writable
        store_is_a_file = path.parent.exists() and not path.parent.is_dir()
        raise LineageFileError(
            str(path),
            f"cannot append to the event log ({'the store is a file' if store_is_a_file else exc.strerror})",
            hint="Pass --store DIR naming a directory you can write (it is created if missing).",
        ) from None


def write_locked(fd: int, payload: bytes, *, check_tail: bool = True) -> int:
    r"""Append ``payload`` (whole lines) to the log open on ``fd`` (``O_APPEND``, readable) under ``flock``.

    With ``check_tail``, if the log does not end with a newline (a writer died mid-line), a
    newline is written first, so the torn line stays one bad line and this event is not
    glued onto it. Returns the log's size before this append (with ``check_tail``; else -1).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> _ = log.write_bytes(b'{"torn')
    >>> fd = os.open(log, os.O_RDWR | os.O_APPEND)
    >>> write_locked(fd, b"{}\n")
    6
    >>> os.close(fd)
    >>> log.read_bytes()
    b'{"torn\n{}\n'
    """
    fcntl.flock(fd, fcntl.LOCK_EX)
    size = -1
    try:
        if check_tail:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                payload = b"\n" + payload
        view = memoryview(payload)
        written = 0
        while written < len(payload):  # a regular file writes it all at once; loop for safety
            written += os.write(fd, view[written:])
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
    return size


@dataclass(frozen=True, slots=True)
class LogProblem:
    """A line of the log that was skipped: where, and why."""

    path: str
    line: int
    problem: str
    torn: bool = False

    def __str__(self) -> str:
        return f"{self.path}, line {self.line}: {self.problem}"


def check_event(event: Any) -> str | None:
    """Why ``event`` is not a valid event (one sentence), or ``None`` when it is.

    Examples
    --------
    >>> check_event({"schema": 1, "kind": "flow_started", "lineage_id": "L", "time": "2026-01-01T00:00:00Z"})
    >>> check_event({"schema": 1, "kind": "lunch"})
    "unknown event kind 'lunch'"
    """
    if not isinstance(event, dict):
        return "an event must be a JSON object"
    schema = event.get("schema")
    if not isinstance(schema, int):
        return "the event has no integer `schema` field"
    if schema > EVENT_SCHEMA_VERSION:
        return f"event schema {schema} is newer than this lineage ({EVENT_SCHEMA_VERSION}); upgrade lineage"
    if event.get("kind") not in EVENT_KINDS:
        return f"unknown event kind {event.get('kind')!r}"
    if not isinstance(event.get("lineage_id"), str) or not isinstance(event.get("time"), str):
        return "the event needs string `lineage_id` and `time` fields"
    if event["kind"] in (KIND_ARTIFACT, KIND_DESCRIBED) and not isinstance(event.get("artifact_id"), str):
        return "an artifact event needs a string `artifact_id`"
    if event["kind"] == KIND_RUN_INPUTS and (
        not isinstance(event.get("inputs"), list) or not all(isinstance(i, str) for i in event["inputs"])
    ):
        return "a run_inputs event needs `inputs`, a list of artifact ids"
    return None


def read_events(
    log: str | os.PathLike[str],
    *,
    skip_bad: bool = False,
    on_problem: Callable[[LogProblem], None] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, event)`` for each event in the log, in order.

    A torn last line (no trailing newline, not valid JSON: a writer died mid-append) is
    reported through ``on_problem`` and skipped. Any other bad line raises
    :class:`LineageFileError` naming its line, unless ``skip_bad`` is set, in which case it
    is reported and skipped too. A missing log yields nothing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> _ = append_events(log, [new_event(KIND_FLOW_STARTED, lineage_id="L")])
    >>> with open(log, "ab") as f:
    ...     _ = f.write(b'{"schema": 1, "ki')
    >>> problems = []
    >>> [n for n, _ in read_events(log, on_problem=problems.append)]
    [1]
    >>> problems[0].torn
    True
    """
    path = Path(log)
    name = str(log)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise LineageFileError(name, f"cannot be read ({exc.strerror})") from None
    yield from parse_events(data, name, skip_bad=skip_bad, on_problem=on_problem)


def parse_events(
    data: bytes,
    name: str,
    *,
    skip_bad: bool = False,
    on_problem: Callable[[LogProblem], None] | None = None,
    first_line: int = 1,
    check: bool = True,
) -> Iterator[tuple[int, Any]]:
    r"""Like :func:`read_events`, over log bytes already read (``name`` is used in messages).

    ``first_line`` numbers the first line of ``data`` (for a tail read from an offset).
    With ``check=False`` only JSON syntax is checked, and the caller must run
    :func:`check_event` (the build does, fused with its own field checks, for speed).

    Examples
    --------
    >>> line = b'{"schema":1,"kind":"flow_started","lineage_id":"L","time":"t"}\n'
    >>> [n for n, _ in parse_events(line, "log")]
    [1]
    """
    lines = data.split(b"\n")
    ends_cleanly = lines[-1] == b""
    if ends_cleanly:
        lines.pop()
    last = len(lines) + first_line - 1
    for number, line in enumerate(lines, start=first_line):
        if not line or line.isspace():  # isspace does not copy the line, strip would
            continue
        try:
            event = orjson.loads(line)
            problem = check_event(event) if check else None
        except orjson.JSONDecodeError as exc:
            if number == last and not ends_cleanly:
                if on_problem:
                    on_problem(
                        LogProblem(
                            name, number, "torn last line (a writer stopped mid-append); skipped", torn=True
                        )
                    )
                continue
            problem = f"not valid JSON ({exc.msg}, column {exc.colno})"
        if problem is None:
            yield number, event
            continue
        if not skip_bad:
            raise LineageFileError(
                name, problem, line=number, hint="Fix or remove that line, or pass --skip-bad to skip it."
            )
        if on_problem:
            on_problem(LogProblem(name, number, problem + "; skipped"))


def _check_text(name: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise UsageError(f"{name} must be a string, not {type(value).__name__} ({value!r}).")


def artifact_event(
    artifact_id: str,
    *,
    kind: str | None = None,
    inputs: Iterable[str] = (),
    version: str | int | None = None,
    transformation: str = "",
    transformation_type: str | TransformationType = TransformationType.DERIVED,
    metadata: Mapping[str, Any] | None = None,
    lineage_id: str | None = None,
    parent_lineage_id: str | None = None,
    workflow: str | None = None,
    stage: str | None = None,
    agent: str | None = None,
    tool: str | None = None,
    environment: str | None = None,
) -> dict[str, Any]:
    """Make (and check) one ``artifact_recorded`` event: the code shared by Python and ``lineage record``.

    ``version`` may be left out: the build then numbers an artifact's records 1, 2, 3...
    A missing ``lineage_id`` gets a fresh one.

    Raises
    ------
    UsageError
        For an empty id, a non-string input, an unknown transformation type, or metadata
        that is not JSON-serializable.

    Examples
    --------
    >>> e = artifact_event("report", inputs=["a", "b", "a"], version=3, transformation_type="merged")
    >>> (e["kind"], e["inputs"], e["version"], e["transformation_type"])
    ('artifact_recorded', ['a', 'b'], '3', 'merged')
    >>> artifact_event("report", transformation_type="baked")
    Traceback (most recent call last):
    ...
    lineage_cli.errors.UsageError: Unknown transformation type 'baked' for artifact 'report'. ...
    """
    if not isinstance(artifact_id, str) or not artifact_id:
        raise UsageError(f"An artifact id must be a non-empty string, not {artifact_id!r}.")
    if isinstance(inputs, str):  # a lone string would otherwise become one input per character
        inputs = [inputs]
    unique: dict[str, None] = {}
    for item in inputs:
        if not isinstance(item, str) or not item:
            raise UsageError(f"Artifact {artifact_id!r}: every input must be a non-empty id, not {item!r}.")
        unique[item] = None
    type_value = str(
        transformation_type.value
        if isinstance(transformation_type, TransformationType)
        else transformation_type
    )
    if type_value not in TRANSFORMATION_TYPES:
        raise UsageError(
            f"Unknown transformation type {type_value!r} for artifact {artifact_id!r}.",
            hint="Use one of: " + ", ".join(sorted(TRANSFORMATION_TYPES)) + ".",
        )
    meta = dict(metadata) if metadata else {}
    if meta:
        try:
            orjson.dumps(meta)
        except TypeError as exc:
            raise UsageError(
                f"Artifact {artifact_id!r}: metadata must be JSON-serializable ({exc})."
            ) from None
    # A dict literal, not new_event(**fields): this runs for every artifact a job records.
    return {
        "schema": EVENT_SCHEMA_VERSION,
        "event_id": new_id(),
        "kind": KIND_ARTIFACT,
        "time": now_text(),
        "lineage_id": lineage_id or new_id(),
        "parent_lineage_id": parent_lineage_id,
        "artifact_id": artifact_id,
        "version": None if version is None else str(version),
        "artifact_kind": _check_text("kind", kind),
        "inputs": list(unique),
        "transformation": str(transformation or ""),
        "transformation_type": type_value,
        "metadata": meta,
        "agent": _check_text("agent", agent),
        "workflow": _check_text("workflow", workflow),
        "stage": _check_text("stage", stage),
        "tool": _check_text("tool", tool),
        "environment": _check_text("environment", environment),
    }
