"""PROV-JSON checked with the `prov` package; OpenLineage export read back by the openlineage client."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson
import pytest
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    dataset_version_dataset,
    documentation_job,
    parent_run,
    schema_dataset,
)
from openlineage.client.serde import Serde
from prov.model import ProvDocument

from lineage_cli.export import FORMATS, ExportOptions, get_exporter
from lineage_cli.graph import LineageGraph
from lineage_cli.interop.openlineage_import import import_openlineage
from lineage_cli.lineagefile import load_graph
from lineage_cli.model import (
    ArtifactStatus,
    LineageEdge,
    LineageNode,
    ProvenanceRecord,
    TransformationType,
    parse_timestamp,
)
from lineage_cli.store.events import read_events
from lineage_cli.store.layout import StorePaths
from tests.conftest import LINEAGE, REAL_GRAPHS, REPO

GOLDEN = REPO / "tests" / "golden"
REAL_NAMES = ["dbt-ad-reporting.json", "dbt-fhir.json", "dbt-tuva.json"]


def node(
    aid: str,
    inputs: list[str],
    when: str,
    agent: str = "etl bot",
    status: ArtifactStatus = ArtifactStatus.FRESH,
    stage: str = "build",
    metadata: dict[str, Any] | None = None,
) -> LineageNode:
    prov = ProvenanceRecord(agent, "nightly", stage, parse_timestamp(when), tool="python 3.11")
    return LineageNode(aid, f"v-{aid}", prov, inputs, f"make {aid}", status, metadata or {})


def small_graph() -> LineageGraph:
    """Awkward ids (a URI, spaces, unicode, a colon), two agents, every status, typed edges."""
    return LineageGraph(
        [
            node("s3://lake/raw/orders.parquet", [], "2026-01-01T00:00:00Z", agent="https://airflow.example"),
            node("clean orders", ["s3://lake/raw/orders.parquet"], "2026-01-02T00:00:00Z", stage="clean"),
            node("rapport:été", ["clean orders", "customers"], "2026-01-03T00:00:00Z", metadata={"q": 0.9}),
            node("broken", ["clean orders"], "2026-01-04T00:00:00Z", status=ArtifactStatus.FAILED),
            node("pending", ["rapport:été"], "2026-01-05T00:00:00Z", status=ArtifactStatus.IN_PROGRESS),
        ],
        [
            LineageEdge("clean orders", "rapport:été", TransformationType.MERGED, "join"),
            LineageEdge("customers", "rapport:été", TransformationType.COPIED, "as is"),
            LineageEdge("clean orders", "broken", TransformationType.REFINED, "patch"),
        ],
    )


def export(graph: LineageGraph, fmt: str) -> bytes:
    return get_exporter(fmt).export(graph, ExportOptions())


def test_both_formats_are_registered() -> None:
    assert get_exporter("prov-json").name == "prov-json"
    assert get_exporter("openlineage").name == "openlineage"
    assert {"prov-json", "openlineage"} <= set(FORMATS)
    assert not get_exporter("prov-json").binary and not get_exporter("openlineage").binary


# -- PROV-JSON ----------------------------------------------------------------------------


def prov_counts(data: bytes) -> Counter[str]:
    document = ProvDocument.deserialize(content=data.decode(), format="json")
    return Counter(type(record).__name__ for record in document.get_records())


@pytest.mark.parametrize("name", REAL_NAMES)
def test_prov_counts_on_real_graphs(name: str) -> None:
    graph = load_graph(REAL_GRAPHS / name)
    counts = prov_counts(export(graph, "prov-json"))
    edges_into_records = sum(len(graph.parents(aid)) for aid in graph.nodes)
    assert counts == {
        "ProvEntity": len(graph.artifact_ids()),
        "ProvActivity": len(graph.nodes),
        "ProvAgent": len({graph.nodes[a].provenance.agent for a in graph.nodes}),
        "ProvGeneration": len(graph.nodes),
        "ProvUsage": edges_into_records,
        "ProvAssociation": len(graph.nodes),
        "ProvDerivation": len(graph.edges),
    }


def test_prov_small_graph_counts_ids_and_derivation_types() -> None:
    data = export(small_graph(), "prov-json")
    assert prov_counts(data) == {
        "ProvEntity": 6,  # five records and 'customers', known only as an input
        "ProvActivity": 5,
        "ProvAgent": 2,
        "ProvGeneration": 5,
        "ProvUsage": 5,
        "ProvAssociation": 5,
        "ProvDerivation": 5,
    }
    document = ProvDocument.deserialize(content=data.decode(), format="json")
    entities = {
        str(r.identifier.localpart): r  # type: ignore[union-attr]  # every entity has an identifier
        for r in document.get_records()
        if type(r).__name__ == "ProvEntity"
    }
    assert sorted(unquote(local) for local in entities) == sorted(small_graph().artifact_ids())
    for local, record in entities.items():
        assert {str(v) for v in record.get_attribute("prov:label")} == {unquote(local)}
    derivations = {
        (unquote(str(r.args[1].localpart)), unquote(str(r.args[0].localpart))): r
        for r in document.get_records()
        if type(r).__name__ == "ProvDerivation"
    }
    kinds = {
        pair: next(iter(r.get_attribute("lineage:transformationType"))) for pair, r in derivations.items()
    }
    assert kinds == {
        ("s3://lake/raw/orders.parquet", "clean orders"): "derived",
        ("clean orders", "rapport:été"): "merged",
        ("customers", "rapport:été"): "copied",
        ("clean orders", "broken"): "refined",
        ("rapport:été", "pending"): "derived",
    }
    revision = derivations[("clean orders", "broken")]
    assert {str(t) for t in revision.get_attribute("prov:type")} == {"prov:Revision"}


def test_prov_matches_the_golden_file() -> None:
    assert export(small_graph(), "prov-json") == (GOLDEN / "prov_small.json").read_bytes()


def test_openlineage_matches_the_golden_file() -> None:
    assert export(small_graph(), "openlineage") == (GOLDEN / "openlineage_small.ndjson").read_bytes()


def test_prov_is_deterministic_across_hash_seeds(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_bytes(orjson.dumps(small_graph().to_document()))
    outputs = set()
    for seed in ("1", "2"):
        proc = subprocess.run(
            [str(LINEAGE.parent / "python"), "-c", _EXPORT_SNIPPET, str(path), "prov-json"],
            capture_output=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        )
        outputs.add(proc.stdout)
    assert len(outputs) == 1


_EXPORT_SNIPPET = (
    "import sys\n"
    "from lineage_cli.export import get_exporter, ExportOptions\n"
    "from lineage_cli.lineagefile import load_graph\n"
    "sys.stdout.buffer.write(get_exporter(sys.argv[2]).export(load_graph(sys.argv[1]), ExportOptions()))\n"
)


# -- OpenLineage --------------------------------------------------------------------------

_DATASET_FACETS: dict[str, Any] = {
    "schema": lambda f: schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(**c) for c in f["fields"]], producer=f["_producer"]
    ),
    "version": lambda f: dataset_version_dataset.DatasetVersionDatasetFacet(
        datasetVersion=f["datasetVersion"], producer=f["_producer"]
    ),
    "columnLineage": lambda f: column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            name: column_lineage_dataset.Fields(
                inputFields=[column_lineage_dataset.InputField(**i) for i in spec["inputFields"]],
                transformationType=spec.get("transformationType"),
            )
            for name, spec in f["fields"].items()
        },
        producer=f["_producer"],
    ),
}


def _dataset_facets(facets: dict[str, Any]) -> dict[str, Any]:
    # Custom facets (lineageArtifact) have no client class; the client carries them as dicts.
    return {k: _DATASET_FACETS[k](v) if k in _DATASET_FACETS else v for k, v in facets.items()}


def client_event(raw: dict[str, Any]) -> RunEvent:
    """Build the client's own RunEvent from one exported line; its validators check the values."""
    assert set(raw) == {"eventTime", "eventType", "producer", "schemaURL", "run", "job", "inputs", "outputs"}
    run_facets: dict[str, Any] = {}
    if "parent" in raw["run"]["facets"]:
        parent = raw["run"]["facets"]["parent"]
        run_facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=parent["run"]["runId"]),
            job=parent_run.Job(namespace=parent["job"]["namespace"], name=parent["job"]["name"]),
            producer=parent["_producer"],
        )
    job_facets: dict[str, Any] = {}
    if "documentation" in raw["job"]["facets"]:
        doc = raw["job"]["facets"]["documentation"]
        job_facets["documentation"] = documentation_job.DocumentationJobFacet(
            description=doc["description"], producer=doc["_producer"]
        )
    assert set(raw["run"]["facets"]) <= {"parent"} and set(raw["job"]["facets"]) <= {"documentation"}
    return RunEvent(
        eventType=RunState(raw["eventType"]),
        eventTime=raw["eventTime"],
        producer=raw["producer"],
        run=Run(runId=raw["run"]["runId"], facets=run_facets),
        job=Job(namespace=raw["job"]["namespace"], name=raw["job"]["name"], facets=job_facets),
        inputs=[
            InputDataset(
                namespace=d["namespace"],
                name=d["name"],
                facets=_dataset_facets(d["facets"]),
                inputFacets=d["inputFacets"],
            )
            for d in raw["inputs"]
        ],
        outputs=[
            OutputDataset(
                namespace=d["namespace"],
                name=d["name"],
                facets=_dataset_facets(d["facets"]),
                outputFacets=d["outputFacets"],
            )
            for d in raw["outputs"]
        ],
    )


def outs(event: RunEvent) -> list[OutputDataset]:
    return event.outputs or []


def ins(event: RunEvent) -> list[InputDataset]:
    return event.inputs or []


def facet(holder: OutputDataset | Run, name: str) -> Any:
    """A facet as the client built it (typed Any: the client's facet dicts are loosely typed)."""
    facets: dict[str, Any] = dict(holder.facets or {})
    return facets[name]


def read_back(data: bytes) -> list[RunEvent]:
    lines = data.splitlines()
    events = [client_event(orjson.loads(line)) for line in lines]
    # Lossless: the client serializes what it read to exactly the exported line.
    for line, event in zip(lines, events, strict=True):
        assert Serde.to_dict(event) == orjson.loads(line)
    return events


def test_openlineage_export_is_read_back_by_the_client() -> None:
    events = read_back(export(small_graph(), "openlineage"))
    by_type = Counter(e.eventType for e in events)
    assert by_type == {RunState.START: 5, RunState.COMPLETE: 3, RunState.FAIL: 1}
    times = [parse_timestamp(e.eventTime) for e in events]
    assert times == sorted(times)
    complete = {outs(e)[0].name: e for e in events if e.eventType is RunState.COMPLETE}
    report = complete["rapport:été"]
    assert outs(report)[0].namespace == "lineage"
    assert sorted((d.namespace, d.name) for d in ins(report)) == [
        ("lineage", "clean orders"),
        ("lineage", "customers"),
    ]
    raw = complete["raw/orders.parquet"]
    assert (outs(raw)[0].namespace, raw.producer) == ("s3://lake", "https://airflow.example")
    assert (raw.job.namespace, raw.job.name) == ("nightly", "build/s3://lake/raw/orders.parquet")
    assert complete["clean orders"].job.name == "clean"  # the only artifact of its stage
    assert report.producer == "urn:lineage-cli:agent:etl%20bot"


@pytest.mark.parametrize("name", REAL_NAMES)
def test_openlineage_export_of_real_graphs_is_read_back(name: str) -> None:
    graph = load_graph(REAL_GRAPHS / name)
    events = read_back(export(graph, "openlineage"))
    assert len({e.run.runId for e in events}) == len(graph.nodes)
    outputs = {facet(d, "lineageArtifact")["artifactId"] for e in events for d in outs(e)}
    assert outputs == set(graph.nodes)


def _latest(store: StorePaths) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for _, event in read_events(store.events):
        if event["kind"] == "artifact_recorded":
            latest[event["artifact_id"]] = event
    return latest


def test_export_then_import_gives_back_the_graph(tmp_path: Path) -> None:
    graph = small_graph()
    path = tmp_path / "export.ndjson"
    path.write_bytes(export(graph, "openlineage"))
    store = StorePaths(tmp_path / "store")
    result = import_openlineage([path], store)
    assert result.problems == []
    latest = _latest(store)
    assert sorted(latest) == sorted(graph.nodes)
    for artifact_id, event in latest.items():
        original = graph.node_with_inputs(artifact_id)
        assert sorted(event["inputs"]) == sorted(original.inputs)
        assert event["version"] == original.version
        assert event["agent"] == original.provenance.agent
        assert event["transformation"] == original.transformation
        assert parse_timestamp(event["time"]) == original.provenance.timestamp
    assert import_openlineage([path], store).appended == 0


def test_imported_runs_export_with_their_job_parent_and_facets(tmp_path: Path) -> None:
    from tests.openlineage_scenario import CLEAN, RAW, client_writing_to, emit_scenario, ident, run_id

    source = tmp_path / "ol.ndjson"
    emit_scenario(client_writing_to(source))
    store = StorePaths(tmp_path / "store")
    import_openlineage([source], store)
    # Fold the log the simple way (last record wins) until `lineage build` is merged in.
    graph = LineageGraph()
    for event in _latest(store).values():
        prov = ProvenanceRecord(
            event["agent"], event["workflow"], event["stage"], parse_timestamp(event["time"])
        )
        graph.add_node(
            LineageNode(
                event["artifact_id"],
                event["version"],
                prov,
                event["inputs"],
                event["transformation"],
                metadata=event["metadata"],
            )
        )
    events = read_back(export(graph, "openlineage"))
    complete = {
        ident((d.namespace, d.name)): e for e in events if e.eventType is RunState.COMPLETE for d in outs(e)
    }
    raw = complete[ident(RAW)]
    assert raw.run.runId == run_id("extract")
    assert (raw.job.namespace, raw.job.name) == ("airflow", "ingest.extract_orders")
    assert facet(raw.run, "parent").run.runId == run_id("dag")
    clean = outs(complete[ident(CLEAN)])[0]
    assert facet(clean, "version").datasetVersion == "v2"
    assert [f.name for f in facet(clean, "schema").fields] == ["id", "amount"]
    assert "amount" in facet(clean, "columnLineage").fields
    assert "lineageArtifact" not in (clean.facets or {})  # namespace/name give the id back


def test_cli_free_export_is_deterministic() -> None:
    graph = small_graph()
    assert export(graph, "openlineage") == export(graph, "openlineage")
    assert export(graph, "prov-json") == export(graph, "prov-json")


# -- through the command line -------------------------------------------------------------


def test_cli_export_prov_json_loads_in_prov(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lineage_cli.cli import app

    graph_file = tmp_path / "g.json"
    graph_file.write_bytes(orjson.dumps(small_graph().to_document()))
    result = CliRunner().invoke(app, ["export", "--format", "prov-json", "--graph", str(graph_file)])
    assert result.exit_code == 0, result.output
    assert prov_counts(result.stdout_bytes)["ProvEntity"] == 6


def test_installed_cli_exports_openlineage_the_client_reads(tmp_path: Path) -> None:
    graph_file = tmp_path / "g.json"
    graph_file.write_bytes(orjson.dumps(small_graph().to_document()))
    out = tmp_path / "events.ndjson"
    proc = subprocess.run(
        [str(LINEAGE), "export", "-f", "openlineage", "-g", str(graph_file), "-o", str(out)],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(read_back(out.read_bytes())) == 9
    piped = subprocess.run(
        [str(LINEAGE), "export", "-f", "prov-json", "-g", str(REAL_GRAPHS / "dbt-tuva.json")],
        capture_output=True,
        check=True,
    )
    graph = load_graph(REAL_GRAPHS / "dbt-tuva.json")
    assert prov_counts(piped.stdout)["ProvEntity"] == len(graph.artifact_ids())  # data: never cut
