"""Helpers for tests over OpenLineage streams: the real files, imports in pieces, the built graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from lineage_cli.interop.openlineage_import import import_openlineage
from lineage_cli.store.build import fold_log
from lineage_cli.store.layout import StorePaths
from tests.conftest import REAL_OPENLINEAGE

REAL_FILES = sorted(REAL_OPENLINEAGE.glob("*.ndjson"))


def real_lines(path: Path) -> list[bytes]:
    """The non-blank lines of one real file."""
    return [line for line in path.read_bytes().split(b"\n") if line.strip()]


def import_pieces(root: Path, pieces: list[list[bytes]]) -> StorePaths:
    """Import each piece (a list of NDJSON lines) in its own import call, in order."""
    store = StorePaths(root / "store")
    root.mkdir(parents=True, exist_ok=True)
    for number, piece in enumerate(pieces):
        path = root / f"piece-{number}.ndjson"
        path.write_bytes(b"".join(line + b"\n" for line in piece))
        result = import_openlineage([path], store, assume_utc=True)
        assert result.problems == [], result.problems
    return store


def built_graph(store: StorePaths) -> dict[str, Any]:
    """The graph ``lineage build`` would write, in a canonical order (nodes by id, edges sorted)."""
    fold = fold_log(store)
    edges = sorted(fold.edges, key=lambda e: orjson.dumps(e, option=orjson.OPT_SORT_KEYS))
    nodes = {artifact_id: fold.nodes[artifact_id] for artifact_id in sorted(fold.nodes)}
    graph: dict[str, Any] = orjson.loads(
        orjson.dumps({"nodes": nodes, "edges": edges}, option=orjson.OPT_SORT_KEYS)
    )
    return graph
