"""lineage: record where every artifact came from, and answer questions about it."""

from __future__ import annotations

__version__ = "0.1.0"
