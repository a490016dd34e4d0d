"""The exporter registry is exhaustive both ways: every listed format has an exporter, and every
exporter in the export package is listed (after pypa/pip-audit's format registry test)."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
import typer.main
from typer.testing import CliRunner

import lineage_cli.export
from lineage_cli.cli import app
from lineage_cli.export import FORMATS, get_exporter
from lineage_cli.export.base import ExportOptions
from tests.export_checks import small_graph


def _exporter_modules() -> dict[str, dict[str, object]]:
    """Every module of lineage_cli.export that defines EXPORTERS, by module name."""
    found = {}
    for info in pkgutil.iter_modules(lineage_cli.export.__path__, "lineage_cli.export."):
        module = importlib.import_module(info.name)
        if hasattr(module, "EXPORTERS"):
            found[info.name] = module.EXPORTERS
    return found


def _help_formats() -> list[str]:
    command = typer.main.get_command(app)
    export = command.commands["export"]  # type: ignore[attr-defined]
    (option,) = [p for p in export.params if p.name == "format"]
    listed = re.search(r"one of: (.*)\.$", option.help)
    assert listed is not None, option.help
    return listed.group(1).split(", ")


def test_help_lists_exactly_the_registered_formats() -> None:
    assert _help_formats() == list(FORMATS)
    rendered = CliRunner().invoke(app, ["export", "--help"], env={"COLUMNS": "400"}).stdout
    for name in FORMATS:
        assert re.search(rf"\b{re.escape(name)}\b", rendered), name


def test_every_listed_format_has_an_exporter_of_that_name() -> None:
    for name, module_name in FORMATS.items():
        module = importlib.import_module(module_name)
        assert name in module.EXPORTERS, f"{module_name} lists no exporter for {name!r}"
        exporter = get_exporter(name)
        assert exporter.name == name
        assert isinstance(exporter.binary, bool) and exporter.description.strip()


def test_every_exporter_in_the_package_is_listed() -> None:
    modules = _exporter_modules()
    assert modules, "no exporter modules found"
    for module_name, exporters in modules.items():
        for name in exporters:
            assert FORMATS.get(name) == module_name, f"{module_name} defines {name!r}, not in FORMATS"


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_exporter_exports_a_graph(name: str) -> None:
    data = get_exporter(name).export(small_graph(), ExportOptions())
    assert isinstance(data, bytes) and len(data) > 50
    if not get_exporter(name).binary:
        data.decode("utf-8")


def test_the_cli_does_not_import_exporters_or_graphviz_until_it_exports() -> None:
    import subprocess
    import sys

    code = (
        "import sys, lineage_cli.cli\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] == 'graphviz' "
        "or m.startswith('lineage_cli.export.') and m != 'lineage_cli.export.base']\n"
        "print(sorted(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
