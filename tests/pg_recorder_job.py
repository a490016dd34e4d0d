"""A host job for the recorder tests: records artifacts into a store and reports its slowest calls.

Run as ``python -m tests.pg_recorder_job STORE COUNT PREFIX [RESEND_PERCENT]``; prints one JSON
line ``{"recorded": n, "max_ms": ..., "p99_ms": ...}`` and exits 0 unless the job itself failed.
"""

from __future__ import annotations

import sys
import time

import orjson

from lineage_cli.recorder import configure, data_flow_context, get_recorder, record_artifact


def main() -> None:
    store, count, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    resend = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    configure(store=store)
    timings = []
    with data_flow_context(source="job", workflow="reliability", agent=prefix):
        for n in range(count):
            start = time.perf_counter()
            record_artifact(f"{prefix}-{n:06d}", inputs=[f"{prefix}-{n - 1:06d}"] if n else [])
            timings.append(time.perf_counter() - start)
    # Resend a share of the events as they were (same event ids): the store must keep one of each.
    from lineage_cli.recorder import _config

    sink = _config.sink_for_now()
    assert sink is not None
    events = [e for e in get_recorder().get_events() if e["kind"] == "artifact_recorded"]
    for event in events[: len(events) * resend // 100]:
        sink(event)
    slowest = max(range(len(timings)), key=timings.__getitem__)
    timings.sort()
    print(
        orjson.dumps(
            {
                "recorded": count,
                "slowest_call": slowest,
                "max_ms": timings[-1] * 1000,
                "p99_ms": timings[int(len(timings) * 0.99) - 1] * 1000,
            }
        ).decode(),
        flush=True,
    )


if __name__ == "__main__":
    main()
