"""`LINEAGE_STORE_READ` against a real streaming standby: queries read it, writes go to the primary."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import orjson
import pytest

from tests.conftest import LINEAGE
from tests.pgserver import Cluster, running_standby
from tests.storehelp import artifact, fill

QUERIES = (
    ("ancestors", "model"),
    ("descendants", "raw", "--json"),
    ("provenance", "model", "--json"),
    ("impact", "raw"),
    ("stale", "--json"),
    ("snapshots", "--json"),
    ("ls", "--json"),
    ("at", "2026-01-01T00:02:30Z", "--json"),
    ("diff", "2026-01-01T00:01:30Z", "2026-01-01T00:05:00Z", "--json"),
    ("ancestors", "clean", "--as-of", "2026-01-01T00:02:30Z"),
    ("export", "--format", "json"),
)


@pytest.fixture(scope="module")
def standby(pg_cluster: Cluster) -> Iterator[Cluster]:
    """A read replica of the test cluster, streaming its WAL (made before the store exists)."""
    with running_standby(pg_cluster) as replica:
        yield replica


def lineage(*args: str, primary: str, replica: str | None) -> subprocess.CompletedProcess[str]:
    """The installed ``lineage``, with the store on the primary and, if given, reads on the replica."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINEAGE_", "PG"))}
    env["LINEAGE_SPOOL"] = os.environ["LINEAGE_SPOOL"]
    env["LINEAGE_STORE"] = primary
    if replica is not None:
        env["LINEAGE_STORE_READ"] = replica
    return subprocess.run([str(LINEAGE), *args], capture_output=True, text=True, env=env, timeout=120)


def caught_up(primary: Cluster, standby: Cluster, database: str) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    position = primary.sql("SELECT pg_current_wal_lsn()").strip()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replayed = standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{position}'::pg_lsn", database).strip()
        if replayed == "t":
            return
        time.sleep(0.05)
    raise AssertionError(f"the standby did not replay {position} within 60 s")


def test_queries_on_the_replica_give_the_primarys_answers(pg_cluster: Cluster, standby: Cluster) -> None:
    database = pg_cluster.new_database()
    primary, replica = pg_cluster.url(database), standby.url(database)
    fill(
        primary,
        [
            artifact("raw", 1),
            artifact("clean", 2, ["raw"]),
            artifact("model", 3, ["clean"]),
            artifact("raw", 4, version="2"),
        ],
    )
    assert lineage("build", primary=primary, replica=replica).returncode == 0  # writes go to the primary
    caught_up(pg_cluster, standby, database)
    for args in QUERIES:
        on_primary = lineage(*args, primary=primary, replica=None)
        on_replica = lineage(*args, primary=primary, replica=replica)
        assert on_primary.returncode in (0, 1) and on_primary.stdout, (args, on_primary.stderr)  # stale: 1
        assert (on_replica.returncode, on_replica.stdout) == (on_primary.returncode, on_primary.stdout), (
            args,
            on_replica.stderr,
        )
        assert "Traceback" not in on_replica.stderr
    stale = orjson.loads(lineage("stale", "--json", primary=primary, replica=replica).stdout)
    assert [reason["artifact"] for reason in stale["stale"]] == ["clean", "model"]


def test_queries_see_what_the_replica_has_replayed(pg_cluster: Cluster, standby: Cluster) -> None:
    database = pg_cluster.new_database()
    primary, replica = pg_cluster.url(database), standby.url(database)
    fill(primary, [artifact("raw", 1), artifact("clean", 2, ["raw"])])
    assert lineage("build", primary=primary, replica=None).returncode == 0
    caught_up(pg_cluster, standby, database)
    standby.sql("SELECT pg_wal_replay_pause()", database)
    try:
        fill(primary, [artifact("report", 3, ["clean"])])
        assert lineage("build", primary=primary, replica=replica).returncode == 0
        # The primary answers with the new artifact; the paused replica does not have it yet,
        # which shows that the query really read the replica.
        assert lineage("descendants", "raw", primary=primary, replica=None).stdout == "clean\nreport\n"
        assert lineage("descendants", "raw", primary=primary, replica=replica).stdout == "clean\n"
    finally:
        standby.sql("SELECT pg_wal_replay_resume()", database)
    caught_up(pg_cluster, standby, database)
    assert lineage("descendants", "raw", primary=primary, replica=replica).stdout == "clean\nreport\n"


def test_writing_to_a_replica_is_one_sentence(pg_cluster: Cluster, standby: Cluster) -> None:
    database = pg_cluster.new_database()
    primary, replica = pg_cluster.url(database), standby.url(database)
    fill(primary, [artifact("raw", 1)])
    assert lineage("build", primary=primary, replica=None).returncode == 0
    caught_up(pg_cluster, standby, database)
    built = lineage("build", primary=replica, replica=None)
    assert built.returncode == 2 and built.stdout == "", built.stderr
    assert built.stderr.startswith("error: ") and built.stderr.count("\n") == 1, built.stderr
    assert "is read-only (a read replica" in built.stderr and "Traceback" not in built.stderr
    assert "Record and build against the primary" in built.stderr
