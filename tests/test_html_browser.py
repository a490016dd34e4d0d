"""The HTML view in a real headless Chromium: its answers equal the CLI's, and hostile ids stay data."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from lineage_cli.lineagefile import load_graph, save_graph
from tests.browser import Watched, chromium, require_browser, watched_page
from tests.conftest import LINEAGE, REAL_GRAPHS, SAMPLE_GRAPHS, make_graph
from tests.storehelp import artifact, write_store

GRAPHS = [
    *(
        SAMPLE_GRAPHS / name
        for name in ("ml-training.json", "warehouse-etl.json", "agent-orchestration.json")
    ),
    *(REAL_GRAPHS / name for name in ("dbt-fhir.json", "dbt-ad-reporting.json", "dbt-tuva.json")),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(require_browser()) as launched:
        yield launched


@pytest.fixture
def tab(browser: Any) -> Iterator[Watched]:
    with watched_page(browser) as watched:
        yield watched
    assert watched.errors == [], watched.errors
    assert watched.dialogs == []


def lineage(*args: str) -> Any:
    done = subprocess.run([str(LINEAGE), *args], capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr  # `lineage stale` exits 1 when something is stale
    return json.loads(done.stdout)


def export(tmp_path: Path, *args: str, name: str = "view.html") -> Path:
    out = tmp_path / name
    subprocess.run([str(LINEAGE), "export", "--format", "html", "-o", str(out), *args], check=True)
    return out


def sampled(ids: list[str], count: int) -> list[str]:
    """``count`` ids spread evenly over the sorted list (deterministic)."""
    ordered = sorted(ids)
    step = max(1, len(ordered) // count)
    return ordered[::step][:count]


def busiest(graph_file: Path) -> str:
    """The artifact with the most ancestors plus descendants: the strongest check."""
    g = nx.DiGraph()
    graph = load_graph(graph_file)
    g.add_nodes_from(graph.artifact_ids())
    g.add_edges_from((e.source, e.target) for e in graph.edges)
    return str(max(sorted(g), key=lambda n: len(nx.ancestors(g, n)) + len(nx.descendants(g, n))))


@pytest.mark.parametrize("graph_file", GRAPHS, ids=lambda p: p.stem)
def test_highlight_equals_ancestors_and_descendants(tab: Watched, tmp_path: Path, graph_file: Path) -> None:
    page = tab.open(export(tmp_path, "--graph", str(graph_file)))
    ids = load_graph(graph_file).artifact_ids()
    assert tab.view("visibleIds") == sorted(ids)  # up to 2,000 artifacts the whole graph is shown
    for aid in [busiest(graph_file), *sampled(ids, 3)]:
        got = tab.view("select", aid)
        assert got["selected"] == aid
        assert got["upstream"] == sorted(
            lineage("ancestors", aid, "--graph", str(graph_file), "--json")["ancestors"]
        )
        assert got["downstream"] == sorted(
            lineage("descendants", aid, "--graph", str(graph_file), "--json")["descendants"]
        )
    # A real click on the canvas, at the artifact's position, selects it.
    aid = busiest(graph_file)
    tab.view("select", None)
    tab.view("select", aid)  # centres it
    tab.view("select", None)
    pos = tab.view("screenPos", aid)
    page.mouse.click(pos["x"], pos["y"])
    assert tab.view("selection")["selected"] == aid
    # Separate depth steppers: one hop each way is the parents and the children.
    tab.view("setDepth", 1, 2)
    got = tab.view("selection")
    assert (
        got["upstream"]
        == lineage("ancestors", aid, "--graph", str(graph_file), "--json", "--depth", "1")["ancestors"]
    )
    assert got["downstream"] == sorted(
        lineage("descendants", aid, "--graph", str(graph_file), "--json", "--depth", "2")["descendants"]
    )


@pytest.mark.parametrize("graph_file", [GRAPHS[0], GRAPHS[5]], ids=lambda p: p.stem)
def test_paths_between_two_artifacts(tab: Watched, tmp_path: Path, graph_file: Path) -> None:
    tab.open(export(tmp_path, "--graph", str(graph_file)))
    graph = load_graph(graph_file)
    g = nx.DiGraph((e.source, e.target) for e in graph.edges)
    g.add_nodes_from(graph.artifact_ids())
    a = busiest(graph_file)
    far = sorted(nx.descendants(g, a), key=lambda n: (-len(nx.ancestors(g, n) & nx.descendants(g, a)), n))[0]
    expected = sorted({a, far} | (nx.descendants(g, a) & nx.ancestors(g, far)))
    assert tab.view("paths", a, far) == expected
    assert tab.view("paths", far, a) == expected
    tab.view("select", a)
    got = tab.view("select", far, {"shift": True})
    assert got["paths"] == expected
    unrelated = next(n for n in sorted(g) if n not in nx.ancestors(g, a) | nx.descendants(g, a) | {a})
    assert tab.view("paths", a, unrelated) == []
    # "Hide the rest" leaves only the path on screen.
    tab.view("hideOutside", True)
    assert tab.view("visibleIds") == expected


def big_graph(tmp_path: Path, workflows: int = 3, per_stage: int = 40, stages: int = 25) -> Path:
    """More than 2,000 artifacts in layered workflows (``wf-0`` ...), each stage reading the one before."""
    pairs = []
    workflow_of = {}
    for w in range(workflows):
        for s in range(stages):
            for i in range(per_stage):
                aid = f"wf-{w}/stage-{s}/artifact-{i:03d}"
                workflow_of[aid] = f"wf-{w}"
                if s:
                    pairs += [
                        (f"wf-{w}/stage-{s - 1}/artifact-{(i * 7 + k) % per_stage:03d}", aid) for k in (0, 1)
                    ]
                elif w:
                    pairs.append((f"wf-{w - 1}/stage-{stages - 1}/artifact-{i:03d}", aid))
    graph = make_graph(pairs, workflow_of=workflow_of)
    for aid, node in graph.nodes.items():
        node.provenance.stage = aid.split("/")[1]
    path = tmp_path / "big.json"
    save_graph(graph, path)
    return path


def test_a_large_graph_opens_on_groups_that_expand_in_place(tab: Watched, tmp_path: Path) -> None:
    graph_file = big_graph(tmp_path)
    graph = load_graph(graph_file)
    page = tab.open(export(tmp_path, "--graph", str(graph_file)))
    groups = tab.view("groups")
    assert groups and not any(g["expanded"] for g in groups)
    assert sum(g["count"] for g in groups) == len(graph.artifact_ids())
    assert tab.view("visibleIds") == []
    members = sorted(a for a in graph.artifact_ids() if graph.nodes[a].provenance.workflow == "wf-1")
    tab.view("expand", "wf-1")
    assert tab.view("visibleIds") == members
    tab.view("collapse", "wf-1")
    assert tab.view("visibleIds") == []
    # A click on a collapsed group expands it; selecting inside a group reveals it.
    pos = tab.view("screenPos", members[0])
    page.mouse.click(pos["x"], pos["y"])
    assert tab.view("visibleIds") == members
    other = sorted(a for a in graph.artifact_ids() if graph.nodes[a].provenance.workflow == "wf-0")
    got = tab.view("select", other[-1])
    assert got["upstream"] == sorted(
        lineage("ancestors", other[-1], "--graph", str(graph_file), "--json")["ancestors"]
    )
    assert set(other) <= set(tab.view("visibleIds"))
    # Grouping by stage instead.
    tab.view("groupBy", "stage")
    assert {g["name"] for g in tab.view("groups")} == {
        graph.nodes[a].provenance.stage for a in graph.artifact_ids()
    }


def test_search_lists_matches_and_enter_focuses_the_first(tab: Watched, tmp_path: Path) -> None:
    graph_file = REAL_GRAPHS / "dbt-tuva.json"
    page = tab.open(export(tmp_path, "--graph", str(graph_file)))
    page.keyboard.press("/")
    page.keyboard.type("stg_pharmacy_claim")
    # (wait_for_function would eval a string, which the page's CSP forbids)
    page.wait_for_selector('#results li[title*="stg_pharmacy_claim"]')
    listed = page.eval_on_selector_all("#results li", "items => items.map(li => li.title)")
    assert len(listed) > 1 and all("stg_pharmacy_claim" in aid for aid in listed)
    page.keyboard.press("Enter")
    assert tab.view("selection")["selected"] == listed[0]
    # The details panel names it and lists its inputs.
    details = page.text_content("#details") or ""
    assert listed[0] in details and "Inputs" in details
    # Metadata is searched too: a path found only in metadata.
    node = load_graph(graph_file).nodes[listed[0]]
    assert listed[0] in tab.view("search", node.metadata["path"])


def test_keyboard_moves_and_the_fragment_restores_the_view(tab: Watched, tmp_path: Path) -> None:
    graph_file = SAMPLE_GRAPHS / "warehouse-etl.json"
    path = export(tmp_path, "--graph", str(graph_file))
    page = tab.open(path)
    graph = load_graph(graph_file)
    source = next(a for a in sorted(graph.artifact_ids()) if graph.children(a))
    tab.view("select", source)
    page.keyboard.press("ArrowRight")
    assert tab.view("selection")["selected"] == graph.children(source)[0]
    page.keyboard.press("ArrowLeft")
    assert tab.view("selection")["selected"] in graph.parents(graph.children(source)[0])
    page.keyboard.press("-")  # depth 'all' steps down to a number
    state = tab.view("selection")
    fragment = page.evaluate("location.hash")
    assert "sel=" in fragment
    page.keyboard.press("Escape")
    assert tab.view("selection")["selected"] is None
    page.goto("about:blank")
    tab.open(path, fragment)
    assert tab.view("selection") == state


def test_png_and_svg_downloads(tab: Watched, tmp_path: Path) -> None:
    page = tab.open(export(tmp_path, "--graph", str(SAMPLE_GRAPHS / "ml-training.json")))
    with page.expect_download() as png:
        page.click("#save-png")
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as svg:
        page.click("#save-svg")
    import xml.etree.ElementTree as ET

    root = ET.parse(svg.value.path()).getroot()
    assert root.tag.endswith("svg") and len(root.findall(".//{http://www.w3.org/2000/svg}rect")) > 10


HOSTILE = [
    "</script><script>window.__pwned=1</script>",
    "</SCRIPT ><script>window.__pwned=2</script>",
    "<!--<script>window.__pwned=3</script>",
    "<img src=x onerror=window.__pwned=4>",
    "javascript:window.__pwned=5",
    "\"'><svg onload=window.__pwned=6>",
    "line\u2028separator\u2029paragraph",
    "a&amp;b &lt; c",
    "x" * 3000,
    "",
]


def test_hostile_ids_stay_data(tab: Watched, tmp_path: Path) -> None:
    nodes: dict[str, Any] = {}
    stamp = {"agent": "a", "workflow": "<b>wf</b>", "stage": "s", "timestamp": "2026-01-01T00:00:00Z"}
    for n, aid in enumerate(HOSTILE):
        nodes[aid] = {
            "version": "<i>1</i>",
            "provenance": stamp,
            "inputs": [HOSTILE[n - 1]] if n else [],
            "transformation": "</script>",
            "status": "fresh",
            "metadata": {
                "link": "javascript:window.__pwned=7",
                "doc": "https://example.com/</script>?q=<x>",
                "visualization": {"node_label": aid[:40]},
            },
        }
    graph_file = tmp_path / "hostile.json"
    graph_file.write_text(
        json.dumps({"version": "1.0", "built_at": "2026-01-01T00:00:00Z", "nodes": nodes, "edges": []})
    )
    path = export(tmp_path, "--graph", str(graph_file))
    page = tab.open(path)
    assert tab.view("visibleIds") == sorted(HOSTILE)
    for aid in HOSTILE:
        got = tab.view("select", aid)
        assert got["selected"] == aid
        assert page.eval_on_selector("#details dd", "dd => dd.textContent") == aid
    # Only the https URL became a link; the javascript: one is text.
    tab.view("select", HOSTILE[0])
    hrefs = page.eval_on_selector_all("#details a", "links => links.map(a => a.href)")
    assert hrefs == ["https://example.com/%3C/script%3E?q=%3Cx%3E"]
    assert tab.view("search", "</script>")  # search finds hostile ids
    page.mouse.move(300, 300)
    page.keyboard.press("f")
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__csp") == []
    assert tab.dialogs == [] and tab.errors == []
    assert tab.requests == [path.resolve().as_uri()]


def store_with_history(tmp_path: Path) -> Path:
    """Three builds: raw -> clean -> report, then raw re-made (clean, report stale), then a new leaf."""
    root = tmp_path / "store"
    write_store(root, [artifact("raw", 1), artifact("clean", 2, ["raw"]), artifact("report", 3, ["clean"])])
    subprocess.run([str(LINEAGE), "build", "--store", str(root)], check=True, capture_output=True)
    write_store(root, [artifact("raw", 10, version="2"), artifact("side", 11, ["raw"])])
    subprocess.run([str(LINEAGE), "build", "--store", str(root)], check=True, capture_output=True)
    write_store(root, [artifact("audit", 20, ["report", "side"])])
    subprocess.run([str(LINEAGE), "build", "--store", str(root)], check=True, capture_output=True)
    return root


def test_time_slider_equals_lineage_at_and_compare_equals_diff(tab: Watched, tmp_path: Path) -> None:
    store = store_with_history(tmp_path)
    page = tab.open(export(tmp_path, "--store", str(store)))
    times = tab.view("times")
    assert len(times) == 3
    for moment in [*times, "2026-01-01T00:05:00Z", "2025-12-31T00:00:00Z"]:
        tab.view("setTime", moment)
        expected = sorted(lineage("at", moment, "--store", str(store), "--json")["nodes"])
        assert tab.view("visibleIds") == expected, moment
    # Artifacts stay where they were while the slider moves.
    tab.view("setTime", times[0])
    before = tab.view("screenPos", "clean")
    tab.view("setTime", times[2])
    assert tab.view("screenPos", "clean") == before
    # "Compare to" colours what `lineage diff` reports.
    got = tab.view("compare", times[0])
    want = lineage("diff", times[0], times[2], "--store", str(store), "--json")["artifacts"]
    assert got["added"] == want["added"] and got["removed"] == want["removed"]
    assert got["modified"] == [m["artifact"] for m in want["modified"]]
    # The stale reason chain is `lineage stale`'s, and clicking it draws the chain.
    tab.view("setTime", None)
    stale = {r["artifact"]: r for r in lineage("stale", "--store", str(store), "--json")["stale"]}
    assert stale
    for aid, reason in stale.items():
        assert tab.view("staleReason", aid) == reason
    # The legend's boxes filter by status.
    tab.view("filterStatus", "stale", False)
    assert set(tab.view("visibleIds")) == set(
        lineage("at", times[2], "--store", str(store), "--json")["nodes"]
    ) - set(stale)
    tab.view("filterStatus", "stale", True)
    aid = sorted(stale)[-1]
    tab.view("select", aid)
    page.click("#details .draw-chain")
    assert tab.view("selection")["chain"] == stale[aid]["chain"]
    assert "→" in (page.text_content("#details .chain") or "")


def test_as_of_limits_the_page_to_the_builds_before(tab: Watched, tmp_path: Path) -> None:
    store = store_with_history(tmp_path)
    times = lineage("snapshots", "--store", str(store), "--json")
    moments = sorted(entry["last_event_time"] for entry in times["snapshots"])
    tab.open(export(tmp_path, "--store", str(store), "--as-of", moments[1]))
    assert tab.view("times") == moments[:2]
    assert tab.view("visibleIds") == sorted(
        lineage("at", moments[1], "--store", str(store), "--json")["nodes"]
    )


def test_a_cycle_and_an_empty_graph_open(tab: Watched, tmp_path: Path) -> None:
    graph_file = tmp_path / "cycle.json"
    save_graph(make_graph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]), graph_file)
    tab.open(export(tmp_path, "--graph", str(graph_file)))
    assert tab.view("visibleIds") == ["a", "b", "c", "d"]
    got = tab.view("select", "a")
    assert got["upstream"] == lineage("ancestors", "a", "--graph", str(graph_file), "--json")["ancestors"]
    assert (
        got["downstream"] == lineage("descendants", "a", "--graph", str(graph_file), "--json")["descendants"]
    )
    empty = tmp_path / "empty.json"
    save_graph(make_graph([]), empty)
    tab.open(export(tmp_path, "--graph", str(empty), name="empty.html"))
    assert tab.view("visibleIds") == []
