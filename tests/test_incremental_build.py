"""Incremental builds: any split of an event stream into builds gives exactly one full build's result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage_cli.store.base import Store, open_store
from lineage_cli.store.events import (
    KIND_DESCRIBED,
    KIND_FLOW_COMPLETED,
    KIND_FLOW_FAILED,
    KIND_FLOW_SKIPPED,
    KIND_FLOW_STARTED,
    KIND_RUN_INPUTS,
)
from tests.pgserver import Cluster
from tests.storehelp import artifact, documents_on_demand, event

ids = st.sampled_from(["a", "b", "c", "d", "e", "f"])
flows = st.sampled_from(["L1", "L2", "L3"])
records = st.tuples(
    st.just("artifact"), ids, st.integers(0, 30), st.lists(ids, max_size=3, unique=True), flows,
    st.sampled_from([None, "1", "2"]),
)  # fmt: skip
flow_events = st.tuples(
    st.sampled_from([KIND_FLOW_STARTED, KIND_FLOW_COMPLETED, KIND_FLOW_FAILED, KIND_FLOW_SKIPPED]),
    flows,
    st.integers(0, 30),
)
# The event kinds of the OpenLineage and dbt imports: a flow's declared inputs, and aliases and
# metadata declared about an artifact (aliases among the ids merge artifacts).
declared = st.tuples(
    st.just(KIND_RUN_INPUTS), flows, st.integers(0, 30), st.lists(ids, max_size=2, unique=True)
)
described = st.tuples(
    st.just(KIND_DESCRIBED), ids, st.integers(0, 30),
    st.lists(st.sampled_from(["e", "f", "x", "y"]), max_size=2),
    st.sampled_from([None, {"owner": "ann"}, {"owner": "bob"}]),
)  # fmt: skip
streams = st.lists(st.one_of(records, flow_events, declared, described), min_size=1, max_size=25)
# Without aliases every build after the first is incremental (aliases make a build fold every event).
no_aliases: list[str] = []
metadata_only = st.tuples(
    st.just(KIND_DESCRIBED), ids, st.integers(0, 30), st.just(no_aliases),
    st.sampled_from([{"owner": "ann"}, {"owner": "bob"}]),
)  # fmt: skip
plain_streams = st.lists(st.one_of(records, flow_events, declared, metadata_only), min_size=1, max_size=30)


def make_events(stream: list[Any]) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []
    for item in stream:
        if item[0] == "artifact":
            _, aid, minute, inputs, lineage_id, version = item
            made.append(artifact(aid, minute, inputs, lineage_id=lineage_id, version=version))
        elif item[0] == KIND_RUN_INPUTS:
            _, lineage_id, minute, inputs = item
            made.append(event(KIND_RUN_INPUTS, minute, lineage_id, inputs=inputs))
        elif item[0] == KIND_DESCRIBED:
            _, aid, minute, aliases, metadata = item
            made.append(
                event(KIND_DESCRIBED, minute, "L0", artifact_id=aid, aliases=aliases, metadata=metadata)
            )
        else:
            kind, lineage_id, minute = item
            made.append(event(kind, minute, lineage_id, error="boom" if kind == KIND_FLOW_FAILED else None))
    return made


def results(store: Store, events: list[dict[str, Any]], cuts: list[int]) -> tuple[Any, ...]:
    hashes = []
    start = 0
    for cut in [*sorted({c for c in cuts if 0 < c < len(events)}), len(events)]:
        store.append(events[start:cut])
        hashes.append(store.build().graph_hash)
        start = max(start, cut)
    graph = store.open_graph()
    view = store.open_view()  # the query index (patched in place by an incremental build) agrees
    assert sorted(view.artifact_ids()) == sorted(graph.artifact_ids())
    for aid in graph.artifact_ids():
        assert tuple(view.parents(aid)) == tuple(graph.parents(aid))
        assert tuple(view.children(aid)) == tuple(graph.children(aid))
        assert view.node(aid) == graph.node(aid)
    document = graph.to_document()
    nodes = list(document["nodes"].items())  # in order: the lineage file's order must not depend on the split
    stale = [r.to_json() for r in store.stale()]
    return hashes[-1], nodes, document["edges"], stale, store.build().statuses


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=streams, cuts=st.lists(st.integers(0, 25), max_size=4), resend=st.integers(0, 25))
def test_any_split_into_incremental_builds_equals_one_full_build(
    pg_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory, stream: Any, cuts: list[int], resend: int
) -> None:
    events = make_events(stream)
    events = events + events[:resend]  # resent events change nothing
    with open_store(pg_cluster.url(pg_cluster.new_database())) as split:
        incremental = results(split, events, cuts)
        again = split.build(full=True)  # --full folds every event again: the same graph
        assert again.graph_hash == incremental[0] and again.snapshot is None
    with open_store(pg_cluster.url(pg_cluster.new_database())) as whole:
        assert results(whole, events, []) == incremental
    directory = tmp_path_factory.mktemp("store")
    with open_store(str(directory)) as local:
        assert results(local, events, cuts) == incremental  # and the directory store agrees
    with documents_on_demand(), open_store(str(tmp_path_factory.mktemp("store"))) as local:
        assert results(local, events, cuts) == incremental  # its lineage.json written on demand too


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=plain_streams, cuts=st.lists(st.integers(0, 30), max_size=6), more=plain_streams)
def test_incremental_builds_without_aliases_equal_one_full_build(
    pg_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory, stream: Any, cuts: list[int], more: Any
) -> None:
    events = make_events(stream)
    with open_store(pg_cluster.url(pg_cluster.new_database())) as split:
        incremental = results(split, events, cuts)
        # `lineage stale` before a build answers as after it: the last build's reasons plus the new events.
        split.append(make_events(more))
        unbuilt = [r.to_json() for r in split.stale()]
        split.build()
        assert unbuilt == [r.to_json() for r in split.stale()]
    with open_store(pg_cluster.url(pg_cluster.new_database())) as whole:
        assert results(whole, events, []) == incremental
    directory = tmp_path_factory.mktemp("store")
    with open_store(str(directory)) as local:
        assert results(local, events, cuts) == incremental
    with documents_on_demand(), open_store(str(tmp_path_factory.mktemp("store"))) as local:
        assert results(local, events, cuts) == incremental


def test_build_output_still_writes_the_lineage_file(pg_url: str, tmp_path: Path) -> None:
    with open_store(pg_url) as store:
        store.append([artifact("raw", 1), artifact("clean", 2, ["raw"])])
        result = store.build(output=tmp_path / "lineage.json")
    written = orjson.loads((tmp_path / "lineage.json").read_bytes())
    assert sorted(written["nodes"]) == ["clean", "raw"] and result.output == tmp_path / "lineage.json"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=streams, minute=st.integers(0, 31))
def test_as_of_probes_answer_as_the_fold_does(pg_cluster: Cluster, stream: Any, minute: int) -> None:
    from lineage_cli.model import parse_timestamp
    from lineage_cli.queries import ancestors, descendants
    from tests.storehelp import at

    moment = parse_timestamp(at(minute))
    with open_store(pg_cluster.url(pg_cluster.new_database())) as store:
        store.append(make_events(stream))
        view = store.open_view(moment)
        whole = store.open_graph(moment)
        for aid in ["a", "b", "c", "d", "e", "f", "x"]:
            assert (aid in view) == (aid in whole)
            if aid in whole:
                assert view.parents(aid) == whole.parents(aid) and view.children(aid) == whole.children(aid)
                assert ancestors(view, aid) == ancestors(whole, aid)
                assert descendants(view, aid) == descendants(whole, aid)
