"""Time travel on PostgreSQL from the builds' state versions answers as the directory store's replay does."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lineage_cli.errors import LineageFileError
from lineage_cli.model import parse_timestamp
from lineage_cli.store.base import Store, open_store
from lineage_cli.store.postgres import PostgresStore
from lineage_cli.store.postgres.connect import mask
from lineage_cli.store.postgres.history import moment_state
from tests.conftest import LINEAGE
from tests.pgserver import Cluster
from tests.storehelp import artifact, at, fill
from tests.test_incremental_build import make_events, streams


def answers(store: Store, minutes: list[int]) -> list[Any]:
    """``at`` (the whole document, in order), ``stale --as-of`` at each minute; ``diff`` between each pair."""
    found: list[Any] = []
    for minute in minutes:
        moment = parse_timestamp(at(minute))
        found.append(orjson.dumps(store.document_at(moment)))
        found.append([r.to_json() for r in store.stale(as_of=moment)])
    for first in minutes:
        for second in minutes:
            found.append(store.diff(parse_timestamp(at(first)), parse_timestamp(at(second))).to_json())
    return found


def versioned(store: PostgresStore, minute: int) -> bool:
    """Whether the answer at ``minute`` starts from a build's state version (not a fold of every event)."""
    with store.reader().cursor() as cursor:
        moment = parse_timestamp(at(minute))
        return moment_state(cursor, "x", moment, skip_bad=True, on_problem=None) is not None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stream=streams,
    in_time_order=st.booleans(),
    cuts=st.lists(st.tuples(st.integers(0, 25), st.sampled_from(["build", "full", "twice"])), max_size=5),
    unbuilt=st.integers(0, 6),
    minutes=st.lists(st.integers(0, 31), min_size=1, max_size=3, unique=True),
)
def test_at_diff_and_stale_as_of_equal_the_directory_stores(
    pg_cluster: Cluster,
    tmp_path_factory: pytest.TempPathFactory,
    stream: Any,
    in_time_order: bool,
    cuts: list[tuple[int, str]],
    unbuilt: int,
    minutes: list[int],
) -> None:
    events = make_events(stream)
    if in_time_order:  # as on a live store: then most moments have a build before them
        events.sort(key=lambda e: e["time"])
    built, rest = events[: len(events) - unbuilt], events[len(events) - unbuilt :]
    directory = str(tmp_path_factory.mktemp("store"))
    with open_store(pg_cluster.url(pg_cluster.new_database())) as pg, open_store(directory) as local:
        start = 0
        how = dict(cuts)  # a full build, or a second one with nothing new, keeps what versions say
        for cut in [*sorted({c for c in how if 0 < c < len(built)}), len(built)]:
            if built[start:cut]:
                for store in (pg, local):
                    store.append(built[start:cut])
                    store.build(full=how.get(cut) == "full")
                if how.get(cut) == "twice":
                    pg.build()
            start = max(start, cut)
        for store in (pg, local):
            store.append(rest)  # recorded since the last build
        assert isinstance(pg, PostgresStore)
        for minute in minutes:
            event(f"versioned: {versioned(pg, minute)}")
        assert answers(pg, minutes) == answers(local, minutes)


def no_fold(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("folded every event up to the moment")


HOURLY = [artifact(f"a{n}", n, [f"a{n - 1}"] if n else [], version=str(n)) for n in range(10)]
"""A chain recorded minute by minute, then ``a0`` re-recorded (so the whole chain goes stale)."""


def test_a_moment_after_a_build_reads_its_version_not_every_event(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(pg_url) as store:
        assert isinstance(store, PostgresStore)
        for n in range(0, 10, 3):  # a build every three minutes, as events arrive
            store.append(HOURLY[n : n + 3])
            store.build()
        store.append([artifact("a0", 20, version="new")])  # not built yet
        monkeypatch.setattr(PostgresStore, "_fold_until", no_fold)
        document = store.document_at(parse_timestamp(at(7)))
        assert list(document["nodes"]) == [f"a{n}" for n in range(8)]
        assert [r.artifact for r in store.stale(as_of=parse_timestamp(at(30)))] == [
            f"a{n}" for n in range(1, 10)
        ]
        changes = store.diff(parse_timestamp(at(4)), parse_timestamp(at(30)))
        assert changes.added == [f"a{n}" for n in range(5, 10)]
        assert changes.modified == [("a0", "0", "new")]
        with pytest.raises(AssertionError, match="folded every event"):
            store.document_at(parse_timestamp(at(1)))  # before the first build's last event: a fold


def test_a_build_that_skipped_a_bad_event_is_not_a_starting_point(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    from lineage_cli.store.postgres.connect import connect
    from lineage_cli.store.postgres.ingest import event_row, insert_rows

    url = pg_cluster.url(pg_cluster.new_database())
    directory = fill(tmp_path / "store", HOURLY[:3])
    fill(url, HOURLY[:3])
    bad = {**artifact("broken", 4), "inputs": "not a list"}
    with open(Path(directory) / "events.jsonl", "ab") as log:
        log.write(orjson.dumps(bad) + b"\n")
    with open_store(url) as store:
        assert isinstance(store, PostgresStore)
        connection = connect(url)
        insert_rows(connection, [event_row(bad)])
        connection.close()
        store.build(skip_bad=True)
        assert not versioned(store, 30)  # the bad event must still be reported, or stop the answer
        with pytest.raises(LineageFileError, match="inputs"):
            store.document_at(parse_timestamp(at(30)))
    for there in alike(directory, url, ["at", at(30), "--json"], ["at", at(30), "--skip-bad", "--json"]):
        assert "inputs" in there.stderr and "Traceback" not in there.stderr  # it names the store, not a file


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed ``lineage`` in a subprocess."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_") or k == "LINEAGE_SPOOL"}
    return subprocess.run(
        [str(LINEAGE), *args], capture_output=True, text=True, env={**clean, **(env or {})}, check=False
    )


def alike(directory: str, url: str, *commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Run each command on both stores: the same exit code and stdout (stderr: when it names no store)."""
    ran = []
    for command in commands:
        here, there = (cli(*command, "--store", s) for s in (directory, url))
        assert (there.returncode, there.stdout) == (here.returncode, here.stdout), command
        if here.returncode in (0, 1):  # warnings alike, each naming its own store's log
            logs = (f"{Path(directory) / 'events.jsonl'}, line", f"{mask(url)} events, seq, line")
            assert there.stderr.replace(logs[1], "LOG") == here.stderr.replace(logs[0], "LOG"), command
        ran.append(there)
    return ran


def built_alike(url: str, directory: str, events: list[dict[str, Any]], every: int) -> None:
    """Record ``events`` into both stores, building every ``every`` events."""
    with open_store(url) as pg, open_store(directory) as local:
        for start in range(0, len(events), every):
            for store in (pg, local):
                store.append(events[start : start + every])
                store.build()


def test_cli_at_diff_and_stale_as_of_print_the_same_bytes(pg_url: str, tmp_path: Path) -> None:
    directory = str(tmp_path / "store")
    late = [artifact("a3", 2, ["a2"], version="late"), artifact("side", 5, ["a9"])]
    built_alike(pg_url, directory, [*HOURLY, artifact("a0", 12, version="again"), *late], 4)
    fill(directory, [artifact("a5", 15, ["a4"], version="unbuilt")])
    fill(pg_url, [artifact("a5", 15, ["a4"], version="unbuilt")])
    alike(
        directory,
        pg_url,
        *(["at", at(minute), "--json"] for minute in (1, 8, 30)),  # before every build, between, after
        ["at", at(11)],
        ["stale", "--as-of", at(8)],
        ["stale", "--as-of", at(30), "--json"],
        ["diff", at(3), at(11)],
        ["diff", at(30), at(8), "--json"],
    )


def test_an_upgraded_store_travels_from_its_last_build(pg_cluster: Cluster, tmp_path: Path) -> None:
    database = pg_cluster.new_database()
    url = pg_cluster.url(database)
    directory = str(tmp_path / "store")
    built_alike(url, directory, HOURLY, 5)
    # As a store built by version 5: no history tables, and (undoing version 7) the record keys
    # still in the events table's expression indexes.
    from lineage_cli.store.postgres.schema import MIGRATIONS

    dropped = [
        statement
        for step in range(1, 6)
        for statement in MIGRATIONS[step]
        if statement.startswith(("CREATE INDEX events_by_input", "CREATE INDEX events_record_by_lineage"))
    ]
    assert len(dropped) == 2
    pg_cluster.sql(
        "DROP TABLE state_versions, artifact_v, edge_v, records_v, flows_v, declared_v, described_v,"
        " stale_v, record_keys; ALTER TABLE build_state DROP COLUMN keys_horizon;"
        f" {'; '.join(dropped)}; UPDATE lineage_meta SET value = '5' WHERE name = 'schema_version'",
        database,
    )
    with open_store(url) as store:
        assert isinstance(store, PostgresStore)
        assert versioned(store, 30) and not versioned(store, 5)  # one version: the last build's
    alike(directory, url, ["at", at(30), "--json"], ["stale", "--as-of", at(30)], ["diff", at(2), at(30)])


def test_a_select_only_role_travels_in_time(pg_cluster: Cluster, tmp_path: Path) -> None:
    database = pg_cluster.new_database()
    url = pg_cluster.url(database)
    directory = str(tmp_path / "store")
    built_alike(url, directory, [*HOURLY, artifact("a0", 12, version="again")], 4)
    pg_cluster.sql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tt_reader')"
        " THEN CREATE ROLE tt_reader LOGIN; END IF; END $$"
    )
    pg_cluster.sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO tt_reader", database)
    reader = pg_cluster.url(database, "tt_reader")
    alike(directory, reader, ["at", at(11), "--json"], ["stale", "--as-of", at(30)], ["diff", at(3), at(30)])
