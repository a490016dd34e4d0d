"""The exporter interface: one small protocol every output format implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from lineage_cli.graph import LineageGraph

__all__ = ["ExportOptions", "Exporter", "GroupBy"]

GroupBy = Literal["workflow", "stage", "agent", "none"]


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """Options an exporter may honour; selection (root, depth, max nodes) happens before export."""

    group_by: GroupBy = "workflow"


class Exporter(Protocol):
    """Turns a (possibly selected) lineage graph into one document.

    Attributes
    ----------
    name:
        The ``--format`` value.
    description:
        One line for ``--help`` and the README.
    binary:
        True when the output is not text (PNG): it is never written to a terminal.
    """

    name: str
    description: str
    binary: bool

    def export(self, graph: LineageGraph, options: ExportOptions) -> bytes:
        """Render the whole graph; the same input gives the same bytes."""
        ...
