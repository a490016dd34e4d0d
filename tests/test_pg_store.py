"""The PostgreSQL store on a real server: schema, append, build, queries, the same bytes as a directory."""

from __future__ import annotations

from pathlib import Path

import orjson

from lineage_cli.store.base import open_store
from lineage_cli.store.postgres import PostgresStore
from tests.storehelp import artifact, write_store


def test_append_build_and_query(pg_url: str, tmp_path: Path) -> None:
    events = [artifact("raw", 1), artifact("clean", 2, ["raw"]), artifact("raw", 3, version="2")]
    with open_store(pg_url) as store:
        assert isinstance(store, PostgresStore)
        assert store.append(events) == 3
        assert store.append(events) == 0  # resent: nothing changes
        result = store.build()
        assert (result.artifacts, result.edges) == (2, 1)
        view = store.open_view()
        assert view.parents("clean") == ("raw",)
    local = write_store(tmp_path / "dir", events)
    with open_store(str(local.root)) as directory:
        expected = directory.build()
    assert result.graph_hash == expected.graph_hash
    assert result.statuses == expected.statuses
    doc = orjson.loads(local.graph.read_bytes())
    with open_store(pg_url) as store:
        assert store.open_graph().nodes.keys() == {n for n in doc["nodes"]}
