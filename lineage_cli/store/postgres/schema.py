"""The PostgreSQL store's tables: created on first use under an advisory lock, versioned, migrated forward.

Every identifier column is ``COLLATE "C"`` so that ranges and ``ORDER BY`` compare code
points, as SQLite and Python do, whatever the database's locale.
"""

from __future__ import annotations

from typing import Any, Final

from lineage_cli.store.postgres.connect import StoreError, describe, driver, mask

__all__ = [
    "ADVISORY_KEY",
    "MIGRATIONS",
    "NO_JIT",
    "SCHEMA_VERSION",
    "UNBUILT",
    "check_schema",
    "ensure_schema",
    "probe",
]

ADVISORY_KEY: Final = 0x6C696E65  # "line": one lock id for schema changes, another for builds
BUILD_LOCK_KEY: Final = ADVISORY_KEY + 1

_ID: Final = 'text COLLATE "C"'

MIGRATIONS: Final[dict[int, list[str]]] = {
    1: [
        "CREATE TABLE IF NOT EXISTS lineage_meta (name text PRIMARY KEY, value text NOT NULL)",
        # Append-only. tx is the writing transaction: a build takes every event committed below
        # its horizon, so out-of-order commits of concurrent writers are never skipped.
        f"""CREATE TABLE events (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id {_ID} NOT NULL UNIQUE,
            time timestamptz,
            artifact_id {_ID},
            tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
            body text NOT NULL)""",
        "CREATE INDEX events_by_tx ON events (tx)",
        "CREATE INDEX events_by_artifact ON events (artifact_id, time, seq) WHERE artifact_id IS NOT NULL",
        "CREATE INDEX events_by_time ON events (time)",
        # The current graph, in the query index's shape (store/index.py), so SqlIndex reads it as is.
        # doc is NULL for an id that is only an edge endpoint; ord keeps the fold's order.
        f"CREATE TABLE artifact (name {_ID} PRIMARY KEY, doc bytea, ord bigint)",
        f"""CREATE TABLE edge (source {_ID} NOT NULL, target {_ID} NOT NULL, ord bigint NOT NULL,
            position integer NOT NULL, kind text NOT NULL, description text NOT NULL, metadata bytea)""",
        "CREATE INDEX edge_by_source ON edge (source, target)",
        "CREATE INDEX edge_by_target ON edge (target, source)",
        # The fold's state: each artifact's current record and, for re-produced ones, the older
        # records (their versions explain staleness); flows; the stale reasons of the last build.
        f"""CREATE TABLE records (artifact_id {_ID} NOT NULL, seq bigint NOT NULL, number integer NOT NULL,
            is_current boolean NOT NULL, first_seq bigint NOT NULL, body text NOT NULL,
            PRIMARY KEY (artifact_id, seq))""",
        "CREATE INDEX records_in_order ON records (first_seq, seq)",
        f"CREATE TABLE flows (lineage_id {_ID} PRIMARY KEY, time text NOT NULL, state text NOT NULL,"
        " error text)",
        f"CREATE TABLE stale (artifact_id {_ID} PRIMARY KEY, reason text NOT NULL)",
        "CREATE TABLE builds (number integer PRIMARY KEY, entry text NOT NULL)",
        """CREATE TABLE build_state (id integer PRIMARY KEY CHECK (id = 1), horizon xid8 NOT NULL,
            events bigint NOT NULL, last_event_time text, graph_hash text)""",
        "INSERT INTO build_state VALUES (1, '0', 0, NULL, NULL)",
    ],
    2: [
        # Time travel without replaying the log: which records named an artifact as an input
        # (the children of an artifact at any moment), one index probe.
        "CREATE INDEX events_by_input ON events USING gin (((body::jsonb) -> 'inputs'))"
        " WHERE artifact_id IS NOT NULL",
    ],
    3: [
        # The event kinds of OpenLineage and dbt imports (run_inputs, artifact_described,
        # flow_skipped) in the fold's state: a flow's declared inputs, the description events
        # (aliases, metadata), the event id that breaks a tie between a flow's events.
        f"ALTER TABLE flows ADD COLUMN event_id {_ID} NOT NULL DEFAULT ''",
        # input is NULL for a flow that declared it read nothing (its artifacts are generated).
        f"CREATE TABLE declared (lineage_id {_ID} NOT NULL, input {_ID})",
        "CREATE TABLE described (seq bigint PRIMARY KEY, body text NOT NULL)",
        # The query index's selector tables (store/index.py): other names, and attributes with
        # each id reversed, so short names, globs and `workflow:`-style selectors are range scans.
        f"CREATE TABLE alias (name {_ID} PRIMARY KEY, artifact {_ID} NOT NULL)",
        f"CREATE TABLE attr (key {_ID} NOT NULL, value {_ID} NOT NULL, name {_ID} NOT NULL)",
        "CREATE INDEX attr_by_value ON attr (key, value, name)",
        # State written by an older version lacks the above: the next build folds every event.
        "TRUNCATE artifact, edge, records, flows, stale",
        "UPDATE build_state SET horizon = '0', events = 0, last_event_time = NULL",
    ],
    4: [
        # Time travel folds only the events an answer depends on (store/postgres/asof.py):
        # a flow's events and declared inputs by its lineage id; the records of a flow;
        "CREATE INDEX events_flow_by_lineage ON events (((body::jsonb) ->> 'lineage_id'), time)"
        " WHERE artifact_id IS NULL",
        "CREATE INDEX events_record_by_lineage ON events (((body::jsonb) ->> 'lineage_id'))"
        " WHERE artifact_id IS NOT NULL",
        # the flows that declared an input (run_inputs events naming it);
        "CREATE INDEX events_by_declared_input ON events USING gin (((body::jsonb) -> 'inputs'))"
        " WHERE artifact_id IS NULL",
        # the description events (aliases), read whole up to a moment: a superset, checked on reading.
        "CREATE INDEX events_maybe_described ON events (time)"
        " WHERE artifact_id IS NOT NULL AND strpos(body, 'artifact_described') > 0",
    ],
    5: [
        # An incremental build reads and writes the fold's state by key (store/incremental.py):
        # each node's digest (the graph hash is their sum), status, timestamp, flow and edge type;
        # the artifacts of a flow; a stale reason's distance from its change; descriptions by artifact.
        f"""ALTER TABLE artifact ADD COLUMN lineage_id {_ID}, ADD COLUMN digest text,
            ADD COLUMN status text, ADD COLUMN stamp text, ADD COLUMN edge_type text""",
        "CREATE INDEX artifact_by_flow ON artifact (lineage_id) WHERE lineage_id IS NOT NULL",
        "ALTER TABLE stale ADD COLUMN distance integer NOT NULL DEFAULT 0",
        f"ALTER TABLE described ADD COLUMN artifact_id {_ID}",
        "CREATE INDEX described_by_artifact ON described (artifact_id)",
        "CREATE INDEX declared_by_flow ON declared (lineage_id)",
        "CREATE INDEX attr_by_name ON attr (name)",
        """ALTER TABLE build_state ADD COLUMN digest_sum text, ADD COLUMN next_ord bigint,
            ADD COLUMN statuses text, ADD COLUMN artifacts bigint, ADD COLUMN edges bigint,
            ADD COLUMN has_aliases boolean""",
        # State written by an older version lacks the above: the next build folds every event.
        "TRUNCATE artifact, edge, records, flows, stale, declared, described, alias, attr",
        "UPDATE build_state SET horizon = '0', events = 0, last_event_time = NULL",
    ],
    6: [
        # Time travel from versions of the fold's state (store/postgres/history.py): each build
        # closes the rows it changes (b_to) and adds their new versions (b_from); a row is part
        # of version v when b_from <= v < b_to. Record and description bodies stay in events.
        """CREATE TABLE state_versions (version integer PRIMARY KEY, horizon xid8 NOT NULL,
            events bigint NOT NULL, last_event_time text, digest_sum text, next_ord bigint,
            statuses text, artifacts bigint, edges bigint, has_aliases boolean,
            max_time timestamptz, clean boolean NOT NULL)""",
        f"""CREATE TABLE artifact_v (name {_ID} NOT NULL, doc bytea, ord bigint, lineage_id {_ID},
            digest text, status text, stamp text, edge_type text, b_from integer NOT NULL, b_to integer)""",
        f"""CREATE TABLE edge_v (source {_ID} NOT NULL, target {_ID} NOT NULL, position integer NOT NULL,
            b_from integer NOT NULL, b_to integer)""",
        f"""CREATE TABLE records_v (artifact_id {_ID} NOT NULL, seq bigint NOT NULL, number integer NOT NULL,
            is_current boolean NOT NULL, b_from integer NOT NULL, b_to integer)""",
        f"""CREATE TABLE flows_v (lineage_id {_ID} NOT NULL, time text NOT NULL, state text NOT NULL,
            error text, event_id {_ID} NOT NULL, b_from integer NOT NULL, b_to integer)""",
        f"""CREATE TABLE declared_v (lineage_id {_ID} NOT NULL, input {_ID}, b_from integer NOT NULL,
            b_to integer)""",
        f"""CREATE TABLE described_v (seq bigint NOT NULL, artifact_id {_ID}, b_from integer NOT NULL,
            b_to integer)""",
        f"""CREATE TABLE stale_v (artifact_id {_ID} NOT NULL, distance integer NOT NULL, reason text NOT NULL,
            b_from integer NOT NULL, b_to integer)""",
        # Seed version 1 from the state the last build left (none yet: the next build makes it).
        # It is clean (usable for time travel) only when that build folded every event below
        # its horizon: none was skipped as malformed.
        """INSERT INTO state_versions SELECT 1, horizon, events, last_event_time, digest_sum, next_ord,
            statuses, artifacts, edges, has_aliases, last_event_time::timestamptz,
            events = (SELECT count(*) FROM events e WHERE e.tx < s.horizon)
            FROM build_state s WHERE digest_sum IS NOT NULL""",
        "INSERT INTO artifact_v SELECT name, doc, ord, lineage_id, digest, status, stamp, edge_type, 1"
        " FROM artifact WHERE EXISTS (SELECT 1 FROM state_versions)",
        "INSERT INTO edge_v SELECT source, target, position, 1 FROM edge"
        " WHERE EXISTS (SELECT 1 FROM state_versions)",
        "INSERT INTO records_v SELECT artifact_id, seq, number, is_current, 1 FROM records"
        " WHERE EXISTS (SELECT 1 FROM state_versions)",
        "INSERT INTO flows_v SELECT lineage_id, time, state, error, event_id, 1 FROM flows"
        " WHERE EXISTS (SELECT 1 FROM state_versions)",
        "INSERT INTO declared_v SELECT lineage_id, input, 1 FROM declared"
        " WHERE EXISTS (SELECT 1 FROM state_versions)",
        "INSERT INTO described_v SELECT seq, artifact_id, 1 FROM described"
        " WHERE EXISTS (SELECT 1 FROM state_versions)",
        "INSERT INTO stale_v SELECT artifact_id, distance, reason, 1 FROM stale"
        " WHERE EXISTS (SELECT 1 FROM state_versions)",
        # Indexes after the seed (one sort each): a key's versions; what changed between versions;
        # the artifacts of a flow; the children of an artifact.
        "CREATE INDEX artifact_v_by_name ON artifact_v (name, b_from)",
        "CREATE INDEX artifact_v_by_from ON artifact_v (b_from)",
        "CREATE INDEX artifact_v_by_to ON artifact_v (b_to) WHERE b_to IS NOT NULL",
        "CREATE INDEX artifact_v_by_flow ON artifact_v (lineage_id) WHERE lineage_id IS NOT NULL",
        "CREATE INDEX edge_v_by_source ON edge_v (source, b_from)",
        "CREATE INDEX edge_v_by_target ON edge_v (target, b_from)",
        "CREATE INDEX records_v_by_artifact ON records_v (artifact_id, b_from)",
        "CREATE INDEX flows_v_by_flow ON flows_v (lineage_id, b_from)",
        "CREATE INDEX declared_v_by_flow ON declared_v (lineage_id, b_from)",
        "CREATE INDEX described_v_by_artifact ON described_v (artifact_id, b_from)",
        "CREATE INDEX stale_v_by_artifact ON stale_v (artifact_id, b_from)",
        # Planner statistics now, not when autovacuum comes by: the seed may be a million rows.
        "ANALYZE state_versions, artifact_v, edge_v, records_v, flows_v, declared_v, described_v, stale_v",
    ],
    7: [
        # Ingest speed: every record's insert parsed its body twice for two expression indexes
        # (events_by_input, events_record_by_lineage), half of the server's work per event. Their
        # keys move to a table that `lineage build` fills for the events it takes (it reads them
        # anyway); time travel reads it for events below keys_horizon and scans the few past it.
        # (The record's id and time come along, so a probe needs no lookup in events.)
        f"""CREATE TABLE record_keys (seq bigint PRIMARY KEY, artifact_id {_ID} NOT NULL, time timestamptz,
            lineage_id {_ID}, inputs text[] COLLATE "C" NOT NULL)""",
        "ALTER TABLE build_state ADD COLUMN keys_horizon xid8 NOT NULL DEFAULT '0'",
        # The events already built: their bodies all parsed (the dropped indexes checked them).
        """INSERT INTO record_keys SELECT seq, artifact_id, time, j ->> 'lineage_id',
            ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(j -> 'inputs') = 'array'
            THEN j -> 'inputs' END)) FROM (SELECT seq, artifact_id, time, body::jsonb AS j FROM events,
            build_state WHERE artifact_id IS NOT NULL AND tx < horizon) AS built""",
        "UPDATE build_state SET keys_horizon = horizon",
        # Indexed after the fill (one bulk build). No pending list: a build adds its keys in one
        # go, and every probe would scan the list.
        "CREATE INDEX record_keys_by_input ON record_keys USING gin (inputs) WITH (fastupdate = off)",
        "CREATE INDEX record_keys_by_lineage ON record_keys (lineage_id)",
        "DROP INDEX events_by_input",
        # (Time travel reads every body as jsonb: the shipper stores a NUL, which jsonb refuses,
        # as U+FFFD; a CHECK that parsed each body would cost as much as one of the indexes.)
        "DROP INDEX events_record_by_lineage",
    ],
}
"""Statements that bring the schema from version ``n - 1`` to ``n``; a new version appends a key."""

SCHEMA_VERSION: Final = max(MIGRATIONS)


def _version(connection: Any) -> int | None:
    """The schema version recorded in the database, ``None`` when it has no lineage tables."""
    # A plain query of the catalog (not to_regclass, which reads the catalog cache): after waiting
    # for the advisory lock it sees the tables another first user has just committed.
    row = connection.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables"
        " WHERE schemaname = current_schema() AND tablename = 'lineage_meta')"
    ).fetchone()
    if not row or not row[0]:
        return None
    found = connection.execute("SELECT value FROM lineage_meta WHERE name = 'schema_version'").fetchone()
    return int(found[0]) if found else None


NO_JIT: Final = "SET jit = off"
"""Every statement of a store is short and indexed, but a misestimated one (a join with the one-row
``build_state``) passes ``jit_above_cost``, and compiling it costs 0.2 s, far more than running it."""

UNBUILT: Final = (
    "SELECT count(*), coalesce(sum(octet_length(e.body)), 0) FROM events e"
    " WHERE e.tx >= (SELECT horizon FROM build_state)"
)
"""How many events, and how many bytes of them, lie at or past the last build's horizon."""


def probe(connection: Any, *, unbuilt: bool = False) -> tuple[int, int, int] | None:
    """One round trip on a new connection: JIT off, the schema version, with ``unbuilt`` the unbuilt events.

    Returns ``(version, count, size)`` (``count`` and ``size`` are 0 without ``unbuilt``), or
    ``None`` when the database has no lineage tables or anything else went wrong: the caller
    then takes the careful path (:func:`ensure_schema`, :func:`check_schema`), which says why.
    ``connection`` is in autocommit mode, so a failed probe leaves nothing to roll back.
    """
    version = "(SELECT value FROM lineage_meta WHERE name = 'schema_version')"
    statement = (
        f"{NO_JIT}; SELECT {version}, counted.* FROM ({UNBUILT}) counted"
        if unbuilt
        else f"{NO_JIT}; SELECT {version}, 0, 0"
    )
    psycopg = driver()
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)  # no parameters: both statements go in one message
            cursor.nextset()  # past SET's result
            row = cursor.fetchone()
    except psycopg.Error:
        return None
    if row is None or row[0] is None:
        return None
    return int(row[0]), int(row[1]), int(row[2])


def _too_new(location: str, version: int) -> StoreError:
    return StoreError(
        f"The PostgreSQL store {mask(location)} has schema version {version}, newer than this lineage's "
        f"({SCHEMA_VERSION}).",
        hint="Upgrade lineage (pip install -U 'lineage-cli[postgres]') on this machine.",
    )


def check_schema(connection: Any, location: str) -> bool:
    """Whether the schema is there and current (a read-only check: safe on a replica).

    Raises :class:`StoreError` when the schema is newer than this version of lineage.
    """
    version = _version(connection)
    if not connection.autocommit:
        connection.rollback()  # end the read transaction: no snapshot held open
    if version is not None and version > SCHEMA_VERSION:
        raise _too_new(location, version)
    return version == SCHEMA_VERSION


def ensure_schema(connection: Any, location: str) -> None:
    """Create or migrate the tables, once, under an advisory lock (two first users cannot race)."""
    if check_schema(connection, location):
        return
    psycopg = driver()
    try:
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_KEY,))
            version = _version(connection) or 0
            if version > SCHEMA_VERSION:
                raise _too_new(location, version)
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step]:
                    connection.execute(statement)
            connection.execute(
                "INSERT INTO lineage_meta VALUES ('schema_version', %s)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )
    except psycopg.Error as exc:
        raise describe(location, exc) from None
