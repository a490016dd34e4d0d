"""A real dbt run (dbt-core with dbt-duckdb) on tests/dbt_project, imported with `lineage import dbt`.

dbt lives in its own virtualenv (`.venv-dbt`, made by `make test`; see the Makefile), because it
pins many packages. Outside CI the test skips, saying why, when dbt is missing; with ``CI`` set it
fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LINEAGE, REPO

PROJECT = REPO / "tests" / "dbt_project"


def _dbt() -> Path:
    for candidate in (os.environ.get("LINEAGE_DBT"), REPO / ".venv-dbt" / "bin" / "dbt", shutil.which("dbt")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    message = "dbt is not installed: run `make test` (it creates .venv-dbt) or set LINEAGE_DBT"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set, so this is a failure, not a skip)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The project copied to a temporary directory, with dbt and a store beside it."""
    dbt = _dbt()
    root = tmp_path_factory.mktemp("dbt")
    project = root / "shop"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb"))
    return {"dbt": dbt, "project": project, "store": root / "store"}


def dbt(shop: dict[str, Any], *args: str, ok: bool = True) -> None:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_PROFILES_DIR": str(shop["project"])}
    done = subprocess.run(
        [str(shop["dbt"]), *args], cwd=shop["project"], env=env, capture_output=True, text=True, check=False
    )
    assert (done.returncode == 0) is ok, done.stdout[-3000:] + done.stderr[-2000:]


def lineage(shop: dict[str, Any], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINEAGE), *map(str, args), "--store", str(shop["store"])],
        capture_output=True,
        text=True,
        check=False,
    )


def import_target(shop: dict[str, Any]) -> tuple[str, dict[str, dict[str, Any]]]:
    """Import target/ and build: the import's summary line and the built nodes by short name."""
    imported = lineage(shop, "import", "dbt", shop["project"] / "target")
    assert imported.returncode == 0, imported.stderr
    built = lineage(shop, "build")
    assert built.returncode == 0, built.stderr
    graph = json.loads((shop["store"] / "lineage.json").read_text())
    return imported.stderr.strip().splitlines()[-1], {
        artifact_id.split(".")[-1]: node for artifact_id, node in graph["nodes"].items()
    }


def statuses(nodes: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {name: node["status"] for name, node in nodes.items()}


def test_a_real_dbt_project_built_failed_changed_and_imported(shop: dict[str, Any]) -> None:
    # 1. `dbt build`: every model, seed and test runs; the unique test on customers fails.
    dbt(shop, "build", ok=False)
    summary, nodes = import_target(shop)
    assert summary.startswith("7 dbt artifacts read:"), summary
    assert statuses(nodes) == {
        "raw_orders": "fresh",
        "raw_customers": "fresh",
        "stg_orders": "fresh",
        "orders": "fresh",
        "order_summary": "fresh",
        "revenue_dashboard": "fresh",
        "customers": "failed",  # its test failed: test results attach to what they test
    }
    assert "unique_customers_name" in nodes["customers"]["metadata"]["error"]
    assert nodes["stg_orders"]["provenance"]["tool"].startswith("dbt 1.")
    assert nodes["stg_orders"]["metadata"]["owner"] == "data-team"
    assert nodes["revenue_dashboard"]["metadata"]["owner"] == "Finance"
    checks = {
        c["check"] if "check" in c else c["type"]: c["status"] for c in nodes["orders"]["metadata"]["tests"]
    }
    assert checks == {"unit_test": "pass"}
    assert {c["check"] for c in nodes["stg_orders"]["metadata"]["tests"]} == {"unique", "not_null"}
    assert not [name for name in nodes if name.startswith(("unique_", "not_null_", "only_shipped"))]

    # 2. The same target/ again adds nothing.
    again = lineage(shop, "import", "dbt", shop["project"] / "target")
    assert "0 events appended" in again.stderr, again.stderr

    # 3. stg_orders changes and only it is rebuilt: its descendants are stale.
    model = shop["project"] / "models" / "stg_orders.sql"
    model.write_text(model.read_text().replace("select id,", "select id, upper(customer) as loud,"))
    dbt(shop, "run", "--select", "stg_orders")
    summary, nodes = import_target(shop)
    stale = lineage(shop, "stale", "--json")
    assert stale.returncode == 1, stale.stderr
    reasons = {s["artifact"].split(".")[-1]: s for s in json.loads(stale.stdout)["stale"]}
    assert set(reasons) == {"orders", "order_summary", "revenue_dashboard"}
    assert reasons["revenue_dashboard"]["chain"] == [
        "model.shop.stg_orders",
        "model.shop.orders",
        "model.shop.order_summary",
        "exposure.shop.revenue_dashboard",
    ]
    assert nodes["stg_orders"]["status"] == "fresh"

    # 4. A run where orders fails: its message is kept, and dbt skips what depends on it.
    dbt(shop, "run", "--vars", "{fail: true}", ok=False)
    summary, nodes = import_target(shop)
    assert nodes["orders"]["status"] == "failed"
    assert "no_such_column" in nodes["orders"]["metadata"]["error"]
    assert nodes["order_summary"]["status"] == "unknown"
    assert nodes["stg_orders"]["status"] == "fresh"
