"""OpenLineage export: one START and one COMPLETE/FAIL RunEvent per production, as NDJSON."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import orjson

from lineage_cli import __version__
from lineage_cli.export.base import Exporter, ExportOptions
from lineage_cli.graph import LineageGraph
from lineage_cli.interop.naming import (
    ARTIFACT_FACET,
    DEFAULT_NAMESPACE,
    dataset_artifact_id,
    producer_for_agent,
    split_artifact_id,
)
from lineage_cli.model import ArtifactStatus, LineageNode, format_timestamp

__all__ = ["EXPORTERS", "PRODUCER", "OpenLineageExporter", "run_events"]

PRODUCER: Final = f"urn:lineage-cli:{__version__}"
"""The ``_producer`` of the facets this exporter writes."""

_EVENT_SCHEMA: Final = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
_VERSION_SCHEMA: Final = "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"
_DOC_SCHEMA: Final = (
    "https://openlineage.io/spec/facets/1-1-0/DocumentationJobFacet.json#/$defs/DocumentationJobFacet"
)
_PARENT_SCHEMA: Final = "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet"
_ARTIFACT_SCHEMA: Final = "urn:lineage-cli:facets:LineageArtifactDatasetFacet:1"
_RUN_NAMESPACE: Final = uuid.UUID("5b0c7a4e-7d1f-4c55-9a43-3f4f0d2b8a61")  # uuid5 namespace for run ids


def _ol(node: LineageNode | None) -> dict[str, Any]:
    """What an OpenLineage import kept in ``metadata["openlineage"]`` (empty otherwise)."""
    value = node.metadata.get("openlineage") if node is not None else None
    return value if isinstance(value, dict) else {}


def _ref(value: Any) -> tuple[str, str] | None:
    """``(namespace, name)`` of a kept job or dataset reference, when both are strings."""
    if (
        isinstance(value, dict)
        and isinstance(value.get("namespace"), str)
        and isinstance(value.get("name"), str)
    ):
        return value["namespace"], value["name"]
    return None


def _is_uuid(text: Any) -> bool:
    try:
        uuid.UUID(str(text))
    except ValueError:
        return False
    return True


def _dataset(graph: LineageGraph, artifact_id: str, *, output: bool) -> dict[str, Any]:
    node = graph.node(artifact_id)
    kept = _ol(node)
    namespace, name = _ref(kept) or split_artifact_id(artifact_id) or (DEFAULT_NAMESPACE, artifact_id)
    facets: dict[str, Any] = {}
    if dataset_artifact_id(namespace, name) != artifact_id:
        facets[ARTIFACT_FACET] = {
            "_producer": PRODUCER,
            "_schemaURL": _ARTIFACT_SCHEMA,
            "artifactId": artifact_id,
        }
    # The client writes inputFacets / outputFacets even when empty; so do we, for equal lines.
    dataset: dict[str, Any] = {"namespace": namespace, "name": name, "facets": facets}
    dataset["outputFacets" if output else "inputFacets"] = {}
    if not output or node is None:
        return dataset
    extra = kept.get("facets")
    if isinstance(extra, dict):
        facets.update({k: v for k, v in extra.items() if k != ARTIFACT_FACET})
    for key in ("schema", "columnLineage"):
        if isinstance(node.metadata.get(key), dict):
            facets[key] = node.metadata[key]
    facets["version"] = {"_producer": PRODUCER, "_schemaURL": _VERSION_SCHEMA, "datasetVersion": node.version}
    if isinstance(kept.get("outputFacets"), dict):
        dataset["outputFacets"] = kept["outputFacets"]
    return dataset


@dataclass(slots=True)
class _Run:
    run_id: str
    outputs: list[LineageNode] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return min(n.provenance.timestamp for n in self.outputs)

    @property
    def end(self) -> datetime:
        return max(n.provenance.timestamp for n in self.outputs)


def _runs(graph: LineageGraph) -> list[_Run]:
    runs: dict[str, _Run] = {}
    for artifact_id in graph.artifact_ids():
        node = graph.node(artifact_id)
        if node is None or node.metadata.get("external") is True:
            continue  # only an input: no run produced it
        kept_run = _ol(node).get("runId")
        flow = node.metadata.get("lineage_id")  # set by `lineage build`: the recording flow
        if _is_uuid(kept_run):
            run_id = str(kept_run)  # outputs of one imported run go back into one run
        elif isinstance(flow, str) and flow:
            # Artifacts recorded in one flow (one data_flow_context) are one run.
            run_id = str(uuid.UUID(flow)) if _is_uuid(flow) else str(uuid.uuid5(_RUN_NAMESPACE, flow))
        else:
            stamp = format_timestamp(node.provenance.timestamp)
            run_id = str(uuid.uuid5(_RUN_NAMESPACE, f"{artifact_id}\x00{node.version}\x00{stamp}"))
        runs.setdefault(run_id, _Run(run_id)).outputs.append(node)
    return sorted(runs.values(), key=lambda run: (run.start, run.run_id))


def _job(run: _Run, shared: set[tuple[str, str]]) -> dict[str, Any]:
    first = run.outputs[0]
    kept = _ref(_ol(first).get("job"))
    if kept:
        namespace, name = kept
    else:
        namespace, name = _native_job(first)
        if (namespace, name) in shared:
            # One OpenLineage job per artifact: a backend such as Marquez shows a job's
            # lineage from its latest run, so a stage that makes many artifacts cannot be one job.
            name = f"{name}/{first.artifact_id}"
    facets: dict[str, Any] = {}
    if first.transformation and first.transformation != name:
        facets["documentation"] = {
            "_producer": PRODUCER,
            "_schemaURL": _DOC_SCHEMA,
            "description": first.transformation,
        }
    return {"namespace": namespace, "name": name, "facets": facets}


def _native_job(node: LineageNode) -> tuple[str, str]:
    prov = node.provenance
    return prov.workflow or DEFAULT_NAMESPACE, prov.stage or "produce"


def _shared_jobs(runs: list[_Run]) -> set[tuple[str, str]]:
    """The (workflow, stage) pairs that more than one run not from OpenLineage would share."""
    seen: set[tuple[str, str]] = set()
    shared: set[tuple[str, str]] = set()
    for run in runs:
        if _ref(_ol(run.outputs[0]).get("job")) is None:
            job = _native_job(run.outputs[0])
            (shared if job in seen else seen).add(job)
    return shared


def _run_facets(run: _Run) -> dict[str, Any]:
    parent = _ol(run.outputs[0]).get("parentRun")
    if not isinstance(parent, dict) or not _is_uuid(parent.get("runId")):
        return {}
    job = _ref(parent.get("job"))
    if job is None:
        return {}
    return {
        "parent": {
            "_producer": PRODUCER,
            "_schemaURL": _PARENT_SCHEMA,
            "run": {"runId": parent["runId"], "facets": {}},
            "job": {"namespace": job[0], "name": job[1], "facets": {}},
        }
    }


def run_events(graph: LineageGraph) -> list[dict[str, Any]]:
    """The OpenLineage RunEvents describing every production in ``graph``, in eventTime order.

    Each artifact record is a run, except that the outputs of one imported run, or of one
    recorded flow (``metadata.lineage_id``), stay one run (an imported run keeps its job).
    Otherwise the job namespace is the workflow and the job name the stage, followed by
    ``/`` and the artifact id when the stage made several artifacts. A run emits START at
    its time, then COMPLETE, or FAIL when an output is FAILED, or nothing more while
    IN_PROGRESS. Inputs are the outputs' inputs, in their recorded order. Dataset
    namespace and name come back from the id (``namespace/name``); an id that is not of
    that form is exported in namespace ``lineage`` with the ``lineageArtifact`` facet
    holding the id, so a re-import restores it.

    Examples
    --------
    >>> events = run_events(LineageGraph.from_pairs([("s3://b/raw.csv", "s3://b/clean.csv")]))
    >>> [(e["eventType"], [o["name"] for o in e["outputs"]]) for e in events][-1]
    ('COMPLETE', ['raw.csv'])
    """
    events: list[tuple[datetime, int, dict[str, Any]]] = []
    runs = _runs(graph)
    shared = _shared_jobs(runs)
    for position, run in enumerate(runs):
        outputs = sorted(run.outputs, key=lambda n: n.artifact_id)
        output_ids = {n.artifact_id for n in outputs}
        # In the recorded order of inputs (a re-import then rebuilds the same node).
        inputs = list(
            dict.fromkeys(
                p
                for n in outputs
                for p in graph.node_with_inputs(n.artifact_id).inputs
                if p not in output_ids
            )
        )
        statuses = {n.status for n in outputs}
        base: dict[str, Any] = {
            "producer": producer_for_agent(outputs[0].provenance.agent),
            "schemaURL": _EVENT_SCHEMA,
            "run": {"runId": run.run_id, "facets": _run_facets(run)},
            "job": _job(run, shared),
            "inputs": [_dataset(graph, i, output=False) for i in inputs],
        }
        start = {
            **base,
            "eventType": "START",
            "eventTime": format_timestamp(run.start),
            "outputs": [_dataset(graph, n.artifact_id, output=True) for n in outputs],
        }
        events.append((run.start, 2 * position, start))
        if ArtifactStatus.IN_PROGRESS in statuses and ArtifactStatus.FAILED not in statuses:
            continue
        end = {
            **base,
            "eventType": "FAIL" if ArtifactStatus.FAILED in statuses else "COMPLETE",
            "eventTime": format_timestamp(run.end),
            "outputs": [_dataset(graph, n.artifact_id, output=True) for n in outputs],
        }
        events.append((run.end, 2 * position + 1, end))
    events.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in events]


class OpenLineageExporter:
    """The ``openlineage`` format: NDJSON RunEvents, one a line."""

    name = "openlineage"
    description = "OpenLineage RunEvents (NDJSON) for Marquez, DataHub or any OpenLineage consumer."
    binary = False
    picture = False  # data: never cut to a picture's size

    def export(self, graph: LineageGraph, options: ExportOptions) -> bytes:
        """Render the graph as NDJSON RunEvents; ``options.group_by`` does not apply."""
        return b"".join(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) + b"\n" for e in run_events(graph))


EXPORTERS: dict[str, Exporter] = {"openlineage": OpenLineageExporter()}
