"""`lineage export` through CliRunner and through the installed command with real pipes."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage_cli.cli import app
from lineage_cli.export.run import ExportRequest, export_graph
from lineage_cli.lineagefile import save_graph
from tests.conftest import LINEAGE
from tests.export_checks import (
    dot_plain_counts,
    hostile_graph,
    parse_dot,
    require_dot,
    small_graph,
    svg_counts,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def graph_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.json"
    save_graph(small_graph(), path)
    return path


@pytest.fixture
def hostile_file(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.json"
    save_graph(hostile_graph(), path)
    return path


def run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.mark.parametrize("fmt", ["mermaid", "dot", "json", "svg"])
def test_stdout_carries_exactly_the_export(graph_file: Path, fmt: str) -> None:
    code, out, err = run("export", "--format", fmt, "--graph", str(graph_file))
    assert code == 0 and err == ""
    assert out == export_graph(small_graph(), ExportRequest(fmt)).data


def test_output_file_and_selection(graph_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "part.dot"
    args = ["export", "-f", "dot", "-g", str(graph_file), "-o", str(target)]
    code, out, _ = run(*args, "--root", "clean:orders", "--upstream", "--depth", "1", "--group-by", "none")
    assert code == 0 and out == b""
    parsed = parse_dot(target.read_bytes())
    assert sorted(parsed.labels.values()) == ["orders", "orders.csv"]  # short names; ids in tooltips
    assert parsed.clusters == []


def test_cut_is_reported_on_stderr(graph_file: Path) -> None:
    code, out, err = run("export", "-f", "dot", "-g", str(graph_file), "--max-nodes", "2")
    assert code == 0
    assert dot_plain_counts(out) == (2, 1)  # the first source and its child
    assert err.startswith("warning: showing 2 of 5 artifacts and 1 of 4 edges (limit: --max-nodes 2)")
    assert "--root audit --both --depth 2" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "gif"], "Unknown export format 'gif'. Choose one of: mermaid, dot, json"),
        (["--upstream"], "--upstream needs --root"),
        (["--root", "audit", "--upstream", "--downstream"], "Choose one of --upstream, --downstream"),
        (["--root", "Audit"], "Unknown artifact 'Audit'. Did you mean 'audit'?"),
        (["--depth", "2"], "--depth needs --root"),
        (["--group-by", "team"], "Unknown --group-by 'team'"),
        (["--max-nodes", "-1"], "--max-nodes must be 1 or more"),
    ],
)
def test_bad_requests_get_one_sentence_and_exit_2(graph_file: Path, args: list[str], message: str) -> None:
    code, out, err = run("export", "-g", str(graph_file), *args)
    assert code == 2 and out == b""
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_missing_graph_file_is_one_sentence(tmp_path: Path) -> None:
    code, _, err = run("export", "-g", str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json: no such file" in err


# --- the installed command, real pipes ---------------------------------------------------------


def test_installed_command_pipes_into_dot(hostile_file: Path, tmp_path: Path) -> None:
    dot = require_dot()
    png = tmp_path / "lineage.png"
    export = subprocess.Popen(
        [str(LINEAGE), "export", "--format", "dot", "--graph", str(hostile_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    render = subprocess.run([dot, "-Tpng", "-o", str(png)], stdin=export.stdout, capture_output=True)
    assert export.stdout is not None
    export.stdout.close()
    assert export.wait(timeout=120) == 0 and render.returncode == 0, render.stderr
    assert png.read_bytes().startswith(PNG_MAGIC)


def test_installed_command_writes_png_and_svg_files(graph_file: Path, tmp_path: Path) -> None:
    for fmt in ("png", "svg"):
        target = tmp_path / f"small.{fmt}"
        result = subprocess.run(
            [str(LINEAGE), "export", "-f", fmt, "-g", str(graph_file), "-o", str(target)], capture_output=True
        )
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "small.png").read_bytes().startswith(PNG_MAGIC)
    assert svg_counts((tmp_path / "small.svg").read_bytes()) == (5, 4)


def test_png_goes_down_a_pipe(graph_file: Path) -> None:
    result = subprocess.run([str(LINEAGE), "export", "-f", "png", "-g", str(graph_file)], capture_output=True)
    assert result.returncode == 0 and result.stdout.startswith(PNG_MAGIC)


def test_png_to_a_terminal_is_refused(graph_file: Path) -> None:
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [str(LINEAGE), "export", "-f", "png", "-g", str(graph_file)],
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "error: PNG is binary and stdout is a terminal: pass --output FILE, or pipe it.\n"
    )


def test_missing_dot_says_how_to_install_it_and_dot_text_still_works(
    graph_file: Path, tmp_path: Path
) -> None:
    # A PATH with the virtual environment only: no Graphviz.
    env = {**os.environ, "PATH": str(LINEAGE.parent)}
    png = subprocess.run(
        [str(LINEAGE), "export", "-f", "png", "-g", str(graph_file), "-o", str(tmp_path / "x.png")],
        capture_output=True,
        env=env,
    )
    assert png.returncode == 2
    message = png.stderr.decode()
    assert len(message.strip().splitlines()) == 1
    assert "needs Graphviz's `dot` program, which is not on PATH" in message
    assert "apt-get install graphviz" in message and "Traceback" not in message
    assert not (tmp_path / "x.png").exists()
    text = subprocess.run(
        [str(LINEAGE), "export", "-f", "dot", "-g", str(graph_file)], capture_output=True, env=env
    )
    assert text.returncode == 0 and text.stdout.startswith(b"digraph lineage {")


def test_output_file_gets_the_usual_permissions(graph_file: Path, tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    target = tmp_path / "new.dot"
    assert run("export", "-f", "dot", "-g", str(graph_file), "-o", str(target))[0] == 0
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # like `dot -o`, not mkstemp's 0600
    private = tmp_path / "private.dot"
    private.write_text("old")
    private.chmod(0o600)
    assert run("export", "-f", "dot", "-g", str(graph_file), "-o", str(private))[0] == 0
    assert private.stat().st_mode & 0o777 == 0o600 and private.read_text().startswith("digraph")
