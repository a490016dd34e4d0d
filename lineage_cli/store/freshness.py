"""One truth: notice events in the log that the last build has not folded, and build them first when cheap.

``lineage build`` writes ``built.json`` beside ``lineage.json``: how many bytes of the log it
folded. A query compares that with the log's size (one ``stat``); only when the log grew does
it count the new lines, reading just the new bytes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import datetime
from typing import Final

import orjson

from lineage_cli.errors import LineageError
from lineage_cli.model import format_timestamp
from lineage_cli.store.atomic import write_atomic
from lineage_cli.store.layout import StorePaths

__all__ = [
    "AUTO_BUILD_ENV",
    "CHEAP_BUILD_BYTES",
    "built_bytes",
    "bytes_setting",
    "cheap_build_bytes",
    "deferred_document",
    "ensure_built",
    "mark_built",
    "pending_events",
]

CHEAP_BUILD_BYTES: Final = 8 << 20
"""A log up to this size is rebuilt before a query (a fraction of a second); a larger one is only
reported, because a query should not silently take as long as a build. ``$LINEAGE_AUTO_BUILD_BYTES``
overrides it (``0``: never build before a query)."""
AUTO_BUILD_ENV: Final = "LINEAGE_AUTO_BUILD_BYTES"


def cheap_build_bytes() -> int:
    """``$LINEAGE_AUTO_BUILD_BYTES``, else :data:`CHEAP_BUILD_BYTES`: how much a query may build first.

    Examples
    --------
    >>> cheap_build_bytes() == CHEAP_BUILD_BYTES or AUTO_BUILD_ENV in os.environ
    True
    """
    return bytes_setting(AUTO_BUILD_ENV, CHEAP_BUILD_BYTES)


def bytes_setting(name: str, default: int) -> int:
    """A size in bytes from the environment variable ``name`` (digits only), else ``default``.

    Examples
    --------
    >>> bytes_setting("LINEAGE_NO_SUCH_SETTING", 42)
    42
    """
    text = os.environ.get(name, "")
    return int(text) if text.isdigit() else default


def mark_built(
    paths: StorePaths, log_bytes: int, events: int, built_at: datetime, *, document: str | None = None
) -> None:
    """Remember how much of the log the build just written folded (best effort: it is a cache).

    ``document`` is the token of a build that left ``lineage.json`` to be written on demand
    (:mod:`lineage_cli.store.local.document`); the query index it patched carries the same token.
    """
    state: dict[str, object] = {
        "log_bytes": log_bytes,
        "events": events,
        "built_at": format_timestamp(built_at),
    }
    if document is not None:
        state["document"] = document
    with contextlib.suppress(OSError):
        write_atomic(paths.built, orjson.dumps(state) + b"\n")


def _built(paths: StorePaths, key: str) -> object:
    try:
        state = orjson.loads(paths.built.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return state.get(key) if isinstance(state, dict) else None


def built_bytes(paths: StorePaths) -> int | None:
    """How many bytes of the log the last build folded (``None``: never built here).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> built_bytes(StorePaths(pathlib.Path(tempfile.mkdtemp()))) is None
    True
    """
    value = _built(paths, "log_bytes")
    return value if isinstance(value, int) else None


def deferred_document(paths: StorePaths) -> str | None:
    """The token of the last build when it left ``lineage.json`` to be written on demand, else ``None``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> deferred_document(StorePaths(pathlib.Path(tempfile.mkdtemp()))) is None
    True
    """
    value = _built(paths, "document")
    return value if isinstance(value, str) else None


def pending_events(paths: StorePaths) -> int:
    """How many events the log has that the last build did not fold (0 when there is no log).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.recorder import record_to_store
    >>> from lineage_cli.store.build import build_store
    >>> store = StorePaths(pathlib.Path(tempfile.mkdtemp()))
    >>> _ = record_to_store(store, "a"); pending_events(store)
    1
    >>> _ = build_store(store); pending_events(store)
    0
    """
    try:
        size = paths.events.stat().st_size
    except OSError:
        return 0
    built = built_bytes(paths)
    if built is None or built > size:  # never built here, or the log was rewritten since
        built = 0
    if size == built:
        return 0
    with paths.events.open("rb") as log:
        log.seek(built)
        return log.read().count(b"\n")


def ensure_built(
    paths: StorePaths,
    on_pending: Callable[[int], None] | None = None,
    *,
    cheap_bytes: int | None = None,
) -> int:
    """Build the store first when its log has unbuilt events and that is cheap; else report them.

    Returns how many events the answer will miss (0 after a build). ``on_pending(count)`` is
    called once when events are left unbuilt: a big log, or a store that cannot be written.
    ``cheap_bytes`` defaults to ``$LINEAGE_AUTO_BUILD_BYTES``, else :data:`CHEAP_BUILD_BYTES`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.recorder import record_to_store
    >>> store = StorePaths(pathlib.Path(tempfile.mkdtemp()))
    >>> _ = record_to_store(store, "a")
    >>> ensure_built(store), store.graph.exists()
    (0, True)
    >>> _ = record_to_store(store, "b")
    >>> ensure_built(store, print, cheap_bytes=0)
    1
    1
    """
    pending = pending_events(paths)
    if not pending:
        return 0
    if cheap_bytes is None:
        cheap_bytes = cheap_build_bytes()
    try:
        small = cheap_bytes > 0 and os.path.getsize(paths.events) <= cheap_bytes
    except OSError:
        small = False
    if small:
        from lineage_cli.store.build import build_store

        try:
            build_store(paths)
            return 0
        except (OSError, LineageError):
            pass  # read-only store or a bad line: answer from the last build, and say so
    if on_pending is not None:
        on_pending(pending)
    return pending
