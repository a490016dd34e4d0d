"""PostgreSQL store security and errors: passwords never shown, a read-only role, one sentence and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from lineage_cli.cli import app
from lineage_cli.store.postgres.connect import mask
from tests.pgserver import Cluster
from tests.storehelp import artifact, fill

SECRET = "S3cret-Pw_xyzzy"
WRONG = "Wr0ng-Pw_plugh"


@pytest.fixture
def roles(pg_cluster: Cluster) -> tuple[str, str, str]:
    """A database, a writer and a SELECT-only reader, both logging in with a password."""
    database = pg_cluster.new_database()
    for role in ("pw_writer", "pw_reader"):
        pg_cluster.sql(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}')"
            f" THEN CREATE ROLE {role} LOGIN PASSWORD '{SECRET}'; END IF; END $$"
        )
    pg_cluster.sql(f"ALTER DATABASE {database} OWNER TO pw_writer")
    pg_cluster.sql("ALTER SCHEMA public OWNER TO pw_writer", database)
    writer = pg_cluster.url(database, "pw_writer", SECRET)
    fill(writer, [artifact("raw", 1), artifact("clean", 2, ["raw"]), artifact("raw", 3, version="2")])
    pg_cluster.sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO pw_reader", database)
    reader = pg_cluster.url(database, "pw_reader", SECRET)
    return database, writer, reader


def lineage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command in process, as a user would see it (stdout and stderr apart, the exit status)."""
    unset: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith(("LINEAGE_", "PG")) and k != "LINEAGE_SPOOL"
    }
    result = CliRunner(env={**unset, **(env or {})}).invoke(app, list(args))
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


def one_sentence(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_a_password_never_appears_in_any_output(roles: tuple[str, str, str], tmp_path: Path) -> None:
    _, writer, _ = roles
    outputs = []
    for args in (
        ("record", "model", "--input", "clean", "--json"), ("build", "--json"), ("build",),
        ("ancestors", "model", "--json"), ("stale", "--json"), ("snapshots", "--json"), ("snapshots",),
        ("provenance", "nope"), ("at", "2026-01-01T00:02:00Z", "--json"), ("export", "--format", "json"),
    ):  # fmt: skip
        result = lineage(*args, "--store", writer)
        assert result.returncode in (0, 1, 2), result.stderr
        outputs.append(result.stdout + result.stderr)
    built = orjson.loads(lineage("build", "--json", "--store", writer).stdout)
    assert built["output"] == mask(writer) and "***" in built["output"]
    bad = lineage("ancestors", "raw", "--store", writer.replace(SECRET, WRONG))
    one_sentence(bad, "refused the login (wrong or missing password)", "pw_writer:***@")
    outputs.append(bad.stdout + bad.stderr)
    for text in outputs:
        assert SECRET not in text and WRONG not in text


def test_a_select_only_role_queries_but_cannot_record(roles: tuple[str, str, str]) -> None:
    _, writer, reader = roles
    assert lineage("build", "--store", writer).returncode == 0
    for args in (("ancestors", "clean"), ("stale", "--json"), ("snapshots",), ("at", "2026-01-01T00:05:00Z")):
        result = lineage(*args, "--store", reader)
        assert result.returncode in (0, 1), (args, result.stderr)
    assert lineage("ancestors", "clean", "--store", reader).stdout == "raw\n"
    recorded = lineage("record", "x", "--store", reader)
    one_sentence(recorded, "is read-only for this role", "Record and build with a role that may write")
    built = lineage("build", "--store", reader)
    one_sentence(built, "is read-only for this role")


def test_queries_read_from_lineage_store_read(roles: tuple[str, str, str], pg_cluster: Cluster) -> None:
    _, writer, reader = roles
    assert lineage("build", "--store", writer).returncode == 0
    replica = {"LINEAGE_STORE_READ": reader}
    assert lineage("descendants", "raw", "--store", writer, env=replica).stdout == "clean\n"
    gone = {"LINEAGE_STORE_READ": f"postgresql://pw_reader:{SECRET}@/nothere?host={pg_cluster.socket}"}
    missing = lineage("descendants", "raw", "--store", writer, env=gone)
    one_sentence(missing, "does not exist (database missing)")
    assert SECRET not in missing.stderr
    assert lineage("build", "--store", writer, env=gone).returncode == 0  # writes go to the primary


def test_unreachable_missing_and_bad_settings_are_one_sentence(pg_cluster: Cluster, tmp_path: Path) -> None:
    unreachable = lineage("ancestors", "a", "--store", f"postgresql://u:{SECRET}@/db?host={tmp_path}")
    one_sentence(unreachable, "Cannot reach the PostgreSQL store postgresql://u:***@/db", "server is running")
    missing = lineage("build", "--store", pg_cluster.url("no_such_db"))
    one_sentence(missing, "does not exist (database missing)", "createdb")
    ssl = lineage("stale", "--store", pg_cluster.url("postgres") + "&sslmode=bogus")  # passed to libpq as is
    one_sentence(ssl, "sslmode")
    for output in (unreachable, missing, ssl):
        assert SECRET not in output.stderr


def test_a_missing_driver_says_what_to_install(pg_url: str) -> None:
    code = "import sys; sys.modules['psycopg'] = None; from lineage_cli.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "ancestors", "a", "--store", pg_url], capture_output=True, text=True
    )
    one_sentence(result, "needs the psycopg driver", "pip install 'lineage-cli[postgres]'")
