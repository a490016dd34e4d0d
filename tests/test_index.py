"""The store's SQL index answers exactly like the in-memory graph, and is rebuilt when stale."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_cli.errors import LineageFileError, UnknownArtifactError
from lineage_cli.graph import LineageGraph
from lineage_cli.lineagefile import load_graph, save_graph
from lineage_cli.model import LineageEdge, TransformationType
from lineage_cli.queries import ancestors, descendants
from lineage_cli.source import open_graph
from lineage_cli.store.index import (
    BULK_AFTER,
    SqlIndex,
    build_index,
    graph_fingerprint,
    open_index,
    write_index,
)
from lineage_cli.store.layout import StorePaths
from tests.conftest import REAL_GRAPHS, REPO, make_graph

# shared/ sits beside a clone (CI) or beside the folder of worktrees (development).
REAL = REAL_GRAPHS if REAL_GRAPHS.is_dir() else REPO.parent.parent / "shared" / "real-graphs"


def index_of(graph: LineageGraph) -> SqlIndex:
    connection = sqlite3.connect(":memory:")
    write_index(connection, graph, {})
    return SqlIndex(connection)


def assert_same_view(graph: LineageGraph, index: SqlIndex) -> None:
    ids = graph.artifact_ids()
    assert index.artifact_count() == len(ids)
    assert index.artifact_ids() == ids
    for aid in ids:
        assert aid in index
        assert index.parents(aid) == graph.parents(aid)
        assert index.children(aid) == graph.children(aid)
        assert index.node(aid) == graph.node(aid)
        for parent in graph.parents(aid):
            assert index.edge(parent, aid) == graph.edge(parent, aid)
    assert "no-such-artifact" not in index
    assert index.edge(ids[0], "no-such-artifact") is None


@pytest.mark.parametrize("name", ["dbt-fhir.json", "dbt-ad-reporting.json", "dbt-tuva.json"])
def test_index_matches_the_graph_on_real_dbt_graphs(name: str) -> None:
    graph = load_graph(REAL / name)
    index = index_of(load_graph(REAL / name))
    assert_same_view(graph, index)
    for aid in graph.artifact_ids()[::7]:
        assert ancestors(index, aid) == ancestors(graph, aid)
        assert descendants(index, aid, depth=2) == descendants(graph, aid, depth=2)


ids = st.sampled_from([f"n{i}" for i in range(12)])


@settings(max_examples=60, deadline=None)
@given(
    pairs=st.lists(st.tuples(ids, ids), max_size=30),
    explicit=st.lists(st.tuples(ids, ids, st.sampled_from(list(TransformationType))), max_size=10),
    dangling=st.lists(ids, max_size=3),
)
def test_index_matches_the_graph_on_any_graph(
    pairs: list[tuple[str, str]],
    explicit: list[tuple[str, str, TransformationType]],
    dangling: list[str],
) -> None:
    """Implicit and explicit edges, duplicates, cycles and ids known only as edge endpoints."""
    graph = make_graph(pairs, extra_nodes=["n0"])
    for source, target, kind in explicit:
        graph.add_edge(LineageEdge(source, target, kind, f"{source}->{target}", {"k": 1}))
    for aid in dangling:
        if aid in graph.nodes and len(graph.nodes) > 1:
            graph.remove_node(aid)
            graph.add_edge(LineageEdge(aid, next(iter(graph.nodes))))
    reloaded = LineageGraph.from_document(graph.to_document())
    assert_same_view(reloaded, index_of(reloaded))


def store_with(tmp_path: Path, graph: LineageGraph) -> StorePaths:
    paths = StorePaths(tmp_path / "store")
    paths.root.mkdir()
    save_graph(graph, paths.graph)
    return paths


def test_open_graph_builds_the_index_then_uses_it_until_lineage_json_changes(tmp_path: Path) -> None:
    paths = store_with(tmp_path, make_graph([("raw", "clean"), ("clean", "report")]))
    assert open_index(paths) is None
    first = open_graph(store=paths.root)
    assert isinstance(first, LineageGraph)  # answered from the file, index written for next time
    second = open_graph(store=paths.root)
    assert isinstance(second, SqlIndex)
    assert ancestors(second, "report") == ["clean", "raw"]

    save_graph(make_graph([("raw", "report")]), paths.graph)  # a rebuild replaces the file
    assert open_index(paths) is None
    assert ancestors(open_graph(store=paths.root), "report") == ["raw"]
    fresh = open_graph(store=paths.root)
    assert isinstance(fresh, SqlIndex)
    assert ancestors(fresh, "report") == ["raw"]


def test_an_edited_lineage_json_makes_the_index_stale(tmp_path: Path) -> None:
    paths = store_with(tmp_path, make_graph([("a", "b")]))
    build_index(paths, load_graph(paths.graph))
    assert open_index(paths) is not None
    stat = paths.graph.stat()
    os.utime(paths.graph, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert open_index(paths) is None


def test_a_damaged_or_foreign_index_is_rebuilt(tmp_path: Path) -> None:
    paths = store_with(tmp_path, make_graph([("a", "b")]))
    paths.index.write_bytes(b"this is not a database")
    assert open_index(paths) is None
    assert isinstance(open_graph(store=paths.root), LineageGraph)
    assert isinstance(open_graph(store=paths.root), SqlIndex)

    connection = sqlite3.connect(paths.index)
    connection.execute("UPDATE meta SET value = '0' WHERE name = 'format'")
    connection.commit()
    connection.close()
    assert open_index(paths) is None


def test_a_store_where_the_index_cannot_be_written_still_answers(tmp_path: Path) -> None:
    paths = store_with(tmp_path, make_graph([("a", "b")]))
    paths.index.mkdir()  # os.replace onto a directory fails, as on a read-only store
    for _ in range(2):
        graph = open_graph(store=paths.root)
        assert isinstance(graph, LineageGraph)
        assert descendants(graph, "a") == ["b"]
    assert list(tmp_path.rglob("*.tmp")) == []


def test_a_missing_store_graph_is_reported_not_indexed(tmp_path: Path) -> None:
    with pytest.raises(LineageFileError, match="no such file"):
        open_graph(store=tmp_path / "empty")
    assert not (tmp_path / "empty" / "index.sqlite").exists()


def test_a_malformed_edge_names_the_file(tmp_path: Path) -> None:
    paths = StorePaths(tmp_path)
    paths.graph.write_text('{"nodes": {}, "edges": [{"source": "a", "target": "b", "type": "zap"}]}')
    with pytest.raises(LineageFileError, match=r"lineage\.json.*unknown transformation type 'zap'"):
        open_graph(store=tmp_path)


def test_the_fingerprint_is_taken_before_reading(tmp_path: Path) -> None:
    paths = store_with(tmp_path, make_graph([("a", "b")]))
    before = graph_fingerprint(paths.graph)
    graph = load_graph(paths.graph)
    save_graph(make_graph([("a", "c")]), paths.graph)  # changed while we were reading
    build_index(paths, graph, fingerprint=before)
    assert open_index(paths) is None  # so the next query rebuilds from the new file


def test_unknown_ids_get_suggestions_from_nearby_ids() -> None:
    pairs = [
        (f"wf-1/stage-{s}/artifact-{i:04d}", f"wf-1/stage-{s + 1}/artifact-{i:04d}")
        for s in range(3)
        for i in range(40)
    ]
    index = index_of(make_graph(pairs))
    with pytest.raises(UnknownArtifactError) as caught:
        index.require("wf-1/stage-2/artifakt-0017")
    assert caught.value.suggestions[0] == "wf-1/stage-2/artifact-0017"
    with pytest.raises(UnknownArtifactError):
        index.require("zzz")


def test_a_large_walk_reads_each_direction_in_one_pass() -> None:
    width = BULK_AFTER + 100
    graph = make_graph([("root", f"leaf-{i}") for i in range(width)] + [("leaf-0", "deep")])
    index = index_of(graph)
    assert descendants(index, "root") == descendants(graph, "root")
    # one lookup per artifact up to the threshold, then one read of every edge
    assert index.lookups <= BULK_AFTER + 3
    assert index.parents("deep") == ("leaf-0",)


def test_lineage_build_writes_a_fresh_index(tmp_path: Path) -> None:
    from lineage_cli.recorder import record_to_store
    from lineage_cli.store.build import build_store

    paths = StorePaths(tmp_path)
    record_to_store(paths, "clean", inputs=["raw"])
    record_to_store(paths, "report", inputs=["clean"])
    build_store(paths)
    index = open_index(paths)
    assert index is not None
    assert ancestors(index, "report") == ["clean", "raw"]
    assert index.node("report") == load_graph(paths.graph).node("report")
    build_store(paths, output=tmp_path / "elsewhere.json")  # another file: the store's index stays
    assert open_index(paths) is not None


def index_tables(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    connection = sqlite3.connect(path)
    try:
        artifacts = connection.execute("SELECT * FROM artifact ORDER BY name").fetchall()
        edges = connection.execute("SELECT * FROM edge ORDER BY position").fetchall()
    finally:
        connection.close()
    return artifacts, edges


def test_the_index_lineage_build_writes_equals_one_read_back_from_the_file(tmp_path: Path) -> None:
    """`lineage build` writes the index from its fold, not from the file: both must agree, row by row."""
    from lineage_cli.recorder import record_to_store
    from lineage_cli.store.build import build_store

    paths = StorePaths(tmp_path / "store")
    record_to_store(paths, "clean", inputs=["raw", "raw"], transformation="dedupe", metadata={"k": 1})
    record_to_store(paths, "report", inputs=["clean", "lookup"], transformation_type="merged")
    record_to_store(paths, "raw", workflow="ingest")
    record_to_store(paths, "clean", inputs=["raw"], version="v2")  # a newer record replaces the edges
    build_store(paths)
    from_fold = index_tables(paths.index)
    assert [row[0] for row in from_fold[0]] == ["clean", "lookup", "raw", "report"]
    document = from_fold[0][1][1]
    assert isinstance(document, bytes | str)
    lookup = orjson.loads(document)  # "lookup" was only an input: an external artifact
    assert lookup["status"] == "unknown" and lookup["metadata"] == {"external": True}

    build_index(paths, load_graph(paths.graph))
    assert index_tables(paths.index) == from_fold
