"""End to end: client events -> import openlineage -> build -> queries, time travel and exports."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from lineage_cli.cli import app
from lineage_cli.lineagefile import load_graph
from tests.conftest import LINEAGE, REAL_GRAPHS
from tests.openlineage_scenario import (
    CLEAN,
    CUSTOMERS,
    DAILY,
    EXPORT,
    ORDERS,
    RAW,
    WEEKLY,
    client_writing_to,
    emit_scenario,
    ident,
)
from tests.test_interop_exports import prov_counts, read_back


def cli(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store built from the scenario the real OpenLineage client wrote."""
    events = tmp_path / "openlineage.ndjson"
    emit_scenario(client_writing_to(events))
    root = tmp_path / "store"
    cli("import", "openlineage", str(events), "--store", str(root))
    cli("build", "--store", str(root))
    return root


def nodes(root: Path) -> dict[str, Any]:
    document: dict[str, dict[str, Any]] = orjson.loads((root / "lineage.json").read_bytes())
    return document["nodes"]


def test_ancestors_give_the_chain_the_jobs_wrote(store: Path) -> None:
    result = cli("ancestors", ident(WEEKLY), "--store", str(store))
    assert result.stdout.splitlines() == sorted(ident(d) for d in (DAILY, CLEAN, RAW, ORDERS, CUSTOMERS))
    assert cli("descendants", ident(ORDERS), "--store", str(store)).stdout.splitlines() == sorted(
        ident(d) for d in (RAW, CLEAN, DAILY, WEEKLY, EXPORT)
    )


def test_statuses_follow_the_runs(store: Path) -> None:
    built = nodes(store)
    assert {aid: node["status"] for aid, node in built.items()} == {
        ident(RAW): "fresh",
        ident(CLEAN): "fresh",  # failed once, then the retry completed
        ident(DAILY): "fresh",
        ident(WEEKLY): "in_progress",  # START without completion
        ident(EXPORT): "failed",  # ABORT
        # The two sources were only ever inputs: external artifacts, status unknown.
        "postgres://db.example.com:5432/shop.public.customers": "unknown",
        "postgres://db.example.com:5432/shop.public.orders": "unknown",
    }
    assert built[ident(CLEAN)]["version"] == "v2"
    assert built[ident(DAILY)]["provenance"]["workflow"] == "dbt"
    assert built[ident(CLEAN)]["metadata"]["schema"]["fields"][0]["name"] == "id"


def test_time_travel_sees_the_failed_attempt(store: Path) -> None:
    def statuses(moment: str) -> dict[str, str]:
        document = orjson.loads(cli("at", moment, "--json", "--store", str(store)).stdout)
        return {aid: node["status"] for aid, node in document["nodes"].items()}

    assert statuses("2026-03-01T00:11:00Z")[ident(CLEAN)] == "in_progress"
    assert statuses("2026-03-01T00:15:00Z")[ident(CLEAN)] == "failed"
    assert statuses("2026-03-01T00:30:00Z")[ident(CLEAN)] == "fresh"
    assert ident(DAILY) not in statuses("2026-03-01T00:30:00+00:00")


def test_exports_of_the_built_store_pass_the_real_libraries(store: Path, tmp_path: Path) -> None:
    built = load_graph(store / "lineage.json")
    prov = cli("export", "--format", "prov-json", "--store", str(store)).stdout_bytes
    counts = prov_counts(prov)
    assert counts["ProvEntity"] == 7  # five outputs and the two postgres sources
    assert counts["ProvActivity"] == 5 and counts["ProvDerivation"] == len(built.edges) == 6
    out = tmp_path / "again.ndjson"
    cli("export", "--format", "openlineage", "--store", str(store), "--output", str(out))
    events = read_back(out.read_bytes())
    assert len(events) == 9  # five STARTs, three COMPLETE/FAIL, weekly still running
    # Importing the export into a fresh store builds the same graph.
    again = tmp_path / "store2"
    cli("import", "openlineage", str(out), "--store", str(again))
    cli("build", "--store", str(again))
    first, second = nodes(store), nodes(again)
    assert sorted(first) == sorted(second)
    for aid, node in first.items():
        for key in ("status", "version", "inputs", "provenance"):
            assert second[aid][key] == node[key], (aid, key)


def test_installed_cli_round_trip(tmp_path: Path) -> None:
    events = tmp_path / "events.ndjson"
    emit_scenario(client_writing_to(events))
    root = str(tmp_path / "store")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(LINEAGE), *args], capture_output=True, text=True, check=True)

    run("import", "openlineage", str(events), "--store", root)
    run("build", "--store", root)
    ancestors = run("ancestors", ident(CLEAN), "--store", root)
    assert ancestors.stdout.splitlines() == sorted([ident(RAW), ident(ORDERS)])


def test_import_graph_then_build_gives_the_graph_back(tmp_path: Path) -> None:
    original = load_graph(REAL_GRAPHS / "dbt-fhir.json")
    root = tmp_path / "store"
    cli("import", "graph", str(REAL_GRAPHS / "dbt-fhir.json"), "--store", str(root))
    cli("build", "--store", str(root))
    rebuilt = load_graph(root / "lineage.json")
    assert sorted(rebuilt.nodes) == sorted(original.nodes)
    assert {(e.source, e.target) for e in rebuilt.edges} == {(e.source, e.target) for e in original.edges}
    for aid in original.nodes:
        before, after = original.node_with_inputs(aid), rebuilt.node_with_inputs(aid)
        assert (after.version, sorted(after.inputs), after.status) == (
            before.version,
            sorted(before.inputs),
            before.status,
        )
        assert after.provenance == before.provenance
        assert after.transformation == before.transformation


def test_a_later_upstream_run_makes_downstream_stale(tmp_path: Path) -> None:
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState

    from tests.openlineage_scenario import PRODUCER, run_id

    events = tmp_path / "events.ndjson"
    client = client_writing_to(events)
    emit_scenario(client)
    root = str(tmp_path / "store")
    cli("import", "openlineage", str(events), "--store", root)
    assert CliRunner().invoke(app, ["stale", "--store", root]).exit_code == 0
    # The extract job runs again the next day: raw/orders gets a new version.
    client.emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime="2026-03-02T00:05:00Z",
            run=Run(runId=run_id("extract-day-2")),
            job=Job(namespace="airflow", name="ingest.extract_orders"),
            producer=PRODUCER,
            inputs=[InputDataset(namespace=ORDERS[0], name=ORDERS[1])],
            outputs=[OutputDataset(namespace=RAW[0], name=RAW[1])],
        )
    )
    again = cli("import", "openlineage", str(events), "--store", root)
    assert "3 events appended, 33 duplicates skipped" in again.stderr
    stale = CliRunner().invoke(app, ["stale", "--store", root])
    assert stale.exit_code == 1
    # weekly (still running) and export (aborted) keep those statuses; the finished ones go stale.
    assert stale.stdout.splitlines() == sorted(ident(d) for d in (CLEAN, DAILY))
