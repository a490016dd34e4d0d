"""A run's inputs are every input its events name, however the events are split into imports."""

from __future__ import annotations

import itertools
import random
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage_cli.model import parse_timestamp
from lineage_cli.store.build import fold_log
from lineage_cli.timetravel import diff
from tests.olstreams import REAL_FILES, built_graph, import_pieces, real_lines
from tests.test_openlineage_properties import run_strategy, to_lines


def split(lines: list[bytes], rnd: random.Random, pieces: int) -> list[list[bytes]]:
    """``lines`` shuffled and cut into ``pieces`` imports (some may be empty)."""
    shuffled = lines[:]
    rnd.shuffle(shuffled)
    cuts = sorted(rnd.randint(0, len(shuffled)) for _ in range(pieces - 1))
    bounds = [0, *cuts, len(shuffled)]
    return [shuffled[a:b] for a, b in itertools.pairwise(bounds)]


def graph_of(pieces: list[list[bytes]]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        return built_graph(import_pieces(Path(tmp), pieces))


REAL_LINES = [line for path in REAL_FILES for line in real_lines(path)]


def test_the_real_events_are_there() -> None:
    assert len(REAL_FILES) == 16 and len(REAL_LINES) == 334


@pytest.fixture(scope="module")
def real_graph() -> dict[str, Any]:
    return graph_of([REAL_LINES])


def test_spark_file_per_event_keeps_the_inputs_named_on_start(tmp_path: Path) -> None:
    # The Spark agent names customers_cleaned's inputs on START only; one file per event.
    lines = real_lines(next(p for p in REAL_FILES if p.name == "sandbox-spark-iceberg.ndjson"))
    graph = built_graph(import_pieces(tmp_path, [[line] for line in lines]))
    node = graph["nodes"]["s3://warehouse/demo_etl/customers_cleaned"]
    assert node["inputs"] == ["s3://warehouse/demo_etl/customers", "s3://warehouse/demo_etl/orders"]


def test_marquez_listener_third_input_named_on_complete_is_kept(tmp_path: Path) -> None:
    lines = real_lines(next(p for p in REAL_FILES if p.name == "marquez-api-fixtures.ndjson"))
    listener = [line for line in lines if b"out_file" in line]
    assert len(listener) == 2
    graph = built_graph(import_pieces(tmp_path, [listener[:1], listener[1:]]))
    inputs = {a: n["inputs"] for a, n in graph["nodes"].items() if "out_file" in a}
    assert inputs == {
        "file.localhost/file://localhost/out_file1.txt": [
            "file.localhost/file://localhost/in_file1.txt",
            "file.localhost/file://localhost/in_file2.txt",
            "file.localhost/file://localhost/in_file3.txt",
        ],
        "file.localhost/file://localhost/out_file2.txt": [
            "file.localhost/file://localhost/in_file1.txt",
            "file.localhost/file://localhost/in_file2.txt",
            "file.localhost/file://localhost/in_file3.txt",
        ],
    }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.randoms(use_true_random=False), st.integers(1, 5))
def test_real_streams_split_and_reordered_give_the_same_graph(
    real_graph: dict[str, Any], rnd: random.Random, pieces: int
) -> None:
    assert graph_of(split(REAL_LINES, rnd, pieces)) == real_graph


@settings(max_examples=40, deadline=None)
@given(st.lists(run_strategy, min_size=1, max_size=6), st.randoms(use_true_random=False), st.integers(1, 4))
def test_generated_streams_split_and_reordered_give_the_same_graph(
    runs: list[dict[str, Any]], rnd: random.Random, pieces: int
) -> None:
    lines = to_lines(runs)
    whole = graph_of([lines])
    assert graph_of(split(lines, rnd, pieces)) == whole
    for artifact_id, node in whole["nodes"].items():
        assert artifact_id not in node["inputs"]  # a self-read is a refinement, not a cycle


def test_time_travel_sees_the_inputs_declared_by_then(tmp_path: Path) -> None:
    # Marquez's listener: RUNNING names two inputs (and out_file1), COMPLETE a day later a third.
    lines = real_lines(next(p for p in REAL_FILES if p.name == "marquez-api-fixtures.ndjson"))
    listener = [line for line in lines if b"out_file" in line]
    store = import_pieces(tmp_path, [listener[1:], listener[:1]])  # COMPLETE imported first
    out = "file.localhost/file://localhost/out_file1.txt"
    between = fold_log(store, until=parse_timestamp("2020-12-29T00:00:00Z")).nodes[out]["inputs"]
    after = fold_log(store, until=parse_timestamp("2020-12-30T00:00:00Z")).nodes[out]["inputs"]
    assert [len(between), len(after)] == [2, 3]
    change = diff(store, parse_timestamp("2020-12-29T00:00:00Z"), parse_timestamp("2020-12-30T00:00:00Z"))
    files = "file.localhost/file://localhost/"
    # out_file2 is new (all three inputs), and out_file1 gains the third input; in_file3, never
    # recorded itself, is new as an external artifact.
    assert change.added == [files + "in_file3.txt", files + "out_file2.txt"]
    assert change.edges_added == [
        (files + "in_file1.txt", files + "out_file2.txt"),
        (files + "in_file2.txt", files + "out_file2.txt"),
        (files + "in_file3.txt", out),
        (files + "in_file3.txt", files + "out_file2.txt"),
    ]
