"""Shell completion of artifact ids from the store, through Typer's own completion mechanism."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["complete_ids", "complete_selector"]

LIMIT = 200
"""Most ids offered at once: a shell shows no more usefully."""

_OPERATORS = re.compile(r"^(@|\d*\+)?")


def complete_ids(ctx: Any, incomplete: str) -> list[str]:
    """Ids of the graph the command would read that start with ``incomplete`` (or whose short name does).

    Never fails: a missing store or a broken file completes nothing.
    """
    try:
        from lineage_cli.completion import completions
        from lineage_cli.source import open_graph

        # --graph/--store may be the command's own or given before it (on a parent context).
        found: dict[str, Any] = {}
        while ctx is not None:
            for key, value in ctx.params.items():
                found.setdefault(key, value)
            ctx = ctx.parent
        graph = found.get("graph") or found.get("graph_file")
        view = open_graph(graph, found.get("store"))
        return completions(view, incomplete, LIMIT)
    except Exception:  # completion must never print a traceback into the user's shell
        return []


def complete_selector(ctx: Any, incomplete: str) -> list[str]:
    """:func:`complete_ids` after any leading graph operator (``+``, ``2+``, ``@``) of a selector word."""
    word = incomplete.rsplit(",", 1)[-1]
    head = incomplete[: len(incomplete) - len(word)]
    match = _OPERATORS.match(word)
    operator = match.group() if match else ""
    return [head + operator + aid for aid in complete_ids(ctx, word[len(operator) :])]
