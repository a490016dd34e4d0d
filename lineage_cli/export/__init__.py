"""Exporters behind one interface, found through one registry; modules load only when used."""

from __future__ import annotations

import importlib
from typing import Final

from lineage_cli.errors import UsageError
from lineage_cli.export.base import Exporter, ExportOptions, GroupBy

__all__ = ["FORMATS", "ExportOptions", "Exporter", "GroupBy", "get_exporter"]

# Format name -> module defining `EXPORTER`. Kept as strings so `lineage --help` and a query
# never import graphviz or the other exporters (start-up time).
FORMATS: Final[dict[str, str]] = {
    "mermaid": "lineage_cli.export.mermaid",
    "dot": "lineage_cli.export.dot",
    "json": "lineage_cli.export.json_format",
    "png": "lineage_cli.export.render",
    "svg": "lineage_cli.export.render",
    "prov-json": "lineage_cli.export.prov",
    "openlineage": "lineage_cli.export.openlineage",
    "html": "lineage_cli.export.html",
}


def get_exporter(name: str) -> Exporter:
    """Return the exporter for format ``name``.

    Raises
    ------
    UsageError
        For an unknown format, listing the known ones.

    Examples
    --------
    >>> get_exporter("nope")
    Traceback (most recent call last):
    ...
    lineage_cli.errors.UsageError: Unknown export format 'nope'. Choose one of: ...
    """
    module_name = FORMATS.get(name)
    if module_name is None:
        raise UsageError(f"Unknown export format {name!r}. Choose one of: {', '.join(FORMATS)}.")
    module = importlib.import_module(module_name)
    exporters: dict[str, Exporter] = module.EXPORTERS
    return exporters[name]
