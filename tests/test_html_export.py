"""The HTML export without a browser: vendored bytes match the lock, escaping, CSP, commands."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import subprocess
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from lineage_cli.export import FORMATS, ExportOptions, get_exporter
from lineage_cli.export.html import COMPRESS_ABOVE, escape_json, render_page
from lineage_cli.export.html_data import view_data
from lineage_cli.graph import LineageGraph
from tests.conftest import LINEAGE, SAMPLE_GRAPHS

VENDOR = Path(__file__).resolve().parent.parent / "lineage_cli" / "export" / "html_assets" / "vendor"


def test_vendored_javascript_matches_the_lock() -> None:
    lock = json.loads((VENDOR / "vendor.lock.json").read_text())
    npm_lock = json.loads((VENDOR / "package-lock.json").read_text())["packages"]
    pinned = json.loads((VENDOR / "package.json").read_text())["dependencies"]
    notices = (VENDOR / "LICENSES.txt").read_text()
    assert {entry["package"] for entry in lock["files"]} == set(pinned)
    for entry in lock["files"]:
        data = (VENDOR / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        assert pinned[entry["package"]] == entry["version"]  # exact pins, no ranges
        assert npm_lock[f"node_modules/{entry['package']}"]["version"] == entry["version"]
        assert npm_lock[f"node_modules/{entry['package']}"]["integrity"] == entry["integrity"]
        assert f"{entry['package']} {entry['version']} ({entry['license']})" in notices
    vendored = {p.name for p in VENDOR.glob("*.js")}
    assert vendored == {entry["file"] for entry in lock["files"]}


@given(
    st.recursive(
        st.text() | st.integers(-(2**53), 2**53) | st.none(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    )
)
def test_escaped_json_has_no_markup_and_loads_back(value: object) -> None:
    data = escape_json(value)
    for forbidden in (b"<", b">", b"&", "\u2028".encode(), "\u2029".encode()):
        assert forbidden not in data
    assert json.loads(data) == value


def _csp_and_script(page: bytes) -> tuple[str, bytes]:
    csp = re.search(rb'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    scripts = re.findall(rb"<script>(.*?)</script>", page, flags=re.S)
    assert csp is not None and len(scripts) == 1
    return csp.group(1).decode().replace("&#x27;", "'"), scripts[0]


def test_the_csp_pins_the_one_inline_script_and_forbids_the_network() -> None:
    page = render_page(LineageGraph.from_pairs([("a", "b")]))
    csp, script = _csp_and_script(page)
    digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    assert not re.search(rb"<(link|img|iframe)\b", page)  # nothing fetched


def test_a_large_data_block_is_gzipped() -> None:
    pairs = [(f"n{i:06d}-{'x' * 40}", f"n{i + 1:06d}-{'x' * 40}") for i in range(12_000)]
    page = render_page(LineageGraph.from_pairs(pairs))
    block = re.search(rb'data-encoding="gzip-base64">([^<]+)</script>', page)
    assert block is not None
    data = json.loads(gzip.decompress(base64.b64decode(block.group(1))))
    assert len(data["ids"]) == 12_001
    assert len(escape_json(data)) > COMPRESS_ABOVE


def test_the_exporter_is_registered_and_deterministic() -> None:
    assert "html" in FORMATS
    graph = LineageGraph.from_pairs([("a", "b"), ("b", "c")])
    exporter = get_exporter("html")
    assert exporter.export(graph, ExportOptions()) == exporter.export(graph, ExportOptions())


def test_export_writes_the_selection_atomically(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    graph = SAMPLE_GRAPHS / "ml-training.json"
    root = "registry://ctr-xgb/14"
    subprocess.run(
        [
            str(LINEAGE),
            "export",
            "-f",
            "html",
            "-o",
            str(out),
            "--graph",
            str(graph),
            "--root",
            root,
            "--upstream",
            "--depth",
            "1",
        ],
        check=True,
    )
    page = out.read_bytes()
    block = re.search(rb'<script type="application/json" id="lineage-data">(.*?)</script>', page, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    expected = json.loads(
        subprocess.run(
            [str(LINEAGE), "ancestors", root, "--graph", str(graph), "--depth", "1", "--json"],
            capture_output=True,
            check=True,
        ).stdout
    )["ancestors"]
    assert data["ids"] == sorted([root, *expected])
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]  # no temp file left behind


def test_view_writes_a_page_and_prints_its_path(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(LINEAGE), "view", "--no-open", "--graph", str(SAMPLE_GRAPHS / "warehouse-etl.json")],
        capture_output=True,
        text=True,
        check=True,
    )
    path = Path(done.stdout.strip())
    assert path.name == "lineage.html" and path.read_bytes().startswith(b"<!DOCTYPE html>")
    assert done.stderr == ""


def test_view_names_an_unknown_root(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            str(LINEAGE),
            "view",
            "--no-open",
            "--root",
            "nope",
            "--graph",
            str(SAMPLE_GRAPHS / "warehouse-etl.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "nope" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.sampled_from("abcdef")), max_size=20))
def test_the_gap_coded_edges_decode_to_the_graphs_edges(pairs: list[tuple[str, str]]) -> None:
    graph = LineageGraph.from_pairs(pairs)
    data = view_data(graph)
    decoded, target = set(), 0
    for gap, back in zip(data["et"], data["es"], strict=True):
        target += gap
        decoded.add((data["ids"][target - back], data["ids"][target]))
    assert decoded == {(e.source, e.target) for e in graph.edges}
    assert data["ids"] == sorted(graph.artifact_ids())
    render_page(graph)  # and the page renders, the empty graph included
