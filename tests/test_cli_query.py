"""The query commands through CliRunner and through the installed `lineage` in real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from lineage_cli.cli import app, output
from lineage_cli.graph import LineageGraph
from lineage_cli.lineagefile import save_graph
from lineage_cli.model import ArtifactStatus, LineageEdge, TransformationType, parse_timestamp
from tests.conftest import LINEAGE, REAL_GRAPHS, make_graph

TUVA = REAL_GRAPHS / "dbt-tuva.json"


def warehouse() -> LineageGraph:
    """raw -> clean -> {report, audit}; clean also -> mart; side -> audit; ghost has no record.

    ``report`` and ``mart`` are in other workflows than ``clean``.
    """
    graph = make_graph(
        [("raw", "clean"), ("clean", "report"), ("clean", "audit"), ("side", "audit"), ("clean", "mart")],
        extra_nodes=["lonely", "[bold]odd"],
        workflow_of={"report": "reporting", "mart": "marts"},
    )
    graph.node("mart").provenance.timestamp = parse_timestamp("2026-02-01T00:00:00Z")  # type: ignore[union-attr]
    graph.node("audit").status = ArtifactStatus.STALE  # type: ignore[union-attr]
    graph.node("raw").inputs.append("ghost")  # type: ignore[union-attr]
    graph.add_edge(LineageEdge("side", "audit", TransformationType.VALIDATED, "checks"))
    return graph


@pytest.fixture
def graph_file(tmp_path: Path) -> Path:
    path = tmp_path / "lineage.json"
    save_graph(warehouse(), path)
    return path


def run(*args: str | Path, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner(env=env).invoke(app, [str(a) for a in args])


def run_json(*args: str | Path) -> Any:
    result = run(*args, "--json")
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def assert_clean_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


# -- piped (plain) output --------------------------------------------------------------


def test_ancestors_and_descendants_print_sorted_ids(graph_file: Path) -> None:
    assert run("ancestors", "audit", "--graph", graph_file).stdout == "clean\nghost\nraw\nside\n"
    assert run("descendants", "raw", "-g", graph_file).stdout == "audit\nclean\nmart\nreport\n"
    assert run("descendants", "raw", "-g", graph_file, "--depth", "1").stdout == "clean\n"
    assert run("descendants", "lonely", "-g", graph_file).stdout == ""


def test_path_prints_one_id_per_line_in_order(graph_file: Path) -> None:
    result = run("path", "report", "side", "-g", graph_file)
    assert result.exit_code == 0
    assert result.stdout == "report\nclean\naudit\nside\n"


def test_common_ancestors_prints_sorted_ids(graph_file: Path) -> None:
    assert run("common-ancestors", "report", "audit", "-g", graph_file).stdout == "clean\nghost\nraw\n"


def test_provenance_prints_a_key_value_block(graph_file: Path) -> None:
    result = run("provenance", "audit", "-g", graph_file)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:4] == ["artifact: audit", "recorded: yes", "version: 1", "status: stale"]
    assert "workflow: wf" in lines and "timestamp: 2026-01-01T00:00:00Z" in lines
    assert "parent: clean\tderived\timplicit: listed in the target's inputs" in lines
    assert "parent: side\tvalidated\tchecks" in lines
    assert not any(line.startswith("child:") for line in lines)


def test_provenance_of_an_unrecorded_endpoint(graph_file: Path) -> None:
    result = run("provenance", "ghost", "-g", graph_file)
    assert result.exit_code == 0
    assert "recorded: no" in result.stdout.splitlines()
    assert "child: raw\tderived\timplicit: listed in the target's inputs" in result.stdout


def test_impact_prints_affected_ids_and_critical_paths_on_stderr(graph_file: Path, tmp_path: Path) -> None:
    critical = tmp_path / "critical.txt"
    critical.write_text("# the board deck\nreport  # CFO\nnot-an-artifact\n\n")
    result = run("impact", "raw", "-g", graph_file, "--critical", critical)
    assert result.exit_code == 0
    assert result.stdout == "audit\nclean\nmart\nreport\n"
    assert "critical: raw -> clean -> report" in result.stderr
    assert "not-an-artifact" in result.stderr and "not in the graph" in result.stderr


def test_cross_workflow_prints_shared_ids(graph_file: Path) -> None:
    assert run("cross-workflow", "-g", graph_file).stdout == "clean\n"


# -- JSON shapes ---------------------------------------------------------------------


def test_json_shapes(graph_file: Path) -> None:
    assert run_json("ancestors", "report", "-g", graph_file) == {
        "artifact": "report",
        "depth": None,
        "ancestors": ["clean", "ghost", "raw"],
    }
    assert run_json("descendants", "raw", "-g", graph_file, "--depth", "1") == {
        "artifact": "raw",
        "depth": 1,
        "descendants": ["clean"],
    }
    assert run_json("path", "raw", "audit", "-g", graph_file, "--directed") == {
        "from": "raw",
        "to": "audit",
        "directed": True,
        "path": ["raw", "clean", "audit"],
        "length": 2,
    }
    assert run_json("common-ancestors", "report", "audit", "-g", graph_file) == {
        "a": "report",
        "b": "audit",
        "common_ancestors": ["clean", "ghost", "raw"],
        "lowest": ["clean"],
    }
    assert run_json("cross-workflow", "-g", graph_file) == {
        "links": [
            {
                "artifact": "clean",
                "producer_workflow": "wf",
                "consumer_workflows": ["marts", "reporting"],
                "consumers": ["mart", "report"],
                "shared_since": "2026-01-01T00:00:00Z",
            }
        ]
    }


def test_provenance_json_shape(graph_file: Path) -> None:
    assert run_json("provenance", "clean", "-g", graph_file) == {
        "artifact": "clean",
        "recorded": True,
        "version": "1",
        "status": "unknown",
        "transformation": "t",
        "provenance": {
            "agent": "agent",
            "workflow": "wf",
            "stage": "stage",
            "timestamp": "2026-01-01T00:00:00Z",
            "tool": None,
            "environment": None,
        },
        "metadata": {},
        "aliases": [],
        "parents": [
            {"artifact": "raw", "type": "derived", "description": "implicit: listed in the target's inputs"}
        ],
        "children": [
            {
                "artifact": "audit",
                "type": "derived",
                "description": "implicit: listed in the target's inputs",
            },
            {"artifact": "mart", "type": "derived", "description": "implicit: listed in the target's inputs"},
            {
                "artifact": "report",
                "type": "derived",
                "description": "implicit: listed in the target's inputs",
            },
        ],
    }
    ghost = run_json("provenance", "ghost", "-g", graph_file)
    assert ghost["recorded"] is False
    assert [ghost[k] for k in ("version", "status", "transformation", "provenance", "metadata")] == [None] * 5


def test_impact_json_shape(graph_file: Path, tmp_path: Path) -> None:
    critical = tmp_path / "critical.txt"
    critical.write_text("report\naudit\nnope\n")
    result = run("impact", "raw", "-g", graph_file, "--critical", critical, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "changed_artifact": "raw",
        "affected_artifacts": ["audit", "clean", "mart", "report"],
        "affected_workflows": ["marts", "reporting", "wf"],
        "affected_agents": ["agent"],
        "stale_count": 4,
        "already_stale": 1,
        "affected_critical": ["audit", "report"],
        "critical_paths": [["raw", "clean", "audit"], ["raw", "clean", "report"]],
        "unknown_critical": ["nope"],
    }
    assert "nope" in result.stderr


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["ancestors", "ghost"], "ancestors"),
        (["descendants", "lonely"], "descendants"),
        (["common-ancestors", "raw", "lonely"], "common_ancestors"),
        (["impact", "lonely"], "affected_artifacts"),
    ],
)
def test_empty_answers_are_still_one_json_document(graph_file: Path, args: list[str], key: str) -> None:
    result = run(*args, "-g", graph_file, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[key] == []


def test_cross_workflow_json_on_a_graph_without_links(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    save_graph(make_graph([("a", "b")]), path)
    assert run_json("cross-workflow", "-g", path) == {"links": []}


# -- exit codes and errors -------------------------------------------------------------


def test_no_path_exits_1_with_null_path_in_json(graph_file: Path) -> None:
    result = run("path", "report", "raw", "-g", graph_file, "--directed", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["path"] is None
    assert "No path from 'report' to 'raw'" in result.stderr
    plain = run("path", "raw", "lonely", "-g", graph_file)
    assert (plain.exit_code, plain.stdout) == (1, "")


def test_fail_on_critical(graph_file: Path, tmp_path: Path) -> None:
    critical = tmp_path / "critical.txt"
    critical.write_text("report\n")
    hit = run("impact", "clean", "-g", graph_file, "--critical", critical, "--fail-on-critical")
    assert hit.exit_code == 1 and "report" in hit.stdout
    miss = run("impact", "side", "-g", graph_file, "--critical", critical, "--fail-on-critical")
    assert miss.exit_code == 0 and miss.stdout == "audit\n"


def test_fail_on_critical_needs_a_critical_file(graph_file: Path) -> None:
    assert_clean_error(run("impact", "raw", "-g", graph_file, "--fail-on-critical"), "--critical FILE")


def test_missing_critical_file(graph_file: Path, tmp_path: Path) -> None:
    assert_clean_error(
        run("impact", "raw", "-g", graph_file, "--critical", tmp_path / "gone.txt"), "gone.txt: no such file"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["provenance", "rwa"],
        ["ancestors", "rwa"],
        ["descendants", "rwa"],
        ["path", "rwa", "clean"],
        ["path", "raw", "claen"],
        ["common-ancestors", "rwa", "clean"],
        ["impact", "rwa"],
    ],
)
def test_unknown_ids_exit_2_with_suggestions(graph_file: Path, args: list[str]) -> None:
    result = run(*args, "-g", graph_file)
    assert_clean_error(result, "Unknown artifact", "Did you mean")
    assert result.stderr.count("\n") == 1


def test_negative_depth_is_a_usage_error(graph_file: Path) -> None:
    result = run("ancestors", "raw", "-g", graph_file, "--depth", "-1")
    assert result.exit_code == 2
    assert "--depth" in result.stderr and "Traceback" not in result.stderr


def test_malformed_graph_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"nodes": {,}}')
    assert_clean_error(run("descendants", "x", "-g", bad), "bad.json, line 1, column")


def test_graph_from_env_and_from_store(graph_file: Path, tmp_path: Path) -> None:
    assert run("descendants", "side", env={"LINEAGE_GRAPH": str(graph_file)}).stdout == "audit\n"
    store = tmp_path / "store"
    store.mkdir()
    save_graph(warehouse(), store / "lineage.json")
    assert run("descendants", "side", "--store", store).stdout == "audit\n"
    assert (
        run("descendants", "side", env={"LINEAGE_GRAPH": None, "LINEAGE_STORE": str(store)}).stdout
        == "audit\n"
    )


# -- terminal (rich) output ------------------------------------------------------------


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setenv("LINES", "1000")  # taller than any output here: nothing is cut


@pytest.mark.usefixtures("terminal")
def test_terminal_tree_shows_each_artifact_once(graph_file: Path) -> None:
    result = run("ancestors", "audit", "-g", graph_file)
    assert result.exit_code == 0
    for artifact in ("audit", "clean", "side", "raw", "ghost"):
        assert result.stdout.count(artifact) == 1
    assert "└──" in result.stdout or "├──" in result.stdout
    assert "4 ancestors." in result.stderr


@pytest.mark.usefixtures("terminal")
def test_terminal_prints_markup_like_ids_verbatim(graph_file: Path) -> None:
    assert "[bold]odd" in run("descendants", "[bold]odd", "-g", graph_file).stdout
    assert "[bold]odd" in run("provenance", "[bold]odd", "-g", graph_file).stdout


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["provenance", "audit"], ["Parents (inputs): 2", "validated", "checks", "Children (outputs): none"]),
        (["provenance", "ghost"], ["only as an edge endpoint"]),
        (["path", "report", "side"], ["report <- clean -> audit <- side"]),
        (["common-ancestors", "report", "audit"], ["Common ancestors of report and audit: 3", "yes"]),
        (["impact", "raw"], ["4 artifacts affected by a change to raw", "already stale: 1", "marts"]),
        (["cross-workflow"], ["Cross-workflow artifacts: 1", "marts, reporting", "2026-01-01T00:00:00Z"]),
    ],
)
def test_terminal_tables(graph_file: Path, args: list[str], expected: list[str]) -> None:
    result = run(*args, "-g", graph_file)
    assert result.exit_code == 0
    for fragment in expected:
        assert fragment in result.stdout


# -- the installed `lineage`, real pipes and processes --------------------------------


def lineage(
    *args: str | Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    assert LINEAGE.exists(), f"{LINEAGE} is missing: run `make dev`"
    return subprocess.run(
        [str(LINEAGE), *map(str, args)],
        input=stdin,
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def test_installed_lineage_through_a_real_pipe(graph_file: Path) -> None:
    shell = f"'{LINEAGE}' descendants raw --graph '{graph_file}' | xargs echo"
    result = subprocess.run(["sh", "-c", shell], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout == "audit clean mart report\n"
    assert result.stderr == ""


def test_installed_lineage_reads_the_graph_from_stdin(graph_file: Path) -> None:
    result = lineage("path", "raw", "audit", "--directed", "--graph", "-", stdin=graph_file.read_bytes())
    assert (result.returncode, result.stdout) == (0, b"raw\nclean\naudit\n")


def test_installed_lineage_options_after_the_subcommand_and_exit_codes(graph_file: Path) -> None:
    ok = lineage("common-ancestors", "report", "audit", "--json", "--graph", graph_file)
    assert ok.returncode == 0 and json.loads(ok.stdout)["lowest"] == ["clean"]
    none = lineage("path", "report", "raw", "--directed", "-g", graph_file, "--json")
    assert none.returncode == 1 and json.loads(none.stdout)["path"] is None
    unknown = lineage("impact", "rwa", "-g", graph_file)
    assert unknown.returncode == 2 and b"Did you mean 'raw'" in unknown.stderr
    assert b"Traceback" not in unknown.stderr and unknown.stdout == b""


def test_installed_lineage_on_a_real_graph_matches_networkx() -> None:
    import networkx as nx

    document = json.loads(TUVA.read_text())
    oracle = nx.DiGraph((e["source"], e["target"]) for e in document["edges"])
    target = max(oracle.nodes, key=lambda n: len(nx.ancestors(oracle, n)))
    result = lineage("ancestors", target, "--graph", TUVA)
    assert result.returncode == 0
    assert result.stdout.decode().splitlines() == sorted(nx.ancestors(oracle, target))
    assert len(nx.ancestors(oracle, target)) >= 150


def test_installed_lineage_deep_chain(tmp_path: Path) -> None:
    depth = 10_000
    path = tmp_path / "deep.json"
    save_graph(make_graph([(f"n{i}", f"n{i + 1}") for i in range(depth - 1)]), path)
    result = lineage("path", "n0", f"n{depth - 1}", "--directed", "-g", path, "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["length"] == depth - 1
    impact = lineage("impact", "n0", "-g", path, "--json")
    assert json.loads(impact.stdout)["stale_count"] == depth - 1
    ancestors = lineage("ancestors", f"n{depth - 1}", "-g", path)
    assert ancestors.stdout.count(b"\n") == depth - 1


@pytest.mark.parametrize(
    "args",
    [
        ["path", "seed.input_layer.eligibility_seed", "model.the_tuva_project.core__condition", "--json"],
        ["impact", "model.input_layer.medical_claim", "--json"],
        ["cross-workflow", "--json"],
        [
            "common-ancestors",
            "model.the_tuva_project.core__condition",
            "model.the_tuva_project.core__procedure",
        ],
        ["ancestors", "model.the_tuva_project.core__condition"],
    ],
)
def test_output_does_not_depend_on_the_hash_seed(args: list[str]) -> None:
    outputs = {
        lineage(*args, "--graph", TUVA, env={"PYTHONHASHSEED": seed}).stdout for seed in ("0", "1", "4242")
    }
    assert len(outputs) == 1
    assert outputs.pop().strip()


@pytest.mark.usefixtures("terminal")
def test_terminal_tree_of_a_deep_chain_is_cut_with_a_count(tmp_path: Path) -> None:
    from lineage_cli.cli.query import TREE_LEVELS

    path = tmp_path / "deep.json"
    save_graph(make_graph([(f"n{i}", f"n{i + 1}") for i in range(199)]), path)
    result = run("ancestors", "n199", "-g", path)
    assert result.exit_code == 0
    assert f"n{199 - TREE_LEVELS}" in result.stdout and f"n{198 - TREE_LEVELS}" not in result.stdout
    assert f"… {199 - TREE_LEVELS} more below" in result.stdout
    assert "199 ancestors." in result.stderr


# -- the README's "JSON output shapes" section is the commands' real output -----------


def docs_graph() -> LineageGraph:
    """The example graph of the README's "JSON output shapes" section (described there in words)."""
    from lineage_cli.model import LineageNode, ProvenanceRecord

    def add(
        aid: str, agent: str, workflow: str, stage: str, when: str, transformation: str, **extra: Any
    ) -> None:
        provenance = ProvenanceRecord(agent, workflow, stage, parse_timestamp(when), extra.pop("tool", None))
        graph.add_node(LineageNode(aid, extra.pop("version", "1"), provenance, [], transformation, **extra))

    graph = LineageGraph()
    add("fx.rates", "loader", "ingest", "extract", "2026-01-04T23:00:00Z", "daily ECB rates")
    add(
        "raw.orders",
        "loader",
        "ingest",
        "extract",
        "2026-01-05T02:00:00Z",
        "copy of the vendor's nightly export",
        tool="airbyte 0.50",
        version="2026-01-05",
        status=ArtifactStatus.FRESH,
    )
    add(
        "clean.orders",
        "cleaner",
        "ingest",
        "clean",
        "2026-01-05T02:10:00Z",
        "drop test orders and duplicates",
        status=ArtifactStatus.FRESH,
        metadata={"quality_score": 0.97},
    )
    add("mart.revenue", "dbt", "reporting", "model", "2026-01-05T03:00:00Z", "revenue by day in EUR")
    add("report.board", "report-bot", "reporting", "publish", "2026-01-05T06:00:00Z", "board deck chart")
    graph.node("report.board").status = ArtifactStatus.STALE  # type: ignore[union-attr]
    add("audit.orders", "auditor", "compliance", "check", "2026-01-06T00:00:00Z", "row-count attestation")
    for source, target, kind, description in [
        ("vendor.feed", "raw.orders", TransformationType.COPIED, "nightly export"),
        ("raw.orders", "clean.orders", TransformationType.REFINED, "dedupe"),
        ("clean.orders", "mart.revenue", TransformationType.DERIVED, "aggregate"),
        ("fx.rates", "mart.revenue", TransformationType.MERGED, "currency conversion"),
        ("mart.revenue", "report.board", TransformationType.DERIVED, "chart"),
        ("clean.orders", "audit.orders", TransformationType.VALIDATED, "row counts match"),
    ]:
        graph.add_edge(LineageEdge(source, target, kind, description))
    return graph


README = Path(__file__).resolve().parent.parent / "README.md"


def readme_json_examples() -> list[tuple[str, str]]:
    text = README.read_text()
    section = text.split("\n## JSON output shapes\n", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```console\n")[1:]
    examples = []
    for block in blocks:
        body = block.split("```", 1)[0]
        command, _, shown = body.partition("\n")
        examples.append((command, shown))
    return examples


def test_readme_documents_every_query_command_json_shape() -> None:
    commands = {command.split()[2] for command, _ in readme_json_examples()}
    expected = {
        "provenance",
        "ancestors",
        "descendants",
        "path",
        "common-ancestors",
        "impact",
        "cross-workflow",
    }
    assert expected <= commands


@pytest.mark.parametrize(("command", "shown"), readme_json_examples())
def test_readme_json_examples_are_real_output(
    command: str, shown: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex

    save_graph(docs_graph(), tmp_path / "shop.json")
    (tmp_path / "critical.txt").write_text(
        "# what the board sees\nreport.board\naudit.orders\nold.dashboard\n"
    )
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(command)
    assert argv[:2] == ["$", "lineage"] and "--json" in argv
    result = run(*argv[2:], env={"LINEAGE_GRAPH": "shop.json"})
    assert result.exit_code in (0, 1)
    assert result.stdout == shown


@pytest.mark.parametrize(
    "command",
    [
        ["provenance", "raw"],
        ["ancestors", "raw"],
        ["descendants", "raw"],
        ["path", "raw", "clean"],
        ["common-ancestors", "raw", "clean"],
        ["impact", "raw"],
        ["cross-workflow"],
    ],
)
def test_every_command_takes_the_shared_options_after_the_subcommand(
    command: list[str], graph_file: Path, tmp_path: Path
) -> None:
    # --as-of is parsed (and a naive time rejected) before anything is read.
    naive = run(*command, "--graph", graph_file, "--store", tmp_path, "--as-of", "2026-01-01T00:00:00")
    assert_clean_error(naive, "--as-of '2026-01-01T00:00:00' has no timezone")
    # An empty store has no lineage.json: the error names it and says what to do.
    missing = run(*command, "--store", tmp_path / "empty", "--json", env={"LINEAGE_GRAPH": None})
    assert_clean_error(missing, "lineage.json: no such file", "lineage build")


def test_piped_and_json_queries_never_import_rich(graph_file: Path) -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from lineage_cli.cli import app\n"
        f"graph = {str(graph_file)!r}\n"
        "for args in (['impact', 'raw'], ['path', 'raw', 'audit', '--json'], ['provenance', 'raw']):\n"
        "    assert CliRunner().invoke(app, [*args, '--graph', graph]).exit_code == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_queries_answer_as_of_a_past_moment_in_the_store(store_location: str) -> None:
    from tests.storehelp import at, fill
    from tests.test_store_cli import HISTORY

    store = fill(store_location, HISTORY)
    env: dict[str, str | None] = {"LINEAGE_GRAPH": None, "LINEAGE_STORE": None}
    before = run("descendants", "clean.parquet", "--store", store, "--as-of", at(2), env=env)
    assert (before.exit_code, before.stdout) == (0, "")
    now = run("descendants", "clean.parquet", "--as-of", at(30), "--store", store, env=env)
    assert now.stdout == "model.pkl\nreport.html\n"
    gone = run("provenance", "model.pkl", "--store", store, "--as-of", at(2), env=env)
    assert_clean_error(gone, "Unknown artifact 'model.pkl'")
