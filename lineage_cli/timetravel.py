"""Time travel: the lineage graph as it was at any moment, and what changed between two moments."""

from __future__ import annotations

from datetime import datetime

from lineage_cli.errors import UsageError
from lineage_cli.graph import LineageGraph
from lineage_cli.store.layout import StorePaths

__all__ = ["graph_at"]


def graph_at(store: StorePaths, moment: datetime) -> LineageGraph:
    """Rebuild the store's graph from every event at or before ``moment``."""
    raise UsageError(f"time travel is not available yet (store {store.root}, {moment.isoformat()}).")
