"""Where things live in a store directory, and how the store directory is chosen."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lineage_cli.store.discovery import DEFAULT_STORE, STORE_ENV, discover_store, is_database_location

__all__ = ["DEFAULT_STORE", "STORE_ENV", "StorePaths", "resolve_store"]


@dataclass(frozen=True, slots=True)
class StorePaths:
    """The files of one store directory.

    Examples
    --------
    >>> StorePaths(Path("s")).graph.as_posix()
    's/lineage.json'
    """

    root: Path

    @property
    def events(self) -> Path:
        """The append-only event log, one JSON event per line."""
        return self.root / "events.jsonl"

    @property
    def graph(self) -> Path:
        """The built lineage file."""
        return self.root / "lineage.json"

    @property
    def snapshots(self) -> Path:
        """The directory of snapshots for time travel."""
        return self.root / "snapshots"

    @property
    def built(self) -> Path:
        """How much of the log the last ``lineage build`` folded (for queries to notice newer events)."""
        return self.root / "built.json"

    @property
    def index(self) -> Path:
        """The query index built beside ``lineage.json``."""
        return self.root / "index.sqlite"


def resolve_store(explicit: str | os.PathLike[str] | None = None) -> StorePaths:
    """The store directory: ``explicit``, else where :func:`.discovery.discover_store` finds it.

    A PostgreSQL location is refused with one sentence: open it with
    :func:`lineage_cli.store.base.open_store`.

    This is the one entry point the rest of the code calls to turn a location into a store.

    Examples
    --------
    >>> resolve_store("/tmp/x").root.as_posix()
    '/tmp/x'
    """
    location = discover_store(explicit).location
    if is_database_location(location):
        from lineage_cli.errors import UsageError
        from lineage_cli.store.postgres.connect import mask  # no driver import: only the masking

        raise UsageError(
            f"This command works on a store directory, and {mask(location)} is a PostgreSQL store.",
            hint="Pass --store DIR for a directory store (the team store's commands are listed in README).",
        )
    return StorePaths(Path(location))
