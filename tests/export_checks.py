"""Check exports with the real parsers: Graphviz `dot` and the `mermaid` npm package in Node.

A missing tool fails the test with a message saying to run `make dev`; nothing is skipped.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from lineage_cli.graph import LineageGraph
from lineage_cli.model import ArtifactStatus, LineageEdge, LineageNode, ProvenanceRecord, parse_timestamp
from tests.conftest import REAL_GRAPHS, SAMPLE_GRAPHS

JS_DIR = Path(__file__).resolve().parent / "js"
MERMAID_SCRIPT = JS_DIR / "mermaid-check.mjs"


def require_dot() -> str:
    dot = shutil.which("dot")
    if dot is None:
        pytest.fail("Graphviz `dot` is not on PATH; run `make dev` (it installs graphviz).")
    return dot


def require_node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js (`node`) is not on PATH; install it, then run `make dev`.")
    if not (JS_DIR / "node_modules" / "mermaid").is_dir() or not (JS_DIR / "node_modules" / "jsdom").is_dir():
        pytest.fail("tests/js/node_modules is missing the mermaid and jsdom packages; run `make dev`.")
    return node


@dataclass
class DotParse:
    """What Graphviz made of a DOT document."""

    nodes: int
    edges: int
    labels: dict[str, str]
    edge_labels: list[tuple[str, str, str]]
    clusters: list[str]
    legend: list[str]
    """Labels of the legend's boxes: statuses, then the notes."""


_ESC = re.compile(r"\\(.)", re.DOTALL)


def decode_dot(label: str) -> str:
    """What Graphviz draws for a label string: escString sequences, then HTML entities."""
    text = _ESC.sub(lambda m: "\n" if m.group(1) in "nlr" else m.group(1), label)
    return html.unescape(text)


def parse_dot(text: bytes) -> DotParse:
    """Lay out ``text`` with `dot -Tjson` and read back nodes, edges, labels and clusters."""
    dot = require_dot()
    result = subprocess.run([dot, "-Tjson"], input=text, capture_output=True, timeout=600)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"Warning" not in result.stderr and b"Error" not in result.stderr, result.stderr
    document = json.loads(result.stdout)
    objects = document.get("objects", [])
    legend = [decode_dot(o["label"]) for o in objects if o["name"].startswith("legend_")]
    every_node = {o["_gvid"]: o for o in objects if not o["name"].startswith("cluster_")}
    nodes = {gvid: o for gvid, o in every_node.items() if not o["name"].startswith("legend_")}
    clusters = [
        decode_dot(o["label"])
        for o in objects
        if o["name"].startswith("cluster_") and o["name"] != "cluster_legend"
    ]
    labels = {o["name"]: decode_dot(o["label"]) for o in nodes.values()}
    edges = document.get("edges", [])
    edge_labels = [
        (nodes[e["tail"]]["name"], nodes[e["head"]]["name"], decode_dot(e.get("label", ""))) for e in edges
    ]
    return DotParse(len(nodes), len(edges), labels, edge_labels, clusters, legend)


def dot_plain_counts(text: bytes) -> tuple[int, int]:
    """Node and edge counts from `dot -Tplain` (a second, independent reading)."""
    dot = require_dot()
    result = subprocess.run([dot, "-Tplain"], input=text, capture_output=True, timeout=600)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    # The legend's boxes are not artifacts.
    kinds = [
        line.split(" ", 1)[0]
        for line in result.stdout.decode().splitlines()
        if not line.startswith("node legend_")
    ]
    return kinds.count("node"), kinds.count("edge")


def svg_counts(svg: bytes) -> tuple[int, int]:
    """Artifact boxes (not the legend's) and edges drawn in an SVG."""
    return svg.count(b'class="node"') - svg.count(b"<title>legend_"), svg.count(b'class="edge"')


@dataclass
class MermaidParse:
    """What the mermaid package's parser made of a document (``error`` when it refused it)."""

    ok: bool
    error: str | None
    nodes: int
    edges: int
    subgraphs: int
    labels: dict[str, str]
    links: list[tuple[str, str, str]]
    titles: list[str]


# Entity codes as written (#34;) or as the parser stores them (ﬂ°°34¶ß, ﬂ°quot¶ß); one pass,
# so decoded text is never decoded twice.
_MERMAID_CODE = re.compile(r"ﬂ°°(\d+)¶ß|ﬂ°(\w+)¶ß|#(\d+);|<br>")


def _decode_one(match: re.Match[str]) -> str:
    numeric, named, written = match.groups()
    if numeric or written:
        return chr(int(numeric or written))
    if named:
        return html.unescape(f"&{named};")
    return "\n"


def decode_mermaid(text: str) -> str:
    """Undo our escaping as Mermaid renders it: entity codes (in either form) and <br>."""
    return _MERMAID_CODE.sub(_decode_one, text)


def parse_mermaid(*texts: bytes) -> list[MermaidParse]:
    """Parse each document with the real mermaid package (one Node process for all)."""
    node = require_node()
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for index, text in enumerate(texts):
            path = Path(tmp) / f"d{index}.mmd"
            path.write_bytes(text)
            paths.append(str(path))
        result = subprocess.run(
            [node, str(MERMAID_SCRIPT), *paths], capture_output=True, text=True, timeout=600, cwd=JS_DIR
        )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == len(texts), f"mermaid-check.mjs failed: {result.stderr}"
    return [
        MermaidParse(
            ok=r["ok"],
            error=r["error"],
            nodes=r["nodes"] or 0,
            edges=r["edges"] or 0,
            subgraphs=r["subgraphs"] or 0,
            labels={k: decode_mermaid(v) for k, v in (r["labels"] or {}).items()},
            links=[(a, b, c) for a, b, c in (r["links"] or [])],
            titles=[decode_mermaid(t) for t in (r["titles"] or [])],
        )
        for r in lines
    ]


# --- the hostile-id graph -----------------------------------------------------------------

HOSTILE_IDS = [
    'say "hi"',
    "back\\slash\\",
    "\\",
    "trailing\\n",
    "line\nbreak",
    "crlf\r\nbreak",
    "tab\there",
    "bell\x07ctl",
    "s3://bucket/key:v1",
    "a-b",
    "a_b",
    "a b",
    "a.b",
    "with space ",
    " leading",
    "end",
    "END",
    "graph",
    "subgraph",
    "click",
    "style",
    "classDef",
    "class",
    "flowchart",
    "direction",
    "digraph",
    "node",
    "edge",
    "strict",
    "default",
    "1starts-with-digit",
    "42",
    "<b>bold</b>",
    "a > b & c < d",
    "&amp;",
    "#quot;",
    "#35;",
    "semi;colon",
    "pipe|bar",
    "{curly}",
    "[square]",
    "(round)",
    "((double))",
    "%% comment",
    "`markdown`",
    "'single'",
    "unicodé ünïcode 中文 🚀 עברית",
    "\u2028sep",
    "𝐀stral",
    "x" * 3000,
    "y" * 2999 + '"',
    "-->",
    "---",
    "@{ shape: rect }",
    ":::cls",
    "n0",
    "g0",
    "cluster_0",
    "",
]
"""Artifact ids that break naive Mermaid or DOT writers."""


def hostile_graph() -> LineageGraph:
    """Every hostile id as an artifact, chained by edges of every type, hostile labels and groups."""
    when = parse_timestamp("2026-01-01T00:00:00Z")
    kinds = list(ArtifactStatus)
    workflows = ["wf-1", 'wf "quoted"', "end", "subgraph", "wf\nnewline", "ünï 🚀", ""]
    graph = LineageGraph(built_at=when)
    for index, aid in enumerate(HOSTILE_IDS):
        provenance = ProvenanceRecord(
            agent=f"agent {index % 3}",
            workflow=workflows[index % len(workflows)],
            stage=HOSTILE_IDS[(index + 7) % len(HOSTILE_IDS)],
            timestamp=when,
        )
        metadata: dict[str, object] = {}
        if index % 5 == 0:
            metadata["visualization"] = {"node_label": f'label "{aid}" end', "group": "group;\\end"}
        if index % 7 == 0:
            metadata.setdefault("visualization", {})
            metadata["visualization"]["node_color"] = '#123456"; style=invis' if index % 14 else "#ABCDEF"  # type: ignore[index]
        node = LineageNode(aid, "1", provenance, [], "t", kinds[index % len(kinds)], metadata)
        graph.add_node(node)
    from lineage_cli.model import TransformationType

    types = list(TransformationType)
    for index in range(1, len(HOSTILE_IDS)):
        graph.add_edge(LineageEdge(HOSTILE_IDS[index - 1], HOSTILE_IDS[index], types[index % len(types)]))
    # Cross edges, a duplicate pair with another type, a self-loop, and an endpoint with no record.
    graph.add_edge(LineageEdge("a-b", "end", TransformationType.MERGED))
    graph.add_edge(LineageEdge("a-b", "end", TransformationType.COPIED))
    graph.add_edge(LineageEdge("a_b", "a_b", TransformationType.VALIDATED))
    graph.add_edge(LineageEdge('only an endpoint "\\\n', "graph"))
    return graph


# --- graphs to check ------------------------------------------------------------------------


def graph_files() -> list[Path]:
    """The shipped sample graphs and the real dbt graphs in shared/ (beside the clone)."""
    return sorted(SAMPLE_GRAPHS.glob("*.json")) + sorted(REAL_GRAPHS.glob("*.json"))


def small_graph() -> LineageGraph:
    """A small graph for the golden files: two workflows, every status, labels, colours, edge types."""
    from lineage_cli.model import TransformationType

    when = parse_timestamp("2026-01-01T00:00:00Z")
    spec = [
        ("raw/orders.csv", "ingest", "fetch", ArtifactStatus.FRESH, [], {}),
        ("raw/customers.csv", "ingest", "fetch", ArtifactStatus.FAILED, [], {}),
        ("clean:orders", "ingest", "clean", ArtifactStatus.STALE, ["raw/orders.csv"], {}),
        (
            'report "Q1"',
            "reporting",
            "publish",
            ArtifactStatus.IN_PROGRESS,
            ["clean:orders", "raw/customers.csv"],
            {"visualization": {"node_label": "Q1 report\n(draft)", "node_color": "#FFEB3B"}},
        ),
        ("audit", "reporting", "check", ArtifactStatus.UNKNOWN, ['report "Q1"'], {}),
    ]
    graph = LineageGraph(built_at=when)
    for aid, workflow, stage, status, inputs, metadata in spec:
        provenance = ProvenanceRecord("bot", workflow, stage, when)
        graph.add_node(LineageNode(aid, "1", provenance, list(inputs), "t", status, dict(metadata)))
    graph.add_edge(LineageEdge("raw/orders.csv", "clean:orders", TransformationType.REFINED, "dedupe"))
    graph.add_edge(LineageEdge("clean:orders", 'report "Q1"', TransformationType.MERGED, "join"))
    graph.add_edge(LineageEdge("raw/customers.csv", 'report "Q1"', TransformationType.MERGED, "join"))
    graph.add_edge(LineageEdge('report "Q1"', "audit", TransformationType.VALIDATED, "check"))
    return graph
