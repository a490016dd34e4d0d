"""Hypothesis properties of `import dbt` on generated projects: idempotent, statuses as run, staleness."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage_cli.interop.dbt_import import import_dbt
from lineage_cli.store.build import fold_log
from lineage_cli.store.layout import StorePaths

MANIFEST_V12 = "https://schemas.getdbt.com/dbt/manifest/v12.json"
RUN_RESULTS_V6 = "https://schemas.getdbt.com/dbt/run-results/v6.json"
EXPECTED = {"success": "fresh", "error": "failed", "fail": "failed", "skipped": "unknown", None: "fresh"}


@st.composite
def projects(draw: st.DrawFn) -> tuple[dict[str, list[str]], dict[str, str | None]]:
    """A DAG of models (each depends on earlier ones) and each model's run status (None: not run)."""
    count = draw(st.integers(min_value=1, max_value=12))
    parents = {
        f"model.p.m{n}": sorted({f"model.p.m{p}" for p in draw(st.lists(st.integers(0, n - 1), max_size=3))})
        if n
        else []
        for n in range(count)
    }
    statuses = {uid: draw(st.sampled_from([None, "success", "error", "skipped"])) for uid in parents}
    return parents, statuses


def write(
    target: Path,
    parents: dict[str, list[str]],
    statuses: dict[str, str | None],
    *,
    at: str,
    checksums: dict[str, str],
    schema: int = 12,
) -> None:
    nodes = {
        uid: {
            "resource_type": "model",
            "name": uid.rsplit(".", 1)[1],
            "package_name": "p",
            "original_file_path": f"models/{uid.rsplit('.', 1)[1]}.sql",
            "checksum": {"name": "sha256", "checksum": checksums[uid]},
            "config": {"enabled": True, "materialized": "view"},
            "depends_on": {"nodes": deps},
        }
        for uid, deps in parents.items()
    }
    metadata = {
        "dbt_schema_version": f"https://schemas.getdbt.com/dbt/manifest/v{schema}.json",
        "dbt_version": "1.9.0",
        "generated_at": at,
        "invocation_id": at,
    }
    target.mkdir(parents=True, exist_ok=True)
    (target / "manifest.json").write_text(json.dumps({"metadata": metadata, "nodes": nodes}))
    results: list[dict[str, Any]] = [
        {
            "unique_id": uid,
            "status": status,
            "message": f"{uid} went {status}",
            "timing": [
                {"name": "execute", "started_at": at, "completed_at": at.replace(":00Z", f":{n + 1:02d}Z")}
            ],
        }
        for n, (uid, status) in enumerate(statuses.items())
        if status is not None
    ]
    run_metadata = {
        "dbt_schema_version": RUN_RESULTS_V6,
        "generated_at": at.replace(":00Z", ":59Z"),
        "invocation_id": at,
    }
    (target / "run_results.json").write_text(
        json.dumps({"metadata": run_metadata, "args": {"which": "run"}, "results": results})
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects(), st.data())
def test_idempotent_statuses_as_run_and_a_change_makes_exactly_the_descendants_stale(
    project: tuple[dict[str, list[str]], dict[str, str | None]], data: st.DataObject
) -> None:
    parents, statuses = project
    checksums = {uid: f"{n:064x}" for n, uid in enumerate(parents)}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        store = StorePaths(root / "store")
        schema = data.draw(st.integers(7, 12), label="manifest schema")  # the same shapes in each
        write(root / "one", parents, statuses, at="2026-01-01T10:00:00Z", checksums=checksums, schema=schema)
        first = import_dbt(root / "one", store)
        assert first.duplicates == 0
        assert import_dbt(root / "one", store).appended == 0
        fold = fold_log(store)
        assert {uid: node["status"] for uid, node in fold.nodes.items()} == {
            uid: EXPECTED[status] for uid, status in statuses.items()
        }
        # One model changes; the next manifest (no run) is imported.
        changed = data.draw(st.sampled_from(sorted(parents)))
        checksums[changed] = "f" * 64
        write(root / "two", parents, {}, at="2026-01-02T10:00:00Z", checksums=checksums, schema=schema)
        assert import_dbt(root / "two", store).appended == 1
        fold = fold_log(store)
        graph = nx.DiGraph((p, uid) for uid, deps in parents.items() for p in deps)
        graph.add_nodes_from(parents)
        below = nx.descendants(graph, changed)
        for uid, node in fold.nodes.items():
            # Failed and skipped artifacts keep those statuses; the rest below the change is stale.
            expected = EXPECTED[statuses[uid]] if uid != changed else "fresh"
            if uid in below and expected == "fresh":
                expected = "stale"
            assert node["status"] == expected, (uid, changed)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
FIELDS = [
    "resource_type",
    "depends_on",
    "checksum",
    "config",
    "tags",
    "meta",
    "owner",
    "group",
    "name",
    "package_name",
    "attached_node",
    "test_metadata",
    "description",
    "original_file_path",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_shape_of_manifest_node_or_run_result_imports_without_a_crash(data: st.DataObject) -> None:
    base = {
        "resource_type": "model",
        "name": "m",
        "package_name": "p",
        "checksum": {"name": "sha256", "checksum": "ab"},
        "depends_on": {"nodes": ["seed.p.s"]},
    }
    model = {**base, **data.draw(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=4))}
    test = {
        "resource_type": "test",
        "attached_node": data.draw(JSON),
        "depends_on": {"nodes": data.draw(JSON)},
    }
    result = {
        "unique_id": "model.p.m",
        "status": data.draw(JSON),
        "timing": data.draw(JSON),
        "message": data.draw(JSON),
    }
    manifest = {
        "metadata": {
            "dbt_schema_version": MANIFEST_V12,
            "generated_at": data.draw(JSON),
            "dbt_version": data.draw(JSON),
        },
        "nodes": {"model.p.m": model, "seed.p.s": {"resource_type": "seed"}, "test.p.t": test},
        data.draw(st.sampled_from(["sources", "exposures", "metrics", "groups", "unit_tests"])): data.draw(
            JSON
        ),
    }
    results = {
        "metadata": {"dbt_schema_version": RUN_RESULTS_V6},
        "results": data.draw(st.sampled_from([[result], data.draw(JSON)])),
    }
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "manifest.json").write_text(json.dumps(manifest))
        (root / "run_results.json").write_text(json.dumps(results))
        imported = import_dbt(root, StorePaths(root / "store"))  # any exception but a clear error fails
        assert imported.read >= 1
        fold_log(StorePaths(root / "store"))
