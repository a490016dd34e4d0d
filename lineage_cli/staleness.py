"""Staleness: which artifacts are out of date, and the chain of upstream changes that made them so."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lineage_cli.store.build import StaleReason, fold_log, require_log
from lineage_cli.store.events import LogProblem
from lineage_cli.store.layout import StorePaths

__all__ = ["StaleReason", "stale_artifacts"]


def stale_artifacts(
    paths: StorePaths,
    *,
    as_of: datetime | None = None,
    skip_bad: bool = False,
    on_problem: Callable[[LogProblem], None] | None = None,
) -> list[StaleReason]:
    """Every stale artifact in the store (at ``as_of``, or now), sorted by id, with its reason.

    An artifact is stale when one of its inputs was re-produced after it was built, or
    when an input is itself stale. Read from the event log, because the reason needs the
    versions an artifact was built from, which the lineage file does not keep.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.recorder import record_to_store
    >>> store = StorePaths(pathlib.Path(tempfile.mkdtemp()))
    >>> for aid, inputs in [("raw", []), ("clean", ["raw"]), ("report", ["clean"])]:
    ...     _ = record_to_store(store, aid, inputs=inputs)
    >>> _ = record_to_store(store, "raw")
    >>> [(r.artifact, " -> ".join(r.chain), r.from_version, r.to_version) for r in stale_artifacts(store)]
    [('clean', 'raw -> clean', '1', '2'), ('report', 'raw -> clean -> report', '1', '2')]
    """
    require_log(paths)
    fold = fold_log(paths, until=as_of, skip_bad=skip_bad, on_problem=on_problem)
    # A failed or running artifact is reported as such, not as stale, as in the lineage file.
    return [fold.stale[a] for a in sorted(fold.stale) if fold.nodes[a]["status"] == "stale"]
