"""The core never imports typer or rich; the CLI is the only place that may."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import lineage_cli

PACKAGE = Path(lineage_cli.__file__).parent
CORE_FILES = sorted(p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts)
BANNED = {"typer", "rich", "click"}


def test_core_files_exist() -> None:
    assert len(CORE_FILES) >= 5


def test_core_source_imports_neither_typer_nor_rich() -> None:
    offenders = []
    for path in CORE_FILES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in BANNED]
    assert offenders == []


def test_importing_the_core_loads_neither_typer_nor_rich() -> None:
    core_modules = sorted(
        "lineage_cli." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
        for p in CORE_FILES
        if p.name != "__main__.py"
    )
    code = (
        "import sys\n"
        f"for name in {core_modules!r}:\n"
        "    __import__(name.removesuffix('.__init__'))\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'typer', 'rich', 'click'})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_ruff_bans_typer_and_rich_in_the_core() -> None:
    pyproject = (PACKAGE.parent / "pyproject.toml").read_text()
    assert '"typer".msg' in pyproject and '"rich".msg' in pyproject


def test_starting_the_cli_loads_no_command_s_machinery() -> None:
    # `lineage --version` and a simple query must not pay for the validator, the event log,
    # the recorder, the store builder or rich: each command imports what it needs when it runs.
    lazy = (
        "lineage_cli.validate",
        "lineage_cli.store.events",
        "lineage_cli.recorder",
        "lineage_cli.store.build",
        "lineage_cli.timetravel",
        "lineage_cli.staleness",
        "lineage_cli.interop",
        "rich",
        "networkx",
    )
    code = (
        "import sys, lineage_cli.cli\n"
        f"lazy = {lazy!r}\n"
        "print(sorted(m for m in sys.modules if m in lazy or m.startswith(tuple(n + '.' for n in lazy))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
