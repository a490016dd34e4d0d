"""Hostile input: each case ends in one stderr sentence and its exit code, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage_cli.cli import app
from lineage_cli.graph import LineageGraph
from lineage_cli.lineagefile import dumps_graph

LINEAGE = Path(sys.executable).parent / "lineage"

_PROVENANCE = {"agent": "x", "workflow": "w", "stage": "s", "timestamp": "2026-01-01T00:00:00Z"}


def _node(**fields: Any) -> dict[str, Any]:
    return {"version": "1", "status": "fresh", "provenance": _PROVENANCE, "inputs": [], **fields}


def _write(tmp_path: Path, document: Any) -> str:
    path = tmp_path / "g.json"
    path.write_text(json.dumps(document))
    return str(path)


QUERIES = [
    ["ancestors", "a"],
    ["descendants", "a"],
    ["provenance", "a"],
    ["path", "a", "b"],
    ["common-ancestors", "a", "b"],
    ["impact", "a"],
    ["cross-workflow"],
    ["export", "-f", "json"],
]

WRONG_TYPES = {
    "edge endpoints that are not strings": {
        "nodes": {"a": _node()},
        "edges": [{"source": 1, "target": ["b"]}],
    },
    "inputs holding a number and null": {"nodes": {"a": _node(inputs=[1, None])}, "edges": []},
    "a node that is a string": {"nodes": {"a": "x"}, "edges": []},
}


def _assert_one_sentence(stderr: str, exit_code: int) -> None:
    assert "Traceback" not in stderr
    assert exit_code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr


@pytest.mark.parametrize("case", sorted(WRONG_TYPES))
@pytest.mark.parametrize("command", QUERIES, ids=" ".join)
def test_wrong_types_give_one_sentence(tmp_path: Path, case: str, command: list[str]) -> None:
    graph = _write(tmp_path, WRONG_TYPES[case])
    result = CliRunner().invoke(app, [*command, "-g", graph])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    _assert_one_sentence(result.stderr, result.exit_code)
    assert result.stderr.startswith(f"error: {graph}: ")  # nodes and edges are decoded lazily
    assert result.stdout == ""


BAD_NODES = {
    "an unknown status": _node(status="weird"),
    "metadata that is a list": _node(metadata=[1]),
    "a timestamp that is a number": _node(provenance={**_PROVENANCE, "timestamp": 5}),
}


@pytest.mark.parametrize("case", sorted(BAD_NODES))
def test_a_node_decoded_late_names_the_file(tmp_path: Path, case: str) -> None:
    """From a file (--graph) and from the store, through its index on the second query."""
    graph = _write(tmp_path, {"nodes": {"a": BAD_NODES[case]}, "edges": []})
    store = tmp_path / "store"
    store.mkdir()
    (store / "lineage.json").write_text(Path(graph).read_text())
    for source, named in (
        (["-g", graph], graph),
        *[(["--store", str(store)], str(store / "lineage.json"))] * 2,
    ):
        code, stdout, stderr = _invoke(["provenance", "a", "--json", *source])
        _assert_one_sentence(stderr, code)
        assert stderr.startswith(f"error: {named}: "), stderr
        assert stdout == ""


def test_wrong_types_through_the_installed_command(tmp_path: Path) -> None:
    graph = _write(tmp_path, WRONG_TYPES["edge endpoints that are not strings"])
    done = subprocess.run(
        [str(LINEAGE), "ancestors", "a", "-g", graph, "--json"], capture_output=True, text=True, check=False
    )
    _assert_one_sentence(done.stderr, done.returncode)
    assert "Edge #0" in done.stderr


def _invoke(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_a_store_that_is_a_file(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.write_text("not a directory")
    for command in (["record", "x"], ["snapshots"], ["snapshots", "--json"]):
        code, stdout, stderr = _invoke([*command, "--store", str(store)])
        _assert_one_sentence(stderr, code)
        assert stdout == ""
        assert str(store) in stderr
    assert "the store is a file" in _invoke(["record", "x", "--store", str(store)])[2]


def test_an_event_log_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "events.jsonl").mkdir()
    code, _, stderr = _invoke(["record", "x", "--store", str(tmp_path)])
    _assert_one_sentence(stderr, code)
    assert "events.jsonl: cannot append to the event log (Is a directory)" in stderr


def test_writing_over_a_directory(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert _invoke(["record", "a", "--store", str(store)])[0] == 0
    target = tmp_path / "taken"
    target.mkdir()
    for command in (["build", "-o", str(target)], ["at", "2999-01-01", "-o", str(target)]):
        code, stdout, stderr = _invoke([*command, "--store", str(store)])
        _assert_one_sentence(stderr, code)
        assert f"Cannot write {target}: Is a directory." in stderr
        assert stdout == ""


def test_an_unforeseen_file_system_error_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import lineage_cli.cli.query as query_cli

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "lineage.json")

    monkeypatch.setattr(query_cli, "open_graph", full_disk)
    code, stdout, stderr = _invoke(["cross-workflow", "--store", str(tmp_path)])
    _assert_one_sentence(stderr, code)
    assert stderr.startswith("error: lineage.json: No space left on device.")
    assert stdout == ""


def _chain_file(tmp_path: Path, length: int) -> str:
    nodes = {f"n{i}": _node(inputs=[f"n{i - 1}"] if i else []) for i in range(length)}
    return _write(tmp_path, {"version": "1.0", "nodes": nodes, "edges": []})


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_reader_that_goes_away_is_exit_141_even_unbuffered(tmp_path: Path, unbuffered: str) -> None:
    """Under PYTHONUNBUFFERED a large document used to be cut short silently, with exit 0."""
    import os

    graph = _chain_file(tmp_path, 1000)  # its JSON export is far larger than a pipe's buffer
    read_end, write_end = os.pipe()
    env = {**os.environ, "PYTHONUNBUFFERED": unbuffered}
    proc = subprocess.Popen(
        [str(LINEAGE), "export", "-f", "json", "-g", graph], stdout=write_end, stderr=subprocess.PIPE, env=env
    )
    os.close(write_end)
    assert os.read(read_end, 10)
    os.close(read_end)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 141
    assert stderr == b""


CTRL_C_WHILE_TYPER_BUILDS = """
import os, signal, sys
import typer.main
real = typer.main.get_command
def interrupted(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while Typer builds the commands from annotations
    return real(*args, **kwargs)
typer.main.get_command = interrupted
from lineage_cli.cli import main
sys.argv = ["lineage", "cross-workflow"]
main()
"""

CTRL_C_WHILE_IMPORTING = """
import builtins, os, signal
real = builtins.__import__
def interrupted(name, *args, **kwargs):
    if name == "lineage_cli.cli.query" or (name == "lineage_cli.cli" and "query" in (args[2] or ())):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the commands are imported
    return real(name, *args, **kwargs)
builtins.__import__ = interrupted
from lineage_cli.cli import main
"""


@pytest.mark.parametrize(
    "script", [CTRL_C_WHILE_TYPER_BUILDS, CTRL_C_WHILE_IMPORTING], ids=["typer", "import"]
)
def test_ctrl_c_while_starting_is_one_line_and_130(script: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert (done.returncode, done.stderr) == (130, "error: interrupted.\n")
    assert done.stdout == ""


EDGE_OF_TIME = ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"]


@pytest.mark.parametrize("moment", EDGE_OF_TIME)
def test_a_timestamp_with_no_utc_time_is_bad_input(tmp_path: Path, moment: str) -> None:
    """Such a time is valid ISO-8601, but converting it to UTC used to raise OverflowError."""
    store = tmp_path / "store"
    assert _invoke(["record", "a", "--store", str(store)])[0] == 0
    graph = _write(
        tmp_path, {"nodes": {"a": _node(provenance={**_PROVENANCE, "timestamp": moment})}, "edges": []}
    )
    for command in (
        ["at", moment, "--store", str(store)],
        ["ancestors", "a", "--as-of", moment, "--store", str(store)],
        ["provenance", "a", "-g", graph],
        ["export", "-f", "json", "-g", graph],
    ):
        code, stdout, stderr = _invoke(command)
        _assert_one_sentence(stderr, code)
        assert f"{moment!r} is out of range" in stderr
        assert stdout == ""


def test_ids_with_line_breaks_are_flagged_when_piped(tmp_path: Path) -> None:
    """One id per line cannot show an id with a line break: stderr says so and points to --json."""
    graph = LineageGraph.from_pairs([("raw\nfile", "report"), ("clean", "report")])
    source = tmp_path / "g.json"
    source.write_bytes(dumps_graph(graph))
    result = CliRunner().invoke(app, ["ancestors", "report", "--graph", str(source)])
    assert result.exit_code == 0
    assert result.stdout == "clean\nraw\nfile\n"
    assert "1 artifact id(s) in this answer contain a line break" in result.stderr
    assert "--json" in result.stderr
    clean = CliRunner().invoke(app, ["ancestors", "clean", "--graph", str(source)])
    assert clean.exit_code == 0 and clean.stderr == ""
