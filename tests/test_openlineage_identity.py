"""OpenLineage identity (symlinks become aliases, natural URIs find artifacts), Job and Dataset events."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lineage_cli.graph import LineageGraph
from lineage_cli.interop.openlineage_import import import_openlineage
from lineage_cli.model import parse_timestamp
from lineage_cli.store.build import fold_log
from lineage_cli.store.index import SqlIndex, write_rows
from lineage_cli.store.layout import StorePaths
from tests.conftest import LINEAGE
from tests.olstreams import REAL_FILES, built_graph, import_pieces, real_lines

CUSTOMERS = "s3://warehouse/demo_etl/customers"
T2 = "hdfs://dataproc-producer-test-m/user/hive/warehouse/t2"


def lines_of(*names: str) -> list[bytes]:
    return [line for name in names for line in real_lines(next(p for p in REAL_FILES if p.name == name))]


def lineage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINEAGE), *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> StorePaths:
    root = tmp_path_factory.mktemp("identity")
    paths = import_pieces(root, [real_lines(p) for p in REAL_FILES])
    assert lineage("build", "--store", str(paths.root)).returncode == 0
    return paths


def test_iceberg_tables_sharing_a_symlink_are_one_artifact(store: StorePaths) -> None:
    nodes = built_graph(store)["nodes"]
    assert "s3://warehouse/wh/demo_etl/customers" not in nodes
    assert nodes[CUSTOMERS]["aliases"] == [
        "http://rest:8181/demo_etl.customers",
        "s3://warehouse/wh/demo_etl/customers",
    ]
    # Two Spark actions wrote it (append_data as wh/..., atomic_replace as demo_etl/...): the later wins.
    assert nodes[CUSTOMERS]["transformation"] == "demo.py.atomic_replace_table_as_select.demo_etl_customers"


def test_merging_does_not_depend_on_which_name_arrives_first(tmp_path: Path) -> None:
    lines = lines_of("sandbox-spark-iceberg.ndjson")
    whole = built_graph(import_pieces(tmp_path / "a", [lines]))
    # The name that loses (wh/...) imported alone first, the rest later: the same graph.
    first = [line for line in lines if b'"name":"wh/demo_etl/customers"' in line]
    rest = [line for line in lines if line not in first]
    assert first and built_graph(import_pieces(tmp_path / "b", [first, rest])) == whole
    alone = built_graph(import_pieces(tmp_path / "c", [first]))
    assert "s3://warehouse/wh/demo_etl/customers" in alone["nodes"]  # nothing else names it yet


@pytest.mark.parametrize(
    "name",
    [
        "s3://warehouse/wh/demo_etl/customers",  # the other dataset name
        "http://rest:8181/demo_etl.customers",  # the symlink (the Iceberg REST catalog's name)
    ],
)
def test_every_command_accepts_an_alias(store: StorePaths, name: str) -> None:
    root = str(store.root)
    shown = lineage("provenance", name, "--store", root, "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["artifact"] == CUSTOMERS
    assert lineage("ancestors", name, "--store", root).stdout.split() == [
        "wasbs://public@rakirahman.blob.core.windows.net/datasets/customers.csv"
    ]
    assert "s3://warehouse/demo_etl/customers_cleaned" in lineage("descendants", name, "--store", root).stdout
    assert lineage("impact", name, "--store", root, "--json").returncode == 0
    path = lineage("path", name, "s3://warehouse/demo_etl/customers_cleaned", "--store", root)
    assert path.stdout.split() == [CUSTOMERS, "s3://warehouse/demo_etl/customers_cleaned"]
    assert lineage("export", "--store", root, "--format", "json", "--root", name).returncode == 0
    as_of = lineage("ancestors", name, "--store", root, "--as-of", "2027-01-01")
    assert as_of.returncode == 0 and as_of.stdout.strip()


def test_provenance_shows_the_aliases(store: StorePaths) -> None:
    shown = lineage("provenance", T2, "--store", str(store.root)).stdout
    assert (
        "aliases: hdfs://dataproc-producer-test-m/user/hive/warehouse/default.t2 hive://dataproc-producer-test-m:9083/default.t2"
        in shown
    )


@pytest.mark.parametrize(
    ("uri", "artifact"),
    [
        ("file:///tmp/cll_test/tbl1", "file/tmp/cll_test/tbl1"),
        ("hdfs://dataproc-producer-test-m//user/hive/warehouse/t2", T2),
        ("bigquery:mock-project.test.upload", "bigquery/mock-project.test.upload"),
    ],
)
def test_the_natural_uri_finds_the_dataset(store: StorePaths, uri: str, artifact: str) -> None:
    shown = lineage("provenance", uri, "--store", str(store.root), "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["artifact"] == artifact, shown.stderr


def test_alias_of_is_one_method_on_the_graph_and_the_index(store: StorePaths) -> None:
    document = fold_log(store).document(parse_timestamp("2027-01-01"))
    graph = LineageGraph.from_document(document)
    connection = sqlite3.connect(":memory:")
    write_rows(
        connection,
        list(document["nodes"].items()),
        [],
        {},
        aliases=[(a, aid) for aid, node in document["nodes"].items() for a in node.get("aliases", ())],
    )
    index = SqlIndex(connection)
    for view in (graph, index):
        assert view.alias_of("http://rest:8181/demo_etl.customers") == CUSTOMERS
        assert view.alias_of("file:///tmp/cll_test/tbl1") == "file/tmp/cll_test/tbl1"
        assert view.alias_of(CUSTOMERS + "x") is None


def test_a_job_event_is_static_lineage(tmp_path: Path) -> None:
    job_event = [line for line in lines_of("marquez-api-fixtures.ndjson") if b"JobEvent" in line]
    nodes = built_graph(import_pieces(tmp_path, [job_event]))["nodes"]
    node = nodes["my-datasource-namespace/instance.schema.output-1"]
    assert (node["inputs"], node["status"], node["version"]) == (
        ["my-datasource-namespace/instance.schema.input-1"],
        "fresh",
        "1",
    )


def test_a_dataset_event_updates_the_record(tmp_path: Path) -> None:
    def event(kind: str, time: str, **fields: Any) -> bytes:
        base = {"eventTime": time, "producer": "p", **fields}
        if kind == "run":
            base |= {"eventType": "COMPLETE", "run": {"runId": "r1"}, "job": {"namespace": "n", "name": "j"}}
        return json.dumps(base).encode()

    out = {"namespace": "pg://db", "name": "s.t"}
    schema = {"schema": {"fields": [{"name": "id", "type": "INT"}]}, "owner": {"owners": [{"name": "ann"}]}}
    lines = [
        event("run", "2026-01-01T00:00:00Z", outputs=[out]),
        event("dataset", "2026-01-02T00:00:00Z", dataset={**out, "facets": schema}),
        event("dataset", "2025-01-02T00:00:00Z", dataset={**out, "facets": {"owner": {"owners": []}}}),
    ]
    node = built_graph(import_pieces(tmp_path, [lines]))["nodes"]["pg://db/s.t"]
    assert node["metadata"]["schema"] == schema["schema"]
    assert node["metadata"]["datasetFacets"] == {
        "owner": {"owners": [{"name": "ann"}]}
    }  # the older one is older
    assert node["version"] == "r1" and node["status"] == "fresh"
    result = import_openlineage([tmp_path / "piece-0.ndjson"], StorePaths(tmp_path / "again"))
    assert (result.read, result.ignored, result.problems) == (3, 0, [])
