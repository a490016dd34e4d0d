"""Time travel on PostgreSQL folds only the region an answer needs and answers as the directory store does."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lineage_cli import impact, queries
from lineage_cli.cli import app
from lineage_cli.documents import provenance_document
from lineage_cli.errors import InputError
from lineage_cli.graph import GraphView, LineageGraph, node_to_document
from lineage_cli.model import parse_timestamp
from lineage_cli.names import resolve
from lineage_cli.store.base import open_store
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.postgres.asof import AsOfView
from lineage_cli.timetravel import graph_at
from tests.olstreams import REAL_FILES
from tests.pgserver import Cluster
from tests.storehelp import at, events_of, write_store
from tests.test_incremental_build import make_events, streams

NAMES = ["a", "b", "c", "d", "e", "f", "x", "y", "A", "zz"]


def outcome(ask: Callable[[], Any]) -> Any:
    """The answer, or the error's type and sentence (an unknown id's close matches included)."""
    try:
        return ask()
    except InputError as exc:
        return type(exc).__name__, str(exc)


def answers(view: Callable[[], GraphView], name: str) -> list[Any]:
    """Every question a query command asks about ``name``, each on a fresh view (no region shared)."""
    found: list[Any] = [outcome(lambda: name in view()), outcome(lambda: view().alias_of(name))]
    resolved = outcome(lambda: resolve(view(), name))
    found.append(resolved)
    if not isinstance(resolved, str):
        return found
    first = outcome(lambda: view().node(resolved))  # asked first: no walk has grown the region yet
    found.append(None if first is None else node_to_document(first))
    for direction in ("upstream", "downstream"):
        walked = view()
        tree = queries.walk_tree(walked, resolved, direction)
        # Every node reached, with its status and stale reason: the region's fold must give them.
        nodes = [walked.node(a) for a in tree]
        found.append([(list(tree.items()), [None if n is None else node_to_document(n) for n in nodes])])
    found.append(provenance_document(queries.provenance(view(), resolved)))
    report = impact.analyze_impact(view(), resolved, None)
    found.append((report.affected_artifacts, report.affected_workflows, report.already_stale))
    return found


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=streams, minutes=st.lists(st.integers(0, 31), min_size=1, max_size=3, unique=True))
def test_every_as_of_answer_equals_the_directory_stores(
    pg_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory, stream: Any, minutes: list[int]
) -> None:
    events = make_events(stream)
    directory = write_store(tmp_path_factory.mktemp("store"), events)
    with open_store(pg_cluster.url(pg_cluster.new_database())) as store:
        store.append(events)
        for minute in minutes:
            moment = parse_timestamp(at(minute))
            whole = graph_at(directory, moment)
            fresh = partial(store.open_view, moment)
            assert isinstance(fresh(), AsOfView)
            for name in NAMES:
                assert answers(fresh, name) == answers(partial(lambda g: g, whole), name), name


def test_one_view_answers_many_questions_and_falls_back_to_the_whole_fold(pg_url: str) -> None:
    events = make_events(
        [
            ("artifact", "a", 1, [], "L1", None),
            ("artifact", "b", 2, ["a", "ext"], "L1", None),
            ("artifact", "c", 3, ["b"], "L2", None),
            ("artifact", "a", 4, [], "L1", "2"),  # b and c are stale from here on
            ("artifact", "b", 0, ["a"], "L1", None),  # a late event: an old time, imported last
            ("artifact", "d", 2, ["ext"], "L3", None),  # the first consumer of ext: its timestamp
            ("run_inputs", "L2", 3, ["a"]),  # c's flow declared it read a too
            ("flow_failed", "L3", 4),
        ]
    )
    with open_store(pg_url) as store:
        store.append(events)
        moment = parse_timestamp(at(5))
        whole = store.open_graph(moment)
        for aid in ("c", "ext", "d"):  # each on a fresh view, asked first
            fresh = store.open_view(moment)
            assert node_to_document(fresh.node(aid)) == node_to_document(whole.node(aid))  # type: ignore[arg-type]
        view = store.open_view(moment)
        assert isinstance(view, AsOfView) and isinstance(whole, LineageGraph)
        assert queries.ancestors(view, "c") == ["a", "b", "ext"]
        assert queries.descendants(view, "ext") == ["b", "c", "d"]
        for aid in ("a", "b", "c", "ext"):
            assert node_to_document(view.node(aid)) == node_to_document(whole.node(aid))  # type: ignore[arg-type]
        assert view.node("c").status.value == "stale"  # type: ignore[union-attr]
        assert view.parents("c") == ("a", "b") and view.node("d").status.value == "failed"  # type: ignore[union-attr]
        assert view.artifact_ids() == whole.artifact_ids() == ["a", "b", "c", "d", "ext"]
        assert outcome(lambda: view.require("cc")) == outcome(lambda: whole.require("cc"))


def test_the_real_openlineage_files_answer_alike_at_every_moment(pg_url: str, tmp_path: Path) -> None:
    directory = tmp_path / "store"
    for location in (str(directory), pg_url):
        argv = ["import", "openlineage", *map(str, REAL_FILES), "--assume-utc", "--store", location]
        ran = CliRunner().invoke(app, argv)
        assert ran.exit_code == 0, ran.stderr
    paths = StorePaths(directory)
    times = sorted({parse_timestamp(e["time"]) for e in events_of(paths)})
    moments = [times[len(times) // 3], times[2 * len(times) // 3], times[-1]]
    with open_store(pg_url) as store:
        for moment in moments:
            whole = graph_at(paths, moment)
            names = [*whole.artifact_ids(), "s3://warehouse/wh/demo_etl/customers", "no-such-table"]
            for name in names:  # aliases, failed and in-progress runs, late events, external inputs
                fresh = partial(store.open_view, moment)
                assert answers(fresh, name) == answers(partial(lambda g: g, whole), name), (moment, name)
