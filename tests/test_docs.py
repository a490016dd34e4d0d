"""The README never lies: its tour is the commands' real output, and it documents every command."""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from types import ModuleType
from typing import Any

import pytest
import typer
import typer.main

from lineage_cli.cli import app
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


@functools.cache
def load_tour_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_tour", REPO / "scripts" / "readme_tour.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def command_paths(group: Any, prefix: str = "lineage") -> list[str]:
    """Every command and subcommand that `--help` lists, as `lineage NAME [SUB]`."""
    paths = []
    with typer.Context(group) as ctx:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            paths.append(f"{prefix} {name}")
            if hasattr(command, "list_commands"):  # a group: its subcommands too
                paths += command_paths(command, f"{prefix} {name}")
    return paths


def test_the_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in first_block.splitlines()] == [["make", "demo"], ["make", "test"]]
    assert README.index("```sh") < README.index("<!-- tour:start -->")


def test_the_tour_is_the_real_output_of_every_command_now() -> None:
    tour = load_tour_script()
    assert tour.rewrite(README, tour.render()) == README, (
        "README.md's tour is out of date: run .venv/bin/python scripts/readme_tour.py"
    )


COMMANDS = command_paths(typer.main.get_command(app))


def test_there_are_commands_to_check() -> None:
    assert "lineage validate" in COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(command: str) -> None:
    # Documented means: a tour heading for it, or at least one real example of it.
    assert f"### {command}" in README or re.search(rf"^\$ {re.escape(command)}\b", README, re.MULTILINE), (
        f"`{command}` is not documented in README.md: add it to TOUR in scripts/readme_tour.py"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_tour(command: str) -> None:
    tour = load_tour_script()
    shown = {c for stop in tour.TOUR for c in stop.commands}
    assert any(re.match(rf"(.*\| )?{re.escape(command)}\b", c) for c in shown), command
