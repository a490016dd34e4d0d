"""Every real OpenLineage file (../shared/real-openlineage) imports alone, together, twice, in any order."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lineage_cli.interop.openlineage_import import import_openlineage, parse_run_events
from lineage_cli.store.layout import StorePaths
from tests.conftest import LINEAGE
from tests.olstreams import REAL_FILES, built_graph, import_pieces, real_lines
from tests.openlineage_scenario import client_writing_to, emit_scenario


def lines_of(name: str) -> list[bytes]:
    return real_lines(next(p for p in REAL_FILES if p.name == name))


@pytest.fixture(scope="module")
def together(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("together")
    return built_graph(import_pieces(root, [real_lines(p) for p in REAL_FILES]))


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_each_file_alone_and_twice_gives_one_graph_and_counts_agree(path: Path, tmp_path: Path) -> None:
    lines = real_lines(path)
    events, problems, records, ignored = parse_run_events(path.read_bytes(), str(path), assume_utc=True)
    assert problems == [] and records == len(lines) and len(events) + ignored == records
    store = StorePaths(tmp_path / "store")
    first = import_openlineage([path], store, assume_utc=True)
    assert first.read == len(lines) and first.problems == []
    once = built_graph(store)
    second = import_openlineage([path], store, assume_utc=True)
    assert (second.appended, second.duplicates) == (0, first.appended + first.duplicates)
    assert built_graph(store) == once
    # Every real file has an output dataset, except dbt's test runs, which only read.
    assert bool(once["nodes"]) is (path.name != "openlineage-dbt-test-results.ndjson")


def test_all_files_together_in_reverse_and_twice_give_the_same_graph(
    together: dict[str, Any], tmp_path: Path
) -> None:
    reverse = import_pieces(tmp_path / "reverse", [real_lines(p) for p in reversed(REAL_FILES)])
    assert built_graph(reverse) == together
    one_call = StorePaths(tmp_path / "one" / "store")
    import_openlineage(list(REAL_FILES), one_call, assume_utc=True)
    import_openlineage(list(reversed(REAL_FILES)), one_call, assume_utc=True)
    assert built_graph(one_call) == together


def test_statuses_of_failed_and_in_progress_runs(together: dict[str, Any]) -> None:
    nodes = together["nodes"]
    # DataHub's Spark FAIL event with an output; Marquez's seed runs only START.
    assert nodes["s3a://acryl-datahub-offline/tmp/daily_stats2"]["status"] == "failed"
    assert nodes["food_delivery/public.orders_7_days"]["status"] == "fresh"  # its run completed
    assert nodes["ons/output"]["status"] == "in_progress"  # a START with no end
    assert nodes["grandmas.kitchen/apple.pie"]["status"] == "fresh"


def test_the_cli_imports_every_file_without_a_traceback(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    for path in REAL_FILES:
        proc = subprocess.run(
            [str(LINEAGE), "import", "openlineage", str(path), "--assume-utc", "--store", store],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, (path.name, proc.stderr)
        assert proc.stderr.startswith(f"{len(real_lines(path))} OpenLineage events read"), proc.stderr
    built = subprocess.run(
        [str(LINEAGE), "build", "--store", store], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0 and "Traceback" not in built.stderr


def test_a_pretty_printed_json_array_is_read(tmp_path: Path) -> None:
    # Marquez's seed file (docker/metadata.json) is a pretty-printed array of its events.
    events = [json.loads(line) for line in lines_of("marquez-seed.ndjson")]
    pretty = tmp_path / "metadata.json"
    pretty.write_text(json.dumps(events, indent=2))
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps(events))
    graphs = []
    for path in (pretty, compact):
        store = StorePaths(tmp_path / path.stem)
        result = import_openlineage([path], store)
        assert (result.read, result.problems) == (26, [])
        graphs.append(built_graph(store))
    ndjson = built_graph(import_pieces(tmp_path / "ndjson", [lines_of("marquez-seed.ndjson")]))
    assert graphs == [ndjson, ndjson]


def test_an_array_element_problem_names_its_line(tmp_path: Path) -> None:
    data = b'[\n  {"eventType": "COMPLETE", "run": {"runId": "r"}},\n  {"eventType": "NOPE"}\n]\n'
    _, problems, records, _ = parse_run_events(data, "a.json")
    assert records == 2
    assert [p.line for p in problems] == [2, 3]


@pytest.mark.parametrize(
    ("data", "shape"),
    [
        (b"name,time\nx,1\n", "the file is not JSON (text starting 'name,time')"),
        (b"42\n", "the file is one JSON int, not an event"),
        (
            b'[\n  {"a": 1},\n  {"b": 2\n',
            "the file is an element of a JSON array that is not valid JSON at line",
        ),
        (b'[{"a": 1}] [', "the file is a JSON array followed by more text at line 1"),
        (b"{\n  oops\n}\n", "the file is a JSON value that is not valid JSON at line 2, column 3"),
    ],
)
def test_a_file_of_another_shape_is_one_problem_naming_it(data: bytes, shape: str) -> None:
    _, problems, _, _ = parse_run_events(data, "f.json")
    assert len(problems) == 1 and str(problems[0]).startswith(f"f.json, line 1: {shape}"), problems


def test_stdin_still_reads_an_array(tmp_path: Path) -> None:
    data = json.dumps([json.loads(line) for line in lines_of("marquez-apples.ndjson")], indent=2)
    proc = subprocess.run(
        [str(LINEAGE), "import", "openlineage", "-", "--store", str(tmp_path / "s")],
        input=data,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and proc.stderr.startswith("8 OpenLineage events read"), proc.stderr


def test_client_streams_with_abort_and_postgres_split_per_event(tmp_path: Path) -> None:
    # The real openlineage-python client, one file per event (its file transport without append).
    client = client_writing_to(tmp_path / "ol" / "events", append=False)
    (tmp_path / "ol").mkdir()
    emit_scenario(client)
    files = sorted((tmp_path / "ol").iterdir())
    assert len(files) == 14
    per_file = built_graph(import_pieces(tmp_path / "a", [real_lines(f) for f in reversed(files)]))
    whole = built_graph(import_pieces(tmp_path / "b", [[line for f in files for line in real_lines(f)]]))
    assert per_file == whole
    assert whole["nodes"]["s3://lake/exports/revenue.csv"]["status"] == "failed"  # ABORT
    assert whole["nodes"]["s3://lake/raw/orders.parquet"]["inputs"] == [
        "postgres://db.example.com:5432/shop.public.orders"
    ]
