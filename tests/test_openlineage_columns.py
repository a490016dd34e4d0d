"""Column lineage from real columnLineage facets (Spark, Airflow, Marquez); expectations derived by hand."""

from __future__ import annotations

import json
import subprocess

import pytest

from lineage_cli.store.layout import StorePaths
from tests.conftest import LINEAGE
from tests.export_checks import dot_plain_counts
from tests.olstreams import REAL_FILES, import_pieces, real_lines

CLL = "file/tmp/cll_test/"
FD = "food_delivery/public."


def lineage(store: StorePaths, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINEAGE), *args, "--store", str(store.root)], capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> StorePaths:
    paths = import_pieces(tmp_path_factory.mktemp("columns"), [real_lines(p) for p in REAL_FILES])
    assert lineage(paths, "build").returncode == 0
    return paths


# Each expectation below was read off the columnLineage facets by hand (see the file and line).
ANCESTORS = {
    # compat-spark-cll.ndjson, line 5: agg <- source1.a, source1.b (GROUP_BY), source2.c (AGGREGATION),
    # source2.a.
    CLL + "tbl1#agg": [
        CLL + "cll_source1#a",
        CLL + "cll_source1#b",
        CLL + "cll_source2#a",
        CLL + "cll_source2#c",
    ],
    CLL + "tbl1#ident": [CLL + "cll_source1#a", CLL + "cll_source1#b", CLL + "cll_source2#a"],
    # compat-airflow.ndjson, lines 3, 5, 7: result.csv.a <- upload_cp.a <- upload.a <- copied.csv.a and
    # test.csv.a.
    "gs://mock-bucket/result.csv#a": [
        "bigquery/mock-project.test.upload#a",
        "bigquery/mock-project.test.upload_cp#a",
        "gs://mock-bucket/copied.csv#a",
        "gs://mock-bucket/test.csv#a",
    ],
    # marquez-seed.ndjson, lines 9, 19, 21: top_delivery_times.restaurant_id <- delivery_7_days.restaurant_id
    # <- orders_7_days.restaurant_id (<- menus.restaurant_id) and restaurants.id.
    FD + "top_delivery_times#restaurant_id": [
        FD + "delivery_7_days#restaurant_id",
        FD + "menus#restaurant_id",
        FD + "orders_7_days#restaurant_id",
        FD + "restaurants#id",
    ],
    # order_delivery_time <- delivery_7_days.order_placed_on (<- orders_7_days.placed_on <- orders.placed_on)
    # and delivery_7_days.order_delivered_on (<- order_status.transitioned_at).
    FD + "top_delivery_times#order_delivery_time": [
        FD + "delivery_7_days#order_delivered_on",
        FD + "delivery_7_days#order_placed_on",
        FD + "order_status#transitioned_at",
        FD + "orders#placed_on",
        FD + "orders_7_days#placed_on",
    ],
}


@pytest.mark.parametrize("column", sorted(ANCESTORS))
def test_column_ancestors_are_the_hand_derived_ones(store: StorePaths, column: str) -> None:
    shown = lineage(store, "ancestors", column, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["ancestors"] == ANCESTORS[column]


def test_column_descendants_impact_and_path(store: StorePaths) -> None:
    descendants = json.loads(lineage(store, "descendants", FD + "orders#placed_on", "--json").stdout)
    # Lines 9, 19, 21, 23: orders_7_days.placed_on -> delivery_7_days.order_placed_on -> discounts.amount_off,
    # top_delivery_times.order_placed_on and .order_delivery_time; -> popular_orders_day_of_week (both).
    assert descendants["descendants"] == [
        FD + "delivery_7_days#order_placed_on",
        FD + "discounts#amount_off",
        FD + "orders_7_days#placed_on",
        FD + "popular_orders_day_of_week#order_day_of_week",
        FD + "popular_orders_day_of_week#order_placed_on",
        FD + "top_delivery_times#order_delivery_time",
        FD + "top_delivery_times#order_placed_on",
    ]
    impact = json.loads(lineage(store, "impact", CLL + "cll_source2#c", "--json").stdout)
    assert impact["affected_artifacts"] == [CLL + "tbl1#agg"]
    path = lineage(
        store, "path", FD + "orders#placed_on", FD + "top_delivery_times#order_delivery_time", "--directed"
    )
    assert path.stdout.split() == [
        FD + "orders#placed_on",
        FD + "orders_7_days#placed_on",
        FD + "delivery_7_days#order_placed_on",
        FD + "top_delivery_times#order_delivery_time",
    ]


def test_an_identity_is_a_copied_column_edge(store: StorePaths) -> None:
    shown = json.loads(lineage(store, "provenance", CLL + "tbl1#ident", "--json").stdout)
    types = {p["artifact"]: (p["type"], p["description"]) for p in shown["parents"]}
    assert types[CLL + "cll_source1#a"] == (
        "copied",
        "DIRECT/IDENTITY,INDIRECT/FILTER,INDIRECT/GROUP_BY,INDIRECT/JOIN",
    )
    assert types[CLL + "cll_source1#b"] == ("derived", "INDIRECT/GROUP_BY")


def test_a_column_of_an_alias_is_the_artifacts_column(store: StorePaths) -> None:
    # tbl1's symlink (its Hive name) names the same table, so its columns too.
    shown = lineage(store, "ancestors", "file%3A%2Ftmp%2Fcll_test/default.tbl1#agg", "--json")
    assert json.loads(shown.stdout)["ancestors"] == ANCESTORS[CLL + "tbl1#agg"]


def test_provenance_columns_lists_each_column_and_its_sources(store: StorePaths) -> None:
    shown = json.loads(
        lineage(store, "provenance", "--columns", "gs://mock-bucket/result.csv", "--json").stdout
    )
    assert shown["artifact"] == "gs://mock-bucket/result.csv"
    assert [c["column"] for c in shown["columns"]] == ["a", "b", "c", "d"]
    assert shown["columns"][0] == {
        "column": "a",
        "id": "gs://mock-bucket/result.csv#a",
        "sources": [{"source": "bigquery/mock-project.test.upload_cp#a", "type": "IDENTITY"}],
    }
    piped = lineage(store, "provenance", "--columns", "gs://mock-bucket/result.csv").stdout.splitlines()
    assert piped[0] == "a\tbigquery/mock-project.test.upload_cp#a\tIDENTITY"


def test_an_unknown_column_is_one_sentence_with_close_matches(store: StorePaths) -> None:
    shown = lineage(store, "ancestors", CLL + "tbl1#agh")
    assert shown.returncode == 2 and "Traceback" not in shown.stderr
    assert "has no column lineage" in shown.stderr and "tbl1#agg" in shown.stderr


def test_the_json_export_carries_the_column_edges(store: StorePaths) -> None:
    exported = json.loads(lineage(store, "export", "--format", "json").stdout)
    assert exported["nodes"]["gs://mock-bucket/result.csv"]["columns"]["a"] == [
        {"source": "bigquery/mock-project.test.upload_cp#a", "type": "IDENTITY"}
    ]


def test_dot_draws_columns_as_records_that_graphviz_reads(store: StorePaths) -> None:
    shown = lineage(
        store, "export", "--format", "dot", "--columns", "--root", "gs://mock-bucket/result.csv", "--upstream"
    )
    assert shown.returncode == 0, shown.stderr
    assert 'shape=Mrecord, label="{result.csv|<c0> a|<c1> b|<c2> c|<c3> d}"' in shown.stdout
    # result.csv <- upload_cp <- upload <- copied.csv, test.csv: 4 columns on 4 column edges each.
    assert shown.stdout.count('style=dashed, color="#607D8B", label="IDENTITY"') == 16
    nodes, edges = dot_plain_counts(shown.stdout.encode())
    assert (nodes, edges) == (5, 4 + 16)
    plain = lineage(store, "export", "--format", "dot", "--root", "gs://mock-bucket/result.csv", "--upstream")
    assert "Mrecord" not in plain.stdout  # only on request
