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
    ("file", "/tmp/x.csv", "file//tmp/x.csv"),
    ("hive://metastore:9083", "db.table", "hive://metastore:9083/db.table"),
    ("team/a", "t", "team%2Fa/t"),
    ("s3:", "/x/y", "s3%3A//x/y"),
]


@pytest.mark.parametrize(("namespace", "name", "expected"), EXAMPLES)
def test_common_namespaces_read_like_uris(namespace: str, name: str, expected: str) -> None:
    assert dataset_artifact_id(namespace, name) == expected
    assert split_artifact_id(expected) == (namespace, name)


@given(st.text(min_size=1), st.text())
def test_every_namespace_and_name_round_trip(namespace: str, name: str) -> None:
    assert split_artifact_id(dataset_artifact_id(namespace, name)) == (namespace, name)


@given(st.from_regex(r"[a-z][a-z0-9+.\-]*://[a-z0-9.:\-]*", fullmatch=True), st.text())
def test_uri_namespaces_are_never_escaped(namespace: str, name: str) -> None:
    assert dataset_artifact_id(namespace, name) == f"{namespace}/{name}"


@given(st.text() | st.text().map(lambda t: "urn:lineage-cli:agent:" + t))
def test_agents_round_trip_through_producer_uris(agent: str) -> None:
    producer = producer_for_agent(agent)
    assert "://" in producer or producer.startswith("urn:")
    assert agent_for_producer(producer) == (agent or "unknown")
