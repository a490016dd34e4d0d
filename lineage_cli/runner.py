"""``lineage run``: wrap a shell step, so that it records a flow, its outputs and their content hashes.

The flow is started before the command runs and completed or failed after it, with the exit
status; each declared output is recorded as built from the declared inputs, with SHA-256
versions, so an unchanged re-run makes nothing stale. The command's exit status is passed
through; a store that cannot be written is reported, never a reason to fail the step.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lineage_cli import bookkeeping
from lineage_cli.errors import LineageError, UsageError
from lineage_cli.recorder import record_events
from lineage_cli.store.base import Store
from lineage_cli.store.events import (
    KIND_FLOW_COMPLETED,
    KIND_FLOW_FAILED,
    KIND_FLOW_STARTED,
    new_event,
    new_id,
)
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.local import as_store

__all__ = ["RunResult", "run_command"]


@dataclass(frozen=True, slots=True)
class RunResult:
    """What ``lineage run`` did: the command's exit status, its flow and the outputs recorded.

    ``not_started`` is ``"not_found"`` or ``"not_executable"`` when the command could not be
    started (``exit_code`` is then ``None``: the CLI's exit-code table says what to exit with).
    """

    exit_code: int | None
    lineage_id: str
    error: str | None
    outputs: list[str] = field(default_factory=list)
    not_started: str | None = None


def _hashes(paths: Sequence[str]) -> dict[str, str | None]:
    result: dict[str, str | None] = {}
    for path in paths:
        try:
            result[path] = bookkeeping.hash_path(path)
        except OSError:
            result[path] = None  # not there (yet): recorded without a version
    return result


def run_command(
    store: Store | StorePaths,
    argv: Sequence[str],
    *,
    inputs: Sequence[str] = (),
    outputs: Sequence[str] = (),
    root: str | None = None,
    workflow: str | None = None,
    stage: str | None = None,
    agent: str | None = None,
    transformation: str | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> RunResult:
    """Run ``argv``, recording a flow around it and its outputs built from its inputs.

    The events go to the store's sink (:meth:`~lineage_cli.store.base.Store.sink`): a
    directory's locked append, or a PostgreSQL store's spool and background shipper, so a
    down server never delays or fails the command. The command sees ``LINEAGE_ID`` (its flow)
    and ``LINEAGE_STORE``, so the records it makes itself join the flow. ``on_warning`` hears
    about a store that cannot be written and about declared outputs the command did not write.

    Examples
    --------
    >>> import tempfile, pathlib, sys
    >>> from lineage_cli.store.base import open_store
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> out = str(root / "out.txt")
    >>> code = f"open({out!r}, 'w').write('hi')"
    >>> result = run_command(open_store(root), [sys.executable, "-c", code], outputs=[out])
    >>> result.exit_code, [e["kind"] for e in map(__import__("json").loads, open(root / "events.jsonl"))]
    (0, ['flow_started', 'artifact_recorded', 'flow_completed'])
    >>> run_command(open_store(root), [sys.executable, "-c", "raise SystemExit(3)"]).exit_code
    3
    """
    if not argv:
        raise UsageError(
            "lineage run needs a command after `--`.", hint="For example: lineage run -- make report"
        )
    warn = on_warning or (lambda message: None)
    store = as_store(store)  # a bare directory (the Python API's older form) too
    sink = store.sink()  # closed at the end (a PostgreSQL spool: sent in bounded time, else named)
    location = store.child_location()
    unwritable: list[str] = []

    def append(events: list[dict[str, Any]]) -> None:
        if unwritable:
            return
        try:
            for event in events:
                sink(event)
        except (OSError, LineageError) as exc:
            unwritable.append(str(exc))
            warn(f"could not record into the store ({exc}); the command's lineage is not recorded")

    lineage_id = new_id()
    command = shlex.join(argv)
    flow = {
        "source": os.path.basename(argv[0]),
        "job_id": None,
        "workflow": workflow,
        "stage": stage,
        "agent": agent,
    }
    attributes = {"command": list(argv), "inputs": list(inputs), "outputs": list(outputs)}
    append([new_event(KIND_FLOW_STARTED, lineage_id=lineage_id, attributes=attributes, **flow)])
    env = dict(os.environ, LINEAGE_ID=lineage_id, LINEAGE_STORE=location)
    error: str | None = None
    not_started: str | None = None
    try:
        exit_code = subprocess.run(list(argv), env=env, check=False).returncode
    except FileNotFoundError:
        exit_code, not_started, error = -1, "not_found", f"command not found: {argv[0]}"
    except PermissionError:
        exit_code, not_started, error = -1, "not_executable", f"command cannot be executed: {argv[0]}"
    except KeyboardInterrupt:
        append(
            [new_event(KIND_FLOW_FAILED, lineage_id=lineage_id, error="interrupted", attributes={}, **flow)]
        )
        sink.close()
        raise
    if exit_code < 0 and not_started is None:  # killed by a signal: as a shell says, 128 + the signal
        exit_code = 128 - exit_code
        error = f"killed by {signal.Signals(exit_code - 128).name}"
    elif exit_code and error is None:
        error = f"exit status {exit_code}"
    status = None if not_started else exit_code  # what the event log keeps
    input_hashes = _hashes(inputs)
    recorded: list[str] = []
    for output, digest in _hashes(outputs).items():
        if digest is None and exit_code == 0:
            warn(f"declared output {output!r} was not written by the command")
        metadata: dict[str, Any] = {"exit_code": status}
        if input_hashes:
            metadata["input_sha256"] = input_hashes
        if unwritable:
            continue
        try:
            event, events = record_events(
                output,
                inputs=list(inputs),
                root=root,
                hash=digest is not None,
                provenance=True,
                lineage_id=lineage_id,
                workflow=workflow,
                stage=stage,
                agent=agent,
                tool=command,
                transformation=transformation or command,
                kind="file",
                metadata=metadata,
            )
        except (OSError, LineageError) as exc:
            unwritable.append(str(exc))
            warn(f"could not record {output!r} ({exc}); the command's lineage is not complete")
            continue
        append(events)
        if not unwritable:
            recorded.append(event["artifact_id"])
    end = KIND_FLOW_FAILED if exit_code else KIND_FLOW_COMPLETED
    extra = {"error": error} if exit_code else {}
    append([new_event(end, lineage_id=lineage_id, attributes={"exit_code": status}, **flow, **extra)])
    sink.close()
    return RunResult(
        exit_code=None if not_started else exit_code,
        lineage_id=lineage_id,
        error=error,
        outputs=recorded,
        not_started=not_started,
    )
