"""Helpers for store tests: events with chosen times and ids, written to a log."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lineage_cli.store.events import KIND_ARTIFACT, append_events, read_events
from lineage_cli.store.layout import StorePaths

_ids = itertools.count(1)


def at(minute: int) -> str:
    """A fixed time: 2026-01-01 00:MM (minutes may exceed 59; they roll into hours)."""
    return f"2026-01-01T{minute // 60:02d}:{minute % 60:02d}:00Z"


def event(kind: str, minute: int, lineage_id: str = "L0", **fields: Any) -> dict[str, Any]:
    """An event of schema 1 with a deterministic id."""
    base: dict[str, Any] = {
        "schema": 1,
        "event_id": f"e{next(_ids):06d}",
        "kind": kind,
        "time": at(minute),
        "lineage_id": lineage_id,
        "parent_lineage_id": None,
    }
    base.update(fields)
    return base


def artifact(artifact_id: str, minute: int, inputs: Iterable[str] = (), **fields: Any) -> dict[str, Any]:
    """An artifact_recorded event."""
    fields.setdefault("agent", "bot")
    fields.setdefault("workflow", "wf")
    fields.setdefault("stage", "s")
    return event(KIND_ARTIFACT, minute, artifact_id=artifact_id, inputs=list(inputs), **fields)


def write_store(root: Path, events: Iterable[dict[str, Any]]) -> StorePaths:
    """Append the events to a store at ``root`` and return its paths."""
    paths = StorePaths(root)
    append_events(paths.events, list(events))
    return paths


def events_of(store: StorePaths) -> list[dict[str, Any]]:
    """Every event in the store's log, in log order."""
    return [event for _, event in read_events(store.events)]


def fill(location: str | Path, events: Iterable[dict[str, Any]]) -> str:
    """Append the events to the store at ``location`` (a directory or a PostgreSQL URL); return it."""
    from lineage_cli.store.base import open_store

    with open_store(str(location)) as store:
        store.append(list(events))
    return str(location)


@contextmanager
def documents_on_demand() -> Iterator[None]:
    """Directory builds in this process leave ``lineage.json`` to be written on demand (as large ones do)."""
    from lineage_cli.store.local.document import DOCUMENT_ENV

    os.environ[DOCUMENT_ENV] = "0"
    try:
        yield
    finally:
        del os.environ[DOCUMENT_ENV]
