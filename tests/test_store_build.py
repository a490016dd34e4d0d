"""Build: replacement, statuses, staleness chains, duplicates, time travel, snapshots, diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_cli.lineagefile import load_graph
from lineage_cli.model import parse_timestamp
from lineage_cli.staleness import stale_artifacts
from lineage_cli.store.build import build_store, fold_log
from lineage_cli.store.events import KIND_FLOW_COMPLETED, KIND_FLOW_FAILED, KIND_FLOW_STARTED
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.snapshots import list_snapshots
from lineage_cli.timetravel import diff, document_at, graph_at
from tests.storehelp import artifact, at, event, write_store


def statuses(paths: StorePaths) -> dict[str, str]:
    return {a: n["status"] for a, n in fold_log(paths).nodes.items()}


def test_a_later_record_replaces_the_earlier_one_and_its_input_edges(tmp_path: Path) -> None:
    paths = write_store(
        tmp_path,
        [
            artifact("report", 1, ["a", "b"], version="1", transformation="join"),
            artifact(
                "report", 2, ["c"], version="2", transformation="rewrite", transformation_type="refined"
            ),
        ],
    )
    build_store(paths)
    graph = load_graph(paths.graph)
    node = graph.node("report")
    assert node is not None
    assert (node.version, node.inputs, node.transformation) == ("2", ["c"], "rewrite")
    assert [(e.source, e.target, e.transformation_type.value) for e in graph.edges] == [
        ("c", "report", "refined")
    ]


def test_unversioned_records_are_numbered(tmp_path: Path) -> None:
    paths = write_store(tmp_path, [artifact("x", 1), artifact("x", 2), artifact("x", 3)])
    assert fold_log(paths).nodes["x"]["version"] == "3"


def test_the_later_time_wins_even_when_logged_first(tmp_path: Path) -> None:
    # An import can append an old record after a newer one: time decides, not log order.
    paths = write_store(tmp_path, [artifact("x", 5, version="new"), artifact("x", 1, version="old")])
    assert fold_log(paths).nodes["x"]["version"] == "new"


def test_statuses_from_flows(tmp_path: Path) -> None:
    paths = write_store(
        tmp_path,
        [
            event(KIND_FLOW_STARTED, 1, "ok"),
            artifact("done", 2, lineage_id="ok"),
            event(KIND_FLOW_COMPLETED, 3, "ok"),
            event(KIND_FLOW_STARTED, 1, "bad"),
            artifact("broken", 2, lineage_id="bad"),
            event(KIND_FLOW_FAILED, 3, "bad", error="ValueError: nope"),
            event(KIND_FLOW_STARTED, 1, "running"),
            artifact("partial", 2, lineage_id="running"),
            artifact("loose", 2, lineage_id="no-flow-events"),
        ],
    )
    fold = fold_log(paths)
    assert {a: n["status"] for a, n in fold.nodes.items()} == {
        "done": "fresh",
        "broken": "failed",
        "partial": "in_progress",
        "loose": "fresh",
    }
    assert fold.nodes["broken"]["metadata"]["error"] == "ValueError: nope"
    assert fold.nodes["done"]["metadata"]["lineage_id"] == "ok"


def test_a_completed_flow_stays_completed_when_its_start_is_logged_late(tmp_path: Path) -> None:
    paths = write_store(
        tmp_path,
        [
            artifact("x", 2, lineage_id="f"),
            event(KIND_FLOW_COMPLETED, 3, "f"),
            event(KIND_FLOW_STARTED, 1, "f"),
        ],
    )
    assert statuses(paths) == {"x": "fresh"}


def test_staleness_propagates_downstream_with_reason_chains(tmp_path: Path) -> None:
    paths = write_store(
        tmp_path,
        [
            artifact("raw", 1, version="v1"),
            artifact("clean", 2, ["raw"]),
            artifact("report", 3, ["clean"]),
            artifact("other", 3, ["side"]),
            artifact("raw", 4, version="v2"),
        ],
    )
    assert statuses(paths) == {
        "raw": "fresh",
        "clean": "stale",
        "report": "stale",
        "other": "fresh",
        "side": "unknown",  # never recorded: an external artifact
    }
    reasons = stale_artifacts(paths)
    assert [r.to_json() for r in reasons] == [
        {
            "artifact": "clean",
            "changed": "raw",
            "from_version": "v1",
            "to_version": "v2",
            "changed_at": at(4),
            "built_at": at(2),
            "chain": ["raw", "clean"],
        },
        {
            "artifact": "report",
            "changed": "raw",
            "from_version": "v1",
            "to_version": "v2",
            "changed_at": at(4),
            "built_at": at(2),
            "chain": ["raw", "clean", "report"],
        },
    ]
    # Rebuilding the consumers makes them fresh again.
    write_store(tmp_path, [artifact("clean", 5, ["raw"]), artifact("report", 6, ["clean"])])
    assert {s for a, s in statuses(paths).items() if a != "side"} == {"fresh"}
    assert stale_artifacts(paths) == []


def test_re_recording_the_same_version_changes_nothing_downstream(tmp_path: Path) -> None:
    paths = write_store(
        tmp_path,
        [artifact("raw", 1, version="abc"), artifact("clean", 2, ["raw"]), artifact("raw", 3, version="abc")],
    )
    assert statuses(paths) == {"raw": "fresh", "clean": "fresh"}


def test_an_input_first_produced_after_its_consumer_makes_it_stale(tmp_path: Path) -> None:
    paths = write_store(tmp_path, [artifact("report", 1, ["table"]), artifact("table", 2)])
    [reason] = stale_artifacts(paths)
    assert (reason.artifact, reason.from_version, reason.to_version) == ("report", None, "1")


def test_staleness_is_cycle_safe_and_iterative(tmp_path: Path) -> None:
    depth = 6000
    events = [artifact("n0", 1)]
    events += [artifact(f"n{i}", 2, [f"n{i - 1}"]) for i in range(1, depth)]
    events += [artifact("loop-a", 2, ["loop-b"]), artifact("loop-b", 2, ["loop-a", "n0"])]
    events.append(artifact("n0", 3))
    paths = write_store(tmp_path, events)
    stale = {r.artifact: r for r in stale_artifacts(paths)}
    assert len(stale) == depth - 1 + 2
    assert len(stale[f"n{depth - 1}"].chain) == depth
    assert stale["loop-a"].chain == ("n0", "loop-b", "loop-a")


def test_failed_and_running_artifacts_are_not_listed_as_stale(tmp_path: Path) -> None:
    paths = write_store(
        tmp_path,
        [
            artifact("raw", 1),
            event(KIND_FLOW_STARTED, 2, "run"),
            artifact("clean", 2, ["raw"], lineage_id="run"),
            artifact("report", 2, ["clean"]),
            artifact("raw", 3),
        ],
    )
    assert statuses(paths)["clean"] == "in_progress"
    assert [r.artifact for r in stale_artifacts(paths)] == ["report"]  # through the running one


def test_duplicate_event_ids_are_ignored_first_wins(tmp_path: Path) -> None:
    first = artifact("x", 1, version="first")
    again = dict(first, version="second")
    paths = write_store(tmp_path, [first, again, first])
    fold = fold_log(paths)
    assert (fold.nodes["x"]["version"], fold.events, fold.duplicates) == ("first", 1, 2)


def test_build_writes_an_atomic_file_and_snapshots_only_changes(tmp_path: Path) -> None:
    paths = write_store(tmp_path, [artifact("a", 1), artifact("b", 2, ["a"])])
    first = build_store(paths)
    assert first.snapshot is not None and first.snapshot["number"] == 1
    assert build_store(paths).snapshot is None
    write_store(tmp_path, [artifact("c", 3, ["b"])])
    third = build_store(paths, output=tmp_path / "elsewhere.json")
    assert third.snapshot is not None and third.snapshot["number"] == 2
    assert (tmp_path / "elsewhere.json").exists()
    entries = list_snapshots(paths)
    assert [(e["number"], e["artifacts"], e["edges"], e["last_event_time"]) for e in entries] == [
        (1, 2, 1, at(2)),
        (2, 3, 2, at(3)),
    ]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_time_travel_includes_every_event_at_or_before_the_moment(tmp_path: Path) -> None:
    paths = write_store(
        tmp_path,
        [
            event(KIND_FLOW_STARTED, 1, "f"),
            artifact("a", 1, lineage_id="f"),
            artifact("b", 2, ["a"]),
            event(KIND_FLOW_COMPLETED, 3, "f"),
            artifact("a", 4, version="2"),
        ],
    )
    moment = parse_timestamp
    assert sorted(graph_at(paths, moment(at(0))).nodes) == []
    early = document_at(paths, moment(at(2)))
    assert early["nodes"]["a"]["status"] == "in_progress" and early["built_at"] == at(2)
    assert sorted(early["nodes"]) == ["a", "b"]
    assert document_at(paths, moment(at(3)))["nodes"]["a"]["status"] == "fresh"
    late = document_at(paths, moment(at(4)))
    assert late["nodes"]["b"]["status"] == "stale" and late["nodes"]["a"]["version"] == "2"


def test_time_travel_from_a_snapshot_equals_replaying_the_log(tmp_path: Path) -> None:
    paths = write_store(tmp_path, [artifact("a", 1), artifact("b", 2, ["a"])])
    build_store(paths)
    write_store(tmp_path, [artifact("c", 10, ["b"])])
    moment = parse_timestamp(at(5))
    from_snapshot = document_at(paths, moment)
    (paths.snapshots / "index.jsonl").unlink()
    replayed = document_at(paths, moment)
    assert from_snapshot == replayed and sorted(replayed["nodes"]) == ["a", "b"]


def test_a_late_event_before_the_moment_is_not_hidden_by_the_snapshot(tmp_path: Path) -> None:
    paths = write_store(tmp_path, [artifact("a", 1), artifact("b", 2, ["a"])])
    build_store(paths)
    write_store(tmp_path, [artifact("late", 3)])  # logged after the build, timed before the moment
    assert sorted(document_at(paths, parse_timestamp(at(5)))["nodes"]) == ["a", "b", "late"]


def test_diff_lists_added_removed_modified_and_edges(tmp_path: Path) -> None:
    paths = write_store(
        tmp_path,
        [
            artifact("a", 1),
            artifact("b", 1, ["a"]),
            artifact("b", 5, ["c"]),
            artifact("c", 5),
            artifact("a", 6, version="9"),
        ],
    )
    d = diff(paths, parse_timestamp(at(2)), parse_timestamp(at(7)))
    assert d.to_json() == {
        "from": at(2),
        "to": at(7),
        "artifacts": {
            "added": ["c"],
            "removed": [],
            "modified": [
                {"artifact": "a", "from_version": "1", "to_version": "9"},
                {"artifact": "b", "from_version": "1", "to_version": "2"},
            ],
            "dropped": [],
            "status_changed": [],
        },
        "edges": {"added": [{"source": "c", "target": "b"}], "removed": [{"source": "a", "target": "b"}]},
    }
    assert diff(paths, parse_timestamp(at(7)), parse_timestamp(at(8))).empty


def test_progress_is_reported_for_large_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lineage_cli.store.build as build
    import lineage_cli.store.fold as fold

    monkeypatch.setattr(build, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(fold, "PROGRESS_EVERY", 10)
    paths = write_store(tmp_path, [artifact(f"x{i}", 1) for i in range(25)])
    calls: list[tuple[str, int]] = []
    build.build_store(paths, progress=lambda phase, done: calls.append((phase, done)))
    assert ("folding events", 10) in calls and ("folding events", 20) in calls
    assert calls[-2:] == [("writing the lineage file", 25), ("writing the query index", 25)]


# -- properties -------------------------------------------------------------------------

ids = st.sampled_from(["a", "b", "c", "d", "e"])
records = st.lists(
    st.tuples(ids, st.integers(0, 20), st.lists(ids, max_size=3, unique=True)), min_size=1, max_size=30
)


def reference_fold(events: list[tuple[str, int, list[str]]], until: int) -> dict[str, Any]:
    """The obvious quadratic definition: for each artifact the latest record (log order breaks ties)."""
    latest: dict[str, tuple[int, int, list[str]]] = {}
    for position, (aid, minute, inputs) in enumerate(events):
        if minute <= until and (aid not in latest or minute >= latest[aid][0]):
            latest[aid] = (minute, position, inputs)

    def is_stale(aid: str, seen: frozenset[str]) -> bool:
        minute, _, inputs = latest[aid]
        return any(
            i in latest and (latest[i][0] > minute or (i not in seen and is_stale(i, seen | {i})))
            for i in inputs
        )

    folded = {aid: (value[2], is_stale(aid, frozenset({aid}))) for aid, value in latest.items()}
    for value in latest.values():  # inputs never recorded are external artifacts, never stale
        for source in value[2]:
            folded.setdefault(source, ([], False))
    return folded


@settings(max_examples=60, deadline=None)
@given(events=records, until=st.integers(0, 20))
def test_fold_matches_the_reference_definition(
    tmp_path_factory: pytest.TempPathFactory, events: Any, until: int
) -> None:
    root = tmp_path_factory.mktemp("store")
    paths = write_store(root, [artifact(aid, minute, inputs) for aid, minute, inputs in events])
    fold = fold_log(paths, until=parse_timestamp(at(until)))
    got = {aid: (node["inputs"], node["status"] == "stale") for aid, node in fold.nodes.items()}
    assert got == reference_fold(events, until)
    assert orjson.loads(orjson.dumps(fold.nodes)) == fold.nodes  # JSON-ready as it is


@settings(max_examples=40, deadline=None)
@given(events=records, split=st.integers(0, 30), until=st.integers(0, 20))
def test_time_travel_with_snapshots_equals_folding_only_the_earlier_events(
    tmp_path_factory: pytest.TempPathFactory, events: Any, split: int, until: int
) -> None:
    recorded = [artifact(aid, minute, inputs) for aid, minute, inputs in events]
    paths = write_store(tmp_path_factory.mktemp("store"), recorded[:split])
    if recorded[:split]:
        build_store(paths)  # a snapshot part-way through the log
    write_store(paths.root, recorded[split:])
    moment = parse_timestamp(at(until))
    earlier = write_store(tmp_path_factory.mktemp("earlier"), [e for e in recorded if e["time"] <= at(until)])
    expected = fold_log(earlier).nodes if earlier.events.exists() else {}
    assert document_at(paths, moment)["nodes"] == expected
