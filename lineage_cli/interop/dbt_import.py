"""Import a dbt project's artifacts (manifest.json, run_results.json, catalog.json) into the event log.

Reading and checking the files is :mod:`lineage_cli.interop.dbt_files`; this module maps them.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from lineage_cli.errors import LineageError
from lineage_cli.interop.common import ImportResult, append_new_events, digest
from lineage_cli.interop.dbt_files import MANIFEST_VERSIONS, DbtProject, read_dbt_project
from lineage_cli.lineagefile import gc_paused
from lineage_cli.model import TransformationType, format_timestamp, parse_timestamp
from lineage_cli.store.base import Store
from lineage_cli.store.events import (
    KIND_ARTIFACT,
    KIND_FLOW_COMPLETED,
    KIND_FLOW_FAILED,
    KIND_FLOW_SKIPPED,
    new_event,
)
from lineage_cli.store.layout import StorePaths

__all__ = [
    "ARTIFACT_TYPES",
    "MANIFEST_VERSIONS",
    "SOURCE",
    "DbtProject",
    "Recorded",
    "current_records",
    "dbt_events",
    "import_dbt",
    "read_dbt_project",
]

SOURCE: Final = "dbt"
"""The ``source`` of the flow events a dbt import appends."""


ARTIFACT_TYPES: Final = frozenset(
    {"model", "seed", "snapshot", "source", "exposure", "metric", "semantic_model", "saved_query"}
)
"""The dbt resource types imported as artifacts (tests become checks on what they test)."""

_TEST_TYPES: Final = frozenset({"test", "unit_test"})
# The manifest's top-level maps that hold resources, in the order they are read.
_RESOURCE_MAPS: Final = ("nodes", "sources", "exposures", "metrics", "semantic_models", "saved_queries")
# Fields that say what a resource without a file checksum (a source, metric...) is, for its version.
_DEFINITION_KEYS: Final = (
    "relation_name",
    "database",
    "schema",
    "identifier",
    "loaded_at_field",
    "expression",
    "calculation_method",
    "type",
    "type_params",
    "filter",
    "filters",
    "model",
    "entities",
    "measures",
    "dimensions",
    "query_params",
    "exports",
    "url",
    "maturity",
    "window",
    "time_grains",
)
_FAILED: Final = frozenset({"error", "fail", "runtime error"})


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _resources(manifest: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every enabled resource of the manifest as ``(unique_id, node)``, unit tests included.

    A node whose ``resource_type`` is not text, or whose ``depends_on.nodes`` is not a list of
    text, is made harmless here (no type, no parents), so what follows needs no more checks.
    """
    for key in (*_RESOURCE_MAPS, "unit_tests"):
        for unique_id, node in _dict(manifest.get(key)).items():
            if isinstance(node, dict) and _dict(node.get("config")).get("enabled", True) is not False:
                parents = _dict(node.get("depends_on")).get("nodes") or []
                texts = isinstance(parents, list) and all(isinstance(p, str) for p in parents)
                if not texts or not isinstance(node.get("resource_type"), str):
                    node = {**node, "resource_type": str(node.get("resource_type")), "depends_on": {}}
                yield unique_id, node


def _tested(node: dict[str, Any], artifacts: dict[str, dict[str, Any]]) -> list[str]:
    """The artifacts a data test or unit test checks: its attached node, else what it depends on."""
    attached = node.get("attached_node")
    if isinstance(attached, str) and attached in artifacts:
        return [attached]
    parents = _dict(node.get("depends_on")).get("nodes") or []
    return sorted({p for p in parents if p in artifacts})


def _version(node: dict[str, Any]) -> str:
    """The file checksum when dbt hashes content, else a digest of what the resource is."""
    checksum = _dict(node.get("checksum"))
    if checksum.get("name") == "sha256" and checksum.get("checksum"):
        return str(checksum["checksum"])
    return digest({key: node[key] for key in _DEFINITION_KEYS if key in node})[:16]


def _texts(value: Any) -> list[Any]:
    """A list as it is, one text (a tag) as a list of it, anything else as an empty list."""
    return list(value) if isinstance(value, list) else [value] if isinstance(value, str) else []


def _owner(node: dict[str, Any], groups: dict[str, Any]) -> str | None:
    owner = node.get("owner")  # exposures
    if owner is None:
        meta = {**_dict(_dict(node.get("config")).get("meta")), **_dict(node.get("meta"))}
        owner = meta.get("owner")
    group = node.get("group") or _dict(node.get("config")).get("group")
    if owner is None and isinstance(group, str):
        owner = _dict(groups.get(f"group.{node.get('package_name')}.{group}")).get("owner")
    if isinstance(owner, dict):
        owner = owner.get("name") or owner.get("email")
    return str(owner) if owner else None


def _metadata(node: dict[str, Any], groups: dict[str, Any], columns: dict[str, Any] | None) -> dict[str, Any]:
    config = _dict(node.get("config"))
    metadata: dict[str, Any] = {
        "path": node.get("original_file_path"),
        "tags": _texts(node.get("tags")),
        "materialized": config.get("materialized"),
    }
    if node.get("description"):
        metadata["description"] = node["description"]
    owner = _owner(node, groups)
    if owner:
        metadata["owner"] = owner
    if node.get("relation_name"):
        metadata["relation"] = node["relation_name"]
    for key in ("access", "group"):
        if node.get(key):
            metadata[key] = node[key]
    if columns:
        found = [c for c in _dict(columns).values() if isinstance(c, dict)]
        found.sort(key=lambda c: (c["index"] if isinstance(c.get("index"), int) else 0, str(c.get("name"))))
        metadata["columns"] = [{"name": c.get("name"), "type": c.get("type")} for c in found]
    return metadata


def _timestamp(text: Any, fallback: datetime) -> datetime:
    if isinstance(text, str):
        try:
            return parse_timestamp(text)
        except LineageError:
            pass
    return fallback


def _result_time(result: dict[str, Any], fallback: datetime) -> datetime:
    """When dbt finished a node: the end of its ``execute`` step, else of its last step."""
    timing = [t for t in _texts(result.get("timing")) if isinstance(t, dict)]
    execute = [t for t in timing if t.get("name") == "execute"] or timing[-1:]
    return _timestamp(execute[0].get("completed_at"), fallback) if execute else fallback


@dataclass(slots=True)
class _Run:
    """One node's result in run_results.json."""

    status: str
    time: datetime
    message: str | None
    failures: Any


def _runs(project: DbtProject, generated: datetime) -> tuple[str, dict[str, _Run]]:
    results = project.run_results
    if results is None:
        return "", {}
    metadata = _dict(results.get("metadata"))
    finished = _timestamp(metadata.get("generated_at"), generated)
    runs: dict[str, _Run] = {}
    for result in _texts(results.get("results")):
        if isinstance(result, dict) and isinstance(result.get("unique_id"), str):
            if result.get("status") == "no-op":  # an exposure in `dbt build`: nothing was built
                continue
            message = result.get("message")
            runs[result["unique_id"]] = _Run(
                status=str(result.get("status") or "skipped").lower(),
                time=_result_time(result, finished),
                message=message if isinstance(message, str) and message else None,
                failures=result.get("failures"),
            )
    return str(metadata.get("invocation_id") or digest(results)), runs


def _checks(
    manifest: dict[str, Any], artifacts: dict[str, dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Each tested artifact's checks: one per data test or unit test, in test id order."""
    checks: dict[str, list[dict[str, Any]]] = {}
    for unique_id, node in sorted(_resources(manifest), key=lambda item: item[0]):
        if node.get("resource_type") not in _TEST_TYPES:
            continue
        check: dict[str, Any] = {"test": unique_id, "type": node.get("resource_type")}
        test_metadata = _dict(node.get("test_metadata"))
        if test_metadata.get("name"):
            check["check"] = test_metadata["name"]
        if node.get("column_name"):
            check["column"] = node["column_name"]
        for target in _tested(node, artifacts):
            checks.setdefault(target, []).append(check)
    return checks


def _outcome(check: dict[str, Any], run: _Run) -> dict[str, Any]:
    """A check with its result in this run."""
    outcome = {**check, "status": run.status}
    if run.status != "pass" and run.message:
        outcome["message"] = run.message
    if run.failures:
        outcome["failures"] = run.failures
    return outcome


@dataclass(frozen=True, slots=True)
class Recorded:
    """An artifact's current record in the store: what decides whether a definition changed."""

    time: str
    version: str | None
    inputs: list[str]
    lineage_id: str


def current_records(store: StorePaths | Store, artifact_ids: Collection[str]) -> dict[str, Recorded]:
    """The current record (latest ``time``; on a tie, later in the log) of each of ``artifact_ids``.

    ``store`` is a store directory or any store behind the seam (a PostgreSQL store answers
    with one indexed lookup).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> current_records(StorePaths(pathlib.Path(tempfile.mkdtemp())), {"a"})
    {}
    """
    from lineage_cli.store.local import as_store

    found: dict[str, tuple[datetime, Recorded]] = {}
    for event in as_store(store).artifact_records(artifact_ids):
        artifact_id = event["artifact_id"]
        try:
            moment = parse_timestamp(event["time"])
        except LineageError:
            continue
        held = found.get(artifact_id)
        if held is None or moment >= held[0]:
            inputs = event.get("inputs")
            found[artifact_id] = (
                moment,
                Recorded(
                    event["time"],
                    event.get("version"),
                    inputs if isinstance(inputs, list) else [],
                    str(event.get("lineage_id")),
                ),
            )
    return {artifact_id: recorded for artifact_id, (_, recorded) in found.items()}


def dbt_events(
    project: DbtProject, previous: Mapping[str, Recorded] | None = None
) -> tuple[list[dict[str, Any]], int]:
    """The lineage events for a dbt project's artifacts, and how many artifacts they record.

    - Each model, seed, snapshot, source, exposure, metric, semantic model and saved query
      is an artifact (id: its ``unique_id``) whose inputs are its ``depends_on.nodes``;
      the package is its workflow, the resource type its stage, ``dbt VERSION`` its tool,
      and its version the file checksum (so a changed model makes its descendants stale).
    - Data tests and unit tests are checks in the ``tests`` metadata of what they test.
    - Every artifact's definition is one record, no later than the manifest and the run.
      A node in run_results.json gets a second record when dbt finished it, in a flow of
      that run that completed (success), failed (error, fail: with dbt's message) or was
      skipped (status unknown); its checks carry their results there. A failing test
      fails the flow of what it tests.
    - Event ids are digests of what is recorded (and of the run), so the same files twice
      add nothing, and an unchanged model keeps the time it was built: after a model
      changes, what dbt has not rebuilt since is stale. ``previous`` (the store's current
      records) tells a changed definition from changed metadata, which is re-recorded as of
      the current record (see :func:`current_records`).

    Examples
    --------
    >>> manifest = {"metadata": {"dbt_version": "1.8.0", "generated_at": "2026-01-01T00:00:00Z"},
    ...     "nodes": {"model.p.b": {"resource_type": "model", "name": "b", "package_name": "p",
    ...         "checksum": {"name": "sha256", "checksum": "abc"},
    ...         "depends_on": {"nodes": ["seed.p.a"]}},
    ...     "seed.p.a": {"resource_type": "seed", "name": "a", "package_name": "p"}}}
    >>> events, count = dbt_events(DbtProject("manifest.json", manifest))
    >>> [(e["artifact_id"], e["version"], e["inputs"], e["stage"]) for e in events]
    [('model.p.b', 'abc', ['seed.p.a'], 'model'), ('seed.p.a', 'e10808d43975dc40', [], 'seed')]
    >>> events[0]["tool"], events[0]["workflow"], count
    ('dbt 1.8.0', 'p', 2)
    """
    manifest = project.manifest
    metadata = _dict(manifest.get("metadata"))
    generated = _timestamp(metadata.get("generated_at"), datetime(1970, 1, 1, tzinfo=UTC))
    tool = f"dbt {metadata.get('dbt_version', 'unknown')}"
    artifacts = {
        unique_id: node
        for unique_id, node in _resources(manifest)
        if node.get("resource_type") in ARTIFACT_TYPES
    }
    invocation, runs = _runs(project, generated)
    checks = _checks(manifest, artifacts)
    catalog = project.catalog or {}
    cataloged = {**_dict(catalog.get("nodes")), **_dict(catalog.get("sources"))}
    groups = _dict(manifest.get("groups"))
    # Definitions are recorded no later than anything this run built, so one import leaves
    # nothing stale; the next import's records of what dbt rebuilt come after them.
    base = format_timestamp(min([generated, *(r.time for u, r in runs.items() if u in artifacts)]))
    events: list[dict[str, Any]] = []
    with gc_paused():
        for unique_id in sorted(artifacts):
            node = artifacts[unique_id]
            parents = _dict(node.get("depends_on")).get("nodes") or []
            # Before dbt 1.5 a parent is listed once per ref(); one edge each.
            inputs = [p for p in dict.fromkeys(parents) if p in artifacts and p != unique_id]
            meta = _metadata(node, groups, _dict(cataloged.get(unique_id)).get("columns"))
            tests = checks.get(unique_id, [])
            record: dict[str, Any] = {
                "artifact_id": unique_id,
                "version": _version(node),
                "artifact_kind": node.get("resource_type"),
                "inputs": inputs,
                "transformation": f"{node.get('resource_type')} {node.get('name')}",
                "transformation_type": (
                    TransformationType.DERIVED if inputs else TransformationType.GENERATED
                ).value,
                "metadata": {**meta, "tests": tests} if tests else meta,
                "agent": "dbt",
                "workflow": str(node.get("package_name") or ""),
                "stage": str(node.get("resource_type") or ""),
                "tool": tool,
                "environment": None,
            }
            key = digest("manifest", record)
            time, lineage_id = base, f"dbt-{key}"
            known = (previous or {}).get(unique_id)
            if known is not None and (known.version, known.inputs) == (record["version"], inputs):
                # Only metadata changed (a description, the catalog's columns): re-record it as
                # of its current record and in that record's flow, so its status and what it was
                # built after stay as they are.
                time, lineage_id = known.time, known.lineage_id
            events.append(new_event(KIND_ARTIFACT, event_id=f"dbt-{key}", lineage_id=lineage_id, **record))
            events[-1]["time"] = time
            run = runs.get(unique_id)
            if run is not None:
                outcomes = [_outcome(c, runs[c["test"]]) if c["test"] in runs else c for c in tests]
                if outcomes:
                    record["metadata"] = {**meta, "tests": outcomes}
                key = digest("run", invocation, record)
                lineage_id = f"dbt-run-{digest(invocation, unique_id)}"
                event = new_event(KIND_ARTIFACT, event_id=f"dbt-{key}", lineage_id=lineage_id, **record)
                events.append(event)
                event["time"] = format_timestamp(run.time)
            events += _flow_events(record, lineage_id, key, invocation, run, tests, runs)
    return events, len(artifacts)


def _flow_events(
    record: dict[str, Any],
    lineage_id: str,
    key: str,
    invocation: str,
    run: _Run | None,
    tests: list[dict[str, Any]],
    runs: dict[str, _Run],
) -> list[dict[str, Any]]:
    """The flow events of one artifact's newest record: how its run ended, then its tests'.

    A failing test fails the flow. Without a run of the artifact itself (``dbt test``),
    a passing or warning test completes it, so a fixed test makes the artifact fresh again.
    """
    flow: dict[str, Any] = {
        "lineage_id": lineage_id,
        "agent": "dbt",
        "workflow": record["workflow"],
        "stage": record["stage"],
        "source": SOURCE,
        "job_id": None,
    }
    events: list[dict[str, Any]] = []
    if run is not None:
        attributes = {"dbt": {"invocation_id": invocation, "status": run.status}}
        if run.status in _FAILED:
            kind, suffix, extra = KIND_FLOW_FAILED, "failed", {"error": run.message or f"dbt: {run.status}"}
        elif run.status == "success":
            kind, suffix, extra = KIND_FLOW_COMPLETED, "completed", {}
        else:  # skipped, or a status this lineage does not know
            kind, suffix, extra = KIND_FLOW_SKIPPED, "skipped", {}
        event_id = f"dbt-{key}-{suffix}"
        events.append(new_event(kind, event_id=event_id, **flow, attributes=attributes, **extra))
        events[-1]["time"] = format_timestamp(run.time)
    for check in tests:
        test_run = runs.get(str(check["test"]))
        if test_run is None or (run is not None and test_run.status not in _FAILED):
            continue
        attributes = {"dbt": {"invocation_id": invocation, **_outcome(check, test_run)}}
        event_id = f"dbt-{digest(key, invocation, check['test'])}-test"
        if test_run.status in _FAILED:
            error = f"dbt test {check['test']} {test_run.status}: {test_run.message or 'no message'}"
            extra = {"error": error}
        else:
            extra = {}
        kind = KIND_FLOW_FAILED if extra else KIND_FLOW_COMPLETED
        events.append(new_event(kind, event_id=event_id, **flow, attributes=attributes, **extra))
        events[-1]["time"] = format_timestamp(test_run.time)
    return events


def import_dbt(
    path: str | os.PathLike[str],
    store: StorePaths | Store,
    *,
    run_results: str | os.PathLike[str] | None = None,
    catalog: str | os.PathLike[str] | None = None,
) -> ImportResult:
    """Append the lineage events of a dbt project's artifacts to ``store`` (a directory or PostgreSQL).

    ``path`` is dbt's ``target/`` directory (its ``run_results.json`` and ``catalog.json``
    are read when present) or a ``manifest.json``. Importing the same files twice adds
    nothing; after a model changed, its descendants are stale until dbt rebuilds them.

    Raises
    ------
    LineageFileError
        When a file is missing or is not a dbt artifact of a supported schema version.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "manifest.json").write_text('{"metadata": {"dbt_schema_version": '
    ...     '"https://schemas.getdbt.com/dbt/manifest/v12.json", "dbt_version": "1.9.0",'
    ...     ' "generated_at": "2026-01-01T00:00:00Z"}, "nodes": {"seed.p.a":'
    ...     ' {"resource_type": "seed", "name": "a", "package_name": "p"}}}')
    >>> import_dbt(tmp, StorePaths(tmp / "store")).summary()
    '1 dbt artifacts read: 1 events appended, 0 duplicates skipped, 0 problems.'
    >>> import_dbt(tmp / "manifest.json", StorePaths(tmp / "store")).duplicates
    1
    """
    project = read_dbt_project(path, run_results=run_results, catalog=catalog)
    ids = {uid for key in _RESOURCE_MAPS for uid in _dict(project.manifest.get(key))}
    events, count = dbt_events(project, current_records(store, ids))
    result = ImportResult(unit="dbt artifacts", read=count, artifacts=count, warnings=project.warnings)
    append_new_events(store, events, result)
    return result
