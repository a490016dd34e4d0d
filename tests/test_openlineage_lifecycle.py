"""lifecycleStateChange (DROP, OVERWRITE) and error facets, on the real events."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lineage_cli.model import parse_timestamp
from lineage_cli.store.build import fold_log
from lineage_cli.timetravel import diff
from tests.conftest import LINEAGE
from tests.olstreams import REAL_FILES, built_graph, import_pieces, real_lines

HIVE = "hdfs://dataproc-producer-test-m/user/hive/warehouse/"
DAILY = "s3a://acryl-datahub-offline/tmp/daily_stats2"


def lines_of(name: str) -> list[bytes]:
    return real_lines(next(p for p in REAL_FILES if p.name == name))


def lineage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINEAGE), *args], capture_output=True, text=True, check=False)


def test_a_dropped_table_is_dropped_from_the_drop_until_it_is_created_again(tmp_path: Path) -> None:
    # Dataproc's Spark job drops t1 and t2 (lines 3, 4), then creates t1 (line 5) and t2 again.
    store = import_pieces(tmp_path, [lines_of("compat-spark-dataproc-hive.ndjson")])
    before = fold_log(store, until=parse_timestamp("2024-10-17T09:18:14Z")).nodes
    dropped = fold_log(store, until=parse_timestamp("2024-10-17T09:18:15Z")).nodes
    created = fold_log(store, until=parse_timestamp("2024-10-17T09:18:18Z")).nodes
    assert HIVE + "t1" in before and before[HIVE + "t1"]["status"] == "in_progress"
    assert {dropped[HIVE + "t1"]["status"], dropped[HIVE + "t2"]["status"]} == {"dropped"}
    assert dropped[HIVE + "t1"]["metadata"]["lifecycleStateChange"] == "DROP"
    assert created[HIVE + "t1"]["status"] == "fresh" and created[HIVE + "t2"]["status"] == "dropped"
    assert built_graph(store)["nodes"][HIVE + "t2"]["status"] == "fresh"
    change = diff(store, parse_timestamp("2024-10-17T09:18:14Z"), parse_timestamp("2024-10-17T09:18:15Z"))
    assert change.dropped == [HIVE + "t1", HIVE + "t2"]
    proc = lineage("provenance", HIVE + "t2", "--store", str(store.root), "--as-of", "2024-10-17T09:18:15Z")
    assert proc.returncode == 0 and "status: dropped" in proc.stdout, proc.stdout + proc.stderr
    shown = lineage("diff", "2024-10-17T09:18:14Z", "2024-10-17T09:18:15Z", "--store", str(store.root))
    assert f"x {HIVE}t1 dropped" in shown.stdout.splitlines(), shown.stdout


def test_overwrite_is_a_new_version_and_makes_consumers_stale(tmp_path: Path) -> None:
    # Two runs of the same Iceberg job overwrite sf/waymo (OVERWRITE, new table versions).
    store = import_pieces(tmp_path, [lines_of("sandbox-spark-iceberg-earlier-run.ndjson")])
    history = [
        fold_log(store, until=parse_timestamp(t)).nodes["s3://warehouse/sf/waymo"]
        for t in ("2026-01-03T04:31:34.6Z", "2026-01-03T04:32:11Z", "2026-01-03T04:32:11.1Z")
    ]
    assert [n["metadata"].get("lifecycleStateChange") for n in history] == ["OVERWRITE", None, "OVERWRITE"]
    assert [n["version"] for n in history] == [
        "8709417888117771002",
        "6903150063544075340",
        "198477673418907595",
    ]


def test_the_engine_exception_is_the_failed_artifacts_error(tmp_path: Path) -> None:
    store = import_pieces(tmp_path, [lines_of("datahub-spark-failed.ndjson")])
    node = built_graph(store)["nodes"][DAILY]
    assert node["status"] == "failed"
    assert node["metadata"]["error"].startswith(
        "Job aborted due to stage failure: Task 0 in stage 2.0 failed"
    )
    assert lineage("build", "--store", str(store.root)).returncode == 0
    proc = lineage("provenance", DAILY, "--store", str(store.root))
    assert "status: failed" in proc.stdout and "error: Job aborted due to stage failure" in proc.stdout, (
        proc.stdout
    )
