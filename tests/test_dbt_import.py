"""`lineage import dbt` on real dbt artifacts: the converted real graphs as the oracle, and statuses."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from lineage_cli.errors import LineageFileError
from lineage_cli.interop.dbt_import import import_dbt
from lineage_cli.store.build import Fold, fold_log
from lineage_cli.store.layout import StorePaths
from tests.conftest import LINEAGE, REAL_DBT, REAL_GRAPHS
from tests.storehelp import events_of

CONVERTED = [
    ("fhir-dbt-analytics", "dbt-fhir"),
    ("dbt_ad_reporting", "dbt-ad-reporting"),
    ("tuva", "dbt-tuva"),
]


def imported(folder: Path | str, store: Path, **files: Any) -> Fold:
    import_dbt(REAL_DBT / folder if isinstance(folder, str) else folder, StorePaths(store), **files)
    return fold_log(StorePaths(store))


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINEAGE), *map(str, args)], capture_output=True, text=True, check=False)


@pytest.mark.parametrize(("folder", "graph"), CONVERTED)
def test_artifacts_and_edges_equal_the_converted_graph(folder: str, graph: str, tmp_path: Path) -> None:
    expected = json.loads((REAL_GRAPHS / f"{graph}.json").read_text())
    fold = imported(folder, tmp_path / "store")
    assert set(fold.nodes) == set(expected["nodes"])
    got_edges = {(e["source"], e["target"]) for e in fold.edges}
    assert got_edges == {(e["source"], e["target"]) for e in expected["edges"]}
    assert len(got_edges) == len(fold.edges)  # duplicate ref() entries folded into one edge
    for artifact_id, want in expected["nodes"].items():
        node = fold.nodes[artifact_id]
        assert sorted(node["inputs"]) == sorted(want["inputs"]), artifact_id  # dbt order is not meaningful
        if want["version"] != "1":  # the converter gave checksum-less resources "1"
            assert node["version"] == want["version"], artifact_id
        prov, want_prov = node["provenance"], want["provenance"]
        assert (prov["agent"], prov["workflow"], prov["stage"]) == (
            "dbt",
            want_prov["workflow"],
            want_prov["stage"],
        )
        assert prov["tool"] == want_prov["tool"].replace("dbt-", "dbt ")
        assert node["transformation"] == want["transformation"]
        for key in ("path", "tags", "materialized"):
            assert node["metadata"][key] == want["metadata"][key], (artifact_id, key)


def test_tests_are_checks_on_what_they_test_not_artifacts(tmp_path: Path) -> None:
    fold = imported("dbt_ad_reporting", tmp_path / "store")
    assert not [a for a in fold.nodes if a.startswith("test.")]
    manifest = json.loads((REAL_DBT / "dbt_ad_reporting" / "manifest.json").read_text())
    enabled = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "test" and node["config"]["enabled"]
    }
    checked = {check["test"] for node in fold.nodes.values() for check in node["metadata"].get("tests", [])}
    assert checked == enabled  # the 6 disabled tests are not checks either
    unique = next(
        check
        for check in fold.nodes["model.ad_reporting.ad_reporting__ad_report"]["metadata"]["tests"]
        if check.get("check") == "unique_combination_of_columns"
    )
    assert unique["type"] == "test"


def test_run_results_error_fails_the_model_with_dbt_message(tmp_path: Path) -> None:
    fold = imported("swans-demo-run-error", tmp_path / "store")
    failed = {a: n for a, n in fold.nodes.items() if n["status"] == "failed"}
    assert list(failed) == ["model.swans_demo.stg_ca_crashes"]
    assert (
        'relation "raw.ca_crashes_json_only" does not exist'
        in failed["model.swans_demo.stg_ca_crashes"]["metadata"]["error"]
    )
    assert {n["status"] for a, n in fold.nodes.items() if a not in failed} == {"fresh"}


def test_success_error_and_skipped_from_an_earlier_run(tmp_path: Path) -> None:
    fold = imported("swans-demo-run-skipped", tmp_path / "store")
    status = {a.rsplit(".", 1)[1]: n["status"] for a, n in fold.nodes.items()}
    assert status == {
        "stg_ca_crashes": "fresh",  # success
        "fct_ca_crashes": "failed",  # error
        "marts_ca_summary": "unknown",  # skipped
        "int_ca_crashes": "fresh",  # not in that run: its definition only
        "ca_crashes_mart": "fresh",
        "ca_counties_lookup": "fresh",
        "ca_counties_pop_lookup": "fresh",
        "ca_crashes_json_only": "fresh",
    }
    assert (
        'invalid value "T2" for "HH24"' in fold.nodes["model.swans_demo.fct_ca_crashes"]["metadata"]["error"]
    )
    stg = fold.nodes["model.swans_demo.stg_ca_crashes"]
    results = json.loads((REAL_DBT / "swans-demo-run-skipped" / "run_results.json").read_text())["results"]
    timing = next(r["timing"] for r in results if r["unique_id"] == "model.swans_demo.stg_ca_crashes")
    built = next(t["completed_at"] for t in timing if t["name"] == "execute")
    assert stg["provenance"]["timestamp"] == built  # when dbt built it, not when the manifest was written


def test_a_dbt_build_with_tests_snapshots_and_catalog(tmp_path: Path) -> None:
    fold = imported("tuva-build", tmp_path / "store")
    assert {n["status"] for n in fold.nodes.values()} == {"fresh"}
    assert sum(n["provenance"]["stage"] == "snapshot" for n in fold.nodes.values()) == 2
    checks = [c for n in fold.nodes.values() for c in n["metadata"].get("tests", [])]
    # 44 test results: 38 on models this build ran, carried by their records; 6 on ephemeral
    # models, which dbt never runs, carried by a flow event of their definition instead.
    assert sorted(c["status"] for c in checks if "status" in c) == ["pass"] * 34 + ["warn"] * 4
    test_flows = [
        e["attributes"]["dbt"]
        for e in events_of(StorePaths(tmp_path / "store"))
        if e["kind"] == "flow_completed" and "test" in e["attributes"].get("dbt", {})
    ]
    assert len(test_flows) == 6 and {f["status"] for f in test_flows} == {"pass"}
    warned = next(c for c in checks if c.get("status") == "warn")
    assert warned["failures"] > 0 and "configured to warn" in warned["message"]
    columns = fold.nodes["model.the_tuva_project.core__patient"]["metadata"]["columns"]
    assert columns[0] == {"name": "PATIENT_ID", "type": "TEXT"}


def test_a_compile_run_results_is_not_a_build(tmp_path: Path) -> None:
    result = run("import", "dbt", REAL_DBT / "tuva", "--store", tmp_path / "store")
    assert result.returncode == 0, result.stderr
    assert "written by `dbt generate`, which builds nothing" in result.stderr
    assert result.stdout == ""


def test_reimport_adds_nothing_and_a_changed_model_makes_its_descendants_stale(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = run("import", "dbt", REAL_DBT / "fhir-dbt-analytics" / "manifest.json", "--store", store)
    assert first.returncode == 0, first.stderr
    assert "243 dbt artifacts read: 243 events appended" in first.stderr
    again = run("import", "dbt", REAL_DBT / "fhir-dbt-analytics", "--store", store)
    assert "0 events appended, 243 duplicates skipped" in again.stderr
    # The hub model changes: a later manifest with its new checksum.
    manifest = json.loads((REAL_DBT / "fhir-dbt-analytics" / "manifest.json").read_text())
    hub = "model.fhir_dbt_analytics.fhir_table_list"
    manifest["nodes"][hub]["checksum"]["checksum"] = "0" * 64
    manifest["metadata"]["generated_at"] = "2023-04-01T08:00:00Z"
    # In the same manifest, only the descriptions of a descendant and of an unrelated model change.
    below, aside = (
        "model.fhir_dbt_analytics.AllergyIntolerance",
        "model.fhir_dbt_analytics.metric_by_day",
    )
    for artifact_id in (below, aside):
        manifest["nodes"][artifact_id]["description"] = "described later"
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text(json.dumps(manifest))
    changed = run("import", "dbt", tmp_path / "target", "--store", store)
    assert "3 events appended" in changed.stderr
    assert run("build", "--store", store).returncode == 0
    stale = run("stale", "--json", "--store", store)
    assert stale.returncode == 1
    graph = nx.DiGraph(
        (e["source"], e["target"]) for e in json.loads((REAL_GRAPHS / "dbt-fhir.json").read_text())["edges"]
    )
    assert {s["artifact"] for s in json.loads(stale.stdout)["stale"]} == nx.descendants(graph, hub)
    assert len(nx.descendants(graph, hub)) >= 175
    assert below in nx.descendants(graph, hub) and aside not in nx.descendants(graph, hub) | {hub}
    # A metadata-only change is recorded (the new description) without counting as a rebuild.
    built = json.loads((store / "lineage.json").read_text())["nodes"]
    assert (
        built[below]["metadata"]["description"]
        == built[aside]["metadata"]["description"]
        == "described later"
    )
    assert (built[below]["status"], built[aside]["status"]) == ("stale", "fresh")


def test_unknown_manifest_version_is_one_clear_error(tmp_path: Path) -> None:
    manifest = {"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v6.json"}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    result = run("import", "dbt", tmp_path, "--store", tmp_path / "store")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert (
        "manifest.json: dbt manifest schema v6 is not supported; lineage reads dbt manifest schema v7 to v12"
        in (lines[0])
    )
    assert not (tmp_path / "store" / "events.jsonl").exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{oops", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"metadata": {}}', "not a dbt manifest"),
    ],
)
def test_bad_manifests_are_named(tmp_path: Path, content: str, problem: str) -> None:
    (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(LineageFileError, match=problem) as caught:
        import_dbt(tmp_path / "manifest.json", StorePaths(tmp_path / "store"))
    assert caught.value.path.endswith("manifest.json")


def test_run_results_given_as_manifest_or_missing_files(tmp_path: Path) -> None:
    run_results = REAL_DBT / "swans-demo-run-error" / "run_results.json"
    with pytest.raises(LineageFileError, match="not a dbt manifest"):
        import_dbt(run_results, StorePaths(tmp_path / "store"))
    missing = run("import", "dbt", tmp_path / "nowhere", "--store", tmp_path / "store")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    swapped = run(
        "import", "dbt", REAL_DBT / "tuva-build", "--run-results", REAL_DBT / "tuva-build" / "catalog.json"
    )
    assert swapped.returncode == 2 and "not a dbt run-results" in swapped.stderr


def test_explicit_run_results_and_catalog_for_a_manifest_file(tmp_path: Path) -> None:
    folder = REAL_DBT / "dbt_ad_reporting"
    fold = imported(
        folder / "manifest.json",
        tmp_path / "store",
        run_results=folder / "run_results.json",
        catalog=folder / "catalog.json",
    )
    flows = {n["metadata"]["lineage_id"] for n in fold.nodes.values()}
    assert sum(f.startswith("dbt-run-") for f in flows) == 215  # the models `dbt run` built
    catalog = json.loads((folder / "catalog.json").read_text())
    cataloged = {**catalog["nodes"], **catalog["sources"]}
    with_columns = {a for a, n in fold.nodes.items() if "columns" in n["metadata"]}
    assert with_columns == {a for a, entry in cataloged.items() if a in fold.nodes and entry["columns"]}
    assert len(with_columns) > 100
    for artifact_id in with_columns:
        columns = sorted(cataloged[artifact_id]["columns"].values(), key=lambda c: c["index"])
        assert [c["name"] for c in fold.nodes[artifact_id]["metadata"]["columns"]] == [
            c["name"] for c in columns
        ]
    metric = fold.nodes["metric.ad_reporting.spend"]
    assert metric["metadata"]["description"].startswith("Total spend")
    # A metric is recorded no earlier than the model it is defined on was built, so one import
    # leaves nothing stale.
    assert {n["status"] for n in fold.nodes.values()} == {"fresh"}


def test_a_target_dir_copy_imports_the_same_as_explicit_files(tmp_path: Path) -> None:
    target = tmp_path / "target"
    shutil.copytree(REAL_DBT / "swans-demo-run-skipped", target)
    by_dir = imported(target, tmp_path / "a")
    by_files = imported(target / "manifest.json", tmp_path / "b", run_results=target / "run_results.json")
    assert by_dir.nodes.keys() == by_files.nodes.keys()
    assert {a: n["status"] for a, n in by_dir.nodes.items()} == {
        a: n["status"] for a, n in by_files.nodes.items()
    }
