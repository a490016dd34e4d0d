"""Help pages: no `<bool>` placeholders, one example per command; completion of ids from the store."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import typer.main

from lineage_cli.cli import app
from lineage_cli.cli.examples import EXAMPLES
from tests.conftest import LINEAGE, SAMPLE_GRAPHS
from tests.test_docs import command_paths

COMMANDS = command_paths(typer.main.get_command(app))


def lineage(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [str(LINEAGE), *args], capture_output=True, text=True, env=environment, cwd=cwd, timeout=120
    )


@pytest.mark.parametrize("command", ["lineage", *COMMANDS])
def test_help_has_no_bool_placeholder_and_one_example(command: str) -> None:
    page = lineage(*command.split()[1:], "--help")
    assert page.returncode == 0
    assert "<bool>" not in page.stdout
    if command != "lineage":
        name = command.removeprefix("lineage ")
        assert name in EXAMPLES, f"add an example for `{command}` to lineage_cli/cli/examples.py"
        assert page.stdout.count("Example: ") == 1 and EXAMPLES[name] in page.stdout


def complete(words: str, cwd: Path | None = None) -> list[str]:
    env = {
        "_LINEAGE_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
    }
    result = lineage(env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_completion_offers_ids_from_the_store_and_the_graph_file(tmp_path: Path) -> None:
    graph = SAMPLE_GRAPHS / "warehouse-etl.json"
    assert complete(f"lineage ancestors -g {graph} dim_") == [
        "dim_campaign",
        "dim_customer",
        "dim_date",
        "dim_product",
    ]
    assert lineage("import", "graph", str(graph), cwd=tmp_path).returncode == 0
    assert lineage("build", cwd=tmp_path).returncode == 0
    lineage("ls", "--count", cwd=tmp_path)  # the first query writes the index
    assert complete("lineage path stg_erp__o", cwd=tmp_path) == ["stg_erp__order_lines", "stg_erp__orders"]
    assert complete("lineage ls 2+stg_erp__o", cwd=tmp_path) == [
        "2+stg_erp__order_lines",
        "2+stg_erp__orders",
    ]
    assert complete("lineage provenance nothing-like-this", cwd=tmp_path) == []
    (tmp_path / "no-store").mkdir()
    assert complete("lineage impact x", cwd=tmp_path / "no-store") == []
