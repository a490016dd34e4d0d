"""The PostgreSQL store on a real server: schema, append, build, queries, the same bytes as a directory."""

from __future__ import annotations

from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lineage_cli.cli import app
from lineage_cli.store.base import open_store
from lineage_cli.store.postgres import PostgresStore
from lineage_cli.store.postgres.schema import SCHEMA_VERSION
from tests.pgserver import Cluster
from tests.storehelp import artifact, fill, write_store


def test_append_build_and_query(pg_url: str, tmp_path: Path) -> None:
    events = [artifact("raw", 1), artifact("clean", 2, ["raw"]), artifact("raw", 3, version="2")]
    with open_store(pg_url) as store:
        assert isinstance(store, PostgresStore)
        assert store.append(events) == 3
        assert store.append(events) == 0  # resent: nothing changes
        result = store.build()
        assert (result.artifacts, result.edges) == (2, 1)
        view = store.open_view()
        assert view.parents("clean") == ("raw",)
    local = write_store(tmp_path / "dir", events)
    with open_store(str(local.root)) as directory:
        expected = directory.build()
    assert result.graph_hash == expected.graph_hash
    assert result.statuses == expected.statuses
    doc = orjson.loads(local.graph.read_bytes())
    with open_store(pg_url) as store:
        assert store.open_graph().nodes.keys() == {n for n in doc["nodes"]}


def test_schema_is_created_once_under_concurrent_first_use(pg_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def first_use(n: int) -> int:
        with open_store(pg_url) as store:
            return store.append([artifact(f"a{n}", n)])

    with ThreadPoolExecutor(6) as pool:
        assert sum(pool.map(first_use, range(6))) == 6
    with open_store(pg_url) as store:
        assert store.build().artifacts == 6


def test_a_newer_schema_is_one_sentence_and_exit_2(pg_url: str, pg_cluster: Cluster) -> None:
    fill(pg_url, [artifact("a", 1)])
    database = pg_url.split("/")[3].split("?")[0]
    pg_cluster.sql("UPDATE lineage_meta SET value = '99' WHERE name = 'schema_version'", database)
    result = CliRunner().invoke(app, ["ancestors", "a", "--store", pg_url])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: The PostgreSQL store postgresql://postgres@/")
    assert f"has schema version 99, newer than this lineage's ({SCHEMA_VERSION}). Upgrade" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrations_are_numbered_steps_from_zero() -> None:
    from lineage_cli.store.postgres.schema import MIGRATIONS

    assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))


def test_an_older_schema_is_migrated_forward_on_first_use(pg_cluster: Cluster) -> None:
    from lineage_cli.store.postgres.schema import MIGRATIONS

    database = pg_cluster.new_database()
    for statement in MIGRATIONS[1]:  # a store made by the first version of the schema
        pg_cluster.sql(statement, database)
    pg_cluster.sql("INSERT INTO lineage_meta VALUES ('schema_version', '1')", database)
    url = pg_cluster.url(database)
    fill(url, [artifact("raw", 1), artifact("clean", 2, ["raw"])])
    assert pg_cluster.sql("SELECT value FROM lineage_meta", database).strip() == str(SCHEMA_VERSION)
    assert "record_keys_by_input" in pg_cluster.sql("SELECT indexname FROM pg_indexes", database)
    with open_store(url) as store:
        from lineage_cli.model import parse_timestamp

        assert store.open_view(parse_timestamp("2026-01-01T01:00:00Z")).children("raw") == ("clean",)


def test_version_5_moves_the_record_keys_out_of_the_insert(pg_cluster: Cluster) -> None:
    from lineage_cli.model import parse_timestamp
    from lineage_cli.store.postgres.schema import MIGRATIONS

    database = pg_cluster.new_database()
    for step in range(1, 6):  # a store made by version 5: two events built, one more after its build
        for statement in MIGRATIONS[step]:
            pg_cluster.sql(statement, database)
    pg_cluster.sql("INSERT INTO lineage_meta VALUES ('schema_version', '5')", database)

    def insert(event: dict[str, object]) -> None:
        body = orjson.dumps(event).decode()
        pg_cluster.sql(
            "INSERT INTO events (event_id, time, artifact_id, body)"
            f" VALUES ('{event['event_id']}', '{event['time']}', '{event['artifact_id']}', $j${body}$j$)",
            database,
        )

    insert(artifact("raw", 1))
    insert(artifact("clean", 2, ["raw"], lineage_id="L1"))
    pg_cluster.sql("UPDATE build_state SET horizon = pg_current_xact_id()", database)
    insert(artifact("late", 3, ["raw"]))
    url = pg_cluster.url(database)
    with open_store(url) as store:
        store.create()
        keys = pg_cluster.sql(
            "SELECT seq, artifact_id, lineage_id, inputs FROM record_keys ORDER BY seq", database
        )
        assert keys.split() == [
            "1|raw|L0|{}",
            "2|clean|L1|{raw}",
        ]  # the built ones; the build takes the third
        indexes = pg_cluster.sql("SELECT indexname FROM pg_indexes", database)
        assert "events_by_input" not in indexes and "events_record_by_lineage" not in indexes
        moment = parse_timestamp("2026-01-01T01:00:00Z")
        assert store.open_view(moment).children("raw") == ("clean", "late")  # "late" by its body
        store.build()
        assert pg_cluster.sql("SELECT count(*) FROM record_keys", database).strip() == "3"
        assert store.open_view(moment).children("raw") == ("clean", "late")  # all three by their keys
        # jsonb has no NUL (the dropped indexes refused such a record): it is stored as U+FFFD.
        assert store.append([artifact("nul\x00", 4, ["raw"])]) == 1
        later = parse_timestamp("2026-01-01T02:00:00Z")
        assert store.open_view(later).children("raw") == ("clean", "late", "nul\ufffd")


def test_traversals_are_cycle_safe_and_depth_limited_on_both_stores(store_location: str) -> None:
    chain = [
        artifact("a", 1, ["c"]),
        artifact("b", 2, ["a"]),
        artifact("c", 3, ["b"]),
        artifact("d", 4, ["c"]),
    ]
    fill(store_location, chain)
    runner = CliRunner()
    assert runner.invoke(app, ["build", "--store", store_location]).exit_code == 0

    def ids(*args: str) -> str:
        result = runner.invoke(app, [*args, "--store", store_location])
        assert result.exit_code == 0, result.stderr
        return result.stdout

    assert ids("descendants", "a") == "b\nc\nd\n"
    assert ids("ancestors", "d") == "a\nb\nc\n"
    assert ids("ancestors", "d", "--depth", "2") == "b\nc\n"
    assert ids("descendants", "a", "--depth", "0") == ""
    with open_store(store_location) as store:
        view = store.open_view()
        assert sorted(view.closure("a", "upstream", None)) == ["b", "c"]  # type: ignore[attr-defined]
    if not store_location.startswith("postgresql"):
        # A cyclic store on purpose: leave it out of the check that every built store validates.
        (Path(store_location) / "built.json").unlink()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4, unique=True))
def test_any_id_and_body_reach_the_store_exactly(pg_url: str, names: list[str]) -> None:
    # The shipper writes COPY's text format itself: tabs, newlines, backslashes and quotes in
    # ids and bodies must arrive as they were (a NUL, which PostgreSQL cannot hold, as U+FFFD).
    def stored_as(text: str) -> str:
        return text.replace("\x00", "\ufffd")

    events = [artifact(name, 1, [f"in\\{name}"], metadata={"note": name}) for name in names]
    with open_store(pg_url) as store:
        store.append(events)
        stored = {e["event_id"]: e for e in store.artifact_records(stored_as(n) for n in names)}
    for event in events:
        name = event["artifact_id"]
        expected = {**event, "artifact_id": stored_as(name), "inputs": [stored_as(f"in\\{name}")]}
        assert stored[event["event_id"]] == {**expected, "metadata": {"note": stored_as(name)}}
