"""What shell completion offers for a partly typed artifact id: the ids that start with it."""

from __future__ import annotations

from lineage_cli.graph import GraphView
from lineage_cli.names import NameLookup

__all__ = ["completions"]


def _literal(text: str) -> str:
    # Bracket SQL GLOB's special characters so a typed `*` or `[` is matched as itself.
    return "".join(f"[{char}]" if char in "*?[" else char for char in text)


def completions(view: GraphView, incomplete: str, limit: int = 200) -> list[str]:
    """Up to ``limit`` sorted ids starting with ``incomplete`` (an indexed range scan on the store).

    Shells keep only candidates that start with the typed word, so short names are not offered.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("model.t.core__patient", "model.t.core__person")])
    >>> completions(g, "model.t.core__pa")
    ['model.t.core__patient']
    """
    ids = view.ids_like(_literal(incomplete) + "*") if isinstance(view, NameLookup) else view.artifact_ids()
    return [aid for aid in ids if aid.startswith(incomplete)][:limit]
