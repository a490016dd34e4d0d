"""The exporter interface: one small protocol every output format implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from lineage_cli.graph import LineageGraph
from lineage_cli.model import LineageEdge

__all__ = ["Budget", "ExportOptions", "Exporter", "Fitted", "GroupBy"]

GroupBy = Literal["workflow", "stage", "agent", "none"]


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """Options an exporter may honour; selection (root, depth, max nodes) happens before export."""

    group_by: GroupBy = "workflow"
    columns: bool = False
    """Draw artifacts with column lineage as records of their columns, with column edges (DOT)."""
    root: str | None = None
    """The artifact the export was grown from: pictures highlight it."""
    notes: tuple[str, ...] = ()
    """Sentences for a picture's legend: what a limit cut, what ``--reduce`` dropped."""


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

    An exporter may also set ``picture = True`` (its output is drawn, so a large graph
    is cut to ``--max-nodes`` by default) and implement :class:`Fitted` when its
    renderer has hard limits of its own.
    """

    name: str
    description: str
    binary: bool

    def export(self, graph: LineageGraph, options: ExportOptions) -> bytes:
        """Render the whole graph; the same input gives the same bytes."""
        ...


class Budget(Protocol):
    """What one artifact or edge costs in an exporter with hard limits (edges, characters).

    ``node_cost`` may keep state (the first artifact of a group also pays for the group's
    header), so it is called once per artifact, in the order artifacts are kept.
    """

    max_edges: int | None
    max_size: int | None
    fixed_size: int

    def node_cost(self, artifact_id: str) -> int:
        """Size added by drawing ``artifact_id`` (an upper bound)."""
        ...

    def edge_cost(self, edge: LineageEdge) -> int:
        """Size added by drawing ``edge`` (an upper bound)."""
        ...


@runtime_checkable
class Fitted(Protocol):
    """An exporter whose renderer refuses documents over some size: it prices its output."""

    def budget(self, graph: LineageGraph, options: ExportOptions, count: int) -> Budget:
        """A fresh budget for drawing at most ``count`` artifacts of ``graph``."""
        ...
