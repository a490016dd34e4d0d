"""Queries on a store give the same answers from the file (first query) and from the index (later)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage_cli.cli import app
from tests.conftest import LINEAGE, SAMPLE_GRAPHS

ETL = SAMPLE_GRAPHS / "warehouse-etl.json"


def store_of(tmp_path: Path, source: Path) -> Path:
    store = tmp_path / "store"
    store.mkdir()
    shutil.copyfile(source, store / "lineage.json")
    return store


def commands(graph_ids: list[str]) -> list[list[str]]:
    first, middle, last = graph_ids[0], graph_ids[len(graph_ids) // 2], graph_ids[-1]
    return [
        ["provenance", middle, "--json"],
        ["ancestors", last, "--json"],
        ["ancestors", last],
        ["descendants", first, "--depth", "2", "--json"],
        ["path", first, last, "--json"],
        ["path", first, last, "--directed", "--json"],
        ["common-ancestors", middle, last, "--json"],
        ["impact", first, "--json"],
    ]


def ids_of(store: Path) -> list[str]:
    return sorted(json.loads((store / "lineage.json").read_text())["nodes"])


def test_every_query_answers_the_same_from_the_file_and_from_the_index(tmp_path: Path) -> None:
    store = store_of(tmp_path, ETL)
    ids = ids_of(store)
    index = store / "index.sqlite"
    for command in commands(ids):
        index.unlink(missing_ok=True)
        runner = CliRunner()
        from_file = runner.invoke(app, [*command, "--store", str(store)])
        assert index.is_file(), "the first query on a store writes its index"
        from_index = runner.invoke(app, [*command, "--store", str(store)])
        assert (from_index.exit_code, from_index.stdout) == (from_file.exit_code, from_file.stdout), command
        assert from_file.exit_code in (0, 1), from_file.stderr


def test_the_installed_lineage_uses_and_refreshes_the_index(tmp_path: Path) -> None:
    store = store_of(tmp_path, ETL)
    last = ids_of(store)[-1]

    def ancestors() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(LINEAGE), "ancestors", last, "--store", str(store)],
            capture_output=True,
            text=True,
            check=False,
        )

    first = ancestors()
    assert first.returncode == 0, first.stderr
    assert (store / "index.sqlite").is_file()
    assert ancestors().stdout == first.stdout
    # Replacing lineage.json (as `lineage build` does) makes the index stale: it is rebuilt.
    shutil.copyfile(SAMPLE_GRAPHS / "ml-training.json", store / "lineage.json")
    after = ancestors()
    assert after.returncode == 2
    assert f"Unknown artifact {last!r}" in after.stderr
    assert "Traceback" not in after.stderr


@pytest.mark.parametrize("typo_at", [0, -1])
def test_unknown_ids_on_the_index_get_suggestions(tmp_path: Path, typo_at: int) -> None:
    store = store_of(tmp_path, ETL)
    target = ids_of(store)[3]
    CliRunner().invoke(app, ["ancestors", target, "--store", str(store)])  # builds the index
    assert (store / "index.sqlite").is_file()
    typo = target[:-1] if typo_at == -1 else "x" + target
    result = CliRunner().invoke(app, ["ancestors", typo, "--store", str(store)])
    assert result.exit_code == 2
    assert f"Unknown artifact {typo!r}" in result.stderr
    assert target in result.stderr
