"""Artifact ids from OpenLineage dataset namespace and name: readable, and exactly reversible."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage_cli.interop.naming import (
    agent_for_producer,
    dataset_artifact_id,
    producer_for_agent,
    split_artifact_id,
)

# Namespaces from OpenLineage's naming spec, and what they give.
EXAMPLES = [
    (
        "postgres://db.example.com:5432",
        "shop.public.orders",
        "postgres://db.example.com:5432/shop.public.orders",
    ),
    ("s3://lake", "raw/orders.parquet", "s3://lake/raw/orders.parquet"),
    ("gs://bucket", "a/b/c.csv", "gs://bucket/a/b/c.csv"),
    ("kafka://broker:9092", "orders-topic", "kafka://broker:9092/orders-topic"),
    ("bigquery", "proj.ds.table", "bigquery/proj.ds.table"),
    ("file", "tmp/x.csv", "file/tmp/x.csv"),
    ("hdfs://host", "user/hive/warehouse/t2", "hdfs://host/user/hive/warehouse/t2"),
    ("hive://metastore:9083", "db.table", "hive://metastore:9083/db.table"),
    ("team/a", "t", "team%2Fa/t"),
    ("s3:", "x/y", "s3%3A/x/y"),
]


@pytest.mark.parametrize(("namespace", "name", "expected"), EXAMPLES)
def test_common_namespaces_read_like_uris(namespace: str, name: str, expected: str) -> None:
    assert dataset_artifact_id(namespace, name) == expected
    assert split_artifact_id(expected) == (namespace, name)


@given(st.text(min_size=1), st.text())
def test_every_namespace_and_name_round_trip(namespace: str, name: str) -> None:
    artifact_id = dataset_artifact_id(namespace, name)
    # A leading "/" of the name is not doubled, so it is the separator on the way back.
    assert split_artifact_id(artifact_id) == (namespace, name.removeprefix("/"))
    assert dataset_artifact_id(namespace, name.removeprefix("/")) == artifact_id


@pytest.mark.parametrize(
    ("namespace", "name", "expected"),
    [
        (
            "hdfs://dataproc-producer-test-m",
            "/user/hive/warehouse/t2",
            "hdfs://dataproc-producer-test-m/user/hive/warehouse/t2",
        ),
        ("file", "/tmp/cll_test/tbl1", "file/tmp/cll_test/tbl1"),
        ("s3a://acryl-datahub-offline", "/tmp/daily_stats2", "s3a://acryl-datahub-offline/tmp/daily_stats2"),
    ],
)
def test_a_name_beginning_with_a_slash_gives_no_double_slash(
    namespace: str, name: str, expected: str
) -> None:
    assert dataset_artifact_id(namespace, name) == expected


@given(st.from_regex(r"[a-z][a-z0-9+.\-]*://[a-z0-9.:\-]*", fullmatch=True), st.text())
def test_uri_namespaces_are_never_escaped(namespace: str, name: str) -> None:
    assert dataset_artifact_id(namespace, name) == f"{namespace}/{name.removeprefix('/')}"


@given(st.text() | st.text().map(lambda t: "urn:lineage-cli:agent:" + t))
def test_agents_round_trip_through_producer_uris(agent: str) -> None:
    producer = producer_for_agent(agent)
    assert "://" in producer or producer.startswith("urn:")
    assert agent_for_producer(producer) == (agent or "unknown")
