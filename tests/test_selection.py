"""The selection language against networkx on random graphs, the samples and the real dbt graphs."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import networkx as nx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_cli.graph import GraphView, LineageGraph
from lineage_cli.lineagefile import load_graph
from lineage_cli.names import AmbiguousNameError
from lineage_cli.selection import SelectorSyntaxError, parse, select_ids
from lineage_cli.store.index import INDEX_FORMAT, SqlIndex, write_index
from tests.conftest import LINEAGE, REAL_GRAPHS, SAMPLE_GRAPHS, make_graph
from tests.terminal import run_on_terminal

GRAPH_FILES = sorted(SAMPLE_GRAPHS.glob("*.json")) + sorted(REAL_GRAPHS.glob("*.json"))
NAMES = ["n0", "n1", "n10", "n2", "b", "a", "Z", "x.y", "m_1", "k"]


def as_networkx(graph: LineageGraph) -> nx.DiGraph:
    digraph = nx.DiGraph()
    digraph.add_nodes_from(graph.artifact_ids())
    digraph.add_edges_from((e.source, e.target) for e in graph.edges)
    return digraph


def within(digraph: nx.DiGraph, start: str, hops: int) -> set[str]:
    lengths: dict[str, int] = nx.single_source_shortest_path_length(digraph, start, cutoff=hops)
    return set(lengths)


def on_paths(digraph: nx.DiGraph, a: str, b: str) -> set[str]:
    """Every node on some directed path from a to b (networkx's own sets)."""
    if a != b and not nx.has_path(digraph, a, b):
        return set()
    below: set[str] = nx.descendants(digraph, a)
    above: set[str] = nx.ancestors(digraph, b)
    return ({a} | below) & ({b} | above)


def index_of(graph: LineageGraph) -> SqlIndex:
    connection = sqlite3.connect(":memory:")
    write_index(connection, graph, {"format": INDEX_FORMAT})
    return SqlIndex(connection)


@st.composite
def graphs(draw: st.DrawFn) -> LineageGraph:
    size = draw(st.integers(min_value=1, max_value=len(NAMES)))
    ids = NAMES[:size]
    pairs = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=size * 3))
    return make_graph([(ids[i], ids[j]) for i, j in pairs if i != j], extra_nodes=ids)


@settings(max_examples=150, deadline=None)
@given(graphs(), st.data())
def test_graph_operators_match_networkx_on_random_graphs(graph: LineageGraph, data: st.DataObject) -> None:
    digraph = as_networkx(graph)
    ids = graph.artifact_ids()
    x = data.draw(st.sampled_from(ids))
    y = data.draw(st.sampled_from(ids))
    n = data.draw(st.integers(0, 3))
    view: GraphView = graph if data.draw(st.booleans()) else index_of(graph)
    assert select_ids(view, [f"+{x}"]) == sorted({x} | nx.ancestors(digraph, x))
    assert select_ids(view, [f"{x}+"]) == sorted({x} | nx.descendants(digraph, x))
    assert select_ids(view, [f"+{x}+"]) == sorted({x} | nx.ancestors(digraph, x) | nx.descendants(digraph, x))
    assert select_ids(view, [f"{x}+{n}"]) == sorted(within(digraph, x, n))
    assert select_ids(view, [f"{n}+{x}"]) == sorted(within(digraph.reverse(), x, n))
    assert select_ids(view, [f"{x}+,+{y}"]) == sorted(on_paths(digraph, x, y))
    below = {x} | nx.descendants(digraph, x)
    at = set(below).union(*(nx.ancestors(digraph, d) for d in below))
    assert select_ids(view, [f"@{x}"]) == sorted(at)
    assert select_ids(view, [f"+{x}", f"{y}+"]) == sorted(
        {x, y} | nx.ancestors(digraph, x) | nx.descendants(digraph, y)
    )
    assert select_ids(view, [f"+{x}"], exclude=[y]) == sorted(({x} | nx.ancestors(digraph, x)) - {y})


@pytest.fixture(scope="module", params=GRAPH_FILES, ids=lambda p: p.stem)
def real(request: pytest.FixtureRequest) -> tuple[LineageGraph, SqlIndex, nx.DiGraph]:
    graph = load_graph(request.param)
    return graph, index_of(graph), as_networkx(graph)


def test_graph_operators_match_networkx_on_every_shipped_and_real_graph(
    real: tuple[LineageGraph, SqlIndex, nx.DiGraph],
) -> None:
    graph, index, digraph = real
    ids = graph.artifact_ids()
    # The most connected artifact and its farthest ancestor: long paths, many branches.
    x = max(ids, key=lambda aid: (len(nx.ancestors(digraph, aid)), aid))
    a = min(nx.ancestors(digraph, x) or {x})
    for view in (graph, index):
        assert select_ids(view, [f"+{x}"]) == sorted({x} | nx.ancestors(digraph, x))
        assert select_ids(view, [f"{a}+2"]) == sorted(within(digraph, a, 2))
        assert select_ids(view, [f"{a}+,+{x}"]) == sorted(on_paths(digraph, a, x))


def test_attribute_methods_agree_between_memory_and_the_index(
    real: tuple[LineageGraph, SqlIndex, nx.DiGraph],
) -> None:
    graph, index, _ = real
    nodes = graph.nodes
    workflow = sorted({n.provenance.workflow for n in nodes.values()})[0]
    expected = sorted(aid for aid, n in nodes.items() if n.provenance.workflow == workflow)
    for selector in (
        f"workflow:{workflow}",
        "status:f*",
        "kind:*",
        "tag:*",
        "type:derived",
        "meta.materialized:view",
        "agent:*,stage:m*",
    ):
        assert select_ids(graph, [selector]) == select_ids(index, [selector]), selector
    assert select_ids(index, [f"workflow:{workflow}"]) == expected
    derived = sorted({e.target for e in graph.edges if e.transformation_type.value == "derived"})
    assert select_ids(index, ["type:derived"]) == derived


def test_tags_and_meta_read_the_metadata() -> None:
    graph = make_graph([("a", "b")])
    graph.nodes["a"].metadata.update({"tags": ["pii", "daily"], "owner": "ana", "rows": 12, "ok": True})
    graph.nodes["b"].metadata.update({"tags": "pii", "owner": "bo"})
    for view in (graph, index_of(graph)):
        assert select_ids(view, ["tag:pii"]) == ["a", "b"]
        assert select_ids(view, ["tag:dai*"]) == ["a"]
        assert select_ids(view, ["meta.owner:b*"]) == ["b"]
        assert select_ids(view, ["meta.rows:12", "meta.ok:true"]) == ["a"]


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("a,,b", 3, "after ','"),
        (",a", 1, "expected a name"),
        ("+", 2, "after the graph operator"),
        ("2+", 3, "after the graph operator"),
        ("++a", 2, "unexpected '+'"),
        ("a++", 2, "unexpected '+'"),
        ("@+a", 1, "'@' cannot be combined"),
        ("status:", 8, "expected a value"),
        ("a status:done", 10, "no status matches 'done'"),
        ("type:copy", 6, "no type matches"),
        ("meta.:x", 6, "metadata key"),
        ("   ", 1, "at least one"),
    ],
)
def test_syntax_errors_point_at_the_column(text: str, column: int, words: str) -> None:
    with pytest.raises(SelectorSyntaxError) as caught:
        parse(text)
    message = str(caught.value)
    assert f"column {column}:" in message and words in message
    assert message.splitlines()[-1] == "  " + " " * (column - 1) + "^"


def test_a_whole_word_that_is_an_id_is_taken_as_is() -> None:
    graph = make_graph([("c++", "x,y"), ("x,y", "tag:z")])
    assert select_ids(graph, ["c++"]) == ["c++"]
    assert select_ids(graph, ["x,y"]) == ["x,y"]
    assert select_ids(graph, ["tag:z"]) == ["tag:z"]
    assert select_ids(graph, ["+tag:z"]) == []  # an operator makes it a method: no artifact has tag z


def test_short_names_and_globs_in_selectors() -> None:
    graph = make_graph([("raw.orders", "stg.orders"), ("stg.orders", "mart.revenue")])
    assert select_ids(graph, ["+revenue"]) == ["mart.revenue", "raw.orders", "stg.orders"]
    assert select_ids(graph, ["*.orders"]) == ["raw.orders", "stg.orders"]
    with pytest.raises(AmbiguousNameError):
        select_ids(graph, ["orders+"])


def lineage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINEAGE), *args], capture_output=True, text=True, timeout=120)


TUVA = str(REAL_GRAPHS / "dbt-tuva.json")


def test_ls_piped_prints_sorted_ids_and_json_and_count_agree() -> None:
    piped = lineage("ls", "eligibility_seed+,+core__patient", "-g", TUVA)
    assert piped.returncode == 0, piped.stderr
    ids = piped.stdout.splitlines()
    assert ids == sorted(ids) and "model.the_tuva_project.core__patient" in ids and len(ids) == 14
    document = orjson.loads(lineage("ls", "eligibility_seed+,+core__patient", "--json", "-g", TUVA).stdout)
    assert [row["id"] for row in document["artifacts"]] == ids and document["count"] == 14
    assert set(document["artifacts"][0]) == {
        "id",
        "recorded",
        "status",
        "workflow",
        "stage",
        "agent",
        "version",
        "timestamp",
    }
    count = lineage("ls", "eligibility_seed+,+core__patient", "--count", "-g", TUVA)
    assert count.stdout == "14\n"
    excluded = lineage("ls", "kind:seed", "--exclude", "eligibility_seed", "--count", "-g", TUVA)
    assert excluded.stdout == "76\n"
    everything = lineage("ls", "-g", TUVA, "--count")
    assert everything.stdout == "384\n"


def test_ls_errors_exit_2_with_a_caret_or_candidates() -> None:
    syntax = lineage("ls", "+core__patient", "a,,b", "-g", TUVA)
    assert syntax.returncode == 2 and syntax.stdout == ""
    assert syntax.stderr.splitlines()[-1] == "  " + " " * len("+core__patient a,") + "^"
    ambiguous = lineage("ls", "patient+", "-g", TUVA)
    assert ambiguous.returncode == 2 and "'patient' matches 7 artifacts" in ambiguous.stderr
    unknown = lineage("ls", "+core__patients", "-g", TUVA)
    assert unknown.returncode == 2 and "Did you mean 'model.the_tuva_project.core__patient'" in unknown.stderr
    assert "Traceback" not in syntax.stderr + ambiguous.stderr + unknown.stderr


def test_ls_as_of_applies_to_the_whole_selection(tmp_path: Path) -> None:
    from tests.storehelp import artifact, at, write_store

    store = write_store(
        tmp_path, [artifact("raw", 1), artifact("clean", 2, ["raw"]), artifact("model", 30, ["clean"])]
    )
    assert lineage("build", "--store", str(store.root)).returncode == 0
    now = lineage("ls", "raw+", "--store", str(store.root))
    before = lineage("ls", "raw+", "--exclude", "clean", "--store", str(store.root), "--as-of", at(10))
    assert now.stdout == "clean\nmodel\nraw\n"
    assert before.stdout == "raw\n", before.stderr


def test_ls_on_a_terminal_is_a_table_cut_to_the_screen_with_a_count() -> None:
    shown = run_on_terminal("ls", "+core__patient", "-g", TUVA, rows=20, env={"LINEAGE_PAGER": ""})
    assert shown.code == 0
    lines = shown.screen.splitlines()
    assert len(lines) == 18 and "status" in lines[0] and "workflow" in lines[0] and "time" in lines[0]
    assert "more lines not shown" in shown.stderr and "97 artifacts." in shown.stderr
    paged = run_on_terminal("ls", "+core__patient", "-g", TUVA, rows=20, env={"LINEAGE_PAGER": "cat"})
    assert "more lines not shown" not in paged.stderr
    assert "core__patient" in paged.screen and len(paged.screen.splitlines()) > 97


def test_a_tree_marks_an_artifact_reached_again_as_shown_above() -> None:
    graph = str(SAMPLE_GRAPHS / "warehouse-etl.json")
    shown = run_on_terminal(
        "ancestors", "rpt_board_kpis_monthly", "-g", graph, rows=400, env={"LINEAGE_PAGER": ""}
    )
    lines = re.sub(r"\x1b\[[0-9;]*m", "", shown.screen).splitlines()
    marked = [line for line in lines if line.endswith("(shown above)")]
    assert marked, shown.screen
    for line in marked:
        name = line.split("── ", 1)[1].removesuffix(" (shown above)")
        first = next(i for i, text in enumerate(lines) if name in text)
        assert first < lines.index(line)  # drawn in full above
    # Each edge among the ancestors is one line: no input is dropped silently.
    whole = load_graph(SAMPLE_GRAPHS / "warehouse-etl.json")
    members = {"rpt_board_kpis_monthly", *select_ids(whole, ["+rpt_board_kpis_monthly"])}
    edges = {(e.source, e.target) for e in whole.edges if e.source in members and e.target in members}
    assert len([line for line in lines if line.strip()]) - 1 == len(edges)
