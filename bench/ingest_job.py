"""One writer of the ingest benchmark: pre-made events through a store's sink, as the recorder sends them.

Run as ``python bench/ingest_job.py STORE COUNT PREFIX``. The events are made before the clock
matters (the recorder's own per-call bookkeeping is measured by ``bench/recorder_bench.py``);
each goes through the sink ``record_artifact`` uses for ``STORE``: the directory's locked
append, or a PostgreSQL store's spool and shipper. Exits when the sink is closed (for
PostgreSQL: when the shipper has sent everything, or after the exit flush's bound).
"""

from __future__ import annotations

import sys


def main() -> None:
    store, count, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    from lineage_cli.recorder import _make_sink

    time = "2026-06-01T00:00:00Z"
    events = [
        {
            "schema": 1,
            "event_id": f"{prefix}-{n:08d}",
            "kind": "artifact_recorded",
            "time": time,
            "lineage_id": f"{prefix}-flow",
            "parent_lineage_id": None,
            "artifact_id": f"{prefix}/artifact-{n:08d}",
            "version": "1.0.0",
            "artifact_kind": "parquet",
            "inputs": [f"{prefix}/artifact-{n - 1:08d}"] if n else [],
            "transformation": "bench",
            "transformation_type": "derived",
            "metadata": {"rows": n},
            "agent": "bench",
            "workflow": "ingest",
            "stage": "one",
            "tool": "bench",
            "environment": "prod",
        }
        for n in range(count)
    ]
    sink = _make_sink(store)
    for event in events:
        sink(event)
    sink.close()


if __name__ == "__main__":
    main()
