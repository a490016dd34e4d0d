"""status, run, serve and import dbt on a PostgreSQL store: the same output as on a directory store.

Through the installed `lineage`, in subprocesses, against the throwaway cluster: the same events
give the same stdout, stderr and exit status on both stores (a store's own name masked), the
unbuilt-events warning is the same, and a password in the URL never appears in any output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import orjson
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.transport.http import HttpConfig, HttpTransport

from lineage_cli.store.postgres.connect import mask
from tests.conftest import LINEAGE, REPO
from tests.openlineage_scenario import CLEAN, DAILY, RAW, emit_scenario, ident
from tests.pgserver import Cluster
from tests.servehelp import running
from tests.storehelp import artifact, event, fill

SECRET = "Pg-S3cret_quux"
DBT = REPO / "examples" / "dbt"


def lineage(*args: str, cwd: Path | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    """The installed command, with no LINEAGE_* variable choosing the store behind the test's back."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_") or k == "LINEAGE_SPOOL"}
    return subprocess.run(
        [str(LINEAGE), *args], cwd=cwd, env={**env, **extra}, capture_output=True, text=True, timeout=300
    )


def masked(text: str, *stores: str) -> str:
    """The text with each store's name replaced by STORE (the one thing that differs)."""
    for store in stores:
        text = text.replace(mask(store), "STORE")
    return text


def alike(directory: str, url: str, *args: str, cwd: Path | None = None, **extra: str) -> str:
    """Run a command on both stores: exit status, stdout and stderr must match; return stdout."""
    here = lineage("--store", directory, *args, cwd=cwd, **extra)  # before a `run`'s `--`
    there = lineage("--store", url, *args, cwd=cwd, **extra)
    assert "Traceback" not in here.stderr + there.stderr, there.stderr
    assert there.returncode == here.returncode, (args, here.stderr, there.stderr)
    assert masked(there.stdout, url) == masked(here.stdout, directory), args
    assert masked(there.stderr, url) == masked(here.stderr, directory), args
    assert SECRET not in there.stdout + there.stderr
    return here.stdout


@pytest.fixture
def secret_url(pg_cluster: Cluster) -> str:
    """A fresh database, its URL carrying a password (the test cluster trusts its socket)."""
    return pg_cluster.url(pg_cluster.new_database(), "postgres", SECRET)


STEPS = [
    event("flow_started", 1, "nightly-1", workflow="nightly"),
    artifact("raw.csv", 1, lineage_id="nightly-1", version="v1"),
    artifact("clean.parquet", 2, ["raw.csv"], lineage_id="nightly-1"),
    artifact("report.html", 3, ["clean.parquet"], lineage_id="nightly-1"),
    event("flow_completed", 4, "nightly-1", workflow="nightly"),
    event("flow_started", 5, "train-1"),
    artifact("model.pkl", 6, ["clean.parquet"], lineage_id="train-1"),
    event("flow_failed", 7, "train-1", error="CUDA out of memory"),
    event("flow_started", 8, "load-1"),
    artifact("warehouse.orders", 8, ["raw.csv"], lineage_id="load-1"),
]
LATER = [artifact("raw.csv", 20, lineage_id="nightly-2", version="v2")]


def test_status_says_the_same_on_both_stores(secret_url: str, tmp_path: Path) -> None:
    directory = str(tmp_path / "store")
    for store in (directory, secret_url):
        fill(store, STEPS)
    # Nothing built yet: every event is counted as unbuilt, on both.
    text = alike(directory, secret_url, "status")
    assert "not built yet: 10 events" in text and "failed: model.pkl: CUDA out of memory" in text
    for store in (directory, secret_url):
        assert lineage("build", "--store", store).returncode == 0
    for store in (directory, secret_url):
        fill(store, LATER)
    for args in (
        ("status",), ("status", "--json"), ("status", "--fail-on", "unbuilt"),
        ("status", "--fail-on", "none", "--json"), ("status", "--fail-on", "stale,unbuilt", "--json"),
    ):  # fmt: skip
        alike(directory, secret_url, *args)
    before = lineage("at", "2025-12-31T00:00:00Z", "--store", secret_url)
    assert "is before the first event (2026-01-01T00:01:00Z)" in before.stderr, before.stderr
    alike(directory, secret_url, "at", "2025-12-31T00:00:00Z")  # the same note, on both
    document = orjson.loads(alike(directory, secret_url, "status", "--json"))
    assert document["unbuilt_events"] == 1 and document["stale"][0]["changed"] == "raw.csv"
    assert document["in_progress"][0]["artifact"] == "warehouse.orders"
    # Built: PostgreSQL reads only what status prints from the tables (no fold); the same bytes.
    for store in (directory, secret_url):
        assert lineage("build", "--store", store).returncode == 0
    for args in (("status",), ("status", "--json"), ("status", "--fail-on", "none", "--json")):
        alike(directory, secret_url, *args)
    built = orjson.loads(alike(directory, secret_url, "status", "--json"))
    assert built["unbuilt_events"] == 0 and built["failed"][0]["error"] == "CUDA out of memory", built
    assert [group["changed"] for group in built["stale"]] == ["raw.csv"] and built["in_progress"], built


def test_queries_warn_about_unbuilt_events_alike(secret_url: str, tmp_path: Path) -> None:
    directory = str(tmp_path / "store")
    for store in (directory, secret_url):
        fill(store, STEPS)
        assert lineage("build", "--store", store).returncode == 0
        fill(store, LATER)
    # Too many to build first (a threshold of 0): the same answer and the same one warning.
    old = alike(directory, secret_url, "provenance", "raw.csv", LINEAGE_AUTO_BUILD_BYTES="0")
    assert "version: v1" in old
    warned = lineage("ls", "--store", secret_url, LINEAGE_AUTO_BUILD_BYTES="0")
    assert warned.stderr.count("1 event is not built yet") == 1, warned.stderr
    alike(directory, secret_url, "descendants", "raw.csv", "--json", LINEAGE_AUTO_BUILD_BYTES="0")
    # A small backlog is built first, silently, on both: the answer shows the new version.
    assert "version: v2" in alike(directory, secret_url, "provenance", "raw.csv")
    assert "status: stale" in alike(directory, secret_url, "provenance", "report.html")
    assert orjson.loads(alike(directory, secret_url, "status", "--json"))["unbuilt_events"] == 0


def test_a_select_only_role_gets_the_warning_instead_of_a_build(pg_cluster: Cluster, tmp_path: Path) -> None:
    database = pg_cluster.new_database()
    url = pg_cluster.url(database)
    fill(url, STEPS)
    assert lineage("build", "--store", url).returncode == 0
    fill(url, LATER)
    pg_cluster.sql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cmd_reader')"
        " THEN CREATE ROLE cmd_reader LOGIN; END IF; END $$"
    )
    pg_cluster.sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO cmd_reader", database)
    reader = pg_cluster.url(database, "cmd_reader")
    answer = lineage("provenance", "raw.csv", "--store", reader)
    assert answer.returncode == 0, answer.stderr
    assert "version: v1" in answer.stdout  # the last build's answer, and the warning saying so
    assert answer.stderr.count("1 event is not built yet") == 1, answer.stderr


def test_run_records_alike_and_passes_the_exit_status_through(secret_url: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    directory = str(work / ".lineage")
    (work / "raw.csv").write_text("a\n1\n")
    ok = alike(
        directory, secret_url, "run", "-i", "raw.csv", "-o", "clean.csv", "--",
        "sh", "-c", "cp raw.csv clean.csv; echo copied", cwd=work,
    )  # fmt: skip
    assert ok == "copied\n"
    # The command sees the store: what it records itself joins the run, on either store.
    alike(directory, secret_url, "run", "-o", "model.pkl", "--", "sh", "-c",
          'lineage record extra.txt --input clean.csv; echo fitting; exit 3', cwd=work)  # fmt: skip
    for args in (("status",), ("ls",), ("stale",), ("ancestors", "extra.txt", "--json")):
        alike(directory, secret_url, *args, cwd=work)
    assert "status: failed" in lineage("provenance", "model.pkl", "--store", secret_url).stdout
    assert "failed: model.pkl: exit status 3" in alike(directory, secret_url, "status", cwd=work)


def test_run_with_the_server_down_still_runs_the_command(tmp_path: Path) -> None:
    down = f"postgresql://ci:{SECRET}@127.0.0.1:9/lineage"
    started = time.monotonic()
    step = "echo hi > out.txt; echo ran; exit 4"
    done = lineage("run", "-o", "out.txt", "--store", down, "--", "sh", "-c", step, cwd=tmp_path)
    assert time.monotonic() - started < 60
    assert done.returncode == 4 and done.stdout == "ran\n"
    assert (tmp_path / "out.txt").read_text() == "hi\n"
    assert SECRET not in done.stderr and "Traceback" not in done.stderr
    # One line names the spool the events wait in for `lineage sync`.
    assert done.stderr.count("\n") == 1 and "lineage sync" in done.stderr, done.stderr
    assert "postgresql://ci:***@127.0.0.1:9/lineage" in done.stderr


def test_import_dbt_appends_alike_and_a_resend_adds_nothing(secret_url: str, tmp_path: Path) -> None:
    directory = str(tmp_path / "shop")
    first = lineage("import", "dbt", str(DBT / "built"), "--store", secret_url)
    assert first.returncode == 0 and "20 events appended, 0 duplicates" in first.stderr, first.stderr
    again = lineage("import", "dbt", str(DBT / "built"), "--store", secret_url)
    assert "0 events appended, 20 duplicates skipped" in again.stderr, again.stderr
    assert lineage("import", "dbt", str(DBT / "built"), "--store", directory).returncode == 0
    built = [orjson.loads(lineage("build", "--json", "--store", s).stdout) for s in (directory, secret_url)]
    assert [(b["graph_hash"], b["statuses"]) for b in built] == [
        (built[0]["graph_hash"], built[0]["statuses"])
    ] * 2
    for run in ("changed", "failed"):
        alike(directory, secret_url, "import", "dbt", str(DBT / run))
        alike(directory, secret_url, "import", "dbt", str(DBT / run))  # nothing new the second time
        for args in (("stale",), ("status", "--json"), ("provenance", "model.shop.orders", "--json")):
            alike(directory, secret_url, *args)


def test_serve_takes_openlineage_events_into_postgresql_and_reads_them(
    secret_url: str, tmp_path: Path
) -> None:
    directory = tmp_path / "served"
    answers = []
    stores = (str(directory), secret_url)
    for store in stores:
        with running(store) as server:
            assert SECRET not in "\n".join(server.lines)
            client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=server.url)))
            emit_scenario(client)
            emit_scenario(client)  # a resend adds nothing
            reads = [
                server.get("ancestors", artifact=ident(DAILY)),
                server.get("provenance", artifact=ident(CLEAN)),
                server.get("descendants", artifact=ident(RAW), depth=1),
                server.get("status"),
                server.get("ls", select=f"+{ident(DAILY)}"),
                server.get("impact", artifact=ident(RAW)),
            ]
        assert SECRET not in server.stderr
        assert all(status == 200 for status, _ in reads), reads
        answers.append([body for _, body in reads])
    assert answers[0] == answers[1]
    assert orjson.loads(answers[1][0])["ancestors"]
    # What serve stored is what `import openlineage` would: the same graph on both stores.
    graphs = [orjson.loads(lineage("export", "--format", "json", "--store", s).stdout) for s in stores]
    assert graphs[0]["nodes"] == graphs[1]["nodes"] and graphs[0]["edges"] == graphs[1]["edges"]


def test_serve_answers_503_while_the_database_is_down(tmp_path: Path) -> None:
    down = f"postgresql://ci:{SECRET}@127.0.0.1:9/lineage"
    with running(down) as server:
        status, body = server.get("ancestors", artifact="x")
        posted = server.request("POST", "/api/v1/lineage", b"{}", {"Content-Type": "application/json"})
    assert status == 503 and b"Cannot reach the PostgreSQL store" in body
    assert SECRET not in body.decode() + server.stderr
    assert posted[0] == 400  # a bad body is refused before the store is asked


def test_init_with_a_database_location_creates_the_tables_and_the_project_file(
    pg_url: str, tmp_path: Path
) -> None:
    done = lineage("init", pg_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "lineage.toml").read_text() == f'store = "{pg_url}"\n'
    assert mask(pg_url) in done.stderr
    # From then on a command run here, or below, finds the database.
    (tmp_path / "deep").mkdir()
    assert lineage("record", "raw", cwd=tmp_path / "deep").returncode == 0
    assert lineage("ls", cwd=tmp_path / "deep").stdout == "raw\n"
    again = lineage("init", pg_url, cwd=tmp_path)
    assert again.returncode == 0 and "nothing else changed" in again.stderr


def test_init_never_writes_a_password_into_the_project_file(secret_url: str, tmp_path: Path) -> None:
    done = lineage("init", secret_url, cwd=tmp_path)
    assert done.returncode == 2 and SECRET not in done.stdout + done.stderr
    assert done.stderr.startswith("error: ") and "PGPASSWORD" in done.stderr
    assert not (tmp_path / "lineage.toml").exists()


def test_no_command_refuses_a_postgresql_store_for_wanting_a_directory(pg_url: str, tmp_path: Path) -> None:
    # validate --store and export to a file read what a build wrote: they work on a database too.
    fill(pg_url, STEPS)
    assert lineage("build", "--store", pg_url).returncode == 0
    out = tmp_path / "g.json"
    assert lineage("export", "--format", "json", "-o", str(out), "--store", pg_url).returncode == 0
    assert lineage("validate", str(out)).returncode == 0
    assert lineage("snapshots", "--store", pg_url).stdout.startswith("1\t")
    page = tmp_path / "view.html"
    assert lineage("export", "--format", "html", "-o", str(page), "--store", pg_url).returncode == 0
    assert b"raw.csv" in page.read_bytes()
    viewed = lineage("view", "--no-open", "--store", pg_url)
    assert viewed.returncode == 0, viewed.stderr
    assert b"raw.csv" in Path(viewed.stdout.strip()).read_bytes()
    refused = lineage("validate", "--store", pg_url)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "keeps no lineage file" in refused.stderr


def test_a_real_dbt_run_imports_alike_into_postgresql(secret_url: str, tmp_path: Path) -> None:
    from tests.test_dbt_run import PROJECT, _dbt, dbt

    shop = {"dbt": _dbt(), "project": tmp_path / "shop"}
    shutil.copytree(PROJECT, shop["project"], ignore=shutil.ignore_patterns("target", "logs", "*.duckdb"))
    directory = str(tmp_path / "store")
    target = str(shop["project"] / "target")
    dbt(shop, "build", ok=False)  # the unique test on customers fails
    imported = alike(directory, secret_url, "import", "dbt", target)
    assert alike(directory, secret_url, "import", "dbt", target) == imported  # nothing new, on both
    for args in (
        ("status", "--json"),
        ("provenance", "model.shop.customers", "--json"),
        ("ls", "status:failed"),
    ):
        alike(directory, secret_url, *args)
    model = shop["project"] / "models" / "stg_orders.sql"
    model.write_text(model.read_text().replace("select id,", "select id, upper(customer) as loud,"))
    dbt(shop, "run", "--select", "stg_orders")
    alike(directory, secret_url, "import", "dbt", target)
    stale = orjson.loads(alike(directory, secret_url, "stale", "--json"))
    assert {s["artifact"] for s in stale["stale"]} == {
        "model.shop.orders", "model.shop.order_summary", "exposure.shop.revenue_dashboard",
    }  # fmt: skip
