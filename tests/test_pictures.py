"""Readable pictures, checked by Graphviz: short labels, legend, root, collapse, reduce, size guard."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import networkx as nx
import orjson
import pytest

from lineage_cli.errors import UsageError
from lineage_cli.export.extensions import choose_format
from lineage_cli.export.picture import MAX_PIXELS, picture_size
from lineage_cli.export.run import ExportRequest, export_graph
from lineage_cli.graph import LineageGraph
from lineage_cli.lineagefile import load_graph
from lineage_cli.names import resolve
from tests.conftest import LINEAGE, REAL_GRAPHS, SAMPLE_GRAPHS
from tests.export_checks import parse_dot

TUVA = REAL_GRAPHS / "dbt-tuva.json"
AD = REAL_GRAPHS / "dbt-ad-reporting.json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def lineage(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(LINEAGE), *map(str, args)], capture_output=True, timeout=600)


# --- format from the file name ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("x.png", "png"),
        ("x.svg", "svg"),
        ("x.dot", "dot"),
        ("x.gv", "dot"),
        ("x.mmd", "mermaid"),
        ("x.json", "json"),
    ],
)
def test_the_extension_chooses_the_format(name: str, fmt: str) -> None:
    assert choose_format(name, None) == fmt
    assert choose_format(name, fmt) == fmt


def test_a_contradicting_format_is_refused_and_others_default_to_mermaid() -> None:
    with pytest.raises(UsageError, match=r"^--format mermaid contradicts the file name x\.png"):
        choose_format("x.png", "mermaid")
    assert choose_format("x.txt", None) == "mermaid" and choose_format("-", None) == "mermaid"
    assert choose_format("prov.json", "prov-json") == "prov-json"


def test_html_is_chosen_only_once_the_format_exists() -> None:
    from lineage_cli.export import FORMATS

    assert choose_format("view.html", None) == ("html" if "html" in FORMATS else "mermaid")


def test_the_installed_command_writes_what_the_name_says(tmp_path: Path) -> None:
    graph = SAMPLE_GRAPHS / "warehouse-etl.json"
    for name, start in (
        ("a.png", PNG_MAGIC),
        ("a.svg", b"<?xml"),
        ("a.gv", b"digraph"),
        ("a.mmd", b"flowchart"),
    ):
        result = lineage("export", "-g", graph, "-o", tmp_path / name)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / name).read_bytes().startswith(start), name
    refused = lineage("export", "-g", graph, "-o", tmp_path / "b.png", "--format", "mermaid")
    assert refused.returncode == 2 and not (tmp_path / "b.png").exists()
    assert refused.stderr.decode().count("\n") == 1 and "contradicts" in refused.stderr.decode()


# --- labels, edge labels, legend, root -------------------------------------------------------


def test_real_graph_labels_are_short_unique_and_resolve_back() -> None:
    graph = load_graph(TUVA)
    parsed = parse_dot(export_graph(graph, ExportRequest("dot", max_nodes=0)).data)
    labels = list(parsed.labels.values())
    assert len(set(labels)) == len(labels) == 384
    assert not any(label.startswith("model.the_tuva_project.") for label in labels)
    assert "core__patient" in labels
    for label in labels:
        assert resolve(graph, label).endswith(label)
    # Every edge is "derived": no edge label, and the legend says it once.
    assert {text for _, _, text in parsed.edge_labels} == {""}
    assert parsed.legend == ["fresh", "every edge: derived\n"]


def test_edge_labels_stay_where_types_differ_and_the_legend_shows_statuses() -> None:
    graph = load_graph(SAMPLE_GRAPHS / "warehouse-etl.json")
    parsed = parse_dot(export_graph(graph, ExportRequest("dot")).data)
    assert sorted(label for _, _, label in parsed.edge_labels) == sorted(
        e.transformation_type.value for e in graph.edges
    )
    statuses = {node.status.value for node in graph.nodes.values()}
    assert set(parsed.legend[:-1]) == statuses
    assert parsed.legend[-1] == "edge label: transformation type\n"


def test_the_root_is_highlighted_and_a_cut_is_in_the_legend() -> None:
    graph = load_graph(TUVA)
    data = export_graph(
        graph, ExportRequest("dot", root="core__patient", direction="upstream", max_nodes=20)
    ).data
    parsed = parse_dot(data)
    assert parsed.nodes == 20
    root_lines = [line for line in data.decode().splitlines() if "penwidth=4" in line]
    assert len(root_lines) == 1 and 'tooltip="model.the_tuva_project.core__patient"' in root_lines[0]
    assert "thick border: the root, core__patient" in parsed.legend[-1]
    assert "cut: showing 20 of 97 artifacts" in parsed.legend[-1]


# --- collapse and reduce ---------------------------------------------------------------------


def test_collapse_draws_one_box_per_group_with_counts() -> None:
    graph = load_graph(AD)
    parsed = parse_dot(export_graph(graph, ExportRequest("dot", collapse="workflow")).data)
    members = Counter(node.provenance.workflow for node in graph.nodes.values())
    assert parsed.nodes == len(members) == 20
    for label in parsed.labels.values():
        name, count = label.split("\n")
        assert count == f"{members[name]} artifacts: {members[name]} fresh"
    between = Counter(
        (graph.nodes[e.source].provenance.workflow, graph.nodes[e.target].provenance.workflow)
        for e in graph.edges
    )
    between = Counter({pair: n for pair, n in between.items() if pair[0] != pair[1]})
    by_label = {nid: label.split("\n")[0] for nid, label in parsed.labels.items()}
    drawn = {(by_label[s], by_label[t]): int(text) for s, t, text in parsed.edge_labels}
    assert drawn == dict(between)
    assert sum(drawn.values()) < len(graph.edges)


def test_collapse_status_mix_names_the_worst_status() -> None:
    graph = load_graph(SAMPLE_GRAPHS / "warehouse-etl.json")
    data = export_graph(graph, ExportRequest("dot", collapse="stage")).data
    parsed = parse_dot(data)
    failed = {n.provenance.stage for n in graph.nodes.values() if n.status.value == "failed"}
    for label in parsed.labels.values():
        name = label.split("\n")[0]
        if name in failed:
            assert "failed" in label.split("\n")[1].split(", ")[0]


def test_reduce_matches_networkx_transitive_reduction() -> None:
    graph = load_graph(TUVA)
    digraph = nx.DiGraph([(e.source, e.target) for e in graph.edges])
    expected = nx.transitive_reduction(digraph)
    result = export_graph(graph, ExportRequest("json", reduce=True))
    reduced = LineageGraph.from_document(orjson.loads(result.data))
    assert {(e.source, e.target) for e in reduced.edges} == set(expected.edges)
    assert result.reduced == len(graph.edges) - expected.number_of_edges()


def test_reduce_says_on_stderr_how_many_edges_went(tmp_path: Path) -> None:
    result = lineage("export", "-g", TUVA, "--select", "+core__patient", "--reduce", "-o", tmp_path / "p.dot")
    assert result.returncode == 0, result.stderr
    assert result.stderr.decode() == "--reduce: left out 30 of 181 edges, implied by longer paths.\n"
    assert "--reduce: 30 of 181 edges" in parse_dot((tmp_path / "p.dot").read_bytes()).legend[-1]


# --- the size guard --------------------------------------------------------------------------


def test_a_picture_too_large_to_read_gets_a_warning_naming_alternatives(tmp_path: Path) -> None:
    result = lineage("export", "-g", TUVA, "-o", tmp_path / "all.svg")
    assert result.returncode == 0
    size = picture_size("svg", (tmp_path / "all.svg").read_bytes())
    assert size is not None and max(size) > MAX_PIXELS
    warning = result.stderr.decode()
    assert warning.startswith(f"warning: the picture is {size[0]:,} x {size[1]:,} px")
    assert "--collapse workflow" in warning and "--root ID --depth 2" in warning
    small = lineage("export", "-g", TUVA, "-o", tmp_path / "small.svg", "--select", "1+core__patient")
    assert small.returncode == 0 and small.stderr == b""


def test_the_dot_format_is_measured_by_laying_it_out() -> None:
    result = export_graph(load_graph(TUVA), ExportRequest("dot"))
    assert result.size is not None and result.too_large is not None
    assert export_graph(load_graph(AD), ExportRequest("dot", collapse="workflow")).too_large is None
