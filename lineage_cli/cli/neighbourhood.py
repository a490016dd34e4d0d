"""The options that pick a root's neighbourhood, shared by `export` and `view`, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

from lineage_cli.errors import UsageError
from lineage_cli.export.base import GroupBy
from lineage_cli.queries import Direction

__all__ = [
    "BothOpt",
    "DownstreamOpt",
    "GroupByOpt",
    "RootDepthOpt",
    "RootOpt",
    "UpstreamOpt",
    "direction_of",
    "group_by_of",
]

_GROUPS: tuple[GroupBy, ...] = ("workflow", "stage", "agent", "none")

RootOpt = Annotated[
    str | None,
    typer.Option("--root", metavar="ID", help="Only this artifact's neighbourhood.", show_default=False),
]
UpstreamOpt = Annotated[bool, typer.Option("--upstream", help="With --root: its ancestors.")]
DownstreamOpt = Annotated[bool, typer.Option("--downstream", help="With --root: its descendants.")]
BothOpt = Annotated[bool, typer.Option("--both", help="With --root: both directions (the default).")]
RootDepthOpt = Annotated[
    int | None,
    typer.Option("--depth", metavar="N", help="With --root: at most N hops away.", show_default=False),
]
GroupByOpt = Annotated[
    str,
    typer.Option("--group-by", metavar="KEY", help="Group by workflow, stage, agent or none."),
]


def direction_of(upstream: bool, downstream: bool, both: bool, root: str | None) -> Direction:
    """The direction the flags choose (``both`` by default); a flag without ``--root`` is refused."""
    flags: list[tuple[Direction, bool]] = [("upstream", upstream), ("downstream", downstream), ("both", both)]
    chosen = [name for name, flag in flags if flag]
    if len(chosen) > 1:
        raise UsageError("Choose one of --upstream, --downstream and --both.")
    if chosen and root is None:
        raise UsageError(f"--{chosen[0]} needs --root: name the artifact to start from.")
    return chosen[0] if chosen else "both"


def group_by_of(value: str) -> GroupBy:
    """The ``--group-by`` value, checked."""
    for choice in _GROUPS:
        if value == choice:
            return choice
    raise UsageError(f"Unknown --group-by {value!r}. Choose one of: {', '.join(_GROUPS)}.")
