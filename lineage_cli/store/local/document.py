"""A directory store's ``lineage.json``: written by ``lineage build`` while small, on demand above that.

At a million artifacts ``lineage.json`` is about 1 GB, and rewriting it from the stored rows was
most of the time a build took after a few new events (27.9 s of 28), while every query reads the
query index, which the build patches in place. So the document follows one size rule:

- while the graph's nodes take at most :func:`document_limit` bytes as compact JSON (the 32 MiB
  bound snapshots keep a copy under; ``$LINEAGE_DOCUMENT_BYTES`` overrides it), the build writes
  ``lineage.json`` as it always did;
- above that, the build removes the outdated ``lineage.json`` inside the state's transaction
  (``state.sqlite``, so one builder at a time) and records the build's token in ``built.json``
  and the query index. Whatever reads the whole document (export, ``validate``, ``html``, ``--graph``
  on the store's file, ``build --output``) asks :meth:`LocalStore.document
  <lineage_cli.store.local.LocalStore.document>`, which writes it from the state first
  (:func:`ensure_document`), under the same lock.

So a ``lineage.json`` on disk is always the document of the state's last build: a build that
changes the state removes or replaces it before it commits, and a crash leaves either the old
state with its file or no file, which the next reader writes again.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Final

import orjson

from lineage_cli.graph import FORMAT_VERSION
from lineage_cli.store.atomic import write_atomic
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.snapshots import COPY_LIMIT

__all__ = [
    "DOCUMENT_ENV",
    "DOCUMENT_LIMIT",
    "deferred",
    "document_limit",
    "encode",
    "ensure_document",
    "is_current",
]

DOCUMENT_LIMIT: Final = COPY_LIMIT
"""Largest graph (its nodes as compact JSON, in bytes) whose ``lineage.json`` a build writes itself."""
DOCUMENT_ENV: Final = "LINEAGE_DOCUMENT_BYTES"


def document_limit() -> int:
    """``$LINEAGE_DOCUMENT_BYTES``, else :data:`DOCUMENT_LIMIT` (``0``: every build leaves the file).

    Examples
    --------
    >>> import os
    >>> document_limit() == DOCUMENT_LIMIT or DOCUMENT_ENV in os.environ
    True
    """
    from lineage_cli.store.freshness import bytes_setting

    return bytes_setting(DOCUMENT_ENV, DOCUMENT_LIMIT)


def deferred(doc_bytes: int) -> bool:
    """Whether a graph whose nodes take ``doc_bytes`` leaves ``lineage.json`` to be written on demand.

    Examples
    --------
    >>> import os
    >>> deferred(1_000), deferred(DOCUMENT_LIMIT + 1) or DOCUMENT_ENV in os.environ
    (False, True)
    """
    return doc_bytes > document_limit()


def encode(built_at: str, nodes: dict[str, Any], edges: list[dict[str, Any]]) -> bytes:
    """The lineage file's bytes (the same as a full build's :meth:`~lineage_cli.store.fold.Fold.document`).

    Examples
    --------
    >>> encode("2026-01-01T00:00:00Z", {}, []).splitlines()[1]
    b'  "version": "1.0",'
    """
    document = {"version": FORMAT_VERSION, "built_at": built_at, "nodes": nodes, "edges": edges}
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def is_current(paths: StorePaths, token: str, log_bytes: int) -> bool:
    """Whether all the build with ``token`` leaves is in place: a build with no new events writes nothing.

    The index carries the token; ``built.json`` names the log offset; ``lineage.json`` is the file
    with that fingerprint, or, for a build token, absent and named deferred in ``built.json``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> is_current(StorePaths(pathlib.Path(tempfile.mkdtemp())), "build:1", 0)
    False
    """
    from lineage_cli.store.freshness import built_bytes, deferred_document
    from lineage_cli.store.indexwrite import graph_fingerprint, index_token
    from lineage_cli.store.local.state import BUILD_PREFIX

    if index_token(paths) != token or built_bytes(paths) != log_bytes:
        return False
    if token.startswith(BUILD_PREFIX):
        return deferred_document(paths) == token and not paths.graph.exists()
    try:
        return graph_fingerprint(paths.graph) == token
    except OSError:
        return False


def _write(paths: StorePaths) -> Any:
    from lineage_cli.store.indexwrite import graph_fingerprint

    def write(built_at: str, nodes: dict[str, Any], edges: list[dict[str, Any]]) -> str:
        write_atomic(paths.graph, encode(built_at, nodes, edges))
        return graph_fingerprint(paths.graph)

    return write


def ensure_document(paths: StorePaths) -> Path:
    """The store's ``lineage.json``, written first from the state if a build left it (or a crash removed it).

    A store whose state cannot give it (deleted, or from an older version) is built in full
    first. The path is returned even when there is nothing to write it from (no log): reading
    it then says that there is no such file, as before.

    Examples
    --------
    >>> import os, tempfile, pathlib
    >>> from lineage_cli.recorder import record_to_store
    >>> from lineage_cli.store.build import build_store
    >>> store = StorePaths(pathlib.Path(tempfile.mkdtemp()))
    >>> _ = record_to_store(store, "report", inputs=["table"])
    >>> os.environ[DOCUMENT_ENV] = "0"; _ = build_store(store); del os.environ[DOCUMENT_ENV]
    >>> store.graph.exists(), ensure_document(store).exists()
    (False, True)
    """
    from lineage_cli.store.local.state import write_from_state

    if paths.graph.exists():
        return paths.graph
    if write_from_state(paths, _write(paths)) or not paths.events.exists():
        return paths.graph
    from lineage_cli.store.build import build_store

    with contextlib.suppress(OSError):
        build_store(paths, full=True)
    if not paths.graph.exists():  # the full build left it too: write it from the state it made
        write_from_state(paths, _write(paths))
    return paths.graph
